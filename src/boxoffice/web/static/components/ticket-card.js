// A ticket as a card: the movie, theatre and screen, the time (the theatre's), the seat, its
// state, and the QR code drawn here from the ticket's signed code (no image fetched). A revoked
// ticket says so and shows no QR. Sharing sends a link to /ticket#<code>: the fragment never
// reaches a server, and whoever opens it sees the same card.
import qrcode from "../vendor/qrcode.js";
import { dateTime } from "../format.js";
import { h } from "../ui.js";

const STATES = { VALID: "Valid", CHECKED_IN: "Checked in", REVOKED: "Cancelled" };

// The QR code of a signed ticket as an image (error correction M, as the server draws it).
export function qrImage(code, label) {
  const qr = qrcode(0, "M");
  qr.addData(code);
  qr.make();
  return h("img", { class: "qr", src: qr.createDataURL(5, 4), alt: label, width: 200, height: 200 });
}

export function ticketLink(code) {
  return `${location.origin}/ticket#${code}`;
}

// ticket: {seat_label, qr, and where the buyer's own: id, seat_type, status}; show: a show with
// its movie, theatre and screen.
export function ticketCard(ticket, show, { share = true } = {}) {
  const seat = `Seat ${ticket.seat_label}`;
  const revoked = ticket.status === "REVOKED";
  const when = dateTime(show.starts_at, show.timezone);
  const shareSlot = h("div", { class: "share" });
  if (share && ticket.status === "VALID") shareSlot.append(shareButton(ticket, show, seat, when, shareSlot));
  return h("article", {
    class: `ticket ticket-${(ticket.status || "shared").toLowerCase()}`, "aria-label": `Ticket for seat ${ticket.seat_label}`,
    "data-ticket-id": ticket.id, "data-qr": ticket.qr,
  },
    h("div", { class: "ticket-head" },
      h("h3", {}, show.movie.title),
      h("p", {}, when),
      h("p", {}, `${show.theatre.name} · ${show.screen.name}`)),
    h("p", { class: "ticket-seat" }, h("strong", {}, seat), ticket.seat_type ? ` · ${ticket.seat_type}` : null),
    ticket.status ? h("p", { class: "ticket-state", "data-ticket-status": ticket.status }, STATES[ticket.status] || ticket.status) : null,
    revoked
      ? h("p", { class: "revoked-note" }, "This ticket was cancelled: it will not be admitted.")
      : qrImage(ticket.qr, `QR code of the ticket for seat ${ticket.seat_label}`),
    shareSlot);
}

// The Web Share sheet where the browser has one; else the link itself, to copy or send.
function shareButton(ticket, show, seat, when, slot) {
  const url = ticketLink(ticket.qr);
  const text = `${show.movie.title}, ${when}, ${show.theatre.name} · ${show.screen.name}, ${seat}`;
  return h("button", {
    type: "button", class: "share-button",
    onclick: async () => {
      if (navigator.share) {
        try {
          await navigator.share({ title: `Ticket: ${show.movie.title}, ${seat}`, text, url });
          return;
        } catch (error) {
          if (error.name === "AbortError") return; // closed by the visitor
        }
      }
      const copy = h("button", { type: "button", class: "link" }, "Copy link");
      copy.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(url);
          copy.textContent = "Copied";
        } catch {
          copy.textContent = "Select the link to copy it";
        }
      });
      slot.replaceChildren(h("p", { class: "share-link" }, "Send this link: ", h("a", { href: url }, `Ticket for ${seat}`), " ", copy));
    },
  }, `Share ${seat}`);
}
