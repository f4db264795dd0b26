// A list of like lines edited in place (a theatre's holidays, fee slabs, refund tiers): each
// line made by `makeLine(item)` → {element, read()}, removable, and a button that adds one.
import { h } from "../ui.js";

export function rowList(label, items, makeLine, addLabel) {
  const list = h("ol", { class: "row-list" });
  const lines = [];
  function add(item, focus) {
    const line = makeLine(item);
    const remove = h("button", { type: "button", class: "link", "aria-label": `Remove this line of ${label.toLowerCase()}` }, "Remove");
    const entry = h("li", {}, line.element, remove);
    remove.addEventListener("click", () => {
      lines.splice(lines.indexOf(line), 1);
      entry.remove();
      addButton.focus();
    });
    lines.push(line);
    list.append(entry);
    if (focus) entry.querySelector("input, select")?.focus();
  }
  const addButton = h("button", { type: "button", onclick: () => add(null, true) }, addLabel);
  items.forEach((item) => add(item, false));
  return {
    element: h("fieldset", { class: "row-editor" }, h("legend", {}, label), list, addButton),
    read: () => lines.map((line) => line.read()),
  };
}
