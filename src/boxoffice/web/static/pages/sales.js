// Operators: a theatre's sales per day (chart and table), per movie, and in total.
import { get } from "../api.js";
import { isoDay, money, percent } from "../format.js";
import { salesChart } from "../components/chart.js";
import { needsAdmin } from "../components/admin-gate.js";
import { theatreChoice } from "../components/theatre-choice.js";
import { field, h, loads, messageBox, render } from "../ui.js";

export default async function salesPage(main) {
  if (needsAdmin(main, "Sales report")) return;
  const messages = messageBox("sales");
  const theatres = await get("/api/v1/theatres?limit=100", { auth: "none" });
  const theatre = theatreChoice(theatres.items);
  const now = Date.now();
  const from = h("input", { type: "date", name: "from", value: isoDay(new Date(now - 7 * 86_400_000)) });
  const to = h("input", { type: "date", name: "to", value: isoDay(new Date(now + 7 * 86_400_000)) });
  const output = h("div", { class: "sales" });
  render(main, "Sales report",
    h("p", {}, h("a", { href: "/admin" }, "Shows and occupancy")),
    h("form", { class: "filters", "aria-label": "Choose theatre and dates" }, field("Theatre", theatre), field("From", from), field("To", to)),
    messages.element, output);

  const started = loads();
  async function load() {
    const latest = started();
    messages.clear();
    try {
      const report = await get(`/api/v1/admin/reports/sales?theatre_id=${theatre.value}&from=${from.value}&to=${to.value}`);
      if (!latest()) return;
      const currency = "INR";
      const t = report.totals;
      output.replaceChildren(
        h("p", { class: "totals" }, `${t.tickets} tickets · gross ${money(t.gross, currency)} · refunded ${money(t.refunded, currency)} · net ${money(t.net, currency)}`),
        salesChart(report.days, currency),
        h("table", {}, h("caption", {}, "Per day"),
          h("thead", {}, h("tr", {}, ["Date", "Shows", "Tickets", "Net", "Occupancy"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, report.days.map((d) => h("tr", {}, h("td", {}, d.date), h("td", {}, d.shows), h("td", {}, d.tickets), h("td", {}, money(d.net, currency)), h("td", {}, percent(d.occupancy)))))),
        h("table", {}, h("caption", {}, "Per movie"),
          h("thead", {}, h("tr", {}, ["Movie", "Tickets", "Net"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, report.by_movie.map((m) => h("tr", {}, h("td", {}, m.title), h("td", {}, m.tickets), h("td", {}, money(m.net, currency)))))));
    } catch (error) {
      if (!latest()) return;
      output.replaceChildren();
      messages.error(error.message);
    }
  }
  for (const input of [theatre, from, to]) input.addEventListener("change", load);
  await load();
}
