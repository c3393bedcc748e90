// A partnership's scorecard: per metric, a chart of its measurements with the target and RAG, and the figures.
import { query } from "../api.js";
import { chart, figure } from "../chart.js";
import { selection, shown } from "../fields.js";
import { day, html, instant, summary, tag, word } from "../html.js";
import { moment, to } from "../place.js";

const METRIC = [
  { label: "Unit", fields: "unit", show: (m) => word(m.unit) },
  { label: "Better when", fields: "polarity", show: (m) => word(m.polarity) },
  { label: "Target", fields: "target", show: (m) => m.target !== null ? figure(m.target, m.unit) : "None" },
  { label: "Latest", fields: "latest { period value rag }", show: (m) => m.latest && html`${figure(m.latest.value, m.unit)} (${m.latest.period}) ${tag(m.latest.rag)}` },
];

const QUERY = `query Scorecard($id: ID!, $asAt: DateTime, $asOf: Date) {
  partnership(id: $id, asAt: $asAt, asOf: $asOf) { id: entityId name metrics { id: entityId name ${selection(METRIC)} measurements { period periodEnd value rag recordedAt } } } }`;

export async function load(place) {
  const { partnership } = await query(QUERY, { id: place.id, ...moment(place) });
  if (!partnership) return { title: "No such partnership", missing: "partnership" };
  const metrics = partnership.metrics;
  return {
    title: `Scorecard`, caption: partnership.name,
    crumbs: [[to(place, "partnership", partnership.id), partnership.name]],
    body: metrics.length ? html`${metrics.map((metric, i) => html`<section class="viewer-metric" aria-labelledby="metric-${i}">
      <h2 class="govuk-heading-m" id="metric-${i}">${metric.name}</h2>
      ${summary(shown(METRIC, metric))}
      ${chart(metric, `chart-${i}`)}
      <table class="govuk-table">
        <caption class="govuk-table__caption govuk-table__caption--s">Measurements of ${metric.name}</caption>
        <thead class="govuk-table__head"><tr class="govuk-table__row">${["Period", "Ended", "Figure", "RAG", "Recorded"].map((h) => html`<th scope="col" class="govuk-table__header">${h}</th>`)}</tr></thead>
        <tbody class="govuk-table__body">${metric.measurements.map((m) => html`<tr class="govuk-table__row">
          <td class="govuk-table__cell">${m.period}</td><td class="govuk-table__cell">${day(m.periodEnd)}</td>
          <td class="govuk-table__cell">${figure(m.value, metric.unit)}</td><td class="govuk-table__cell">${tag(m.rag)}</td>
          <td class="govuk-table__cell">${instant(m.recordedAt)}</td></tr>`)}</tbody></table>
    </section>`)}` : html`<p class="govuk-body">No metrics defined at this moment.</p>`,
    partnershipId: partnership.id,
    scope: (events) => events.filter((event) => event.entityType === "Metric"),
  };
}
