// Admin pages ask for an admin account first.
import { session } from "../api.js";
import { accountForm } from "./account-form.js";
import { h, render } from "../ui.js";

export function needsAdmin(main, title) {
  const user = session.user();
  if (user && user.role === "admin") return false;
  render(main, title, h("p", {}, "This page is for theatre operators: sign in with an admin account."), accountForm(() => location.reload(), { allowRegister: false }));
  return true;
}
