// The theatre an operator works on, remembered on this device from one page to the next.
import { h } from "../ui.js";

const KEY = "boxoffice.theatre";

export function theatreChoice(theatres) {
  const select = h("select", { name: "theatre" }, theatres.map((t) => h("option", { value: t.id }, `${t.name}, ${t.city}`)));
  const remembered = localStorage.getItem(KEY);
  if (theatres.some((t) => t.id === remembered)) select.value = remembered;
  select.addEventListener("change", () => localStorage.setItem(KEY, select.value));
  return select;
}
