// Run by tests/web/contrast.py in the page: what falls short of WCAG AA contrast, in words.
(() => {
  const parse = (text) => {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return [r, g, b, a];
  };
  const over = (top, below) => top.slice(0, 3).map((c, i) => c * top[3] + below[i] * (1 - top[3])).concat(1);
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  // The colours an element's box may show behind its text: its own background over its
  // ancestors', each stripe of a gradient a candidate.
  const backdrops = (element) => {
    const chain = [];
    for (let node = element; node; node = node.parentElement) chain.push(node);
    let candidates = [[255, 255, 255, 1]];
    for (const node of chain.reverse()) {
      const style = getComputedStyle(node);
      const stops = (style.backgroundImage.match(/rgba?\([^)]+\)/g) || []).map(parse);
      const color = parse(style.backgroundColor);
      const layers = stops.length ? stops : color && color[3] > 0 ? [color] : [];
      if (layers.length) candidates = layers.flatMap((layer) => candidates.map((below) => over(layer, below)));
    }
    return candidates;
  };
  const opacity = (element) => {
    let value = 1;
    for (let node = element; node; node = node.parentElement) value *= Number(getComputedStyle(node).opacity);
    return value;
  };
  const visible = (element) => element.getClientRects().length > 0 && getComputedStyle(element).visibility !== "hidden";
  const failures = [];
  for (const element of document.querySelectorAll("body *")) {
    const text = [...element.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
    if (!text || !visible(element) || ["SCRIPT", "STYLE", "OPTION"].includes(element.tagName)) continue;
    const style = getComputedStyle(element);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const needed = large ? 3 : 4.5;
    const fade = opacity(element);
    for (const backdrop of backdrops(element)) {
      const ink = parse(style.color);
      const fg = over([...ink.slice(0, 3), ink[3] * fade], backdrop);
      const found = ratio(fg, backdrop);
      if (found < needed) { failures.push(`"${text.slice(0, 40)}" ${found.toFixed(2)}:1 (needs ${needed})`); break; }
    }
  }
  // Seat shapes: the edge or the fill, whichever stands out more, against the map behind it.
  for (const seat of document.querySelectorAll("[data-seat-id], .legend .sample")) {
    if (!visible(seat)) continue;
    const style = getComputedStyle(seat);
    const around = backdrops(seat.parentElement)[0];
    const fills = backdrops(seat);
    const edge = over(parse(style.borderTopColor), around);
    const best = Math.max(ratio(edge, around), Math.min(...fills.map((fill) => ratio(fill, around))));
    if (best < 3) failures.push(`seat ${seat.getAttribute("aria-label") || seat.dataset.sample} shape ${best.toFixed(2)}:1 (needs 3)`);
  }
  return [...new Set(failures)];
})
