"""Plain leaves completed in one step: graphql-core's executor spends on every field of every object a path, a
resolve info, a call of strawberry's default resolver and a walk down the field's type (non-null? list? leaf?). For
a selection set made only of plain leaves (scalars and enums strawberry reads as attributes: no resolver, no
arguments, no field extensions), all of that is known when the schema is built, and the same for each object of a
list: the executor here plans such a selection set once per request and completes each object with one attribute
read and one coercion per field. Anything the plan cannot answer as graphql-core would (a null where the type is
non-null, a value its type cannot coerce) is answered by graphql-core's own way, which then raises the error it
always raises, at its path."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from graphql import FieldNode, GraphQLObjectType, Undefined, get_nullable_type, is_leaf_type, is_non_null_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter


class Leaf(NamedTuple):
    key: str  # the response key (the alias, else the field's name)
    attribute: str | None  # None: the type's name (`__typename`)
    coerce: Callable[[Any], Any]
    non_null: bool


def leaf_of(parent_type: GraphQLObjectType, key: str, node: FieldNode) -> Leaf | None:
    """The field a node asks for, if it is a plain leaf; else None."""
    if node.name.value == "__typename":
        return Leaf(key, None, str, True)
    field = parent_type.fields.get(node.name.value)
    if (field is None or node.arguments or field.args or not getattr(field.resolve, "_is_default", False)
            or not is_leaf_type(get_nullable_type(field.type))):
        return None
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if definition is None or not definition.is_basic_field or definition.default_resolver is not getattr:
        return None
    return Leaf(key, definition.python_name, get_nullable_type(field.type).coerce_output_value,
                is_non_null_type(field.type))


def planned(parent_type: GraphQLObjectType, grouped_field_set: Any) -> tuple[Leaf, ...] | None:
    leaves = []
    for key, details in grouped_field_set.items():
        leaf = leaf_of(parent_type, key, details[0].node)
        if leaf is None:
            return None
        leaves.append(leaf)
    return tuple(leaves)


class Unplanned(Exception):
    """A value the plan does not answer: graphql-core's own way answers it (with the error it raises there)."""


def complete(leaves: tuple[Leaf, ...], type_name: str, source: Any) -> dict[str, Any]:
    results = {}
    for key, attribute, coerce, non_null in leaves:
        value = type_name if attribute is None else getattr(source, attribute, Undefined)
        if value is None:
            if non_null:
                raise Unplanned
        else:
            try:
                value = coerce(value)
            except Exception as error:
                raise Unplanned from error
            if value is None or value is Undefined:
                raise Unplanned
        results[key] = value
    return results


class PlainLeaves(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plans: dict[int, tuple[Any, tuple[Leaf, ...] | None]] = {}

    def execute_fields(self, parent_type: GraphQLObjectType, source: Any, path: Any, grouped_field_set: Any,
                       position_context: Any) -> Any:
        leaves = self.plan(parent_type, grouped_field_set)
        if leaves is not None:
            try:
                return complete(leaves, parent_type.name, source)
            except Unplanned:
                pass
        return super().execute_fields(parent_type, source, path, grouped_field_set, position_context)

    def plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> tuple[Leaf, ...] | None:
        """The selection set's leaves, or None if any field is not a plain leaf. The executor collects a selection
        set once for all objects of a list, so the plan is kept by the collected set's identity (the set is kept
        with it, so that the identity is not reused while the request runs)."""
        kept = self.plans.get(id(grouped_field_set))
        if kept is not None and kept[0] is grouped_field_set:
            return kept[1]
        wrapped = self.middleware_manager is not None and self.middleware_manager.middlewares  # resolve hooks
        plan = None if wrapped else planned(parent_type, grouped_field_set)
        self.plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan
