// Picks the page module for the path (the server answers the same shell for each) and draws it.
import { session, signOut } from "./api.js";
import { h } from "./ui.js";

const ROUTES = [
  [/^\/$/, "home"],
  [/^\/shows\/([^/]+)$/, "show"],
  [/^\/checkout\/([^/]+)$/, "checkout"],
  [/^\/bookings$/, "bookings"],
  [/^\/bookings\/([^/]+)$/, "booking"],
  [/^\/signin$/, "signin"],
  [/^\/account$/, "account"],
  [/^\/forgot-password$/, "forgot-password"],
  [/^\/reset-password$/, "reset-password"],
  [/^\/checkin$/, "checkin"],
  [/^\/admin$/, "admin"],
  [/^\/admin\/sales$/, "sales"],
  [/^\/sandbox\/checkout$/, "sandbox-checkout"],
];

function drawAccount() {
  const slot = document.getElementById("account");
  const user = session.user();
  if (!user) {
    const next = encodeURIComponent(location.pathname + location.search);
    slot.replaceChildren(h("a", { href: `/signin?next=${next}` }, "Sign in"));
    return;
  }
  const links = [];
  if (user.role === "admin") links.push(h("a", { href: "/admin" }, "Admin"));
  if (user.role === "admin" || user.role === "staff") links.push(h("a", { href: "/checkin" }, "Check-in"));
  const out = h("button", { type: "button", class: "link", onclick: async () => { await signOut(); location.assign("/"); } }, "Sign out");
  slot.replaceChildren(...links, h("a", { href: "/account", class: "who", title: "Your account" }, user.name), out);
}

async function start() {
  drawAccount();
  const main = document.getElementById("main");
  for (const [pattern, name] of ROUTES) {
    const found = location.pathname.match(pattern);
    if (!found) continue;
    const page = await import(`./pages/${name}.js`);
    await page.default(main, ...found.slice(1).map(decodeURIComponent));
    return;
  }
  main.replaceChildren(h("p", {}, "There is no such page."));
}

start().catch((error) => {
  document.getElementById("main").replaceChildren(h("p", { class: "error", role: "alert" }, error.message));
});
