// Rate cards: the price of each seat type per day type, for the whole theatre or one screen
// (a screen's rule wins), for any format or one (IMAX 3D dearer than 2D). A show's own prices are
// set on the show itself, in the week schedule.
import { get, put } from "../api.js";
import { price } from "../format.js";
import { manageShell, paise, rupees } from "../components/manage-shell.js";
import { formatCodes } from "../components/show-form.js";
import { busy, field, h, loads, messageBox } from "../ui.js";

const DAYS = [["WEEKDAY", "Weekday"], ["WEEKEND", "Weekend"], ["HOLIDAY", "Holiday"]];

export default async function pricesPage(main) {
  const shell = await manageShell(main, "Rate cards", "/manage/prices");
  if (!shell) return;
  const { theatre, body } = shell;
  const [screenList, formats] = await Promise.all([get(`/api/v1/theatres/${theatre.id}/screens`, { auth: "none" }), formatCodes()]);
  const screens = await Promise.all(screenList.items.map((s) => get(`/api/v1/screens/${s.id}`, { auth: "none" })));
  const messages = messageBox("prices");
  const scope = h("select", { name: "scope" }, h("option", { value: "" }, "Every screen (the theatre's card)"), screens.map((s) => h("option", { value: s.id }, s.name)));
  const format = h("select", { name: "format" }, h("option", { value: "" }, "Any format"), formats.map((f) => h("option", { value: f }, f)));
  const card = h("div", {});
  body.append(
    h("form", { class: "filters", "aria-label": "Which rate card" }, field("Rate card of", scope), field("Format", format)),
    card, messages.element,
    h("p", { class: "muted" }, "A show's own prices, for one show only, are set when it is scheduled, or later from the show itself: ", h("a", { href: "/manage/schedule" }, "Week schedule"), " → the show → This show's own prices."));

  const theatreRules = () => get(`/api/v1/theatres/${theatre.id}/prices`, { auth: "none" });
  const sameFormat = (rule) => (rule.format || "") === format.value;

  const started = loads();
  async function draw() {
    const latest = started();
    messages.clear();
    const screen = screens.find((s) => s.id === scope.value);
    const path = screen ? `/api/v1/screens/${screen.id}/prices` : `/api/v1/theatres/${theatre.id}/prices`;
    const [rules, fallback] = await Promise.all([get(path, { auth: "none" }), screen ? theatreRules() : Promise.resolve([])]);
    if (!latest()) return; // a newer choice of card is on its way
    const types = [...new Set((screen ? screen.seats : screens.flatMap((s) => s.seats)).map((s) => s.seat_type))];
    for (const rule of rules) if (!types.includes(rule.seat_type)) types.push(rule.seat_type);
    if (!types.length) types.push("VIP", "GOLD", "SILVER");
    const find = (list, type, day) => list.find((r) => r.seat_type === type && r.day_type === day && sameFormat(r))
      || list.find((r) => r.seat_type === type && r.day_type === day && !r.format);
    const inputs = [];
    const rowsOf = types.map((type) => h("tr", {}, h("th", { scope: "row" }, type), DAYS.map(([day, dayLabel]) => {
      const own = rules.find((r) => r.seat_type === type && r.day_type === day && sameFormat(r));
      const inherited = find(fallback, type, day) || (format.value ? find(rules, type, day) : null);
      const hint = inherited ? `${inherited.format ? "" : "any format: "}${price(inherited.amount)}` : day === "HOLIDAY" ? "as weekend" : "no price";
      const input = h("input", { type: "text", inputmode: "decimal", value: own ? rupees(own.amount) : "", placeholder: hint,
        "aria-label": `${type}, ${dayLabel.toLowerCase()} (₹)`, dataset: { seatType: type, dayType: day } });
      inputs.push(input);
      return h("td", { "data-label": dayLabel }, input);
    })));
    const save = h("button", { type: "submit", class: "primary" }, "Save the rate card");
    const form = h("form", { class: "panel rate-card", "aria-label": "Rate card" },
      h("table", { class: "cards-on-phone" },
        h("caption", {}, `${screen ? screen.name : "Every screen"} · ${format.value || "any format"} (₹ a seat; empty: ${screen ? "the theatre's price" : "no price"})`),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Seat type"), DAYS.map(([, label]) => h("th", { scope: "col" }, label)))),
        h("tbody", {}, rowsOf)),
      h("div", { class: "actions" }, save));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(save, messages, async () => {
        messages.clear();
        const kept = rules.filter((r) => !sameFormat(r)).map(({ seat_type, day_type, amount, format: f }) => (f ? { seat_type, day_type, amount, format: f } : { seat_type, day_type, amount }));
        const edited = [];
        for (const input of inputs) {
          if (!input.value.trim()) continue;
          const amount = paise(input.value);
          if (Number.isNaN(amount)) {
            input.focus();
            throw new Error(`${input.getAttribute("aria-label")}: give the price in rupees, like 250 or 250.50.`);
          }
          const rule = { seat_type: input.dataset.seatType, day_type: input.dataset.dayType, amount };
          if (format.value) rule.format = format.value;
          edited.push(rule);
        }
        await put(path, [...kept, ...edited]);
        messages.info(`Saved. Upcoming shows ${screen ? `on ${screen.name}` : "of the theatre"} now sell at these prices; seats already held or sold keep theirs.`);
      });
    });
    card.replaceChildren(form);
  }
  scope.addEventListener("change", draw);
  format.addEventListener("change", draw);
  await draw();
}
