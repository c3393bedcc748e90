// The viewer's only way to the record: the public GraphQL API at /graphql, with the reader's bearer token. The
// token is kept in this module for the life of the tab, and nowhere else: not in storage, a cookie or the URL.
import { createClient } from "./vendor/graphql-ws/client.js";

let token = null;
let sockets = null;

export const signedIn = () => token !== null;
export function signIn(value) { token = value; }
export function signOut() {
  token = null;
  sockets?.dispose();
  sockets = null;
  logs.clear();
}

export class Refused extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export async function query(text, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: text, variables }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || body.errors?.length) {
    const message = body.errors?.map((error) => error.message).join("; ") || `the service answered ${response.status}`;
    throw new Refused(message, response.status);
  }
  return body.data;
}

/** A file the service serves to the reader (the termly report), fetched with the token. */
export async function fetchFile(url) {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Refused(`the service answered ${response.status}`, response.status);
  return response.blob();
}

export const EVENT = "position type entityId entityType version recordedAt effectiveOn actor { subject role } reason data";
const PAGE = `query Log($partnershipId: ID!, $after: String) {
  events(partnershipId: $partnershipId, after: $after, first: 100) {
    pageInfo { hasNextPage endCursor } edges { node { ${EVENT} } } } }`;

// A partnership's log as read so far; each call reads on from where the last one stopped (one request when
// nothing is new), one call at a time per partnership.
const logs = new Map();

/** The events of a partnership's log read so far (none before the first read). */
export const logRead = (partnershipId) => logs.get(partnershipId)?.events ?? [];

export function log(partnershipId) {
  const kept = logs.get(partnershipId) ?? { events: [], cursor: null, reading: Promise.resolve() };
  logs.set(partnershipId, kept);
  kept.reading = kept.reading.catch(() => {}).then(async () => {
    for (let more = true; more;) {
      const page = (await query(PAGE, { partnershipId, after: kept.cursor })).events;
      kept.events.push(...page.edges.map((edge) => edge.node));
      kept.cursor = page.pageInfo.endCursor ?? kept.cursor;
      more = page.pageInfo.hasNextPage;
    }
    return kept;
  });
  return kept.reading;
}

/** Follows a partnership's events after a cursor over the GraphQL subscription (graphql-transport-ws, the token
 * in connection_init); returns the function that stops following. */
export function follow(partnershipId, after, onEvent, onError) {
  sockets ??= createClient({
    url: `${location.origin.replace(/^http/, "ws")}/graphql`,
    connectionParams: () => ({ Authorization: `Bearer ${token}` }),
    retryAttempts: 3,
  });
  return sockets.subscribe(
    { query: `subscription Follow($partnershipId: ID, $after: String) { events(partnershipId: $partnershipId, after: $after) { ${EVENT} } }`,
      variables: { partnershipId, after } },
    { next: ({ data }) => data && onEvent(data.events), complete: () => {},
      error: (error) => onError(error?.reason || error?.message || (Array.isArray(error) && error.map((e) => e.message).join("; ")) || "the connection closed") },
  );
}
