// urql 6 (@urql/core) with its defaults: queries go as GET requests (within the URL limit), and the document cache.
import { report, requests, url, token, planId, asOf } from "./harness.mjs";

// README: urql
import { Client, cacheExchange, fetchExchange, gql } from "@urql/core";

const client = new Client({
  url,
  exchanges: [cacheExchange, fetchExchange],
  fetchOptions: () => ({ headers: { Authorization: `Bearer ${token}` } }),
});

const PLAN = gql`
  query Plan($id: ID!, $asOf: Date) {
    plan(id: $id, asOf: $asOf) { id entityId title status version }
  }
`;
const now = await client.query(PLAN, { id: planId }).toPromise();
const then = await client.query(PLAN, { id: planId, asOf }).toPromise();
// README end

const refused = await client.query(gql`query Plan($id: ID!) { plan(id: $id) { nope } }`, { id: planId }).toPromise();
report({
  now: now.data?.plan, then: then.data?.plan, errors: [now.error?.message, then.error?.message],
  refused: refused.error?.graphQLErrors.map((e) => ({ message: e.message, code: e.extensions.code })), requests,
});
