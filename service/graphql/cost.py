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
  character is. (GraphQL's own string literals cannot: the parser refuses them.) And they nest at most
  MAX_NESTING levels deep.

Refusals are GraphQL errors with `extensions.code` QUERY_TOO_COSTLY (of the variables: BAD_USER_INPUT).
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import Sized
from inspect import isawaitable
from typing import Any, Iterator

from graphql import (
    DocumentNode, ExecutionResult, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError,
    GraphQLObjectType, GraphQLSchema, InlineFragmentNode, IntValueNode, OperationDefinitionNode, OperationType,
    SelectionSetNode, VariableNode,
    get_named_type, get_nullable_type, get_operation_ast, is_leaf_type, is_list_type,
)

from service.graphql.cursors import DEFAULT_PAGE, MAX_PAGE
from service.graphql.execution import PlainFields

QUERY_LIMIT = 100_000
INLINE_LIMIT = 200
MUTATION_LIMIT = 2_000  # a mutation's or subscription's selection (run where the request is served)
MAX_NESTING = 32  # levels of lists and objects within a variable (an input needs a few)
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
                 defaults: dict[str, Any], readable: list[str] | None):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables  # as sent: a variable of the wrong type is refused before anything runs
        self.defaults = defaults  # the operation's defaults of its variables
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
            asked = self.variables.get(asked.name.value, self.defaults.get(asked.name.value))
        first = int(asked.value) if isinstance(asked, IntValueNode) else asked if type(asked) is int else None
        return min(max(first, 0), MAX_PAGE) if isinstance(first, int) else DEFAULT_PAGE


CACHED = 1024  # operations whose cost is kept
COUNTED: dict[tuple, tuple[OperationDefinitionNode, int, Estimate] | None] = {}


def count(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: dict,
          readable: list[str] | None) -> tuple[OperationDefinitionNode, int, Estimate] | None:
    """The operation, its cost and how it was counted; None when there is no such operation (GraphQL says why)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    defaults = {d.variable.name.value: d.default_value for d in operation.variable_definitions or ()}
    estimate = Estimate(schema, fragments, variables, defaults, readable)
    return operation, estimate.objects(operation.selection_set, schema.get_root_type(operation.operation)), estimate


SURROGATE = re.compile("[\ud800-\udfff]")


def unfit(variables: dict) -> str | None:
    """Why the variables cannot be taken, if they cannot: a value nested deeper than MAX_NESTING, or text holding
    a lone surrogate. (Walked without recursion: a hostile value must not exhaust the stack.)"""
    stack = [(f"${name}", value, 1) for name, value in reversed(variables.items())]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, str) and not value.isascii() and SURROGATE.search(value):
            return (f"variable {path} is not Unicode text: it holds a lone surrogate (\\ud800 to \\udfff), "
                    "which is no character")
        if isinstance(value, (dict, list)):
            if depth > MAX_NESTING:
                return f"variable {path} is nested more than {MAX_NESTING} levels deep"
            inner = ((f"{path}.{k}", v) for k, v in value.items()) if isinstance(value, dict) else \
                ((f"{path}[{i}]", v) for i, v in enumerate(value))
            stack.extend((p, v, depth + 1) for p, v in reversed(list(inner)))
    return None


class RequestCost:
    """Refuses, after validation and before execution, what the limits do not allow; runs a costly query apart
    where the request's context offers a way to (`costly`: the served app's; in-process callers run it here).
    A part of the schema's one extension (service/graphql/schema.py), whose `execution_context` it reads."""

    execution_context: Any
    costly: bool = False
    query: bool = False
    cost: int = 0

    def check_cost(self) -> None:
        """Once the request is validated."""
        context = self.execution_context
        if context.pre_execution_errors == []:  # validated, and valid
            refusal = self.refusal()
            if refusal is not None:
                context.pre_execution_errors = [refusal]

    def refusal(self) -> GraphQLError | None:
        context = self.execution_context
        variables = context.variables or {}
        why = unfit(variables)
        if why is not None:
            return GraphQLError(why, extensions={"code": "BAD_USER_INPUT"})
        principal = getattr(context.context, "principal", None)
        readable = principal.readable if principal is not None else None
        # The cost reads the variables only where they are `first` (ints): keyed by the text, those and how many
        # partnerships the caller reads, it is counted once.
        key = (context.query, context.operation_name, tuple(sorted((k, v) for k, v in variables.items() if type(v) is int)),
               None if readable is None else len(readable))
        counted = COUNTED.get(key)
        if counted is None:
            counted = count(context.schema._schema, context.graphql_document, context.operation_name, variables,
                            readable)
            if context.query is not None:
                COUNTED[key] = counted
                if len(COUNTED) > CACHED:
                    del COUNTED[next(iter(COUNTED))]
        if counted is None:
            return None  # GraphQL says why
        operation, cost, estimate = counted
        if estimate.expensive > 1:
            return too_costly("a request may verify the audit trail at most once")
        is_query = operation.operation == OperationType.QUERY
        limit = QUERY_LIMIT if is_query else MUTATION_LIMIT
        if cost > limit:
            return too_costly(
                f"this {operation.operation.value} may return up to {cost:,} objects, more than the {limit:,} one "
                f"{'query' if is_query else operation.operation.value} may ask for: ask for smaller pages (first), or "
                f"fewer nested lists{'' if is_query else ', and read the rest with a query'}")
        self.query, self.cost = is_query, cost
        self.costly = is_query and (cost > INLINE_LIMIT or estimate.expensive > 0)
        return None

    async def answer_apart(self) -> None:
        """A costly query's answer, or any query's of a caller over its share of the serving process, from where
        the context answers them: the query then runs no further here."""
        context = self.execution_context
        costly = getattr(context.context, "costly", None)
        if costly is None or not self.query:
            return
        principal = context.context.principal
        if self.costly or not costly.inline(principal, self.cost):
            context.result = await costly.answer(principal, context.query, context.variables, context.operation_name,
                                                 self.costly)


class LimitedExecution(PlainFields):
    """Execution within the limits: no list longer than its bound, no query longer than its time."""

    def list_bound(self, parent_type: GraphQLObjectType, field_name: str, item_type: Any) -> int | None:
        bound = bound_of(f"{parent_type.name}.{field_name}", item_type.name)
        return bound if isinstance(bound, int) else None

    def complete_list_value(self, return_type: Any, field_details: Any, info: Any, path: Any, result: Any,
                            *rest: Any) -> Any:
        bound = self.list_bound(info.parent_type, info.field_name, get_named_type(return_type))
        if bound is not None and isinstance(result, Sized) and len(result) > bound:
            raise too_costly(f"this {info.parent_type.name} has more than {bound} {info.field_name}, the most one "
                             "answer lists (see the README's Security section)")
        return super().complete_list_value(return_type, field_details, info, path, result, *rest)

    def execute_operation(self, serially: bool | None = None) -> Any:
        result = super().execute_operation(serially)
        if self.operation.operation == OperationType.SUBSCRIPTION:  # (each event's executor shares this one's helpers)
            return result
        if not isawaitable(result):
            self.done()
            return result
        seconds = getattr(self.context_value, "query_seconds", None)
        return self.finishing(result, seconds if self.operation.operation == OperationType.QUERY else None)

    async def finishing(self, result: Any, seconds: float | None) -> Any:
        if seconds is None:
            try:
                return await result
            finally:
                self.done()
        task, deadlines = asyncio.current_task(), Deadlines.of(asyncio.get_running_loop())
        deadlines.watch(task, seconds)
        try:
            return await result
        except asyncio.CancelledError:
            if deadlines.expired(task):
                return ExecutionResult(None, [took_too_long(seconds)])
            raise
        finally:
            deadlines.forget(task)
            self.done()

    def done(self) -> None:
        """graphql-core's executor holds helpers bound to itself (a reference cycle), and through its context the
        whole request: dropped once the operation is answered, so that the request is freed when it ends, by
        reference counting, rather than by the cyclic garbage collector."""
        self.async_helpers = None


class Deadlines:
    """The deadlines of the queries running on one event loop, watched by one timer, set for the earliest, rather
    than one each (asyncio.timeout's timer for each query was 2.6% of the instructions of a read of one record). A
    query past its deadline is cancelled, as asyncio.timeout cancels it, and is told so by `expired`; a query
    cancelled by anything else (its client went) is not."""

    loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Deadlines] = weakref.WeakKeyDictionary()

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.deadlines: dict[asyncio.Task, float] = {}
        self.cancelled: set[asyncio.Task] = set()
        self.timer: asyncio.TimerHandle | None = None

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> Deadlines:
        deadlines = cls.loops.get(loop)
        if deadlines is None:
            deadlines = cls.loops[loop] = cls(loop)
        return deadlines

    def watch(self, task: asyncio.Task, seconds: float) -> None:
        deadline = self.loop.time() + seconds
        self.deadlines[task] = deadline
        if self.timer is None or deadline < self.timer.when():  # (every query of a process has the same time)
            if self.timer is not None:
                self.timer.cancel()
            self.timer = self.loop.call_at(deadline, self.expire)

    def forget(self, task: asyncio.Task) -> None:
        self.deadlines.pop(task, None)
        self.cancelled.discard(task)

    def expired(self, task: asyncio.Task) -> bool:
        """Whether the task's cancellation was its deadline's alone (then it is taken back, as asyncio.timeout
        does, so that the task runs on to answer)."""
        return task in self.cancelled and task.uncancel() == 0

    def expire(self) -> None:
        """Cancels the queries past their deadlines, and sets the timer for the earliest of the others."""
        self.timer, now = None, self.loop.time()
        for task, deadline in list(self.deadlines.items()):
            if deadline <= now:
                del self.deadlines[task]
                self.cancelled.add(task)
                task.cancel()
        if self.deadlines:
            self.timer = self.loop.call_at(min(self.deadlines.values()), self.expire)


def took_too_long(seconds: float) -> GraphQLError:
    return too_costly(f"the query took longer than {seconds:g} seconds and was stopped: ask for less at once")
