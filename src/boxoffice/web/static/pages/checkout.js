// A held booking: the countdown, the contact email (guests) or signing in, and payment.
import { api, get, post } from "../api.js";
import { dateTime, money, sentence } from "../format.js";
import { accountForm } from "../components/account-form.js";
import { countdown } from "../components/countdown.js";
import { startPayment } from "../components/payment.js";
import { loadBooking } from "../components/booking-loader.js";
import { busy, field, go, h, messageBox, render } from "../ui.js";

const CHECKOUT_ANSWER = ["razorpay_order_id", "razorpay_payment_id", "razorpay_signature"];

export default async function checkoutPage(main, bookingId) {
  const messages = messageBox("checkout");
  const params = new URLSearchParams(location.search);
  let booking = await loadBooking(main, bookingId);
  if (!booking) return;
  if (CHECKOUT_ANSWER.every((key) => params.has(key)) && booking.status === "PENDING") {
    history.replaceState(null, "", location.pathname);
    render(main, "Confirming your payment…", messages.element);
    const answer = Object.fromEntries(CHECKOUT_ANSWER.map((key) => [key, params.get(key)]));
    if (await confirm(answer, messages)) go(`/bookings/${bookingId}`);
    else booking = await get(`/api/v1/bookings/${bookingId}`);
  }
  if (booking.status !== "PENDING" && booking.status !== "EXPIRED") {
    go(`/bookings/${bookingId}`);
    return;
  }
  const show = await get(`/api/v1/shows/${booking.show_id}`, { auth: "none" });
  const { movie } = show;
  const description = `${movie.title}, ${dateTime(show.starts_at, show.timezone)}: ${booking.seats.map((s) => s.label).join(", ")}`;
  if (params.has("payment_error")) {
    messages.error(`The payment did not go through: ${sentence(params.get("payment_error"))} Your seats are still held; you can try again.`);
    history.replaceState(null, "", location.pathname);
  }

  const seatsLine = h("ul", { class: "booked-seats" }, booking.seats.map((s) => h("li", {}, `${s.label} · ${s.seat_type} · ${money(s.price, booking.currency)}`)));
  const total = h("p", { class: "total" }, "Total ", h("strong", {}, money(booking.amount_total, booking.currency)));
  const heading = `${movie.title} · ${dateTime(show.starts_at, show.timezone)}`;

  let timer = null;
  function ranOut() {
    timer?.stop();
    render(main, "Your hold ran out",
      h("p", { class: "error", role: "alert" }, `Time's up: seats ${booking.seats.map((s) => s.label).join(", ")} are no longer held for you and have gone back on sale. Nothing was charged.`),
      h("a", { class: "button primary", href: `/shows/${booking.show_id}` }, "Choose seats again"));
  }
  if (booking.status === "EXPIRED") {
    ranOut();
    return;
  }
  timer = countdown(booking.expires_at, ranOut);

  const me = await get("/api/v1/me");
  const email = h("input", { type: "email", name: "email", autocomplete: "email", value: me.email || "" });
  const pay = h("button", { type: "button", class: "primary" }, `Pay ${money(booking.amount_total, booking.currency)}`);
  const release = h("button", { type: "button" }, "Release these seats");

  pay.addEventListener("click", () => busy(pay, messages, async () => {
    messages.clear();
    if (me.kind === "guest") {
      if (!email.value.trim()) {
        messages.error("Please give an email address: your tickets are sent there.");
        email.focus();
        return;
      }
      await api("PATCH", "/api/v1/me", { body: { email: email.value.trim() } });
    }
    const answer = await startPayment(booking, { email: email.value, description, returnTo: location.pathname });
    if (!answer) return messages.info("Payment closed. Your seats are still held until the timer runs out.");
    if (answer.error) return messages.error(`The payment did not go through: ${sentence(answer.error.description || "it was declined")} Your seats are still held; you can try again.`);
    if (await confirm(answer, messages)) go(`/bookings/${bookingId}`);
  }));
  release.addEventListener("click", () => busy(release, messages, async () => {
    await post(`/api/v1/bookings/${bookingId}/cancel`);
    timer.stop();
    go(`/shows/${booking.show_id}`);
  }));

  const guestPart = me.kind === "guest"
    ? h("section", { class: "panel", "aria-label": "Contact or account" },
        h("h2", {}, "Where should we send your tickets?"),
        field("Email for your tickets", email),
        h("details", { class: "signin-inline" },
          h("summary", {}, "Have an account? Sign in to keep this booking in it"),
          accountForm(() => location.reload())))
    : h("p", { class: "muted" }, `Signed in as ${me.name} (${me.email}). Tickets go to this email.`);

  render(main, "Checkout",
    h("p", { class: "muted" }, heading),
    timer.element,
    h("section", { class: "panel", "aria-label": "Your booking" }, seatsLine, total),
    guestPart,
    messages.element,
    h("div", { class: "actions" }, pay, release));
}

async function confirm(answer, messages) {
  try {
    await post("/api/v1/payments/razorpay/verify", answer);
    return true;
  } catch (error) {
    messages.error(error.message);
    return false;
  }
}
