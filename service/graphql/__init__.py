"""The strawberry GraphQL schema: types, queries, mutations and the request context."""
