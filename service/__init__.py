"""Commands, authorisation, the GraphQL schema, the ASGI app and the CLI."""
