// The back office's first page: the theatre's screens, each opening its layout editor.
import { get } from "../api.js";
import { manageShell } from "../components/manage-shell.js";
import { h } from "../ui.js";

export default async function managePage(main) {
  const shell = await manageShell(main, "Back office", "/manage");
  if (!shell) return;
  const { theatre, body } = shell;
  const screens = await get(`/api/v1/theatres/${theatre.id}/screens`, { auth: "none" });
  const details = await Promise.all(screens.items.map((s) => get(`/api/v1/screens/${s.id}`, { auth: "none" })));
  body.append(
    h("h2", {}, `Screens of ${theatre.name}`),
    details.length
      ? h("ul", { class: "screen-list", "aria-label": "Screens" }, details.map((screen) => h("li", { class: "panel" },
        h("a", { href: `/manage/screens/${screen.id}` }, screen.name),
        h("span", { class: "muted" }, ` · ${screen.seat_count} seats · ${typesOf(screen)}`))))
      : h("p", { class: "muted" }, "No screens yet: draw the first one."),
    h("div", { class: "actions" }, h("a", { class: "button primary", href: "/manage/screens/new" }, "Draw a new screen")));
}

function typesOf(screen) {
  const counts = new Map();
  for (const seat of screen.seats) counts.set(seat.seat_type, (counts.get(seat.seat_type) || 0) + 1);
  return [...counts].map(([type, count]) => `${count} ${type}`).join(", ");
}
