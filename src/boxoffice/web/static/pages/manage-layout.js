// A screen's layout editor (/manage/screens/new, /manage/screens/{id}): the grid to draw on, and
// beside it the live preview, drawn by the shop's own seat picker as a customer will see it.
import { get, post, put } from "../api.js";
import { manageShell } from "../components/manage-shell.js";
import { alone, layoutBody, layoutEditor, rowLabel, rowsOfSeats, seatsOf } from "../components/layout-editor.js";
import { seatPicker } from "../components/seatpicker.js";
import { busy, field, go, h, messageBox } from "../ui.js";

const TYPES = ["VIP", "GOLD", "SILVER"];

// A new screen starts as a small hall to reshape: SILVER at the front, GOLD behind, 10 a row.
function starter() {
  return Array.from({ length: 6 }, (_, i) => ({
    label: rowLabel(i), seat_type: i < 2 ? "SILVER" : "GOLD", seats: 10, aisles: new Set(), access: new Map(),
  }));
}

export default async function layoutPage(main, screenId) {
  const creating = screenId === "new";
  const shell = await manageShell(main, creating ? "Draw a new screen" : "Screen layout", "/manage");
  if (!shell) return;
  const { theatre, body } = shell;
  const screen = creating ? null : await get(`/api/v1/screens/${screenId}`, { auth: "none" });
  const theatreId = screen ? screen.theatre_id : theatre.id;
  const rules = await get(`/api/v1/theatres/${theatreId}/prices`, { auth: "none" }).catch(() => []);
  const priceOf = (type) => (rules.find((r) => r.seat_type === type && r.day_type === "WEEKDAY") || { amount: 0 }).amount;
  const types = [...new Set([...TYPES, ...(screen ? screen.seats.map((s) => s.seat_type) : [])])];
  const messages = messageBox("layout");
  const name = h("input", { type: "text", name: "name", value: screen ? screen.name : "", required: true, readonly: !creating });
  const preview = h("div", { class: "layout-preview" });
  let dirty = false;

  function drawPreview({ rows }) {
    const picker = seatPicker({ seats: seatsOf(rows, priceOf), currency: "INR", maxSeats: 10, onChange: () => {}, onRefused: () => {} });
    preview.replaceChildren(h("h2", {}, "As customers will see it"), picker.element);
  }

  const editor = layoutEditor({
    rows: screen ? rowsOfSeats(screen.seats) : starter(),
    spot: screen && screen.sweet_spot ? { ...screen.sweet_spot } : null,
    types,
    onChange(state) {
      dirty = true;
      messages.clear();
      drawPreview(state);
    },
  });
  const save = h("button", { type: "button", class: "primary" }, creating ? "Create the screen" : "Save the layout");
  save.addEventListener("click", () => busy(save, messages, async () => {
    messages.clear();
    const { rows, spot } = editor.state();
    if (creating && !name.value.trim()) {
      messages.error("Please name the screen (e.g. Audi 1).");
      name.focus();
      return;
    }
    const lonely = alone(rows);
    const payload = layoutBody(rows, spot);
    const saved = creating
      ? await post(`/api/v1/theatres/${theatreId}/screens`, { name: name.value.trim(), ...payload })
      : await put(`/api/v1/screens/${screenId}/layout`, payload);
    dirty = false;
    if (creating) {
      go(`/manage/screens/${saved.id}?created=1`);
      return;
    }
    const note = lonely.length ? ` Wheelchair space${lonely.length > 1 ? "s" : ""} ${lonely.join(", ")} ha${lonely.length > 1 ? "ve" : "s"} no companion seat beside ${lonely.length > 1 ? "them" : "it"}.` : "";
    messages.info(`Saved: ${saved.seat_count} seats.${note}`);
  }));
  window.addEventListener("beforeunload", (event) => { if (dirty) event.preventDefault(); });
  if (new URLSearchParams(location.search).get("created")) messages.info(`Screen ${screen.name} created with ${screen.seat_count} seats.`);

  body.append(
    h("p", {}, h("a", { href: "/manage" }, "‹ All screens")),
    h("div", { class: "panel" }, field("Screen name", name),
      screen ? h("p", { class: "muted" }, `${screen.seat_count} seats. Shows already scheduled keep the seats they had.`) : null),
    h("div", { class: "layout-page" }, h("section", { class: "panel", "aria-label": "Layout editor" }, editor.element), preview),
    h("div", { class: "actions save-bar" }, save, messages.element));
  drawPreview(editor.state());
}
