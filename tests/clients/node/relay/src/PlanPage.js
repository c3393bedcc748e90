// Compiled by relay-compiler (never run): a plan and a page of its actions, paginated through node(id:).
import { graphql } from "relay-runtime";

export const query = graphql`
  query PlanPageQuery($id: ID!, $asOf: Date) {
    plan(id: $id, asOf: $asOf) {
      id
      entityId
      title
      status
      version
      ...PlanPage_actions
    }
  }
`;

export const actions = graphql`
  fragment PlanPage_actions on Plan
  @refetchable(queryName: "PlanPageActionsPaginationQuery")
  @argumentDefinitions(first: { type: "Int", defaultValue: 1 }, after: { type: "String" }) {
    actions(first: $first, after: $after) @connection(key: "PlanPage_actions") {
      totalCount
      edges {
        node {
          id
          entityId
          title
          status
        }
      }
    }
  }
`;
