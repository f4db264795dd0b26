// Check-in at the door (staff or admin): paste a ticket's QR text (a USB scanner types it in
// too) and get a big green or red answer.
import { post, session } from "../api.js";
import { accountForm } from "../components/account-form.js";
import { field, h, render } from "../ui.js";

const REFUSALS = {
  "already-checked-in": "Already checked in",
  "ticket-revoked": "Ticket cancelled",
  "ticket-not-valid-now": "Not valid at this time",
  "invalid-ticket": "Not a valid ticket",
  "invalid-input": "Not a valid ticket",
  forbidden: "Not for this theatre",
};

export default async function checkinPage(main) {
  const user = session.user();
  if (!user || (user.role !== "staff" && user.role !== "admin")) {
    render(main, "Check-in", h("p", {}, "Sign in with a staff or admin account to check tickets in."), accountForm(() => location.reload(), { allowRegister: false }));
    return;
  }
  const qr = h("textarea", { name: "qr", rows: 3, autocomplete: "off", spellcheck: "false", placeholder: "BX1.…" });
  const gate = h("input", { name: "gate", value: localStorage.getItem("boxoffice.gate") || "G1", maxlength: 40 });
  const check = h("button", { type: "submit", class: "primary" }, "Check in");
  const answer = h("div", { class: "verdict", "aria-live": "assertive" });
  const form = h("form", { class: "checkin", "aria-label": "Check a ticket in" }, field("Ticket code", qr), field("Gate", gate), check);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = qr.value.trim();
    if (!code) return;
    localStorage.setItem("boxoffice.gate", gate.value);
    check.disabled = true;
    try {
      const result = await post("/api/v1/checkin", { qr: code, gate: gate.value || undefined });
      show("ok", "Admitted", `Seat ${result.ticket.seat_label} · ${result.ticket.seat_type}`);
    } catch (error) {
      const problem = error.problem || {};
      const headline = REFUSALS[error.type] || "Not admitted";
      const first = problem.checked_in_at
        ? `First checked in at ${new Date(problem.checked_in_at).toLocaleTimeString("en-IN")}${problem.gate ? `, gate ${problem.gate}` : ""}.`
        : error.message;
      show("no", headline, first);
    } finally {
      check.disabled = false;
      qr.value = "";
      qr.focus();
    }
  });
  qr.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  function show(kind, headline, text) {
    answer.className = `verdict verdict-${kind}`;
    answer.dataset.result = kind;
    answer.replaceChildren(h("p", { class: "headline", role: kind === "ok" ? "status" : "alert" }, headline), h("p", {}, text));
  }

  render(main, "Check-in", form, answer);
  qr.focus();
}
