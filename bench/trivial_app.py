"""The framework's ceiling: the service's HTTP + strawberry stack (same extensions, same context, same uvicorn)
answering `action(id)` from memory, with no store and no authentication."""

from datetime import date

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

from service.graphql.context import Context
from service.graphql.schema import schema as service_schema


@strawberry.type
class Action:
    id: strawberry.ID
    title: str
    status: str
    version: int
    due_on: date


@strawberry.type
class Query:
    @strawberry.field
    def action(self, id: strawberry.ID) -> Action:
        return Action(id=id, title="Recruit EHC plan coordinators", status="IN_PROGRESS", version=3,
                      due_on=date(2025, 3, 31))


schema = strawberry.Schema(query=Query, extensions=service_schema.extensions)


class FromMemory(GraphQL):
    async def get_context(self, request, response) -> Context:
        return Context(commands=None, request=request, response=response)


app = Starlette(routes=[Route("/graphql", FromMemory(schema, graphql_ide=None), methods=["POST"])])
