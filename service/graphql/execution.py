"""Plain fields completed in one step. graphql-core's executor spends on every field of every object a path, a
resolve info, a call of strawberry's default resolver and a walk down the field's type (non-null? list? leaf?).
For a plain field (one strawberry reads as an attribute: no resolver, no arguments, no field extensions) all of
that is known once the operation's fields are collected, and is the same for every object of a list. So the
executor here plans a selection set made only of plain fields once (for later requests of the same document too,
where it has no directives): for each field, the attribute, whether null is allowed, and how its value is
completed (a leaf coerced by its type; an object of a concrete type by its own plan, after graphql-core's
`is_type_of` check; a list item by item, within the list's bound). A page of a connection (edges, their nodes, its
page info) is then completed in one step. graphql-core's collected subfields of an object (what its executor
works out for the object a resolver answers) are kept for later requests in the same way.

Anything a plan cannot answer as graphql-core would (a null where the type is non-null, a value its type cannot
coerce, an object of another type, a list over its bound) is answered by graphql-core's own way, which raises the
error it always raises, at its path. Fields with resolvers, arguments or directives on lists (`@stream`), abstract
types and deferred fragments are always left to graphql-core."""

from __future__ import annotations

from inspect import isawaitable
from typing import Any, Callable, NamedTuple

from graphql import (
    GraphQLEnumType, GraphQLField, GraphQLLeafType, GraphQLObjectType, GraphQLOutputType, Undefined, get_named_type,
    get_nullable_type, is_leaf_type, is_list_type, is_non_null_type, is_object_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

Completion = Callable[[Any], Any]  # a value that is not null to its answer; raises Unplanned if it cannot


class Unplanned(Exception):
    """A value the plan does not answer: graphql-core's own way answers it (with the error it raises there)."""


class Plain(NamedTuple):
    key: str  # the response key (the alias, else the field's name)
    attribute: str | None  # None: the type's name (`__typename`)
    non_null: bool
    complete: Completion


def completed(fields: tuple[Plain, ...], type_name: str, source: Any) -> dict[str, Any]:
    results = {}
    for key, attribute, non_null, complete in fields:
        try:
            value = type_name if attribute is None else getattr(source, attribute, Undefined)
        except Exception as error:  # (a property that fails: graphql-core puts its error on the field)
            raise Unplanned from error
        if value is None:
            if non_null:
                raise Unplanned
        elif value is Undefined:
            raise Unplanned
        else:
            value = complete(value)
        results[key] = value
    return results


PLAIN_VALUES = (str, int, float, bool)


def leaf(coerce: Callable[[Any], Any]) -> Completion:
    def complete(value: Any) -> Any:
        try:
            coerced = coerce(value)
        except Exception as error:
            raise Unplanned from error
        if coerced is None or coerced is Undefined:
            raise Unplanned
        if coerced is value and type(value) not in PLAIN_VALUES and (isinstance(value, Exception) or isawaitable(value)):
            raise Unplanned  # a scalar that answers what it is given (JSON): graphql-core raises or awaits these
        return coerced
    return complete


def coercion(type_: GraphQLLeafType) -> Callable[[Any], Any]:
    """A leaf type's coercion of a value. For an enum of strawberry's (which finds a member's name by comparing it
    with each value in turn), its members' names are looked up; anything else is coerced by the type itself."""
    coerce, wrapped = type_.coerce_output_value, getattr(type_, "wrapped_cls", None)
    if not isinstance(type_, GraphQLEnumType) or wrapped is None:
        return coerce
    names = {member: name for member in wrapped for name, value in type_.values.items() if member.value == value.value}

    def coerced(value: Any) -> Any:
        return names[value] if type(value) is wrapped and value in names else coerce(value)
    return coerced


def object_of(type_: GraphQLObjectType, fields: tuple[Plain, ...]) -> Completion:
    is_type_of, name = type_.is_type_of, type_.name

    def complete(value: Any) -> dict[str, Any]:
        if is_type_of is not None and is_type_of(value, None) is not True:  # (strawberry's reads no info)
            raise Unplanned
        return completed(fields, name, value)
    return complete


def items(item: Completion, non_null: bool, bound: int | None) -> Completion:
    def complete(value: Any) -> list[Any]:
        if type(value) not in (list, tuple) or (bound is not None and len(value) > bound):
            raise Unplanned
        answer = []
        for v in value:
            if v is not None:
                answer.append(item(v))
            elif non_null:
                raise Unplanned
            else:
                answer.append(None)
        return answer
    return complete


def attribute_of(field: GraphQLField | None) -> str | None:
    """The attribute strawberry reads a field from, if it is a plain field; else None."""
    if field is None or field.args or not getattr(field.resolve, "_is_default", False):
        return None
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if definition is None or not definition.is_basic_field or definition.default_resolver is not getattr:
        return None
    return definition.python_name


SHARED = 256  # documents whose plans are kept for later requests (as many as service/graphql/schema.py parses)
# Plans kept from one request to the next, for documents without directives (in which the fields collected for a
# selection set of a type are always the same): by the executor's class and the operation's identity, with the
# operation itself, which keeps its nodes (and so the identities that key its plans) alive as long as they are kept.
shared_plans: dict[tuple[type, int], tuple[Any, dict[tuple, Any]]] = {}


class PlainFields(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plans: dict[int, tuple[Any, tuple[Plain, ...] | None]] = {}
        self.kept = kept_plans(type(self), self.operation)

    def execute_fields(self, parent_type: GraphQLObjectType, source: Any, path: Any, grouped_field_set: Any,
                       position_context: Any) -> Any:
        fields = self.plan(parent_type, grouped_field_set)
        if fields is not None:
            try:
                return completed(fields, parent_type.name, source)
            except Unplanned:
                pass
        return super().execute_fields(parent_type, source, path, grouped_field_set, position_context)

    def collect_subfields(self, return_type: GraphQLObjectType, field_details_list: Any) -> Any:
        """graphql-core's collected subfields of an object, kept for later requests like the plans (where the
        document has no directives), by the type and every node of the field's group."""
        if self.kept is None:
            return super().collect_subfields(return_type, field_details_list)
        key = ("collected", return_type, *(id(details.node) for details in field_details_list))
        collected = self.kept.get(key)
        if collected is None:
            collected = self.kept[key] = super().collect_subfields(return_type, field_details_list)
        return collected

    def list_bound(self, parent_type: GraphQLObjectType, field_name: str, item_type: GraphQLOutputType) -> int | None:
        """The most items a list field may answer (None: no bound of its own)."""
        return None

    def plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> tuple[Plain, ...] | None:
        """A selection set's plain fields, or None if any of its fields is not plain. The executor collects a
        selection set once for all objects of a list, so the plan is kept by the collected set's identity (the set
        is kept with it, so that the identity is not reused while the request runs); and, where the document has
        no directives, for later requests, by the type and the collected fields' nodes."""
        planned = self.plans.get(id(grouped_field_set))
        if planned is not None and planned[0] is grouped_field_set:
            return planned[1]
        if self.middleware_manager and self.middleware_manager.middlewares:  # (resolve hooks wrap every field)
            fields = None
        elif self.kept is None:
            fields = self.planned(parent_type, grouped_field_set)
        else:
            key = (parent_type, *(id(d.node) for details in grouped_field_set.values() for d in details))
            fields = self.kept.get(key, Unplanned)
            if fields is Unplanned:
                fields = self.kept[key] = self.planned(parent_type, grouped_field_set)
        self.plans[id(grouped_field_set)] = (grouped_field_set, fields)
        return fields

    def planned(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> tuple[Plain, ...] | None:
        steps = [self.plain(parent_type, key, details) for key, details in grouped_field_set.items()]
        return None if None in steps else tuple(steps)

    def plain(self, parent_type: GraphQLObjectType, key: str, details: Any) -> Plain | None:
        node = details[0].node
        if node.name.value == "__typename":
            return Plain(key, None, True, str)
        field = parent_type.fields.get(node.name.value)
        attribute = None if node.arguments else attribute_of(field)
        complete = None if attribute is None else self.completion(field.type, parent_type, details)
        return None if complete is None else Plain(key, attribute, is_non_null_type(field.type), complete)

    def completion(self, type_: GraphQLOutputType, parent_type: GraphQLObjectType, details: Any) -> Completion | None:
        type_ = get_nullable_type(type_)
        if is_leaf_type(type_):
            return leaf(coercion(type_))
        if is_list_type(type_):
            node = details[0].node
            item = None if node.directives else self.completion(type_.of_type, parent_type, details)
            return None if item is None else items(
                item, is_non_null_type(type_.of_type), self.list_bound(parent_type, node.name.value, get_named_type(type_)))
        if is_object_type(type_):
            grouped_field_set, deferred, _ = self.collect_subfields(type_, details)
            fields = None if deferred else self.plan(type_, grouped_field_set)
            return None if fields is None else object_of(type_, fields)
        return None


def kept_plans(executor: type, operation: Any) -> dict[tuple, Any] | None:
    """Where an executor's plans of an operation are kept for later requests; None if its document has directives
    (whose variables may include or skip fields, or defer them)."""
    kept = shared_plans.get((executor, id(operation)))
    if kept is not None and kept[0] is operation:
        return kept[1]
    if operation.loc is None or "@" in operation.loc.source.body:
        return None
    plans: dict[tuple, Any] = {}
    shared_plans[executor, id(operation)] = (operation, plans)
    if len(shared_plans) > SHARED:
        del shared_plans[next(iter(shared_plans))]
    return plans
