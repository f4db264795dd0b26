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

export function countdown(untilIso, onEnd) {
  const clock = h("strong", { class: "countdown", role: "timer", "aria-live": "off" });
  const element = h("p", { class: "hold" }, "Seats held for you for ", clock);
  const stop = ticking(untilIso, (left) => {
    clock.textContent = clockText(left);
    element.classList.toggle("urgent", left <= 60);
  }, onEnd);
  return { element, stop };
}
