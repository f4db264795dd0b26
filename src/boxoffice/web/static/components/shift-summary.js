// A shift's totals as the cashier counts the drawer: the expected cash first and largest, then
// each method's sales, refunds and net.
import { dateTime, money } from "../format.js";
import { h } from "../ui.js";

const METHODS = { CASH: "Cash", CARD: "Card", UPI: "UPI" };

export function shiftSummary(shift) {
  const rows = Object.entries(METHODS).map(([method, label]) => h("tr", { "data-method": method },
    h("th", { scope: "row" }, label),
    h("td", {}, money(shift.sales[method], shift.currency)),
    h("td", {}, money(shift.refunds[method], shift.currency)),
    h("td", { "data-total": shift.totals[method] }, money(shift.totals[method], shift.currency))));
  return h("section", { class: "panel shift-summary", "aria-label": "Shift totals" },
    h("p", { class: "expected-cash", "data-expected-cash": shift.expected_cash },
      "Cash expected in the drawer: ", h("strong", {}, money(shift.expected_cash, shift.currency))),
    h("p", {}, `Float ${money(shift.float, shift.currency)} · opened ${dateTime(shift.opened_at)}`,
      shift.closed_at ? ` · closed ${dateTime(shift.closed_at)}` : ""),
    h("table", { class: "totals" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Method"), h("th", { scope: "col" }, "Sales"),
        h("th", { scope: "col" }, "Refunds"), h("th", { scope: "col" }, "Net"))),
      h("tbody", {}, rows)),
    h("p", {}, `${shift.sales_count} sale${shift.sales_count === 1 ? "" : "s"}, ${shift.refunds_count} refund${shift.refunds_count === 1 ? "" : "s"}`));
}
