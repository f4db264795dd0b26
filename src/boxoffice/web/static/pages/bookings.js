// My bookings, newest first, each with its status and a link to it.
import { get, session } from "../api.js";
import { BOOKING_STATUS, dateTime, money } from "../format.js";
import { h, render } from "../ui.js";


export default async function bookingsPage(main) {
  if (!session.token()) {
    render(main, "My bookings", h("p", {}, "No bookings yet on this device. ", h("a", { href: "/signin?next=/bookings" }, "Sign in"), " to see your account's bookings."));
    return;
  }
  let list;
  try {
    list = await get("/api/v1/me/bookings?limit=50");
  } catch (error) {
    render(main, "My bookings", h("p", { class: "error", role: "alert" }, error.message), h("a", { href: "/signin?next=/bookings" }, "Sign in"));
    return;
  }
  const showIds = [...new Set(list.items.map((b) => b.show_id))];
  const shows = new Map(await Promise.all(showIds.map(async (id) => [id, await get(`/api/v1/shows/${id}`, { auth: "none" })])));
  if (!list.items.length) {
    render(main, "My bookings", h("p", {}, "No bookings yet. ", h("a", { href: "/" }, "Find a show"), "."));
    return;
  }
  render(main, "My bookings", h("ul", { class: "booking-list" }, list.items.map((booking) => {
    const show = shows.get(booking.show_id);
    const { movie } = show;
    const refund = booking.refunds.at(-1);
    return h("li", { "data-booking-id": booking.id, "data-booking-status": booking.status },
      h("a", { href: booking.status === "PENDING" ? `/checkout/${booking.id}` : `/bookings/${booking.id}` }, movie.title),
      h("span", {}, ` · ${dateTime(show.starts_at, show.timezone)} · ${booking.seats.map((s) => s.label).join(", ")} · ${money(booking.amount_total, booking.currency)} · `),
      h("strong", {}, BOOKING_STATUS[booking.status] || booking.status),
      refund ? h("span", {}, ` · refund ${refund.status.toLowerCase()}`) : null);
  })));
}
