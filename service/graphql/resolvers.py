"""Resolvers called directly. strawberry wraps every resolver in layers, run on every call: an async wrapper and
an `await_maybe` around it (two coroutines), the field extensions' chain (built again on each call, even with no
extension), and the conversion of the arguments, which works out each argument's type again (isinstance checks
against abstract classes, annotations resolved) and, for an input object, each of its fields' types. graphql-core
awaits a resolver's coroutine itself. So, once the schema is built, a field whose resolver strawberry would call
with nothing between (no field extensions, no exception handlers: none are declared here) has graphql-core call
its resolver with the same arguments, converted by a plan of its arguments' types worked out once. A field whose
arguments a plan does not cover (a GlobalID, a `Maybe`, an input type with a `from_input` of its own) keeps
strawberry's resolver."""

from __future__ import annotations

from dataclasses import MISSING
from typing import Any, Callable

from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo
from strawberry.relay.types import GlobalID
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import _is_leaf_type
from strawberry.types.base import StrawberryList, StrawberryMaybe, StrawberryOptional, has_object_definition
from strawberry.types.enum import has_enum_definition
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

Convert = Callable[[Any], Any]


def same(value: Any) -> Any:
    return value


class Unconverted(Exception):
    """A type whose conversion strawberry does in a way of its own: its field keeps strawberry's resolver."""


class Conversions:
    """The conversion of a GraphQL input value of a strawberry type to its Python value, as strawberry's
    `convert_argument` does it, worked out once for each type."""

    def __init__(self, scalars: Any, config: Any):
        self.scalars, self.config = scalars, config
        self.known: dict[Any, Convert | None] = {}  # None: left to strawberry

    def of(self, type_: Any) -> Convert:
        """The type's conversion (of a value that may be null or unset, which are kept as they are)."""
        if type_ not in self.known:
            self.known[type_] = None  # while it is planned: an input type that holds itself is left to strawberry
            self.known[type_] = self.planned(type_)
        known = self.known[type_]
        if known is None:
            raise Unconverted
        return known

    def planned(self, type_: Any) -> Convert:
        if isinstance(type_, StrawberryMaybe) or type_ is GlobalID:
            raise Unconverted
        if isinstance(type_, StrawberryOptional):
            return self.of(type_.of_type)
        if isinstance(type_, LazyType):
            return self.of(type_.resolve_type())
        if isinstance(type_, StrawberryList):
            item = self.of(type_.of_type)
            # (a leaf's list is still copied: graphql-core gives every request that omits it the same default)
            return (lambda value: value if value is None or value is UNSET else list(value)) if item is same else \
                (lambda value: value if value is None or value is UNSET else [item(v) for v in value])
        if _is_leaf_type(type_, self.scalars) or has_enum_definition(type_):
            return same
        if has_object_definition(type_):
            return self.input_object(type_)
        raise Unconverted

    def input_object(self, cls: type) -> Convert:
        definition = cls.__strawberry_definition__
        if definition.from_input is not None:
            raise Unconverted
        # Fields without a default are None unless given (graphql-core has checked that required ones are).
        absent = {f.python_name: None for f in definition.fields
                  if definition.is_input and f.default_value is MISSING and f.default_factory is MISSING}
        fields = [(self.config.name_converter.from_field(f), f.python_name,
                   self.of(f.resolve_type(type_definition=definition))) for f in definition.fields]

        def convert(value: Any) -> Any:
            if value is None or value is UNSET:
                return value
            kwargs = dict(absent)
            for name, python_name, field_convert in fields:
                if name in value:
                    kwargs[python_name] = field_convert(value[name])
            return cls(**kwargs)
        return convert


def direct(field: StrawberryField, conversions: Conversions, info_class: type) -> Callable[..., Any] | None:
    """A field's resolver called with its arguments converted, as strawberry would call it; None if strawberry must."""
    resolver = field.base_resolver
    if resolver is None or field.extensions or field.is_subscription:
        return None
    try:
        arguments = [(conversions.config.name_converter.from_argument(a), a.python_name, conversions.of(a.type))
                     for a in field.arguments]
    except Unconverted:
        return None
    function = resolver.wrapped_func
    source_as = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None]
    info_as = resolver.info_parameter.name if resolver.info_parameter is not None else None
    with_self = resolver.self_parameter is not None

    def resolve(source: Any, info: GraphQLResolveInfo, **given: Any) -> Any:
        kwargs = {python_name: convert(given[name]) for name, python_name, convert in arguments if name in given}
        for name in source_as:
            kwargs[name] = source
        if info_as is not None:
            kwargs[info_as] = info_class(_raw_info=info, _field=field)
        return function(source, **kwargs) if with_self else function(**kwargs)
    return resolve


def call_resolvers_directly(schema: Any) -> None:
    """Has graphql-core call each field's resolver directly where strawberry would add nothing to the call."""
    converter = schema.schema_converter
    if converter._exception_handler_specs:  # (none are declared: a handler would need strawberry's wrapper)
        return
    conversions = Conversions(converter.scalar_registry, schema.config)
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for graphql_field in type_.fields.values():
            definition = graphql_field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            resolve = direct(definition, conversions, schema.config.info_class) if isinstance(
                graphql_field, GraphQLField) and isinstance(definition, StrawberryField) else None
            if resolve is not None:
                graphql_field.resolve = resolve
