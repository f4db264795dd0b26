// A held booking: the countdown, what is being bought (the summary card), where the tickets go
// (a guest's email, or signing in instead), and Pay; letting the seats go is a quiet link.
import { api, get, post } from "../api.js";
import { dateTime, money, sentence } from "../format.js";
import { accountForm } from "../components/account-form.js";
import { countdown } from "../components/countdown.js";
import { startPayment } from "../components/payment.js";
import { loadBooking } from "../components/booking-loader.js";
import { bookingSummary } from "../components/summary.js";
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
  const labels = booking.seats.map((s) => s.label).join(", ");
  if (booking.status === "EXPIRED") {
    ranOut(main, booking, labels);
    return;
  }
  const [show, me] = await Promise.all([get(`/api/v1/shows/${booking.show_id}`, { auth: "none" }), get("/api/v1/me")]);
  const description = `${show.movie.title}, ${dateTime(show.starts_at, show.timezone)}: ${labels}`;
  if (params.has("payment_error")) {
    messages.error(`The payment did not go through: ${sentence(params.get("payment_error"))} Your seats are still held; you can try again.`);
    history.replaceState(null, "", location.pathname);
  }

  const timer = countdown(booking.expires_at, () => ranOut(main, booking, labels));
  const contact = me.kind === "guest" ? guestContact(me) : null;
  const pay = h("button", { type: "button", class: "primary pay" }, `Pay ${money(booking.amount_total, booking.currency)}`);
  const release = h("button", { type: "button", class: "link quiet" }, "Release these seats");

  pay.addEventListener("click", () => busy(pay, messages, async () => {
    messages.clear();
    const email = contact ? contact.email() : me.email;
    if (contact) {
      if (!email) {
        messages.error("Please give an email address: your tickets are sent there.");
        contact.focus();
        return;
      }
      await api("PATCH", "/api/v1/me", { body: { email } });
    }
    const answer = await startPayment(booking, { email, description, returnTo: location.pathname });
    if (!answer) return messages.info("Payment closed. Your seats are still held until the timer runs out.");
    if (answer.error) return messages.error(`The payment did not go through: ${sentence(answer.error.description || "it was declined")} Your seats are still held; you can try again.`);
    if (await confirm(answer, messages)) go(`/bookings/${bookingId}`);
  }));
  release.addEventListener("click", () => busy(release, messages, async () => {
    await post(`/api/v1/bookings/${bookingId}/cancel`);
    timer.stop();
    go(`/shows/${booking.show_id}`);
  }));

  render(main, "Checkout",
    timer.element,
    h("div", { class: "checkout-grid" },
      bookingSummary(booking, show),
      h("div", {},
        contact ? contact.element : h("p", { class: "panel" }, `Signed in as ${me.name} (${me.email}). Tickets go to this email.`),
        messages.element,
        h("div", { class: "pay-row" }, pay),
        h("p", { class: "release" }, "Changed your mind? ", release, " (nothing is charged)."))));
}

// A guest gives the email the tickets go to, or signs in instead: the sign-in form takes the
// email field's place (one email field, one red button on the page: Pay).
function guestContact(me) {
  const email = h("input", { type: "email", name: "email", autocomplete: "email", value: me.email || "" });
  const asGuest = h("div", {},
    field("Email for your tickets", email),
    h("p", {}, h("button", { type: "button", class: "link", onclick: () => swap(true) }, "Have an account? Sign in instead")));
  const asAccount = h("div", { hidden: true },
    accountForm(() => location.reload(), { quiet: true }),
    h("p", {}, h("button", { type: "button", class: "link", onclick: () => swap(false) }, "Continue as a guest with an email instead")));
  function swap(signingIn) {
    asGuest.hidden = signingIn;
    asAccount.hidden = !signingIn;
    (signingIn ? asAccount : asGuest).querySelector("input").focus();
  }
  return {
    element: h("section", { class: "panel", "aria-label": "Where your tickets go" },
      h("h2", {}, "Where should we send your tickets?"), asGuest, asAccount),
    email: () => email.value.trim(),
    focus: () => email.focus(),
  };
}

function ranOut(main, booking, labels) {
  render(main, "Your hold ran out",
    h("p", { class: "error", role: "alert" }, `Time's up: seats ${labels} are no longer held for you and have gone back on sale. Nothing was charged.`),
    h("a", { class: "button primary", href: `/shows/${booking.show_id}` }, "Choose seats again"));
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
