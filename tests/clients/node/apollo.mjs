// Apollo Client 4 with its defaults: InMemoryCache holds a plan as it was on a past date beside the plan now.
import { report, requests, url, token, planId, asOf } from "./harness.mjs";

// README: apollo
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";

const client = new ApolloClient({
  link: new HttpLink({ uri: url, headers: { Authorization: `Bearer ${token}` } }),
  cache: new InMemoryCache(),
});

const PLAN = gql`
  query Plan($id: ID!, $asOf: Date) {
    plan(id: $id, asOf: $asOf) { id entityId title status version }
  }
`;
const now = await client.query({ query: PLAN, variables: { id: planId } });
const then = await client.query({ query: PLAN, variables: { id: planId, asOf } });
// README end

// Read again from the cache alone: the read as of the past date overwrote nothing.
const nowCached = await client.query({ query: PLAN, variables: { id: planId }, fetchPolicy: "cache-only" });
const thenCached = await client.query({ query: PLAN, variables: { id: planId, asOf }, fetchPolicy: "cache-only" });
report({
  now: now.data.plan, then: then.data.plan, nowCached: nowCached.data.plan, thenCached: thenCached.data.plan,
  cacheKeys: Object.keys(client.cache.extract()).filter((key) => key.startsWith("Plan:")), requests,
});
