"""The schema: queries, mutations and subscriptions, with the request limits."""

from __future__ import annotations

from inspect import isawaitable
from typing import Annotated, Any

import strawberry
from anyio import to_thread
from strawberry.extensions import SchemaExtension, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import create_type

from service.commands import Mutation, declared
from service.graphql import errors
from service.graphql.context import Info
from service.graphql.cost import LimitedExecution, RequestCost
from service.graphql.introspection import Introspection
from service.graphql.queries import Query
from service.graphql.scalars import SCALARS
from service.graphql.subscriptions import OverWebSocket, Subscription
from service.graphql.types import TYPES

MAX_DEPTH = 10


# Built once: their validation rules are classes made per instance, and ValidationCache keys on the rules, so an
# instance per request would never hit the cache. They keep no state of a request (MaskErrors does).
LIMITS = [errors.too_costly(QueryDepthLimiter(max_depth=MAX_DEPTH)), MaxTokensLimiter(max_token_count=5000),
          errors.too_costly(MaxAliasesLimiter(max_alias_count=30))]


class AnsweredAsAt(SchemaExtension):
    """Says, in the response's extensions, the instant each asAt later than the request was answered as at."""

    def get_results(self) -> dict:
        reader = vars(self.execution_context.context).get("reader")  # made only if the request read anything
        return {"answeredAsAt": reader.answered_as_at} if reader is not None and reader.answered_as_at else {}


class SharedResults(LimitedExecution):
    """Runs a subscription's selection on a live event once for all subscribers with the same operation and
    variables, rather than once each: they are handed the same EventRecord, whose fields read nothing of the
    caller, so the result is the same for all. It is kept on the EventRecord while that is being delivered."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        results = getattr(self.root_value, "results", None)
        if results is None:
            return super().execute_operation(serially)
        key = (id(self.operation), repr(sorted(self.variable_values.coerced.items())))
        found = results.get(key)
        if found is not None and found[0] is self.operation:  # (the operation kept, so its id is not reused)
            return found[1]
        result = super().execute_operation(serially)
        if not isawaitable(result):
            results[key] = (self.operation, result)
        return result


def field_of(mutation: Mutation) -> Any:
    """The GraphQL mutation field of a declared mutation: it runs the command in a worker thread and answers with
    the declared payload."""

    async def resolve(info: Info, input: Any) -> Any:
        context = info.context
        outcome = await to_thread.run_sync(context.commands.execute, context.principal, mutation.name, input,
                                           limiter=context.limiter)
        context.reader.forget(outcome.written)
        return await mutation.payload.of(info, outcome)

    resolve.__annotations__ = {"info": Info, "return": mutation.payload, "input": Annotated[mutation.input, strawberry.argument(
        description=f"The change to make (see {mutation.input.__name__}).")]}
    resolve.__name__ = mutation.name  # each field's own name in the type
    return strawberry.mutation(resolver=resolve, name=mutation.name, description=mutation.description)


class RecordsSchema(strawberry.Schema):
    """The schema with its description (the error codes), which strawberry's printer leaves out of the SDL."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._schema.description = errors.DESCRIPTION  # for introspection

    def as_str(self) -> str:
        roots = "\n".join(f"  {kind}: {kind.title()}" for kind in ("query", "mutation", "subscription"))
        return f'"""\n{errors.DESCRIPTION}\n"""\nschema {{\n{roots}\n}}\n\n' + super().as_str()


schema = RecordsSchema(
    query=Query,
    mutation=create_type("Mutation", [field_of(m) for m in declared().values()],
                         description="Changes to the record: each records one event, or is refused in userErrors with "
                                     "nothing recorded (who may make each: docs/roles.md)."),
    subscription=Subscription,
    types=list(TYPES.values()),
    config=StrawberryConfig(scalar_map=SCALARS),
    extensions=[
        *[lambda limit=limit: limit for limit in LIMITS],
        Introspection,
        OverWebSocket,
        errors.ErrorCodes,
        errors.MaskUnexpected,
        lambda: errors.ParsedOnce(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        RequestCost,  # (after ValidationCache: it follows its validation)
        AnsweredAsAt,
    ],
    execution_context_class=SharedResults,
)
