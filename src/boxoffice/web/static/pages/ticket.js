// A ticket someone shared: the link carries the signed code after the # (a fragment never
// reaches a server), and the page draws the same card as the buyer's, with its QR code.
import { get } from "../api.js";
import { ticketCard } from "../components/ticket-card.js";
import { ticketClaims } from "../components/ticket-code.js";
import { h, notice, render } from "../ui.js";

export default async function ticketPage(main) {
  const code = decodeURIComponent(location.hash.slice(1));
  const claims = ticketClaims(code);
  const broken = () => notice(main, "This ticket link is incomplete",
    "The link should end with the ticket's code after a #. Ask whoever sent it to share it again.",
    [["See what's showing", "/"]]);
  if (!claims) return broken();
  let show;
  try {
    show = await get(`/api/v1/shows/${claims.s}`, { auth: "none" });
  } catch (error) {
    if (error.status === 404 || error.status === 422) return broken();
    throw error;
  }
  render(main, "Your ticket",
    ticketCard({ seat_label: claims.seat, qr: code }, show, { share: false }),
    h("p", { class: "muted" }, "Show this QR code at the door. It admits one person, once: whoever has this link holds the ticket."));
}
