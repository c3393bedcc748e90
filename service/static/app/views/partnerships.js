// The partnerships the reader may see (a partner or a lead: its own), each with its plans' progress.
import { query } from "../api.js";
import { html, tag } from "../html.js";
import { moment, to } from "../place.js";

const PARTNERSHIPS = `query Partnerships($asAt: DateTime, $asOf: Date) { partnerships(asAt: $asAt, asOf: $asOf) {
  id name localAuthority plans { id: entityId title status progress { total completed overdue } } metrics { id: entityId } } }`;

export async function load(place) {
  const { partnerships } = await query(PARTNERSHIPS, moment(place));
  const body = partnerships.length ? html`<ul class="govuk-list viewer-cards">${partnerships.map((p) => html`
    <li class="govuk-summary-card">
      <div class="govuk-summary-card__title-wrapper"><h2 class="govuk-summary-card__title">
        <a class="govuk-link" href="${to(place, "partnership", p.id)}">${p.name}</a></h2></div>
      <div class="govuk-summary-card__content">
        <p class="govuk-body">${p.localAuthority}</p>
        ${p.plans.length ? html`<ul class="govuk-list">${p.plans.map((plan) => html`<li>
          <a class="govuk-link" href="${to(place, "plan", plan.id)}">${plan.title}</a> ${tag(plan.status)}
          <span class="govuk-body-s">${plan.progress.completed} of ${plan.progress.total} actions completed, ${plan.progress.overdue} overdue</span></li>`)}</ul>` : ""}
        ${p.metrics.length ? html`<p class="govuk-body"><a class="govuk-link" href="${to(place, "scorecard", p.id)}">Scorecard of ${p.name}</a></p>` : ""}
      </div></li>`)}</ul>`
    : html`<p class="govuk-body">Your token reads no partnership at this moment.</p>`;
  return { title: "Partnerships", body };
}
