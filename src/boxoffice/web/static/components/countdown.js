// Time left on a hold: a ticking clock, and the visible countdown of the checkout page.
import { h } from "../ui.js";

// "09:12" for 552 seconds.
export function clockText(seconds) {
  return `${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
}

// Calls onTick(seconds left) now and as each second passes, and onEnd once at zero (after the
// caller has drawn its page). Returns a function that stops it.
export function ticking(untilIso, onTick, onEnd) {
  const until = new Date(untilIso).getTime();
  let timer = null;
  function tick() {
    const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    onTick(left);
    if (left === 0) {
      clearInterval(timer);
      setTimeout(onEnd);
    }
  }
  timer = setInterval(tick, 250);
  tick();
  return () => clearInterval(timer);
}

// Said aloud (a live region) as the time left crosses each of these, not every second. The
// hold itself is never extended: that would let anyone hoard seats.
const WARNINGS = [
  [120, "2 minutes left to pay. After that the seats go back on sale."],
  [30, "30 seconds left to pay."],
];

export function countdown(untilIso, onEnd) {
  const clock = h("strong", { class: "countdown", role: "timer", "aria-live": "off" });
  const spoken = h("span", { class: "visually-hidden", "aria-live": "assertive", "data-role": "countdown-warning" });
  const element = h("p", { class: "hold" }, "Seats held for you for ", clock, spoken);
  let previous = Infinity;
  const stop = ticking(untilIso, (left) => {
    clock.textContent = clockText(left);
    element.classList.toggle("urgent", left <= 60);
    const crossed = WARNINGS.find(([at]) => previous > at && left <= at && left > 0);
    if (crossed && previous !== Infinity) spoken.textContent = crossed[1];
    previous = left;
  }, onEnd);
  return { element, stop };
}
