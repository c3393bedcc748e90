// The record viewer: one page that shows the record through the public GraphQL API, at any moment. The URL names
// the view and the moment (place.js); following a link or moving through time changes the URL and shows the
// view again, without reloading the page (which would lose the token, kept only in memory: api.js).
import { fetchFile, follow, log, logRead, query, Refused, signedIn, signIn, signOut } from "./api.js";
import { day, html, instant } from "./html.js";
import { href, parse } from "./place.js";
import { identityProvider, leave, returned } from "./signin.js";
import { datesMoment, describeSlider, said, sliderMoment, timebar } from "./timebar.js";
import { createAll, SkipLink } from "./vendor/govuk-frontend.min.js";
import * as action from "./views/action.js";
import * as partnership from "./views/partnership.js";
import * as partnerships from "./views/partnerships.js";
import * as plan from "./views/plan.js";
import * as scorecard from "./views/scorecard.js";

const VIEWS = { partnerships, partnership, plan, action, scorecard };
const element = (id) => document.getElementById(id);
const TITLE = "SEND partnership record";

let shown = null; // the place on screen
let showing = 0; // the latest showing asked for: an earlier one still loading gives way
let stopFollowing = () => {};
let signInWith = { provider: null, unavailable: null }; // the identity provider, if the service has one

/** Puts markup into an element, keeping the focus on the element of the same id if it had it; with `keepEdits`
 * (a live change shown again), fields the reader has typed in but not sent keep what was typed. */
function put(id, markup, keepEdits = false) {
  const focused = document.activeElement?.id;
  const edited = keepEdits ? [...element(id).querySelectorAll("input[id][type=date], input[id][type=time]")]
    .filter((field) => field.value !== field.defaultValue).map((field) => [field.id, field.value]) : [];
  element(id).innerHTML = String(markup);
  for (const [field, value] of edited) if (element(field)) element(field).value = value;
  if (focused && element(focused) && document.activeElement !== element(focused)) element(focused).focus();
}

function crumbs(list) {
  put("crumbs", list.length ? html`<ol class="govuk-breadcrumbs__list">${[["/app", "Partnerships"], ...list].map(([to, text]) =>
    html`<li class="govuk-breadcrumbs__list-item"><a class="govuk-breadcrumbs__link" href="${to}">${text}</a></li>`)}</ol>` : "");
}

function heading(title, caption) {
  put("heading", html`${caption ? html`<span class="govuk-caption-l">${caption}</span>` : ""}<h1 class="govuk-heading-l" id="title" tabindex="-1">${title}</h1>`);
  document.title = `${title}: ${TITLE}`;
}

function problem(title, message, field) {
  return html`<div class="govuk-error-summary" data-module="govuk-error-summary" tabindex="-1" id="problem"><div role="alert">
    <h2 class="govuk-error-summary__title">${title}</h2>
    <div class="govuk-error-summary__body"><ul class="govuk-list govuk-error-summary__list">
      <li>${field ? html`<a href="#${field}">${message}</a>` : message}</li></ul></div></div></div>`;
}

/** The sign-in page; with an error, what went wrong (and, for a token refused, the token field in error). */
function signInForm(error, field) {
  stopFollowing();
  element("signed-in").hidden = true;
  crumbs([]);
  heading("Sign in");
  put("timebar", "");
  const { provider, unavailable } = signInWith;
  const wrong = error && field === "token";
  put("content", html`${error ? problem("You are not signed in", error, field) : ""}
    ${provider ? html`<h2 class="govuk-heading-m">With your organisation's account</h2>
      <button type="button" class="govuk-button" data-module="govuk-button" id="provider-sign-in">Sign in with your organisation's account</button>
      <h2 class="govuk-heading-m">With a bearer token</h2>` : ""}
    ${unavailable ? html`<div class="govuk-inset-text">Signing in through your organisation's identity provider is unavailable: ${unavailable}</div>` : ""}
    <p class="govuk-body">Paste a bearer token: one made with <code>send-records token</code>, or one your identity provider gave you.
      It is kept only while this tab is open, and sent only to this service.</p>
    <form data-form="sign-in" novalidate>
      <div class="govuk-form-group ${wrong ? "govuk-form-group--error" : ""}">
        <label class="govuk-label" for="token">Bearer token</label>
        ${wrong ? html`<p id="token-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ${error}</p>` : ""}
        <input class="govuk-input ${wrong ? "govuk-input--error" : ""}" id="token" name="token" type="password" autocomplete="off" spellcheck="false"
          ${wrong ? html`aria-describedby="token-error"` : ""}>
      </div>
      <button type="submit" class="govuk-button" data-module="govuk-button">Sign in</button>
    </form>`);
  element("content").removeAttribute("aria-busy");
  element("content").dataset.shown = "sign-in";
  if (error) element("problem").focus();
}

/** Shows the place in the URL: the view first, then the time bar's sliders and what needs the partnership's log. */
async function show({ moved = false, live = false } = {}) {
  if (!signedIn()) return signInForm();
  const place = parse(location.search);
  const sameView = shown && shown.view === place.view && shown.id === place.id;
  const asked = ++showing;
  stopFollowing();
  element("content").setAttribute("aria-busy", "true");
  let view;
  try {
    view = await VIEWS[place.view].load(place);
  } catch (error) {
    if (asked !== showing) return;
    if (error instanceof Refused && error.status === 401) return refused(error.message);
    heading("The record could not be read");
    put("timebar", "");
    put("content", problem("The record could not be read", error.message));
    element("content").removeAttribute("aria-busy");
    return;
  }
  if (asked !== showing) return;
  shown = place;
  crumbs(view.crumbs ?? []);
  heading(view.title, view.caption);
  put("timebar", timebar(place, view.partnershipId ? view.scope(logRead(view.partnershipId)) : []), live);
  put("content", view.missing
    ? html`<p class="govuk-body">The record held no ${view.missing} with this id ${place.asAt ? `at ${instant(place.asAt)}` : "now"}${place.asOf ? ` on ${day(place.asOf)}` : ""}: it may not have existed then, or your token may not read it.</p>`
    : view.body, live);
  element("content").removeAttribute("aria-busy");
  element("content").dataset.shown = href(place);
  if (!sameView && !moved) element("title").focus();
  if (view.partnershipId && !view.missing) await withLog(view, place, asked, live);
  else element("content").dataset.logged = href(place);
}

async function withLog(view, place, asked, live) {
  let kept;
  try {
    kept = await log(view.partnershipId);
  } catch (error) {
    if (asked === showing) announce(`The record's changes could not be read: ${error.message}`);
    return;
  }
  if (asked !== showing) return;
  const events = view.scope(kept.events);
  put("timebar", timebar(place, events), live);
  if (view.logged) put(...view.logged(events), live);
  element("content").dataset.logged = href(place);
  if (view.live && !place.asAt) {
    // Nothing recorded after the log was read is missed: the subscription starts after its last event.
    stopFollowing = follow(view.partnershipId, kept.cursor, (event) => {
      if (!view.scope([...kept.events, event]).includes(event)) return;
      announce(`Changed: ${said(event)}, by ${event.actor.subject}, recorded ${instant(event.recordedAt)}`);
      show({ moved: true, live: true });
    }, (message) => announce(`Live updates stopped: ${message}`));
  }
}

function announce(text) {
  element("announce").textContent = text;
}

function refused(message) {
  signOut();
  shown = null;
  signInForm(message, "token");
}

function go(to, options) {
  history.pushState(null, "", to);
  show(options);
}

/** The same view at another moment; the form's other fields (the dates of "what changed", the actions shown)
 * stay as they are. */
const at = (changes) => go(href({ ...parse(location.search), ...changes }), { moved: true });

document.addEventListener("click", (event) => {
  if (event.target.id === "provider-sign-in") return leave(signInWith.provider, location.pathname + location.search);
  const link = event.target.closest("a[href]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (link.hasAttribute("data-download")) {
    event.preventDefault();
    download(link);
  } else if (link.pathname === "/app" && link.origin === location.origin) {
    event.preventDefault();
    go(link.getAttribute("href"));
  }
});

document.addEventListener("submit", async (event) => {
  const form = event.target;
  event.preventDefault();
  const data = new FormData(form);
  if (form.dataset.form === "sign-in") {
    const token = String(data.get("token") ?? "").trim();
    if (!token) return signInForm("Enter a bearer token", "token");
    signIn(token);
    try {
      await query("{ partnerships { id: entityId } }");
    } catch (error) {
      return refused(error instanceof Refused && error.status === 401 ? error.message : `the service could not be asked: ${error.message}`);
    }
    element("signed-in").hidden = false;
    show();
  } else if (form.dataset.form === "moment") {
    at(datesMoment(form));
  } else if (form.dataset.form === "changes") {
    at({ from: data.get("from") || null, to: data.get("to") || null, by: data.get("by") === "recorded" ? "recorded" : null });
  } else if (form.dataset.form === "show") {
    at({ show: data.get("show") === "all" ? null : data.get("show") });
  }
});

document.addEventListener("input", (event) => {
  if (event.target.matches(".viewer-range")) describeSlider(event.target);
});
document.addEventListener("change", (event) => {
  if (event.target.matches(".viewer-range")) at({ [event.target.dataset.axis]: sliderMoment(event.target) });
});

element("sign-out").addEventListener("click", () => {
  signOut();
  shown = null;
  signInForm();
});

/** A download that needs the bearer token (a link alone cannot send it): fetched, then saved from memory. */
async function download(link) {
  try {
    const saved = URL.createObjectURL(await fetchFile(link.href));
    Object.assign(document.createElement("a"), { href: saved, download: link.dataset.download }).click();
    setTimeout(() => URL.revokeObjectURL(saved), 60_000);
    announce(`Downloaded ${link.dataset.download}`);
  } catch (error) {
    announce(`The download failed: ${error.message}`);
  }
}

/** Signs in with the token the identity provider's answer in the URL gives, if it carries one, then shows the place. */
async function start() {
  signInWith = await identityProvider();
  try {
    const token = await returned();
    if (token) {
      signIn(token);
      element("signed-in").hidden = false;
    }
  } catch (error) {
    return signInForm(error.message);
  }
  show();
}

window.addEventListener("popstate", () => show());
document.body.classList.add("js-enabled", "govuk-frontend-supported");
createAll(SkipLink);
start();
