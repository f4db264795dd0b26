// The page a password reset email links to: the token comes in the address's fragment (never
// sent to a server), is taken out of the address bar at once, and is spent by choosing a new
// password. Every session of the account ends, so the visitor signs in again.
import { api, session } from "../api.js";
import { busy, field, h, messageBox, render } from "../ui.js";

export default async function resetPasswordPage(main) {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  history.replaceState(null, "", location.pathname);
  const again = h("p", {}, h("a", { href: "/forgot-password" }, "Ask for a new link"));
  if (!token) {
    render(main, "Choose a new password", h("p", { class: "error", role: "alert" }, "This page needs the link from your email, in full."), again);
    return;
  }
  const messages = messageBox("reset-password");
  const chosen = h("input", { type: "password", name: "new-password", autocomplete: "new-password", minlength: 8, maxlength: 128, required: true });
  const save = h("button", { type: "submit", class: "primary" }, "Set new password");
  const form = h("form", { class: "account", "aria-label": "Password reset" },
    field("New password (8 characters or more)", chosen), h("div", { class: "actions" }, save));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, messages, async () => {
      try {
        await api("POST", "/api/v1/auth/password-reset/confirm", { body: { token, new_password: chosen.value }, auth: "none" });
      } catch (error) {
        if (error.status === 400) form.replaceWith(again);
        throw error;
      }
      session.signOut(); // every session ended, this device's too
      form.replaceWith(h("p", {}, h("a", { href: "/signin" }, "Sign in with your new password")));
      messages.info("Your password is changed, and you are signed out everywhere.");
    });
  });
  render(main, "Choose a new password", form, messages.element);
}
