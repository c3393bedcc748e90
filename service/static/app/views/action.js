// An action: what it is at the moment shown, and its history as a timeline (what changed, who, when it was
// recorded, the date it took effect, why), with the changes the moment shown does not count marked as such.
import { EVENT, query } from "../api.js";
import { selection, shown } from "../fields.js";
import { day, html, instant, overdueTag, summary, tag, word } from "../html.js";
import { moment, to } from "../place.js";
import { said } from "../timebar.js";

const ACTION = [
  { label: "Plan", fields: "plan { id: entityId title }", show: (action, place) => html`<a class="govuk-link" href="${to(place, "plan", action.plan.id)}">${action.plan.title}</a>` },
  { label: "Priority area", fields: "priorityArea { title }", show: (action) => action.priorityArea?.title },
  { label: "Owner", fields: "ownerAgency { name }", show: (action) => action.ownerAgency.name },
  { label: "Lead officer", fields: "leadOfficer", show: (action) => action.leadOfficer },
  { label: "Description", fields: "description", show: (action) => action.description },
  { label: "Status", fields: "status", show: (action) => tag(action.status) },
  { label: "RAG", fields: "rag", show: (action) => tag(action.rag) },
  { label: "Due", fields: "dueOn overdue", show: (action) => html`${day(action.dueOn)} ${overdueTag(action.overdue)}` },
  { label: "Completed", fields: "completedOn", show: (action) => day(action.completedOn) },
  { label: "Evidence", fields: "evidence", show: (action) => action.evidence.length ? html`<ul class="govuk-list govuk-list--bullet">${action.evidence.map((item) => html`<li>${item}</li>`)}</ul>` : null },
  { label: "Latest note", fields: "latestNote", show: (action) => action.latestNote },
  { label: "Version", fields: "version", show: (action) => String(action.version) },
];

const ACTION_QUERY = `query Action($id: ID!, $asAt: DateTime, $asOf: Date) {
  action(id: $id, asAt: $asAt, asOf: $asOf) { id: entityId title plan { partnership { id: entityId name } } ${selection(ACTION)} } }`;
const HISTORY = `query History($id: ID!, $after: String) {
  history(entityId: $id, first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { ${EVENT} } } } }`;

async function history(id) {
  const events = [];
  for (let page = { hasNextPage: true, endCursor: null }; page.hasNextPage;) {
    const found = (await query(HISTORY, { id, after: page.endCursor })).history;
    events.push(...found.edges.map((edge) => edge.node));
    page = found.pageInfo;
  }
  return events;
}

// An event's data as the timeline tells it: the fields a reader needs, in words.
const DETAILS = { dueOn: "Due", completedOn: "Completed on", evidence: "Evidence", note: "Note", rag: "RAG",
  leadOfficer: "Lead officer", title: "Title", description: "Description" };

function details(event) {
  const rows = Object.entries(DETAILS).filter(([name]) => event.data[name] !== null && event.data[name] !== undefined)
    .map(([name, label]) => [label, Array.isArray(event.data[name]) ? event.data[name].join("; ") : name === "dueOn" || name === "completedOn" ? day(event.data[name]) : name === "rag" ? word(event.data[name]) : String(event.data[name])]);
  return rows.length ? summary(rows) : "";
}

/** Whether the moment shown counts this event: recorded by asAt, and in effect by asOf. */
const counted = (event, place) => (!place.asAt || Date.parse(event.recordedAt) <= Date.parse(place.asAt))
  && (!place.asOf || !event.effectiveOn || event.effectiveOn <= place.asOf);

function timeline(events, place) {
  return html`<ol class="viewer-timeline" aria-labelledby="history-heading">${events.map((event) => html`
    <li class="viewer-timeline__item ${counted(event, place) ? "" : "viewer-timeline__item--later"}">
      <h3 class="govuk-heading-s viewer-timeline__title">${said(event)}${counted(event, place) ? "" : html` <strong class="govuk-tag govuk-tag--grey">Not counted at the moment shown</strong>`}</h3>
      <p class="govuk-body-s viewer-timeline__by">By ${event.actor.subject} (${word(event.actor.role)}); recorded ${instant(event.recordedAt)}${event.effectiveOn ? `; took effect ${day(event.effectiveOn)}` : ""}</p>
      ${event.reason ? html`<p class="govuk-body">Why: ${event.reason}</p>` : ""}
      ${details(event)}
    </li>`)}</ol>`;
}

export async function load(place) {
  const [{ action }, events] = await Promise.all([query(ACTION_QUERY, { id: place.id, ...moment(place) }), history(place.id)]);
  if (!action) return { title: "No such action", missing: "action" };
  const partnership = action.plan.partnership;
  return {
    title: action.title, caption: `${partnership.name}: ${action.plan.title}`,
    crumbs: [[to(place, "partnership", partnership.id), partnership.name], [to(place, "plan", action.plan.id), action.plan.title]],
    body: html`${summary(shown(ACTION, action, place))}
      <h2 class="govuk-heading-m" id="history-heading">History</h2>${timeline(events, place)}`,
    partnershipId: partnership.id,
    scope: (logged) => logged.filter((event) => event.entityId === action.id || event.data.subjectId === action.id),
  };
}
