// Sign in or create an account, then back to where the visitor came from.
import { accountForm } from "../components/account-form.js";
import { go, h, render, sameOrigin } from "../ui.js";

export default async function signinPage(main) {
  const target = sameOrigin(new URLSearchParams(location.search).get("next"));
  render(main, "Sign in",
    h("p", { class: "muted" }, "Bookings you made on this device as a guest move into your account."),
    accountForm(() => go(target)));
}
