// A theatre's settings: its name and address, timezone and holidays, its GST registration, and
// the money terms (prices with or without tax, the convenience fee, the cancellation policy).
// One PATCH with the fields that changed; the server's refusal is shown as it words it.
import { patch } from "../api.js";
import { manageShell, paise, rupees } from "../components/manage-shell.js";
import { rowList } from "../components/row-list.js";
import { busy, field, h, messageBox } from "../ui.js";

const TEXTS = [
  ["name", "Name"], ["city", "City"], ["address", "Address"],
  ["legal_name", "Legal name (on tax invoices)"], ["gstin", "GSTIN"], ["state_code", "GST state code"],
  ["sac", "SAC (admission)"], ["invoice_prefix", "Invoice number prefix"],
];

export default async function settingsPage(main) {
  const shell = await manageShell(main, "Theatre settings", "/manage/settings");
  if (!shell) return;
  const { theatre, body } = shell;
  const messages = messageBox("settings");
  const inputs = Object.fromEntries(TEXTS.map(([key]) => [key, key === "address"
    ? h("textarea", { name: key, rows: 2 }, theatre[key] || "")
    : h("input", { type: "text", name: key, value: theatre[key] || "" })]));
  const zones = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : [theatre.timezone];
  const timezone = h("select", { name: "timezone" }, [...new Set([theatre.timezone, ...zones])].sort().map((z) => h("option", { value: z }, z)));
  timezone.value = theatre.timezone;
  const inclusive = h("input", { type: "checkbox", name: "prices_include_tax", checked: theatre.prices_include_tax });
  const holidays = rowList("Holidays", theatre.holidays, (day) => {
    const input = h("input", { type: "date", "aria-label": "Holiday", value: day || "" });
    return { element: input, read: () => input.value };
  }, "Add a holiday");
  const fee = rowList("Convenience fee per ticket", theatre.convenience_fee, feeLine, "Add a fee slab");
  const policy = rowList("Cancellation refunds", theatre.cancellation_policy, tierLine, "Add a refund tier");
  const save = h("button", { type: "submit", class: "primary" }, "Save settings");
  const form = h("form", { class: "settings", "aria-label": "Theatre settings" },
    h("section", { class: "panel" }, h("h2", {}, "The theatre"),
      field("Name", inputs.name), field("City", inputs.city), field("Address", inputs.address), field("Timezone", timezone), holidays.element),
    h("section", { class: "panel" }, h("h2", {}, "GST registration"),
      h("p", { class: "muted" }, "Leave the GSTIN empty if the theatre is not registered: its tickets then carry no GST and get receipts."),
      TEXTS.slice(3).map(([key, label]) => field(label, inputs[key]))),
    h("section", { class: "panel" }, h("h2", {}, "Money"),
      h("label", { class: "check" }, inclusive, " Ticket prices include GST (what the customer sees is what they pay)"),
      fee.element,
      h("p", { class: "muted" }, "A slab covers tickets priced up to its limit (empty: every price above the last); its fee is a flat amount or a share of the price."),
      policy.element,
      h("p", { class: "muted" }, "A customer cancelling at least that long before the show gets that share of the tickets back; later, nothing.")),
    h("div", { class: "actions" }, save), messages.element);
  body.append(form);

  let current = theatre;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, messages, async () => {
      messages.clear();
      const wanted = {
        ...Object.fromEntries(TEXTS.map(([key]) => [key, inputs[key].value.trim()])),
        timezone: timezone.value,
        holidays: holidays.read().filter(Boolean).sort(),
        prices_include_tax: inclusive.checked,
        convenience_fee: fee.read(),
        cancellation_policy: policy.read(),
      };
      const changes = {};
      for (const [key, value] of Object.entries(wanted)) {
        const before = current[key];
        if (plain(value) !== plain(before)) changes[key] = value;
      }
      for (const [key, value] of Object.entries(changes)) {
        if (value === "") throw new Error(`${TEXTS.find(([k]) => k === key)[1]} cannot be emptied once set.`);
      }
      if (!Object.keys(changes).length) {
        messages.info("Nothing changed.");
        return;
      }
      current = await patch(`/api/v1/theatres/${theatre.id}`, changes);
      messages.info("Saved.");
    });
  });
}

function feeLine(slab) {
  const upTo = h("input", { type: "text", inputmode: "decimal", "aria-label": "For tickets up to (₹, empty: any price)", value: slab && slab.up_to !== null ? rupees(slab.up_to) : "" });
  const kind = h("select", { "aria-label": "Fee kind" }, h("option", { value: "amount" }, "flat ₹"), h("option", { value: "rate" }, "% of the price"));
  const value = h("input", { type: "text", inputmode: "decimal", "aria-label": "Fee", value: "" });
  if (slab && slab.rate_bp !== undefined && slab.rate_bp !== null) {
    kind.value = "rate";
    value.value = String(slab.rate_bp / 100);
  } else if (slab) {
    value.value = rupees(slab.amount);
  }
  return {
    element: h("span", { class: "line" }, "up to ₹", upTo, ": ", value, kind),
    read() {
      const limit = upTo.value.trim() ? checked(paise(upTo.value), "a fee slab's limit") : null;
      return kind.value === "rate"
        ? { up_to: limit, rate_bp: checked(Math.round(Number(value.value) * 100), "a fee's percentage") }
        : { up_to: limit, amount: checked(paise(value.value), "a fee") };
    },
  };
}

function tierLine(tier) {
  const minutes = h("input", { type: "number", min: 0, "aria-label": "Minutes before the show", value: tier ? tier.until_minutes_before : "" });
  const refund = h("input", { type: "number", min: 0, max: 100, step: "0.01", "aria-label": "Refund (%)", value: tier ? tier.refund_bp / 100 : "" });
  return {
    element: h("span", { class: "line" }, "at least ", minutes, " minutes before: ", refund, " % back"),
    read: () => ({
      until_minutes_before: checked(Number.parseInt(minutes.value, 10), "a tier's minutes"),
      refund_bp: checked(Math.round(Number(refund.value) * 100), "a tier's refund"),
    }),
  };
}

function checked(number, what) {
  if (!Number.isFinite(number) || number < 0) throw new Error(`Please give ${what} as a number.`);
  return number;
}

// A value as JSON without its null members: a fee slab read back ({up_to, amount}) equals the
// one the server shows ({up_to, amount, rate_bp: null}).
function plain(value) {
  return JSON.stringify(value ?? "", function drop(_key, member) {
    return member === null && !Array.isArray(this) ? undefined : member;
  });
}
