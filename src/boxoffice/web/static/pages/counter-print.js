// Tickets of a counter sale on an 80 mm receipt printer (receipt.css: its @page size, black on
// white, a large QR): per seat the show, the seat, the price and the invoice number. The same
// page reprints a sale. Opened with #print, it asks the browser to print at once.
import { get } from "../api.js";
import { qrImage } from "../components/ticket-card.js";
import { dateTime, money } from "../format.js";
import { h, render } from "../ui.js";

export default async function counterPrintPage(main, bookingId) {
  const [sale, tickets, invoice] = await Promise.all([
    get(`/api/v1/counter/sales/${bookingId}`),
    get(`/api/v1/bookings/${bookingId}/tickets`),
    get(`/api/v1/bookings/${bookingId}/invoice`).catch(() => null),
  ]);
  document.head.append(h("link", { rel: "stylesheet", href: "/static/receipt.css" }));
  document.body.classList.add("receipt-page");
  const { show } = sale;
  const when = dateTime(show.starts_at, show.timezone);
  const prices = new Map([...sale.seats, ...sale.cancelled_seats].map((s) => [s.label, s.ticket_total]));
  const number = invoice ? invoice.number : "";
  const slips = tickets.items.filter((t) => t.status !== "REVOKED").map((ticket) => h("article", { class: "slip", "data-ticket-id": ticket.id },
    h("p", { class: "slip-theatre" }, show.theatre_name),
    h("h2", {}, show.movie_title),
    h("p", {}, `${when} · ${show.screen_name}`),
    h("p", { class: "slip-seat" }, `Seat ${ticket.seat_label}`, h("span", {}, ` ${ticket.seat_type}`)),
    h("p", {}, `Price ${money(prices.get(ticket.seat_label) ?? 0, sale.currency)}${invoice?.kind === "TAX_INVOICE" ? " (incl. GST)" : ""}`),
    qrImage(ticket.qr, `QR code of the ticket for seat ${ticket.seat_label}`),
    h("p", { class: "slip-invoice" }, `${invoice?.kind === "RECEIPT" ? "Receipt" : "Tax invoice"} ${number}`),
    h("p", {}, `Booking ${sale.code}`)));
  const print = h("button", { type: "button", class: "primary no-print", onclick: () => window.print() }, "Print");
  const back = h("a", { class: "button no-print", href: "/counter" }, "Back to the counter");
  render(main, "Tickets", h("div", { class: "actions no-print" }, print, back),
    h("section", { class: "receipt", "aria-label": "Tickets to print" }, slips.length ? slips : h("p", {}, "No valid tickets left in this sale.")));
  if (location.hash === "#print") {
    history.replaceState(null, "", location.pathname);
    window.print();
  }
  print.focus();
}
