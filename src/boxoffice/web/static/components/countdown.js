// A visible countdown to an instant; calls onEnd once when it reaches zero.
import { h } from "../ui.js";

export function countdown(untilIso, onEnd) {
  const until = new Date(untilIso).getTime();
  const clock = h("strong", { class: "countdown", role: "timer", "aria-live": "off" });
  const element = h("p", { class: "hold" }, "Seats held for you for ", clock);
  let timer = null;
  function tick() {
    const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    clock.textContent = `${String(Math.floor(left / 60)).padStart(2, "0")}:${String(left % 60).padStart(2, "0")}`;
    element.classList.toggle("urgent", left <= 60);
    if (left === 0) {
      clearInterval(timer);
      setTimeout(onEnd); // after the caller has drawn its page
    }
  }
  timer = setInterval(tick, 250);
  tick();
  return { element, stop: () => clearInterval(timer) };
}
