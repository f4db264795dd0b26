// Stands in for Razorpay Checkout when the server pays into its offline sandbox: the customer
// picks success or failure, and goes back to the app with what Checkout would hand it.
import { money } from "../format.js";
import { h, messageBox, render, sameOrigin } from "../ui.js";

export default async function sandboxCheckout(main) {
  const params = new URLSearchParams(location.search);
  const orderId = params.get("order_id") || "";
  const back = sameOrigin(params.get("return_to"));
  const messages = messageBox("sandbox");
  const amount = Number(params.get("amount"));

  async function checkout(outcome, button) {
    button.disabled = true;
    let answer;
    try {
      const response = await fetch(`/_sandbox/razorpay/checkout/${encodeURIComponent(orderId)}`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ outcome }),
      });
      answer = await response.json();
      if (!response.ok) throw new Error(answer.error?.description || "The sandbox refused this payment.");
    } catch (error) {
      messages.error(error.message);
      button.disabled = false;
      return;
    }
    const target = new URL(back);
    if (answer.error) {
      target.searchParams.set("payment_error", answer.error.description || "The payment failed.");
    } else {
      for (const key of ["razorpay_order_id", "razorpay_payment_id", "razorpay_signature"]) target.searchParams.set(key, answer[key]);
    }
    location.replace(target.href);
  }

  const pay = h("button", { type: "button", class: "primary" }, `Pay ${money(amount, params.get("currency") || "INR")}`);
  const fail = h("button", { type: "button", class: "danger" }, "Make the payment fail");
  pay.addEventListener("click", () => checkout("success", pay));
  fail.addEventListener("click", () => checkout("failure", fail));
  render(main, "Sandbox payment",
    h("p", { class: "sandbox-note" }, "This server pays into Razorpay's offline sandbox: no money moves. With real keys, Razorpay Checkout opens here instead."),
    h("p", {}, params.get("description") || ""),
    h("p", { class: "muted" }, `Order ${orderId}`),
    h("div", { class: "actions" }, pay, fail, h("a", { href: back }, "Back without paying")),
    messages.element);
}
