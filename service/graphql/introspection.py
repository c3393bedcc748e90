"""The switch that turns introspection off (SEND_RECORDS_INTROSPECTION=off): `__schema` and `__type` are then
refused at validation, as graphql-core's NoSchemaIntrospectionCustomRule refuses them."""

from __future__ import annotations

from typing import Iterator

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension


class Introspection(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        if not getattr(self.execution_context.context, "introspection", True):
            self.execution_context.validation_rules = (*self.execution_context.validation_rules,
                                                       NoSchemaIntrospectionCustomRule)
        yield
