// A forgotten password: the server emails a link (the same answer whether or not the address
// has an account, so the page says the same either way).
import { api } from "../api.js";
import { busy, field, h, messageBox, render } from "../ui.js";

export default async function forgotPasswordPage(main) {
  const messages = messageBox("forgot-password");
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true });
  const send = h("button", { type: "submit", class: "primary" }, "Email me a link");
  const form = h("form", { class: "account", "aria-label": "Forgotten password" },
    field("Email", email), h("div", { class: "actions" }, send));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(send, messages, async () => {
      const answer = await api("POST", "/api/v1/auth/password-reset", { body: { email: email.value }, auth: "none" });
      messages.info(answer.detail);
    });
  });
  render(main, "Forgot your password?",
    h("p", {}, "Give the email address of your account: we'll send it a link to choose a new password."),
    form, messages.element, h("p", {}, h("a", { href: "/signin" }, "Back to sign in")));
}
