"""What a request may ask for, decided after it is validated and before anything runs; and the limits it runs within.

The cost of an operation is the number of objects its answer may hold. An object-valued field counts one for
each parent; a list counts as many as it may hold per parent (a connection's page: the `first` asked of it, else
50; any other list: its bound, BOUNDS), so nested lists multiply. Scalars and enums count nothing (lists of them
are bounded where they are written: the limits on input in service/commands.py), and so does introspection
(bounded by the schema). A list's bound holds when it is read too: a list longer than its bound is an error on
that field, never a longer answer than the cost allowed for.

- A query may cost at most QUERY_LIMIT; one costing more than INLINE_LIMIT, or verifying the audit trail, is a
  costly read: it is answered apart from everything else (service/costly.py), so that it cannot hold up anyone
  else's requests. A mutation or subscription always runs in the process that serves the request: it may cost
  at most MUTATION_LIMIT.
- A request verifies the audit trail at most once.
- A query stops after its time (SEND_RECORDS_QUERY_SECONDS); a mutation is never stopped half-way.
- Variables must be Unicode text: JSON can carry a lone surrogate (\\ud800), which no store can keep and no
  character is. (GraphQL's own string literals cannot: the parser refuses them.)

Refusals are GraphQL errors with `extensions.code` QUERY_TOO_COSTLY (the surrogate: BAD_USER_INPUT).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sized
from inspect import isawaitable
from typing import Any, Iterator

from graphql import (
    ExecutionResult, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, GraphQLSchema,
    InlineFragmentNode, IntValueNode, OperationType, SelectionSetNode, VariableNode, get_named_type, get_nullable_type,
    get_operation_ast, is_leaf_type, is_list_type,
)
from graphql.execution.values import get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from service.graphql.cursors import DEFAULT_PAGE, MAX_PAGE

QUERY_LIMIT = 100_000
INLINE_LIMIT = 200
MUTATION_LIMIT = 2_000  # a mutation's or subscription's selection (run where the request is served)
TOO_COSTLY = {"code": "QUERY_TOO_COSTLY"}
PAGE = "page"  # the edges of a connection: as many as the `first` asked of the field that answered it

# The most items each list that is not paginated holds per parent (`Type.field`, or a type's name: any list of
# it): the cost counts it at that, and a longer one is an error when read. A test keeps every list of objects in
# the schema declared here.
BOUNDS: dict[str, int | str] = {
    "UserError": 1,  # a refusal says why in one error
    "Query.partnerships": 200,  # England has 153 local areas; a PARTNERSHIP_LEAD or PARTNER token reads one
    "Partnership.agencies": 30,
    "Partnership.inspections": 20,
    "Partnership.plans": 20,
    "Partnership.metrics": 100,
    "Inspection.findings": 50,
    "Inspection.judgements": 200,
    "Finding.addressedBy": 20,
    "Plan.priorityAreas": 20,
    "PriorityArea.addresses": 50,  # as many as addPriorityArea takes
    "PriorityArea.actions": 100,
    "Metric.measurements": 100,
    "Metric.milestones": 50,
    "Partnership.meetings": 200,  # board, scrutiny, DfE and NHS England meetings: monthly for a plan's years
    "Partnership.improvementNotices": 20,
    "Finding.responsibleAgencies": 30,  # (the partnership's agencies)
    "Meeting.attendingAgencies": 30,
    "Meeting.actions": 100,  # as many as recordMeeting takes
    "Meeting.plans": 100,
    "Plan.judgements": 50,
    "Judgement": 20,  # the judgements of one finding, priority area or action (a plan's 100 actions may each have them)
    "Query.webhooks": 500,  # every partnership's, for an ADMIN
    "WebhookDeliveryConnection.edges": PAGE,
    "ActionConnection.edges": PAGE,
    "EventConnection.edges": PAGE,
}
UNDECLARED = 100  # what a list missing from BOUNDS counts as (the test names it)
EXPENSIVE = {"Query.verifyAuditTrail"}  # re-reads the log: at most one a request, and always a costly read


def bound_of(key: str, item: str) -> int | str | None:
    return BOUNDS.get(key, BOUNDS.get(item))


def too_costly(message: str) -> GraphQLError:
    return GraphQLError(message, extensions=TOO_COSTLY)


class Estimate:
    """The cost of one operation, with its variables, for one caller."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict,
                 readable: list[str] | None):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.readable = readable
        self.expensive = 0

    def objects(self, selections: SelectionSetNode | None, parent: Any, page: int = DEFAULT_PAGE) -> int:
        total = 0
        for node, within in self.fields(selections, parent):
            key = f"{within.name}.{node.name.value}"
            field = getattr(within, "fields", {}).get(node.name.value)
            if field is None:  # __typename, __schema, __type
                continue
            self.expensive += key in EXPENSIVE
            named = get_named_type(field.type)
            if is_leaf_type(named):
                continue
            count = self.bound(key, named.name, page) if is_list_type(get_nullable_type(field.type)) else 1
            total += count * (1 + self.objects(node.selection_set, named, self.page(node, field)))
        return total

    def fields(self, selections: SelectionSetNode | None, parent: Any) -> Iterator[tuple[FieldNode, Any]]:
        """Every field selected, through fragments, with the type it is selected on."""
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                yield from self.fields(selection.selection_set,
                                       self.schema.get_type(condition.name.value) if condition else parent)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                yield from self.fields(fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value))

    def bound(self, key: str, item: str, page: int) -> int:
        if key == "Query.partnerships" and self.readable is not None:
            return len(self.readable)
        bound = bound_of(key, item) or UNDECLARED
        return page if bound == PAGE else bound

    def page(self, node: FieldNode, field: Any) -> int:
        """The page a field with `first` answers: as asked, within what the connection allows."""
        if "first" not in field.args:
            return DEFAULT_PAGE
        asked = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        if isinstance(asked, VariableNode):
            first = self.variables.get(asked.name.value)
        else:
            first = int(asked.value) if isinstance(asked, IntValueNode) else None
        return min(max(first, 0), MAX_PAGE) if isinstance(first, int) else DEFAULT_PAGE


def lone_surrogate(value: Any, path: str) -> str | None:
    """The path of the first text holding a lone surrogate, if any does."""
    if isinstance(value, str):
        return path if any("\ud800" <= c <= "\udfff" for c in value) else None
    if isinstance(value, dict):
        return next((p for k, v in value.items() if (p := lone_surrogate(v, f"{path}.{k}"))), None)
    if isinstance(value, list):
        return next((p for i, v in enumerate(value) if (p := lone_surrogate(v, f"{path}[{i}]"))), None)
    return None


class RequestCost(SchemaExtension):
    """Refuses, after validation and before execution, what the limits do not allow; runs a costly query apart
    where the request's context offers a way to (`costly`: the served app's; in-process callers run it here).
    Listed after ValidationCache, whose validation it follows."""

    costly: bool = False

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors == []:  # validated, and valid
            refusal = self.refusal()
            if refusal is not None:
                context.pre_execution_errors = [refusal]
        yield

    def refusal(self) -> GraphQLError | None:
        context = self.execution_context
        variables = context.variables or {}
        found = lone_surrogate(variables, "$")
        if found is not None:
            return GraphQLError(f"variable {found.replace('$.', '$', 1)} is not Unicode text: it holds a lone "
                                "surrogate (\\ud800 to \\udfff), which is no character", extensions={"code": "BAD_USER_INPUT"})
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name)
        if operation is None:
            return None  # GraphQL says why
        schema = context.schema._schema
        coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            return None  # variables of the wrong types: GraphQL refuses them before anything runs
        principal = getattr(context.context, "principal", None)
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        estimate = Estimate(schema, fragments, coerced.coerced, principal.readable if principal is not None else None)
        cost = estimate.objects(operation.selection_set, schema.get_root_type(operation.operation))
        if estimate.expensive > 1:
            return too_costly("a request may verify the audit trail at most once")
        is_query = operation.operation == OperationType.QUERY
        limit = QUERY_LIMIT if is_query else MUTATION_LIMIT
        if cost > limit:
            return too_costly(
                f"this {operation.operation.value} may return up to {cost:,} objects, more than the {limit:,} one "
                f"{'query' if is_query else operation.operation.value} may ask for: ask for smaller pages (first), or "
                f"fewer nested lists{'' if is_query else ', and read the rest with a query'}")
        self.costly = is_query and (cost > INLINE_LIMIT or estimate.expensive > 0)
        return None

    async def on_execute(self) -> Any:
        context = self.execution_context
        costly = getattr(context.context, "costly", None)
        if self.costly and costly is not None:
            context.result = await costly.answer(context.context.principal, context.query, context.variables,
                                                 context.operation_name)
        yield


class LimitedExecution(StrawberryGraphQLCoreExecutionContext):
    """Execution within the limits: no list longer than its bound, no query longer than its time."""

    def complete_list_value(self, return_type: Any, field_details: Any, info: Any, path: Any, result: Any,
                            *rest: Any) -> Any:
        bound = bound_of(f"{info.parent_type.name}.{info.field_name}", get_named_type(return_type).name)
        if isinstance(bound, int) and isinstance(result, Sized) and len(result) > bound:
            raise too_costly(f"this {info.parent_type.name} has more than {bound} {info.field_name}, the most one "
                             "answer lists (see the README's Security section)")
        return super().complete_list_value(return_type, field_details, info, path, result, *rest)

    def execute_operation(self, serially: bool | None = None) -> Any:
        result = super().execute_operation(serially)
        seconds = getattr(self.context_value, "query_seconds", None)
        if seconds and self.operation.operation == OperationType.QUERY and isawaitable(result):
            return within(result, seconds)
        return result


async def within(result: Any, seconds: float) -> Any:
    try:
        async with asyncio.timeout(seconds):
            return await result
    except TimeoutError:
        return ExecutionResult(None, [took_too_long(seconds)])


def took_too_long(seconds: float) -> GraphQLError:
    return too_costly(f"the query took longer than {seconds:g} seconds and was stopped: ask for less at once")
