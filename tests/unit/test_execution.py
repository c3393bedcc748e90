"""Plain leaves completed in one step (service/graphql/execution.py) answer exactly as graphql-core's own way does,
errors included: each case is executed both ways and the answers compared."""

import asyncio
import enum
from typing import Optional

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from service.graphql import execution
from service.graphql.execution import PlainLeaves


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Thing:
    name: str
    size: Optional[int]
    colour: Colour

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Optional[Thing]]:  # an item with an error is null, the others stand
        return [Thing(name="a", size=1, colour=Colour.RED), Thing(name="b", size=None, colour=Colour.BLUE),
                Thing(name=None, size=3, colour=Colour.RED),  # null where the type is non-null
                Thing(name="d", size="many", colour=Colour.BLUE),  # not an Int
                Thing(name="e", size=5, colour="green")]  # not a Colour


def answer(execution_context_class, query):
    schema = strawberry.Schema(query=Query, execution_context_class=execution_context_class)
    result = asyncio.run(schema.execute(query))
    return result.data, [(error.message, error.path) for error in result.errors or ()]


@pytest.mark.parametrize("query", [
    "{ things { name size colour } }",
    "{ things { __typename n: name size s: size colour } }",
    "{ things { name shout } }",  # a field with a resolver: graphql-core's way for the whole set
    "{ things { shout(times: 2) size } }",
    "{ things { name @skip(if: true) size } }",
    "{ things { ... on Thing { size colour } colour } }",
])
def test_plain_leaves_answer_as_graphql_core_does(query):
    assert answer(PlainLeaves, query) == answer(StrawberryGraphQLCoreExecutionContext, query)


def test_a_value_the_plan_cannot_answer_gets_graphql_cores_error_at_its_path():
    data, errors = answer(PlainLeaves, "{ things { name size colour } }")
    assert [path for _, path in errors] == [["things", 2, "name"], ["things", 3, "size"], ["things", 4, "colour"]]
    assert data["things"][1:3] == [{"name": "b", "size": None, "colour": "BLUE"}, None]


def test_the_plan_is_taken_for_plain_leaves_only(monkeypatch):
    completed = []
    monkeypatch.setattr(execution, "complete", lambda leaves, *rest: completed.append(leaves) or {})
    answer(PlainLeaves, "{ things { name shout } }")
    assert completed == []
    answer(PlainLeaves, "{ things { name size } }")
    assert len(completed) == 5 and [leaf.key for leaf in completed[0]] == ["name", "size"]
