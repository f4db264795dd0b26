// Sign in or create an account. A guest's bookings (a pending one included) follow them into
// the account: the client passes the guest token along (see api.signIn).
import { signIn } from "../api.js";
import { busy, field, h, messageBox } from "../ui.js";

// quiet: its buttons plain, where another button is the page's main one (Pay at checkout).
export function accountForm(onSignedIn, { allowRegister = true, quiet = false } = {}) {
  const messages = messageBox("account");
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const name = h("input", { type: "text", name: "name", autocomplete: "name" });
  const nameField = field("Your name (new accounts)", name);
  const signInButton = h("button", { type: "submit", class: quiet ? "" : "primary" }, "Sign in");
  const registerButton = h("button", { type: "button" }, "Create account");
  const form = h("form", { class: "account", "aria-label": "Sign in" },
    field("Email", email), field("Password", password), allowRegister ? nameField : null,
    h("div", { class: "actions" }, signInButton, allowRegister ? registerButton : null,
      h("a", { href: "/forgot-password" }, "Forgot your password?")),
    messages.element);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(signInButton, messages, async () => onSignedIn(await signIn("login", { email: email.value, password: password.value })));
  });
  registerButton.addEventListener("click", () => {
    if (!name.value.trim()) {
      messages.error("Please give your name to create an account.");
      name.focus();
      return;
    }
    busy(registerButton, messages, async () => onSignedIn(await signIn("register", { email: email.value, password: password.value, name: name.value })));
  });
  return form;
}
