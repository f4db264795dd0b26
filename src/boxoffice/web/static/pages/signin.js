// Sign in or create an account, then back to where the visitor came from.
import { accountForm } from "../components/account-form.js";
import { go, h, render } from "../ui.js";

export default async function signinPage(main) {
  const next = new URLSearchParams(location.search).get("next") || "/";
  const target = next.startsWith("/") && !next.startsWith("//") ? next : "/";
  render(main, "Sign in",
    h("p", { class: "muted" }, "Bookings you made on this device as a guest move into your account."),
    accountForm(() => go(target)));
}
