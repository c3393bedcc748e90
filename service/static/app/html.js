// Markup from templates whose values are escaped unless they are markup themselves, and the words and dates the
// views show (in GOV.UK's style: "13 November 2017").

class Markup {
  constructor(text) { this.text = text; }
  toString() { return this.text; }
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escape = (value) => String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
const piece = (value) => value instanceof Markup ? value.text
  : Array.isArray(value) ? value.map(piece).join("")
  : value === null || value === undefined || value === false ? "" : escape(value);

export function html(strings, ...values) {
  return new Markup(strings.reduce((text, string, i) => text + piece(values[i - 1]) + string));
}

const DAY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
const INSTANT = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", hour: "2-digit",
  minute: "2-digit", second: "2-digit", timeZone: "UTC", timeZoneName: "short" });

export const day = (iso) => iso ? DAY.format(new Date(`${iso.slice(0, 10)}T00:00:00Z`)) : "";
export const instant = (iso) => iso ? INSTANT.format(new Date(iso)) : "";

// The domain's words for the schema's enums, where sentence case of the name would not do.
const WORDS = {
  WRITTEN_STATEMENT_OF_ACTION: "Written Statement of Action", IMPROVEMENT_PLAN: "Improvement Plan",
  PRIORITY_ACTION_PLAN: "Priority Action Plan", ACCELERATED_PROGRESS_PLAN: "Accelerated Progress Plan",
  LOCAL_AREA_SEND_2016: "Local area SEND (2016)", AREA_SEND_2023: "Area SEND (2023)",
  OFSTED_CQC: "Ofsted/CQC", DFE: "DfE", NHS_ENGLAND: "NHS England",
  WRITTEN_STATEMENT_REQUIRED: "Written statement required", NO_WRITTEN_STATEMENT_REQUIRED: "No written statement required",
};
export const word = (name) => name ? WORDS[name] ?? name.charAt(0) + name.slice(1).toLowerCase().replaceAll("_", " ") : "";

const COLOURS = {
  NOT_STARTED: "grey", IN_PROGRESS: "turquoise", COMPLETED: "green", CANCELLED: "orange", RED: "red", AMBER: "yellow",
  GREEN: "green", DRAFT: "grey", SUBMITTED: "turquoise", APPROVED: "green", RETURNED: "red", SUPERSEDED: "grey",
  CLOSED: "grey", SUFFICIENT_PROGRESS: "green", INSUFFICIENT_PROGRESS: "red",
};
export const tag = (name, colour = COLOURS[name]) => name ? html`<strong class="govuk-tag govuk-tag--${colour ?? "grey"}">${word(name)}</strong>` : "";
export const overdueTag = (overdue) => overdue ? html`<strong class="govuk-tag govuk-tag--red">Overdue</strong>` : "";

/** A GOV.UK summary list of [label, value] rows, leaving out rows without a value. */
export const summary = (rows) => html`<dl class="govuk-summary-list">${rows.filter(([, value]) => value !== null && value !== undefined && value !== "").map(([label, value]) => html`
  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">${label}</dt><dd class="govuk-summary-list__value">${value}</dd></div>`)}</dl>`;
