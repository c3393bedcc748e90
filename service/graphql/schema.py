"""The schema: queries, mutations and subscriptions, with the request limits."""

from __future__ import annotations

from inspect import isawaitable
from typing import Any

import strawberry
from anyio import to_thread
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension, MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import create_type

from projections.store import StoreUnavailable
from service.commands import Mutation, declared
from service.graphql.context import Info
from service.graphql.cost import LimitedExecution, RequestCost
from service.graphql.introspection import Introspection
from service.graphql.queries import Query
from service.graphql.scalars import SCALARS
from service.graphql.subscriptions import Subscription
from service.graphql.types import TYPES

MAX_DEPTH = 10


def is_unexpected(error: GraphQLError) -> bool:
    """Errors the service raised on purpose, or that GraphQL raised about the request, are told;
    anything else is masked, so no stack trace or internal detail reaches a client."""
    original = error.original_error
    return original is not None and not isinstance(original, (GraphQLError, StoreUnavailable))


# Built once: their validation rules are classes made per instance, and ValidationCache keys on the rules, so an
# instance per request would never hit the cache. They keep no state of a request (MaskErrors does).
LIMITS = [QueryDepthLimiter(max_depth=MAX_DEPTH), MaxTokensLimiter(max_token_count=5000), MaxAliasesLimiter(max_alias_count=30)]


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

    resolve.__annotations__ = {"info": Info, "input": mutation.input, "return": mutation.payload}
    resolve.__name__ = mutation.name  # each field's own name in the type
    return strawberry.mutation(resolver=resolve, name=mutation.name, description=mutation.description)


schema = strawberry.Schema(
    query=Query,
    mutation=create_type("Mutation", [field_of(m) for m in declared().values()]),
    subscription=Subscription,
    types=list(TYPES.values()),
    config=StrawberryConfig(scalar_map=SCALARS),
    extensions=[
        *[lambda limit=limit: limit for limit in LIMITS],
        Introspection,
        lambda: MaskErrors(should_mask_error=is_unexpected),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        RequestCost,  # (after ValidationCache: it follows its validation)
        AnsweredAsAt,
    ],
    execution_context_class=SharedResults,
)
