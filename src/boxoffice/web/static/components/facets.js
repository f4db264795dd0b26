// Chips that narrow a list (the day's shows) by facets: each facet a group of toggle chips for
// the values the list has, in the facet's order. Within a group any chosen value matches;
// across groups, every group with a choice must. A facet is { name, label, of(item), order? }:
// a show's format is one more facet when shows carry one.
import { h } from "../ui.js";

export function facetChips(facets, { chosen = {}, onChange }) {
  const picked = new Map(facets.map((facet) => [facet.name, new Set(chosen[facet.name] || [])]));
  const element = h("div", { class: "facets", role: "group", "aria-label": "Filters" });

  function update(items) {
    element.replaceChildren(...facets.map((facet) => {
      const values = [...new Set(items.map(facet.of).filter(Boolean))];
      values.sort((a, b) => (facet.order ? facet.order.indexOf(a) - facet.order.indexOf(b) : a.localeCompare(b)));
      const mine = picked.get(facet.name);
      for (const value of mine) if (!values.includes(value)) mine.delete(value); // gone that day
      if (values.length < 2 && !mine.size) return null; // nothing to choose between
      return h("div", { class: "facet", role: "group", "aria-label": facet.label },
        h("span", { class: "facet-label", "aria-hidden": "true" }, facet.label),
        values.map((value) => h("button", {
          type: "button", class: "facet-chip", "aria-pressed": String(mine.has(value)),
          onclick: () => { if (!mine.delete(value)) mine.add(value); update(items); onChange(); },
        }, facet.words ? facet.words(value) : value)));
    }));
  }

  function matches(item) {
    return facets.every((facet) => !picked.get(facet.name).size || picked.get(facet.name).has(facet.of(item)));
  }

  function clear() {
    picked.forEach((values) => values.clear());
    element.querySelectorAll("[aria-pressed=true]").forEach((chip) => chip.setAttribute("aria-pressed", "false"));
  }

  // The choices, as address parameters ({language: "Hindi,Tamil", ...}).
  function params() {
    return Object.fromEntries([...picked].filter(([, values]) => values.size).map(([name, values]) => [name, [...values].join(",")]));
  }

  return { element, update, matches, params, clear };
}
