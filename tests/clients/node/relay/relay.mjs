// relay-runtime's store with the artifacts relay-compiler made from src/: a plan as it was on a past date beside the
// plan now, and the past plan's actions paginated through node(id:), which answers an id read at a past view there.
import { createRequire } from "node:module";
import { createOperationDescriptor, fetchQuery, getSingularSelector } from "relay-runtime";
import { report, url, token, planId, asOf } from "../harness.mjs";

const require = createRequire(import.meta.url);
const PlanPageQuery = require("./src/__generated__/PlanPageQuery.graphql.js");
const PlanPageActions = require("./src/__generated__/PlanPage_actions.graphql.js");
const PlanPageActionsPaginationQuery = require("./src/__generated__/PlanPageActionsPaginationQuery.graphql.js");

// README: relay
import { Environment, Network, RecordSource, Store } from "relay-runtime";

const environment = new Environment({
  network: Network.create(async (operation, variables) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: operation.text, variables }),
    });
    return response.json();
  }),
  store: new Store(new RecordSource()),
});
// README end

function read(variables) {
  const plan = environment.lookup(createOperationDescriptor(PlanPageQuery, variables).fragment).data.plan;
  const { actions } = environment.lookup(getSingularSelector(PlanPageActions, plan)).data;
  return { id: plan.id, entityId: plan.entityId, status: plan.status, version: plan.version,
           totalCount: actions.totalCount, hasNextPage: actions.pageInfo.hasNextPage, endCursor: actions.pageInfo.endCursor,
           actions: actions.edges.map((edge) => edge.node) };
}

await fetchQuery(environment, PlanPageQuery, { id: planId, asOf: null }).toPromise();
await fetchQuery(environment, PlanPageQuery, { id: planId, asOf }).toPromise();
const firstPage = read({ id: planId, asOf });
// The next page of the past plan's actions: Relay refetches the plan by its id through node(id:).
await fetchQuery(environment, PlanPageActionsPaginationQuery,
                 { id: firstPage.id, first: 1, after: firstPage.endCursor }).toPromise();
report({ now: read({ id: planId, asOf: null }), firstPage, then: read({ id: planId, asOf }),
         records: Object.keys(environment.getStore().getSource().toJSON()).filter((key) => !key.startsWith("client:")) });
