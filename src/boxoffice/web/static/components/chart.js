// A hand-drawn SVG chart: net revenue per day as bars, occupancy as a line (right axis).
import { money, percent } from "../format.js";

const NS = "http://www.w3.org/2000/svg";
const W = 720;
const H = 280;
const PAD = { left: 70, right: 50, top: 20, bottom: 50 };

function el(tag, attributes, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function salesChart(days, currency) {
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": "Net revenue (bars) and occupancy (line) per day" });
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const top = Math.max(1, ...days.map((d) => d.net));
  const step = innerW / Math.max(1, days.length);
  const y = (value) => PAD.top + innerH - (value / top) * innerH;
  const yOcc = (fraction) => PAD.top + innerH - fraction * innerH;
  svg.append(el("line", { x1: PAD.left, y1: PAD.top + innerH, x2: W - PAD.right, y2: PAD.top + innerH, class: "axis" }));
  for (const fraction of [0, 0.5, 1]) {
    svg.append(el("text", { x: PAD.left - 6, y: y(top * fraction) + 4, class: "tick", "text-anchor": "end" }, money(Math.round(top * fraction), currency).replace(/\.\d+$/, "")));
    svg.append(el("text", { x: W - PAD.right + 6, y: yOcc(fraction) + 4, class: "tick" }, percent(fraction)));
  }
  const points = [];
  days.forEach((day, i) => {
    const x = PAD.left + i * step;
    const bar = el("rect", { x: x + step * 0.15, y: y(day.net), width: step * 0.7, height: PAD.top + innerH - y(day.net), class: "revenue" });
    bar.append(el("title", {}, `${day.date}: ${money(day.net, currency)} net, ${percent(day.occupancy)} occupancy`));
    svg.append(bar);
    if (days.length <= 16 || i % Math.ceil(days.length / 16) === 0) {
      svg.append(el("text", { x: x + step / 2, y: H - PAD.bottom + 16, class: "tick", "text-anchor": "middle" }, day.date.slice(5)));
    }
    points.push(`${x + step / 2},${yOcc(day.occupancy)}`);
  });
  svg.append(el("polyline", { points: points.join(" "), class: "occupancy" }));
  days.forEach((day, i) => svg.append(el("circle", { cx: PAD.left + i * step + step / 2, cy: yOcc(day.occupancy), r: 3, class: "occupancy-dot" })));
  return svg;
}
