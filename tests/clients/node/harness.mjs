// What every client script shares: the service it talks to, from the environment the test sets, and one line of
// JSON on standard output for the test to read.
export const url = process.env.SERVICE_URL; // http://127.0.0.1:<port>/graphql
export const token = process.env.TOKEN;
export const planId = process.env.PLAN_ID;
export const asOf = process.env.AS_OF;

export function report(result) {
  process.stdout.write(JSON.stringify(result) + "\n");
}

// Every request a client makes, as the service receives it (method and whether a query string carries it).
export const requests = [];
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init = {}) => {
  const address = new URL(typeof input === "string" ? input : input.url);
  requests.push({ method: init.method || "GET", query: address.searchParams.has("query") });
  return realFetch(input, init);
};
