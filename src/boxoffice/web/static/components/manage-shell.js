// The back office's frame: sign-in for a manager or an admin, the theatre being run (chosen,
// remembered on this device), and the way between the back office's pages.
import { get, session } from "../api.js";
import { accountForm } from "./account-form.js";
import { theatreChoice } from "./theatre-choice.js";
import { field, h, render } from "../ui.js";

const SECTIONS = [
  ["/manage", "Screens"],
  ["/manage/schedule", "Week schedule"],
  ["/manage/prices", "Rate cards"],
  ["/manage/movies", "Movies"],
  ["/manage/settings", "Settings"],
];
const ROLES = ["admin", "manager"];

// Draws the frame and answers {theatre, theatres, body, me}, or null when the page cannot go on
// (nobody fit is signed in, or no theatre to run); `body` is where the page draws itself.
export async function manageShell(main, title, here) {
  main.classList.add("wide"); // a grid of seats, a week of screens: the room a laptop has
  const user = session.user();
  if (!user || !ROLES.includes(user.role)) {
    const why = user ? "Your account does not run a theatre. Sign in with a manager or admin account." : "These pages are for a theatre's managers: sign in with a manager or admin account.";
    render(main, title, h("p", {}, why), accountForm(() => location.reload(), { allowRegister: false }));
    return null;
  }
  const [me, list] = await Promise.all([get("/api/v1/me"), get("/api/v1/theatres?limit=100", { auth: "none" })]);
  const theatres = me.role === "admin" || !Array.isArray(me.theatre_ids)
    ? list.items
    : list.items.filter((t) => me.theatre_ids.includes(t.id));
  const nav = h("nav", { class: "manage-nav", "aria-label": "Back office" },
    SECTIONS.map(([href, label]) => h("a", { href, "aria-current": href === here ? "page" : null }, label)));
  if (!theatres.length) {
    render(main, title, nav, h("p", { class: "lead" }, "No theatre is yours to run yet: an admin assigns theatres to managers."));
    return null;
  }
  const chooser = theatreChoice(theatres);
  chooser.addEventListener("change", () => location.reload()); // after the choice is remembered
  const theatre = theatres.find((t) => t.id === chooser.value);
  const body = h("div", { class: "manage-body" });
  render(main, title,
    h("div", { class: "manage-head" }, nav,
      h("form", { class: "filters", "aria-label": "Choose the theatre" }, field("Theatre", chooser))),
    body);
  return { theatre, theatres, body, me };
}

// Rupees typed by a person ("180", "180.50") as paise; NaN when it is not an amount.
export function paise(text) {
  const trimmed = String(text).trim().replace(/,/g, "");
  if (!/^\d+(\.\d{1,2})?$/.test(trimmed)) return NaN;
  const [whole, fraction = ""] = trimmed.split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

// Paise as a person types rupees: 18000 → "180", 18050 → "180.50".
export function rupees(amount) {
  if (amount === null || amount === undefined) return "";
  const fraction = amount % 100;
  return fraction ? `${Math.floor(amount / 100)}.${String(fraction).padStart(2, "0")}` : String(amount / 100);
}
