"""Plain fields completed in one step (service/graphql/execution.py) answer exactly as graphql-core's own way does,
errors included: each case is executed both ways, by the service's executor (with its list bounds) with and
without its plans, and the answers compared."""

import asyncio
import enum
from types import SimpleNamespace
from typing import Optional

import pytest
import strawberry
from strawberry.scalars import JSON

from service.graphql import cost, execution
from service.graphql.cost import LimitedExecution
from service.graphql.execution import PlainFields


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Part:
    label: str


@strawberry.interface
class Named:  # an interface: strawberry checks an object's type (is_type_of) before its fields
    name: str


@strawberry.type
class Thing(Named):
    size: Optional[int]
    colour: Colour
    tags: list[str]
    part: Optional[Part]
    parts: list[Optional[Part]]
    twin: Optional["Thing"]
    blob: Optional[JSON]  # a scalar that answers what it is given

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


def thing(name="a", size=1, colour=Colour.RED, tags=("x",), part=Part(label="p"), parts=(Part(label="q"),), twin=None,
          blob=None):
    return Thing(name=name, size=size, colour=colour, tags=list(tags), part=part, parts=list(parts), twin=twin,
                 blob={"a": 1} if blob is None else blob)


class Shaky:
    @property
    def label(self):
        raise ValueError("shaky")


class Later:
    """A value to await."""

    def __await__(self):
        return {"a": 2}
        yield


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Optional[Thing]]:  # an item with an error is null, the others stand
        return [thing(), thing(name="b", size=None, part=None, parts=[None]), thing(twin=thing(name="t")),
                thing(name=None),  # null where the type is non-null
                thing(size="many"),  # not an Int
                thing(colour="green"),  # not a Colour
                thing(tags=["x", None]),  # a null item of a list of non-null items
                thing(part=Colour.RED),  # not an object of its type
                thing(twin=SimpleNamespace(name="impostor")),  # not a Thing, though it has its fields
                thing(parts=[Part(label=str(n)) for n in range(3)]),  # over the bound (2, below)
                thing(part=Shaky()),  # an attribute that fails when read
                thing(blob=ValueError("not a value")),  # an error given as the value
                thing(blob=Later())]


def answer(query):
    result = asyncio.run(strawberry.Schema(query=Query, execution_context_class=LimitedExecution).execute(query))
    return result.data, [(error.message, error.path) for error in result.errors or ()]


@pytest.fixture(autouse=True)
def bounded(monkeypatch):
    monkeypatch.setitem(cost.BOUNDS, "Thing.parts", 2)


def both_ways(query, monkeypatch):
    planned = answer(query)
    with monkeypatch.context() as field_by_field:
        field_by_field.setattr(PlainFields, "plan", lambda *_: None)
        assert planned == answer(query)
    return planned


@pytest.mark.parametrize("query", [
    "{ things { name size colour } }",
    "{ things { __typename n: name size s: size colour tags } }",
    "{ things { name part { label __typename } parts { label } twin { name twin { name } } } }",
    "{ things { name shout } }",  # a field with a resolver: graphql-core's way for the whole set
    "{ things { shout(times: 2) size part { label } } }",
    "{ things { name @skip(if: true) size } }",
    "{ things { ... on Thing { size colour } colour } }",
])
def test_plain_fields_answer_as_graphql_core_does(query, monkeypatch):
    both_ways(query, monkeypatch)


def test_a_value_the_plan_cannot_answer_gets_graphql_cores_error_at_its_path(monkeypatch):
    data, errors = both_ways("{ things { name size colour tags part { label } twin { name } parts { label } blob } }",
                             monkeypatch)
    assert [path for _, path in errors] == [
        ["things", 3, "name"], ["things", 4, "size"], ["things", 5, "colour"], ["things", 6, "tags", 1],
        ["things", 7, "part", "label"], ["things", 8, "twin"], ["things", 9, "parts"], ["things", 10, "part", "label"],
        ["things", 11, "blob"]]
    assert "more than 2 parts" in errors[6][0] and errors[7][0] == "shaky" and errors[8][0] == "not a value"
    assert data["things"][12]["blob"] == {"a": 2} and data["things"][0]["blob"] == {"a": 1}
    assert data["things"][1:3] == [
        {"name": "b", "size": None, "colour": "RED", "tags": ["x"], "part": None, "twin": None, "parts": [None],
         "blob": {"a": 1}},
        {"name": "a", "size": 1, "colour": "RED", "tags": ["x"], "part": {"label": "p"}, "twin": {"name": "t"},
         "parts": [{"label": "q"}], "blob": {"a": 1}}]
    # an error on a non-null field nulls its thing; on a nullable one (size, part, twin), the field alone
    assert [t is None for t in data["things"][3:]] == [True, False, True, True, False, False, True, False, False, False]
    assert data["things"][4]["size"] is None and data["things"][7]["part"] is None


def test_the_plan_is_taken_for_plain_fields_only(monkeypatch):
    completed = []
    original = execution.completed
    monkeypatch.setattr(execution, "completed", lambda fields, name, source: completed.append(name) or original(fields, name, source))
    answer("{ things { name shout part { label } } }")
    assert "Thing" not in completed and "Part" in completed  # each thing goes graphql-core's way, its part not
    completed.clear()
    answer("{ things { name part { label } } }")
    assert completed[:2] == ["Thing", "Part"]


def test_a_node_is_built_from_its_state_as_its_init_would_build_it_and_a_field_no_state_fills_is_refused():
    """Node.of sets a node's attributes without calling the dataclass's __init__: the same attributes as
    __init__ sets, and a type with a field that neither its state nor Node.of fills is an error, as __init__'s
    missing argument would be."""
    from domain.vocabulary import AgencyKind
    from projections.shapes import AgencyState
    from projections.temporal import NOW
    from service.graphql.types import Agency, Node

    state = AgencyState(id="a1", partnership_id="p1", name="Lancashire County Council", kind=AgencyKind.LOCAL_AUTHORITY)
    built = Agency.of(state, NOW)
    by_init = Agency(id="a1", name=state.name, kind=state.kind, state=state, view=NOW, id_at_view="a1", entity_id="a1")
    assert vars(built) == vars(by_init) and isinstance(built, Agency)

    @strawberry.type
    class Coloured(Node):
        name: str
        colour: str

    with pytest.raises(TypeError, match="colour"):
        Coloured.of(state, NOW)
