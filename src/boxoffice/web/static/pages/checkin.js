// Check-in at the door (staff or admin): a ticket's code scanned with the camera (the browser's
// BarcodeDetector where it has one, else the vendored jsQR), or typed or pasted (a USB scanner
// types it too); a big green or red answer naming the show (movie, time, screen), the times in
// the theatre's timezone, and how many of the show are in so far.
import { get, post, session } from "../api.js";
import { accountForm } from "../components/account-form.js";
import { startScanner } from "../components/scanner.js";
import { ticketClaims } from "../components/ticket-code.js";
import { showTime } from "../format.js";
import { field, h, messageBox, render } from "../ui.js";

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
  const qr = h("textarea", { name: "qr", rows: 2, autocomplete: "off", spellcheck: "false", placeholder: "BX1.…" });
  const gate = h("input", { name: "gate", value: localStorage.getItem("boxoffice.gate") || "G1", maxlength: 40 });
  const check = h("button", { type: "submit", class: "primary" }, "Check in");
  const answer = h("div", { class: "verdict", "aria-live": "assertive" });
  const count = h("p", { class: "admitted", "aria-live": "polite" });
  const camera = messageBox("camera");
  const video = h("video", { class: "camera", muted: true, playsinline: true, hidden: true, "aria-label": "Camera view" });
  const scan = h("button", { type: "button" }, "Scan with camera");
  const form = h("form", { class: "checkin", "aria-label": "Check a ticket in" }, field("Ticket code", qr), field("Gate", gate), check);
  const shows = new Map(); // show id → the show, with its movie, theatre and screen
  let stopCamera = null;

  async function showOf(showId) {
    if (!showId) return null;
    if (!shows.has(showId)) shows.set(showId, get(`/api/v1/shows/${showId}`, { auth: "none" }).catch(() => null));
    return shows.get(showId);
  }

  async function admit(code) {
    localStorage.setItem("boxoffice.gate", gate.value);
    check.disabled = true;
    const claims = ticketClaims(code);
    try {
      const result = await post("/api/v1/checkin", { qr: code, gate: gate.value || undefined });
      const show = await showOf(result.ticket.show_id);
      verdict("ok", "Admitted", show, `Seat ${result.ticket.seat_label} · ${result.ticket.seat_type}`);
      countFor(show, result.admitted);
    } catch (error) {
      const problem = error.problem || {};
      const show = await showOf(claims?.s);
      const zone = show?.timezone;
      const first = problem.checked_in_at
        ? `First checked in at ${showTime(problem.checked_in_at, zone)}${problem.gate ? `, gate ${problem.gate}` : ""}.`
        : error.message;
      verdict("no", REFUSALS[error.type] || "Not admitted", show, claims ? `Seat ${claims.seat}. ${first}` : first);
    } finally {
      check.disabled = false;
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = qr.value.trim();
    if (!code) return;
    await admit(code);
    qr.value = "";
    qr.focus();
  });
  qr.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  scan.addEventListener("click", async () => {
    if (stopCamera) {
      stopCamera();
      stopCamera = null;
      scan.textContent = "Scan with camera";
      return;
    }
    camera.clear();
    try {
      stopCamera = await startScanner(video, admit);
      scan.textContent = "Stop the camera";
    } catch {
      camera.info("No camera could be opened here: type or paste the ticket's code below, or use a USB scanner.");
    }
  });

  function verdict(kind, headline, show, text) {
    answer.className = `verdict verdict-${kind}`;
    answer.dataset.result = kind;
    const about = show ? `${show.movie.title} · ${showTime(show.starts_at, show.timezone)} · ${show.screen.name}` : null;
    answer.replaceChildren(
      h("p", { class: "headline", role: kind === "ok" ? "status" : "alert" }, headline),
      about ? h("p", { class: "verdict-show" }, about) : null,
      h("p", {}, text));
  }

  function countFor(show, number) {
    count.textContent = show ? `${number} admitted to ${show.movie.title} at ${showTime(show.starts_at, show.timezone)}, ${show.screen.name}` : `${number} admitted`;
  }

  render(main, "Check-in", h("div", { class: "scan-bar" }, scan), camera.element, video, form, answer, count);
  qr.focus();
}
