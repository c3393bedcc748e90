// A metric's trend as an SVG drawn here: its measurements in period order, each point marked with its RAG in
// colour and in a letter (colour is never the only sign), and the target as a dashed line. The chart is an image
// with a text alternative; the table beside it holds the same figures.
import { html, word } from "./html.js";

const WIDTH = 640, HEIGHT = 320, LEFT = 110, RIGHT = 70, TOP = 28, BOTTOM = 84;
const RAG = { RED: ["#ca3535", "R"], AMBER: ["#b25a00", "A"], GREEN: ["#0f7a52", "G"] };

export const figure = (value, unit) => unit === "PERCENT" ? `${value}%` : unit === "DAYS" ? `${value} days` : String(value);

function ticks(low, high) {
  const step = 10 ** Math.floor(Math.log10((high - low) / 4 || 1));
  const spacing = [1, 2, 5, 10].map((m) => m * step).find((s) => (high - low) / s <= 5);
  const found = [];
  for (let at = Math.ceil(low / spacing) * spacing; at <= high + 1e-9; at += spacing) found.push(Number(at.toFixed(6)));
  return found;
}

export function chart(metric, id) {
  const points = metric.measurements;
  const values = [...points.map((m) => m.value), ...(metric.target !== null ? [metric.target] : [])];
  const low = Math.min(0, ...values), high = Math.max(...values) * 1.15 || 1;
  const x = (i) => LEFT + (points.length === 1 ? (WIDTH - LEFT - RIGHT) / 2 : i * (WIDTH - LEFT - RIGHT) / (points.length - 1));
  const y = (value) => TOP + (HEIGHT - TOP - BOTTOM) * (1 - (value - low) / (high - low));
  const described = points.map((m) => `${figure(m.value, metric.unit)} in ${m.period}${m.rag ? ` (${word(m.rag).toLowerCase()})` : ""}`).join(", ");
  const target = metric.target !== null ? `; target ${figure(metric.target, metric.unit)}` : "";
  return html`<svg class="viewer-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${id}-title ${id}-desc">
    <title id="${id}-title">${metric.name}</title>
    <desc id="${id}-desc">${described || "No measurements yet"}${target}; ${word(metric.polarity).toLowerCase()}.</desc>
    ${ticks(low, high).map((tick) => html`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(tick)}" y2="${y(tick)}" class="viewer-chart__grid"/>
      <text x="${LEFT - 8}" y="${y(tick) + 4}" text-anchor="end" class="viewer-chart__label">${figure(tick, metric.unit)}</text>`)}
    ${metric.target !== null ? html`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(metric.target)}" y2="${y(metric.target)}" class="viewer-chart__target"/>
      <line x1="${LEFT}" x2="${LEFT + 30}" y1="${HEIGHT - 20}" y2="${HEIGHT - 20}" class="viewer-chart__target"/>
      <text x="${LEFT + 38}" y="${HEIGHT - 16}" class="viewer-chart__label">Target ${figure(metric.target, metric.unit)}</text>` : ""}
    <polyline points="${points.map((m, i) => `${x(i)},${y(m.value)}`).join(" ")}" class="viewer-chart__line"/>
    ${points.map((m, i) => html`<g>
      <circle cx="${x(i)}" cy="${y(m.value)}" r="11" fill="${RAG[m.rag]?.[0] ?? "#505a5f"}"/>
      <text x="${x(i)}" y="${y(m.value) + 4}" text-anchor="middle" class="viewer-chart__rag">${RAG[m.rag]?.[1] ?? ""}</text>
      <text x="${x(i)}" y="${y(m.value) - 16}" text-anchor="middle" class="viewer-chart__value">${figure(m.value, metric.unit)}</text>
      <text x="${x(i)}" y="${HEIGHT - BOTTOM + 20}" text-anchor="middle" class="viewer-chart__label">${m.period}</text></g>`)}
  </svg>`;
}
