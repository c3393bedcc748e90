// urql with Graphcache, its normalised cache: a plan as it was on a past date beside the plan now.
import { report, requests, url, token, planId, asOf } from "./harness.mjs";

const warnings = [];
console.warn = (...args) => warnings.push(args.join(" "));

// README: graphcache
import { Client, fetchExchange, gql } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";

const client = new Client({
  url,
  exchanges: [
    cacheExchange({
      // Types without an id are kept inside the entity that holds them.
      keys: { PlanProgress: () => null, PageInfo: () => null, ActionConnection: () => null, ActionEdge: () => null },
    }),
    fetchExchange,
  ],
  fetchOptions: () => ({ headers: { Authorization: `Bearer ${token}` } }),
});

const PLAN = gql`
  query Plan($id: ID!, $asOf: Date) {
    plan(id: $id, asOf: $asOf) {
      id entityId title status version
      progress { total completed }
      actions(first: 10) { totalCount edges { cursor node { id entityId status } } pageInfo { hasNextPage endCursor } }
    }
  }
`;
const now = await client.query(PLAN, { id: planId }).toPromise();
const then = await client.query(PLAN, { id: planId, asOf }).toPromise();
// README end

const cacheOnly = { requestPolicy: "cache-only" };
const nowCached = await client.query(PLAN, { id: planId }, cacheOnly).toPromise();
const thenCached = await client.query(PLAN, { id: planId, asOf }, cacheOnly).toPromise();
report({
  now: now.data?.plan, then: then.data?.plan, nowCached: nowCached.data?.plan, thenCached: thenCached.data?.plan,
  errors: [now.error?.message, then.error?.message], warnings, requests,
});
