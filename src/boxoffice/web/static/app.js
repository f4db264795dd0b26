// Picks the page module for the path (the server answers the same shell for each) and draws it.
import { session, signOut } from "./api.js";
import { h, notice, signInHere, skeleton } from "./ui.js";

// [path, page module, the skeleton drawn while it loads]
const ROUTES = [
  [/^\/$/, "home", "card"],
  [/^\/shows\/([^/]+)$/, "show", "map"],
  [/^\/shows\/([^/]+)\/queue$/, "queue", "card"],
  [/^\/checkout\/([^/]+)$/, "checkout", "card"],
  [/^\/bookings$/, "bookings", "card"],
  [/^\/bookings\/([^/]+)$/, "booking", "card"],
  [/^\/ticket$/, "ticket", "card"],
  [/^\/signin$/, "signin"],
  [/^\/account$/, "account"],
  [/^\/forgot-password$/, "forgot-password"],
  [/^\/reset-password$/, "reset-password"],
  [/^\/checkin$/, "checkin"],
  [/^\/counter$/, "counter", "card"],
  [/^\/counter\/print\/([^/]+)$/, "counter-print"],
  [/^\/admin$/, "admin"],
  [/^\/admin\/sales$/, "sales"],
  [/^\/manage$/, "manage"],
  [/^\/manage\/settings$/, "manage-settings", "card"],
  [/^\/manage\/screens\/([^/]+)$/, "manage-layout", "card"],
  [/^\/manage\/movies$/, "manage-movies", "card"],
  [/^\/manage\/schedule$/, "manage-schedule", "card"],
  [/^\/manage\/prices$/, "manage-prices", "card"],
  [/^\/sandbox\/checkout$/, "sandbox-checkout"],
];

function drawAccount() {
  const slot = document.getElementById("account");
  const user = session.user();
  if (!user) {
    slot.replaceChildren(h("a", { href: signInHere() }, "Sign in"));
    return;
  }
  const links = [];
  if (user.role === "admin") links.push(h("a", { href: "/admin" }, "Admin"));
  if (user.role === "admin" || user.role === "manager") links.push(h("a", { href: "/manage" }, "Manage"));
  if (user.role === "admin" || user.role === "staff") links.push(h("a", { href: "/checkin" }, "Check-in"));
  if (user.role !== "customer") links.push(h("a", { href: "/counter" }, "Counter"));
  const out = h("button", { type: "button", class: "link", onclick: async () => { await signOut(); location.assign("/"); } }, "Sign out");
  slot.replaceChildren(...links, h("a", { href: "/account", class: "who", title: "Your account" }, user.name), out);
}

async function start() {
  drawAccount();
  const main = document.getElementById("main");
  for (const [pattern, name, shape] of ROUTES) {
    const found = location.pathname.match(pattern);
    if (!found) continue;
    if (shape) skeleton(main, shape);
    const page = await import(`./pages/${name}.js`);
    await page.default(main, ...found.slice(1).map(decodeURIComponent));
    return;
  }
  notice(main, "Page not found", "There is no page at this address. It may have moved, or the link was mistyped.",
    [["See what's showing", "/"], ["My bookings", "/bookings"]]);
}

// A page brought back by Back (the browser's page cache) is drawn afresh: what it showed, a
// seat's status or a hold, may have changed meanwhile.
window.addEventListener("pageshow", (event) => { if (event.persisted) location.reload(); });

start().catch((error) => {
  notice(document.getElementById("main"), "Something went wrong", error.message,
    [["Try again", () => location.reload()], ["Back to the shows", "/"]]);
});
