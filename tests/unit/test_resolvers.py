"""Resolvers called directly (service/graphql/resolvers.py) get the arguments strawberry would give them."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from graphql import GraphQLObjectType
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import StrawberryList, StrawberryOptional, has_object_definition

from service.graphql.resolvers import Conversions
from service.graphql.schema import schema


def fields_with_arguments() -> Iterator[tuple[str, Any]]:
    for type_ in schema._schema.type_map.values():
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__"):
            for name, field in type_.fields.items():
                definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
                if field.args and definition is not None and not definition.is_subscription:
                    yield f"{type_.name}.{name}", field


FIELDS = dict(fields_with_arguments())


def values(type_: Any, full: bool) -> Any:
    """A GraphQL input value of the type as graphql-core gives it to a resolver: every leaf a distinct object (both
    conversions keep leaves as they are), lists of two, and an input object with every field (full) or only those
    without a default."""
    if isinstance(type_, StrawberryOptional):
        return values(type_.of_type, full) if full else None
    if isinstance(type_, StrawberryList):
        return [values(type_.of_type, full), values(type_.of_type, not full)]
    if has_object_definition(type_):
        definition = type_.__strawberry_definition__
        return {schema.config.name_converter.from_field(f): values(f.resolve_type(type_definition=definition), full)
                for f in definition.fields if full or not isinstance(f.resolve_type(type_definition=definition),
                                                                       StrawberryOptional)}
    return object()


def test_every_resolver_but_the_subscriptions_is_called_directly():
    direct = {f"{t.name}.{name}" for t in schema._schema.type_map.values() if isinstance(t, GraphQLObjectType)
              for name, f in t.fields.items() if f.resolve is not None and f.resolve.__qualname__.startswith("direct.")}
    assert {"Query.action", "Query.actions", "Mutation.completeAction", "Plan.priorityAreas"} <= direct
    assert not any(name.startswith("Subscription.") for name in direct)


@pytest.mark.parametrize("name", sorted(FIELDS))
@pytest.mark.parametrize("full", [True, False], ids=["every field given", "only the required"])
def test_arguments_are_converted_as_strawberry_converts_them(name: str, full: bool):
    definition = FIELDS[name].extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    conversions = Conversions(schema.schema_converter.scalar_registry, schema.config)
    given = {schema.config.name_converter.from_argument(a): values(a.type, full) for a in definition.arguments}
    ours = {a.python_name: conversions.of(a.type)(given[schema.config.name_converter.from_argument(a)])
            for a in definition.arguments}
    assert ours == convert_arguments(given, definition.arguments, schema.schema_converter.scalar_registry, schema.config)
    # a list is copied (graphql-core gives every request that omits one the same default: it must not be changed)
    assert not {id(v) for v in lists(given)} & {id(v) for v in lists(ours)}


def lists(value: Any) -> Iterator[list]:
    if isinstance(value, list):
        yield value
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else \
        vars(value).values() if has_object_definition(type(value)) else ()
    for item in items:
        yield from lists(item)
