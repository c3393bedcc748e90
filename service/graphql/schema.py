"""The schema: queries, mutations and subscriptions, with the request limits."""

from __future__ import annotations

from contextlib import nullcontext
from functools import lru_cache
from inspect import isasyncgenfunction
from typing import Annotated, Any, AsyncIterator

import strawberry
from graphql import (DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, OperationType,
                     get_operation_ast, parse, validate)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.tools import create_type

from service.commands import Mutation, declared, documented
from service.graphql import errors
from service.graphql.context import Info
from service.graphql.cost import RequestCost
from service.graphql.queries import Query
from service.graphql.resolvers import call_resolvers_directly
from service.graphql.scalars import SCALARS
from service.graphql.subscriptions import SharedResults, Subscription
from service.graphql.types import TYPES

MAX_DEPTH = 10


MAX_TOKENS = 5000
CACHED = 256  # documents parsed and validated, kept by their text
# Built once: the validation cache keys on the rules, so rules made per request would never hit it.
LIMIT_RULES = tuple(rule for limit in (QueryDepthLimiter(max_depth=MAX_DEPTH), MaxAliasesLimiter(max_alias_count=30))
                    for rule in errors.too_costly(limit).validation_rules)


@lru_cache(maxsize=CACHED)
def parsed(query: str) -> DocumentNode:
    return parse(query, max_tokens=MAX_TOKENS)


def operation_refused(query: Any, operation_name: str | None, over_http: bool) -> str | None:
    """Why the operation a request names cannot be run, found before strawberry looks for it (None: it can be, or
    the document does not parse, which strawberry answers as a request error):

    - several named operations and no operationName: strawberry would run the first, where GraphQL asks for the
      name (an anonymous operation among others is invalid, which validation tells);
    - over HTTP, a subscription: the service follows the log for subscribers over WebSocket only (strawberry would
      run it as a query, and fail)."""
    if not isinstance(query, str):
        return None
    try:
        document = parsed(query)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None and len(operations) > 1 and all(operation.name for operation in operations):
        return "Must provide operation name if query contains multiple operations."
    operation = get_operation_ast(document, operation_name)
    if over_http and operation is not None and operation.operation == OperationType.SUBSCRIPTION:
        return "subscriptions are followed over WebSocket (graphql-transport-ws) at this path, not over HTTP"
    return None


@lru_cache(maxsize=CACHED)
def validated(schema: GraphQLSchema, query: str, rules: tuple) -> list[GraphQLError]:
    """Keyed by the document's text, not the document (whose key would hash its whole tree on every request)."""
    return validate(schema, parsed(query), rules)


class Rules(RequestCost, errors.CodedErrors):
    """The service's rules for every request, in one extension with one hook (strawberry spends some 20 µs a
    request on each extension, and builds a context manager for each hook on every request: a second hook, for
    execution, cost a read of one record 2% of its instructions):

    - documents parsed and validated once for the same text (a document that does not parse is left for
      strawberry to parse again, which answers it as a request error);
    - the limits on depth, aliases and tokens, and introspection only where it is on (SEND_RECORDS_INTROSPECTION);
    - what a request may ask for, after validation (RequestCost), and costly queries answered apart;
    - a code on every error, unexpected ones masked (errors.CodedErrors);
    - in the response's extensions, the instant each asAt later than the request was answered as at.
    """

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context
        introspection = getattr(context.context, "introspection", True)
        context.validation_rules = (*context.validation_rules, *LIMIT_RULES,
                                    *(() if introspection else (NoSchemaIntrospectionCustomRule,)))
        context.parse_options["max_tokens"] = MAX_TOKENS
        self.prepare()
        if context.pre_execution_errors == []:  # parsed, valid and within the limits: about to be executed
            await self.answer_apart()  # (a result set here is what strawberry answers, without executing)
        for _ in super().on_operation():  # codes and masking (errors.CodedErrors), once the result is in
            yield

    def prepare(self) -> None:
        """The document parsed and validated (each once for the same text) and the request's cost checked, here,
        before strawberry's own parsing and validation, which then have nothing left to do: hooks of their own
        would cost a context manager each on every request. A document that does not parse is left for strawberry
        to parse again, which answers it as a request error. (Strawberry still checks the operation's type, and
        refuses a wrong one, before it looks at these errors.)"""
        context = self.execution_context
        if not context.query:
            return
        try:
            context.graphql_document = parsed(context.query)
        except GraphQLError:
            return
        context.pre_execution_errors = validated(context.schema._schema, context.query, context.validation_rules)
        errors.tag_invalid(context.pre_execution_errors)
        self.check_cost()

    def get_results(self) -> dict:
        reader = vars(self.execution_context.context).get("reader")  # made only if the request read anything
        return {"answeredAsAt": reader.answered_as_at} if reader is not None and reader.answered_as_at else {}


def field_of(mutation: Mutation) -> Any:
    """The GraphQL mutation field of a declared mutation: it performs the command (service/commands.py) and
    answers with the declared payload."""

    async def resolve(info: Info, input: Any) -> Any:
        context = info.context
        outcome = await context.commands.perform(context.principal, mutation.name, input, context.command_threads)
        context.reader.forget(outcome.written)
        return await mutation.payload.of(info, outcome)

    resolve.__annotations__ = {"info": Info, "return": mutation.payload, "input": Annotated[mutation.input, strawberry.argument(
        description=f"The change to make (see {mutation.input.__name__}).")]}
    resolve.__name__ = mutation.name  # each field's own name in the type
    return strawberry.mutation(resolver=resolve, name=mutation.name, description=documented(mutation))


class Names(NameConverter):
    """strawberry's GraphQL names of Python names, each worked out once: it works out an argument's name again on
    every request that gives the argument (its argument conversion)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, str] = {}

    def apply_naming_config(self, name: str) -> str:
        named = self.names.get(name)
        if named is None:
            named = self.names[name] = super().apply_naming_config(name)
        return named


UNUSED_HOOKS = ("on_parse", "on_validate", "on_execute", "resolve")  # (the runner's parsing, validation, executing)
NOTHING = nullcontext()


class Runner(SchemaExtensionsRunner):
    """strawberry's runner of the schema's extensions, without a context manager for each hook no extension has:
    strawberry builds one for every hook on every request, each looking for the hook on every extension. The schema
    refuses an extension with one of these hooks, or an `on_operation` that is not an async generator."""

    def operation(self) -> Operation:
        return Operation(self.extensions)

    def parsing(self) -> Any:
        return NOTHING

    def validation(self) -> Any:
        return NOTHING

    def executing(self) -> Any:
        return NOTHING


class Operation:
    """The extensions' `on_operation` hooks around an operation, each driven as the async generator it is.
    strawberry wraps each, on every request, in an asynccontextmanager (looking the hook up, and copying its name
    and documentation onto a new function) inside an AsyncExitStack: most of the time a read of one record
    spent in strawberry's operation set-up."""

    __slots__ = ("hooks",)

    def __init__(self, extensions: list[SchemaExtension]):
        self.hooks = [extension.on_operation() for extension in extensions]

    async def __aenter__(self) -> None:
        for hook in self.hooks:
            await anext(hook)

    async def __aexit__(self, kind: Any, error: Any, trace: Any) -> None:
        for hook in reversed(self.hooks):  # (a hook's code after its yield runs only if the operation ended normally)
            await (hook.aclose() if error is not None else anext(hook, None))


class RecordsSchema(strawberry.Schema):
    """The schema with its description (the error codes), which strawberry's printer leaves out of the SDL."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._schema.description = errors.DESCRIPTION  # for introspection
        hooked = [f"{e.__name__}.{hook}" for e in self.extensions for hook in UNUSED_HOOKS
                  if getattr(e, hook) is not getattr(SchemaExtension, hook)]
        hooked += [f"{e.__name__}.on_operation (not an async generator)" for e in self.extensions
                   if not isasyncgenfunction(e.on_operation)]
        if hooked:
            raise TypeError(f"{', '.join(hooked)}: the schema's Runner runs no such hook")

    def create_extensions_runner(self, execution_context: Any, extensions: list) -> SchemaExtensionsRunner:
        return Runner(execution_context, extensions)

    def _get_middleware_manager(self, extensions: list) -> None:
        """No field middleware: no extension has a `resolve` hook (refused above). strawberry would build an
        empty manager for every request."""
        return None

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
    config=StrawberryConfig(scalar_map=SCALARS, name_converter=Names()),
    extensions=[Rules],
    execution_context_class=SharedResults,
)
call_resolvers_directly(schema)
