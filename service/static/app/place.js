// Where the reader is: the view and the moment it shows, all in the URL's query string, so that a link shows a
// colleague the same picture. `/app?plan=ID&asAt=2026-11-25T09:00:00Z&asOf=2018-12-31`.

export const VIEWS = ["partnership", "plan", "action", "scorecard"];
// What a view may carry besides its id: the moment (asAt, asOf), and on a plan the dates of "what changed",
// the axis they are on (effective or recorded), and the actions shown.
const OPTIONS = ["asAt", "asOf", "from", "to", "by", "show"];

export function parse(search) {
  const params = new URLSearchParams(search);
  const view = VIEWS.find((name) => params.get(name)) ?? "partnerships";
  const place = { view, id: params.get(view) };
  for (const option of OPTIONS) place[option] = params.get(option) || null;
  return place;
}

export function href(place) {
  const params = new URLSearchParams();
  if (place.view !== "partnerships") params.set(place.view, place.id);
  for (const option of OPTIONS) if (place[option]) params.set(option, place[option]);
  const query = params.toString();
  return query ? `/app?${query}` : "/app";
}

/** The same moment, another view: links keep the time the reader has travelled to. */
export const to = (place, view, id) => href({ view, id, asAt: place.asAt, asOf: place.asOf });

/** The moment as GraphQL's arguments. */
export const moment = (place) => ({ asAt: place.asAt, asOf: place.asOf });
