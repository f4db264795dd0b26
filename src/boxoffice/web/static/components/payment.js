// Paying a booking: with real keys, Razorpay's own Checkout script (loaded only then); in the
// sandbox, our stand-in page, which comes back to `returnTo` with what Checkout would hand over.
import { post } from "../api.js";
import { go, meta } from "../ui.js";

const CHECKOUT_SCRIPT = "https://checkout.razorpay.com/v1/checkout.js";

// Resolves to Checkout's answer ({razorpay_order_id, razorpay_payment_id, razorpay_signature},
// or {error}), or null when the customer closed it; in the sandbox, leaves for its page.
export async function startPayment(booking, { email, description, returnTo }) {
  const order = await post(`/api/v1/bookings/${booking.id}/payments`);
  if (meta("payments") === "sandbox") {
    const query = new URLSearchParams({
      order_id: order.order_id, amount: order.amount, currency: order.currency,
      description, return_to: returnTo,
    });
    go(`/sandbox/checkout?${query}`);
    return new Promise(() => {}); // the page is leaving
  }
  await loadScript(CHECKOUT_SCRIPT);
  return new Promise((resolve) => {
    const checkout = new window.Razorpay({
      key: order.key_id, amount: order.amount, currency: order.currency, order_id: order.order_id,
      name: "Boxoffice", description, prefill: email ? { email } : {},
      handler: resolve,
      modal: { ondismiss: () => resolve(null) },
    });
    checkout.on("payment.failed", (answer) => resolve({ error: answer.error }));
    checkout.open();
  });
}

function loadScript(src) {
  if (window.Razorpay) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error("Razorpay Checkout could not be loaded. Check your connection and try again."));
    document.head.append(script);
  });
}
