// The time bar: a slider and date inputs for asAt (what the record showed at an instant) and asOf (what it said
// was true on a date). A slider's stops are the moments at which what the view shows could have changed: the
// instants its events were recorded, or the dates they took effect; its last stop is now (or today). Moving a
// slider, or giving a date, goes to the same view at that moment (main.js navigates on the form's events).
import { day, html, instant } from "./html.js";
import { href } from "./place.js";

export const said = (event) => event.type.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase().replace(/^./, (c) => c.toUpperCase());

const AXES = {
  asAt: { label: "What the record showed at", last: "now", of: (event) => event.recordedAt, show: instant },
  asOf: { label: "What the record says was true on", last: "today", of: (event) => event.effectiveOn, show: day },
};

/** Each axis's stops: [moment, what happened then], oldest first, from the events that touch the view. */
function stops(axis, events) {
  const found = new Map();
  for (const event of events) {
    const moment = AXES[axis].of(event);
    if (moment) found.set(moment, [...(found.get(moment) ?? []), said(event)]);
  }
  return [...found.entries()].sort(([a], [b]) => key(a) - key(b));
}

// Instants compare to the microsecond (the service's precision; a Date keeps milliseconds): whole seconds, then
// the fraction.
const key = (moment) => Math.floor(Date.parse(moment) / 1000) * 1e6 + Number((/\.(\d{1,6})/.exec(moment)?.[1] ?? "").padEnd(6, "0"));

/** Where a moment falls among the stops: the last stop at or before it (the first if none is), the end for now. */
function position(moments, moment) {
  if (!moment) return moments.length;
  const after = moments.findIndex((stop) => key(stop) > key(moment));
  return after === -1 ? moments.length - 1 : Math.max(0, after - 1);
}

function valueText(axis, stop) {
  if (!stop) return `${AXES[axis].last}`;
  const [moment, happened] = stop;
  return `${AXES[axis].show(moment)}: ${happened.length > 2 ? `${happened.slice(0, 2).join(", ")} and ${happened.length - 2} more` : happened.join(", ")}`;
}

function slider(axis, place, events) {
  const found = stops(axis, events);
  if (!found.length) return "";
  const at = position(found.map(([moment]) => moment), place[axis]);
  const text = valueText(axis, found[at]);
  return html`<div class="govuk-form-group viewer-slider">
    <label class="govuk-label govuk-label--s" for="${axis}-slider">${AXES[axis].label}</label>
    <input class="viewer-range" type="range" id="${axis}-slider" data-axis="${axis}" min="0" max="${found.length}" step="1"
      value="${at}" aria-valuetext="${text}" data-stops="${JSON.stringify(found.map(([moment]) => moment))}">
    <p class="govuk-body-s viewer-said" id="${axis}-said" aria-hidden="true">${text}</p>
  </div>`;
}

/** The time bar for a place, with sliders over the events that touch its view (none: the date inputs alone). */
export function timebar(place, events = []) {
  const [atDay, atTime] = place.asAt ? [place.asAt.slice(0, 10), place.asAt.slice(11, 19)] : ["", ""];
  return html`<form class="viewer-timebar" data-form="moment" novalidate>
    <h2 class="govuk-heading-m" id="timebar-heading">Time travel</h2>
    <p class="govuk-body">${place.asAt || place.asOf
      ? html`Shown: ${place.asAt ? html`the record as it stood at <strong>${instant(place.asAt)}</strong>` : "the record now"}${place.asOf ? html`, saying what was true on <strong>${day(place.asOf)}</strong>` : ""}. <a class="govuk-link" href="${href({ ...place, asAt: null, asOf: null })}">Back to now</a>`
      : "Shown: the record now."}</p>
    ${slider("asAt", place, events)}
    ${slider("asOf", place, events)}
    <div class="viewer-dates">
      <div class="govuk-form-group">
        <label class="govuk-label" for="asAt-date">Recorded by (date)</label>
        <input class="govuk-input govuk-input--width-10" type="date" id="asAt-date" name="asAtDate" value="${atDay}">
      </div>
      <div class="govuk-form-group">
        <label class="govuk-label" for="asAt-time">and time (UTC)</label>
        <input class="govuk-input govuk-input--width-10" type="time" step="1" id="asAt-time" name="asAtTime" value="${atTime}">
      </div>
      <div class="govuk-form-group">
        <label class="govuk-label" for="asOf-date">True on (date)</label>
        <input class="govuk-input govuk-input--width-10" type="date" id="asOf-date" name="asOf" value="${place.asOf ?? ""}">
      </div>
      <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">Show</button>
    </div>
  </form>`;
}

/** The moment a slider's position names (null: now). */
export function sliderMoment(input) {
  return JSON.parse(input.dataset.stops)[Number(input.value)] ?? null;
}

/** Shows what a slider's position names while it moves, before the view follows. */
export function describeSlider(input) {
  const stops = JSON.parse(input.dataset.stops);
  const moment = stops[Number(input.value)];
  const axis = input.dataset.axis;
  const text = moment ? AXES[axis].show(moment) : AXES[axis].last;
  input.setAttribute("aria-valuetext", text);
  document.getElementById(`${axis}-said`).textContent = text;
}

/** The moment the date inputs name: asAt from a date and a time (UTC; the end of the day without one). */
export function datesMoment(form) {
  const data = new FormData(form);
  const [date, time] = [data.get("asAtDate"), data.get("asAtTime")];
  const asAt = date ? `${date}T${time ? (time.length === 5 ? `${time}:00` : time) : "23:59:59"}Z` : null;
  return { asAt, asOf: data.get("asOf") || null };
}
