// A partnership: its agencies, inspections and their findings (with the latest judgement of each), plans and
// metrics. Each section declares the fields it reads, so a section the schema gains (issue 17's meetings, the
// next inspection) is one more entry.
import { query } from "../api.js";
import { selection, shown } from "../fields.js";
import { day, html, summary, tag, word } from "../html.js";
import { moment, to } from "../place.js";

const PARTNERSHIP = [
  { label: "Local authority", fields: "localAuthority", show: (p) => p.localAuthority },
  { label: "Agencies", fields: "agencies { name kind }",
    show: (p) => html`<ul class="govuk-list">${p.agencies.map((a) => html`<li>${a.name} <span class="govuk-body-s">(${word(a.kind)})</span></li>`)}</ul>` },
  { label: "Version", fields: "version", show: (p) => String(p.version) },
];

const table = (caption, headings, rows) => html`<table class="govuk-table">
  <caption class="govuk-table__caption govuk-table__caption--s">${caption}</caption>
  <thead class="govuk-table__head"><tr class="govuk-table__row">${headings.map((h) => html`<th scope="col" class="govuk-table__header">${h}</th>`)}</tr></thead>
  <tbody class="govuk-table__body">${rows.map((cells) => html`<tr class="govuk-table__row">${cells.map((c) => html`<td class="govuk-table__cell">${c}</td>`)}</tr>`)}</tbody></table>`;

const SECTIONS = [
  { heading: "Inspections", fields: "inspections { id: entityId kind framework startedOn endedOn publishedOn outcome findings { id: entityId kind text latestJudgement { body outcome rag madeOn } } }",
    show: (p) => p.inspections.length ? p.inspections.map((inspection) => html`
      <h3 class="govuk-heading-s">${word(inspection.kind)} inspection, ${day(inspection.startedOn)} to ${day(inspection.endedOn)}</h3>
      ${summary([["Framework", word(inspection.framework)], ["Published", day(inspection.publishedOn) || "Not yet"], ["Outcome", word(inspection.outcome)]])}
      ${inspection.findings.length ? table(`Findings of the ${word(inspection.kind).toLowerCase()} inspection`, ["Finding", "Kind", "Latest judgement"],
        inspection.findings.map((f) => [f.text, word(f.kind), f.latestJudgement ? html`${tag(f.latestJudgement.outcome)} ${tag(f.latestJudgement.rag)} <span class="govuk-body-s">${word(f.latestJudgement.body)}, ${day(f.latestJudgement.madeOn)}</span>` : "None yet"])) : ""}`)
      : html`<p class="govuk-body">None recorded.</p>` },
  { heading: "Plans", fields: "plans { id: entityId title kind status progress { total completed overdue } }",
    show: (p, place) => p.plans.length ? table("Plans", ["Plan", "Kind", "Status", "Progress"], p.plans.map((plan) => [
      html`<a class="govuk-link" href="${to(place, "plan", plan.id)}">${plan.title}</a>`, word(plan.kind), tag(plan.status),
      `${plan.progress.completed} of ${plan.progress.total} completed, ${plan.progress.overdue} overdue`]))
      : html`<p class="govuk-body">None recorded.</p>` },
  { heading: "Scorecard", fields: "metrics { id: entityId name latest { period value rag } }",
    show: (p, place) => p.metrics.length ? html`<p class="govuk-body"><a class="govuk-link" href="${to(place, "scorecard", p.id)}">The scorecard: ${p.metrics.length} metrics, with charts</a></p>
      ${table("Latest figures", ["Metric", "Latest", "RAG"], p.metrics.map((m) => [m.name, m.latest ? `${m.latest.value} (${m.latest.period})` : "None yet", tag(m.latest?.rag)]))}`
      : html`<p class="govuk-body">No metrics defined.</p>` },
];

const QUERY = `query Partnership($id: ID!, $asAt: DateTime, $asOf: Date) {
  partnership(id: $id, asAt: $asAt, asOf: $asOf) { id: entityId name ${selection(PARTNERSHIP)} ${selection(SECTIONS)} } }`;

export async function load(place) {
  const { partnership } = await query(QUERY, { id: place.id, ...moment(place) });
  if (!partnership) return { title: "No such partnership", missing: "partnership" };
  return {
    title: partnership.name,
    body: html`${summary(shown(PARTNERSHIP, partnership, place))}
      ${SECTIONS.map((section) => html`<h2 class="govuk-heading-m">${section.heading}</h2>${section.show(partnership, place)}`)}`,
    partnershipId: partnership.id,
    scope: (events) => events,
  };
}
