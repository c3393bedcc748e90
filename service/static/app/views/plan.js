// A plan: what it is, its progress, its priority areas and their actions (status, RAG, due, overdue), its
// termly report, and what changed between two dates. Live at "now": the page follows the partnership's events
// and shows the plan again when one of its actions changes (main.js).
import { query } from "../api.js";
import { selection, shown } from "../fields.js";
import { day, html, instant, overdueTag, summary, tag, word } from "../html.js";
import { moment, to } from "../place.js";
import { said } from "../timebar.js";

const PLAN = [
  { label: "Kind", fields: "kind", show: (plan) => word(plan.kind) },
  { label: "Status", fields: "status", show: (plan) => tag(plan.status) },
  { label: "Period", fields: "periodStart periodEnd", show: (plan) => plan.periodStart && `${day(plan.periodStart)} to ${day(plan.periodEnd)}` },
  { label: "Responds to", fields: "respondsTo { kind framework publishedOn startedOn }",
    show: (plan) => plan.respondsTo && `${word(plan.respondsTo.kind)} inspection (${word(plan.respondsTo.framework)}) of ${day(plan.respondsTo.startedOn)}${plan.respondsTo.publishedOn ? `, published ${day(plan.respondsTo.publishedOn)}` : ""}` },
  { label: "Submission due", fields: "submissionDue", show: (plan) => day(plan.submissionDue) },
  { label: "Submitted", fields: "submittedOn", show: (plan) => day(plan.submittedOn) },
  { label: "Approved", fields: "approvedOn", show: (plan) => day(plan.approvedOn) },
  { label: "Returned", fields: "returnedOn", show: (plan) => day(plan.returnedOn) },
  { label: "Superseded by", fields: "supersededBy { id: entityId title }",
    show: (plan, place) => plan.supersededBy && html`<a class="govuk-link" href="${to(place, "plan", plan.supersededBy.id)}">${plan.supersededBy.title}</a>` },
  { label: "Version", fields: "version", show: (plan) => String(plan.version) },
];

const ACTION = [
  { heading: "Action", fields: "id: entityId title", show: (action, place) => html`<a class="govuk-link" id="action-${action.id}" href="${to(place, "action", action.id)}">${action.title}</a>` },
  { heading: "Owner", fields: "ownerAgency { name } leadOfficer", show: (action) => html`${action.ownerAgency.name}${action.leadOfficer ? html`<br><span class="govuk-body-s">${action.leadOfficer}</span>` : ""}` },
  { heading: "Due", fields: "dueOn overdue", show: (action) => html`${day(action.dueOn)} ${overdueTag(action.overdue)}` },
  { heading: "Status", fields: "status completedOn", show: (action) => tag(action.status) },
  { heading: "RAG", fields: "rag", show: (action) => tag(action.rag) || html`<span class="govuk-visually-hidden">none</span>` },
];

// What the action list may be narrowed to (`show` in the URL).
const SHOWS = { all: ["All actions", () => true], open: ["Open actions", (a) => a.status === "NOT_STARTED" || a.status === "IN_PROGRESS"],
  overdue: ["Overdue actions", (a) => a.overdue] };

const PROGRESS = ["total", "notStarted", "inProgress", "completed", "cancelled", "overdue"];
const ACTIONS_PAGE = `actions(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { priorityArea { id: entityId } ${selection(ACTION)} } } }`;

const PLAN_QUERY = `query Plan($id: ID!, $asAt: DateTime, $asOf: Date, $after: String) {
  plan(id: $id, asAt: $asAt, asOf: $asOf) { id: entityId title partnership { id: entityId name } ${selection(PLAN)}
    progress { ${PROGRESS.join(" ")} } priorityAreas { id: entityId title successMeasures } ${ACTIONS_PAGE} } }`;
const MORE_ACTIONS = `query PlanActions($id: ID!, $asAt: DateTime, $asOf: Date, $after: String) {
  plan(id: $id, asAt: $asAt, asOf: $asOf) { ${ACTIONS_PAGE} } }`;

/** The plan at the place's moment with every action (pages of 100), or null where the reader sees none. */
export async function readPlan(place) {
  const variables = { id: place.id, ...moment(place), after: null };
  const plan = (await query(PLAN_QUERY, variables)).plan;
  if (!plan) return null;
  const actions = plan.actions.edges.map((edge) => edge.node);
  for (let page = plan.actions.pageInfo; page.hasNextPage;) {
    const more = (await query(MORE_ACTIONS, { ...variables, after: page.endCursor })).plan.actions;
    actions.push(...more.edges.map((edge) => edge.node));
    page = more.pageInfo;
  }
  return { ...plan, actions };
}

/** The plan's events in the partnership's log: its own (priority areas included), its actions' and the
 * judgements of any of them, whatever the moment shown. */
export function planEvents(planId, events) {
  const ids = new Set([planId]);
  for (const event of events) {
    if (event.type === "ActionAdded" && event.data.planId === planId) ids.add(event.entityId);
    if (event.type === "PriorityAreaAdded" && event.entityId === planId) ids.add(event.data.priorityAreaId);
  }
  return events.filter((event) => ids.has(event.entityId) || (event.type === "JudgementRecorded" && ids.has(event.data.subjectId)));
}

function actionsTable(actions, place, caption) {
  return html`<table class="govuk-table viewer-actions">
    <caption class="govuk-visually-hidden">${caption}</caption>
    <thead class="govuk-table__head"><tr class="govuk-table__row">${ACTION.map((column) => html`<th scope="col" class="govuk-table__header">${column.heading}</th>`)}</tr></thead>
    <tbody class="govuk-table__body">${actions.map((action) => html`<tr class="govuk-table__row" data-action="${action.id}">${ACTION.map((column) => html`<td class="govuk-table__cell">${column.show(action, place)}</td>`)}</tr>`)}</tbody>
  </table>`;
}

function progress(plan) {
  const counts = plan.progress;
  return html`<ul class="govuk-body viewer-counts">${PROGRESS.map((name) => html`<li><span class="viewer-count">${counts[name]}</span> ${word(name.replace(/([A-Z])/g, "_$1").toUpperCase())}</li>`)}</ul>`;
}

/** The termly report of issue 19 (GET /reports/plans/{id}), as at the moment shown, or the moment it was read. */
export const reportHref = (planId, asAt) => `/reports/plans/${encodeURIComponent(planId)}?${new URLSearchParams({ asAt, format: "pdf" })}`;

function changesForm(place) {
  const by = place.by === "recorded" ? "recorded" : "effective";
  const radio = (value, label) => html`<div class="govuk-radios__item">
    <input class="govuk-radios__input" id="by-${value}" name="by" type="radio" value="${value}" ${by === value ? html`checked` : ""}>
    <label class="govuk-label govuk-radios__label" for="by-${value}">${label}</label></div>`;
  return html`<form data-form="changes" novalidate>
    <div class="viewer-dates">
      <div class="govuk-form-group"><label class="govuk-label" for="changes-from">From</label>
        <input class="govuk-input govuk-input--width-10" type="date" id="changes-from" name="from" value="${place.from ?? ""}"></div>
      <div class="govuk-form-group"><label class="govuk-label" for="changes-to">To</label>
        <input class="govuk-input govuk-input--width-10" type="date" id="changes-to" name="to" value="${place.to ?? ""}"></div>
    </div>
    <div class="govuk-form-group"><fieldset class="govuk-fieldset">
      <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Dates are when the change</legend>
      <div class="govuk-radios govuk-radios--small govuk-radios--inline" data-module="govuk-radios">
        ${radio("effective", "took effect")}${radio("recorded", "was recorded")}</div>
    </fieldset></div>
    <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">List the changes</button>
  </form>`;
}

/** The plan's events whose date (effective, or recorded) falls from `from` to `to`, both included. */
export function changesBetween(events, place) {
  const date = place.by === "recorded" ? (event) => event.recordedAt.slice(0, 10) : (event) => event.effectiveOn;
  return events.filter((event) => date(event) && (!place.from || date(event) >= place.from) && (!place.to || date(event) <= place.to));
}

function changes(events, place, plan) {
  if (!place.from && !place.to) return html`<p class="govuk-body" id="changes-found">Give a date or two to list the changes.</p>`;
  const titles = new Map([[plan.id, plan.title]]);
  for (const event of events) {
    if (event.type === "ActionAdded") titles.set(event.entityId, event.data.title);
  }
  const found = changesBetween(events, place);
  const between = `${place.from ? day(place.from) : "the start"} and ${place.to ? day(place.to) : "today"}`;
  if (!found.length) return html`<p class="govuk-body" id="changes-found">No changes between ${between}.</p>`;
  return html`<table class="govuk-table" id="changes-found">
    <caption class="govuk-table__caption govuk-table__caption--s">${found.length} ${found.length === 1 ? "change" : "changes"} between ${between}</caption>
    <thead class="govuk-table__head"><tr class="govuk-table__row">${["Took effect", "Recorded", "What changed", "Of", "Who", "Why"].map((h) => html`<th scope="col" class="govuk-table__header">${h}</th>`)}</tr></thead>
    <tbody class="govuk-table__body">${found.map((event) => html`<tr class="govuk-table__row">
      <td class="govuk-table__cell">${day(event.effectiveOn)}</td><td class="govuk-table__cell">${instant(event.recordedAt)}</td>
      <td class="govuk-table__cell">${said(event)}</td>
      <td class="govuk-table__cell">${event.entityType === "Action" ? html`<a class="govuk-link" href="${to(place, "action", event.entityId)}">${titles.get(event.entityId) ?? "an action"}</a>` : titles.get(event.entityId) ?? word(event.entityType.toUpperCase())}</td>
      <td class="govuk-table__cell">${event.actor.subject} (${word(event.actor.role)})</td><td class="govuk-table__cell">${event.reason ?? ""}</td></tr>`)}</tbody>
  </table>`;
}

export async function load(place) {
  const readAt = new Date().toISOString();
  const plan = await readPlan(place);
  if (!plan) return { title: "No such plan", missing: "plan" };
  const narrowed = SHOWS[place.show] ? place.show : "all";
  const [, keep] = SHOWS[narrowed];
  const areas = [...plan.priorityAreas.map((area) => ({ ...area, actions: plan.actions.filter((a) => a.priorityArea?.id === area.id) })),
    { title: "Actions of no priority area", successMeasures: [], actions: plan.actions.filter((a) => !a.priorityArea) }];
  const body = html`
    ${summary(shown(PLAN, plan, place))}
    <h2 class="govuk-heading-m">Progress</h2>
    ${progress(plan)}
    <p class="govuk-body"><a class="govuk-link" id="report" data-download="${plan.title} as at ${place.asAt ?? readAt}.pdf" href="${reportHref(plan.id, place.asAt ?? readAt)}">Download the termly report (PDF)</a>, as at ${instant(place.asAt ?? readAt)}</p>
    <h2 class="govuk-heading-m" id="actions-heading">Priority areas and their actions</h2>
    <form class="viewer-show" data-form="show" novalidate>
      <div class="govuk-form-group"><label class="govuk-label" for="show">Show</label>
        <select class="govuk-select" id="show" name="show">${Object.entries(SHOWS).map(([value, [label]]) => html`<option value="${value}" ${value === narrowed ? html`selected` : ""}>${label}</option>`)}</select>
        <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">Show</button></div>
    </form>
    ${areas.filter((area) => area.actions.length || area.id).map((area) => html`
      <section class="viewer-area" ${area.id ? html`id="area-${area.id}"` : ""}>
        <h3 class="govuk-heading-s">${area.title}</h3>
        ${area.successMeasures.length ? html`<p class="govuk-body-s">Success measures: ${area.successMeasures.join("; ")}</p>` : ""}
        ${area.actions.filter(keep).length ? actionsTable(area.actions.filter(keep), place, `${SHOWS[narrowed][0]} of ${area.title}`) : html`<p class="govuk-body-s">None.</p>`}
      </section>`)}
    <h2 class="govuk-heading-m" id="changes-heading">What changed between two dates</h2>
    ${changesForm(place)}
    <div id="changes"><p class="govuk-body">Reading the record's changes…</p></div>`;
  return {
    title: plan.title, caption: plan.partnership.name,
    crumbs: [[to(place, "partnership", plan.partnership.id), plan.partnership.name]],
    body, partnershipId: plan.partnership.id, live: true,
    scope: (events) => planEvents(plan.id, events),
    logged: (events) => ["changes", changes(events, place, plan)],
  };
}
