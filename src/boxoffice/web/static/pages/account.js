// The signed-in account: its new password (every other device is signed out) and signing out
// everywhere.
import { api, session, signOut } from "../api.js";
import { busy, field, go, h, messageBox, render } from "../ui.js";

export default async function accountPage(main) {
  const user = session.user();
  if (!user) {
    render(main, "Your account", h("p", {}, h("a", { href: "/signin?next=/account" }, "Sign in"), " to manage your account."));
    return;
  }
  const messages = messageBox("account-settings");
  const current = h("input", { type: "password", name: "current-password", autocomplete: "current-password", required: true });
  const chosen = h("input", { type: "password", name: "new-password", autocomplete: "new-password", minlength: 8, maxlength: 128, required: true });
  const change = h("button", { type: "submit", class: "primary" }, "Change password");
  const form = h("form", { class: "account", "aria-label": "Change password" },
    field("Current password", current), field("New password (8 characters or more)", chosen),
    h("div", { class: "actions" }, change));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(change, messages, async () => {
      await api("POST", "/api/v1/me/password", { body: { current_password: current.value, new_password: chosen.value } });
      form.reset();
      messages.info("Your password is changed. Every other device you were signed in on is signed out.");
    });
  });
  const everywhere = h("button", { type: "button", class: "danger" }, "Sign out everywhere");
  everywhere.addEventListener("click", () => busy(everywhere, messages, async () => {
    await api("POST", "/api/v1/auth/logout-all");
    await signOut();
    go("/");
  }));
  render(main, "Your account",
    h("p", { class: "muted" }, `${user.name} (${user.email})`),
    h("h2", {}, "Password"), form,
    h("h2", {}, "Devices"),
    h("p", {}, "Lost a phone, or signed in on a shared computer? Sign out on every device at once."),
    h("div", { class: "actions" }, everywhere),
    messages.element);
}
