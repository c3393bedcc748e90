"""Hostile mutations through HTTP: every answer is a userError or a GraphQL error, never a 500 or a stack
trace, and a refused call records nothing."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.vocabulary import Role
from tests.support import MUTATION_INPUTS, new_area, token

INTROSPECT = """{ __schema { types { name kind inputFields { name type { kind name ofType { kind name ofType { kind name
  ofType { kind name } } } } } enumValues { name } } } }"""


@pytest.fixture(scope="module")
def world(server):
    mine, theirs = new_area(server), new_area(server)
    types = {t["name"]: t for t in server.query(INTROSPECT, mine.auditor)["__schema"]["types"]}
    tokens = [mine.lead, mine.admin, mine.inspector, mine.monitor, mine.auditor,
              token(Role.PARTNER, mine.partnership, mine.council), theirs.lead]
    return mine, theirs, types, tokens


def base_type(t: dict) -> str:
    while t.get("ofType"):
        t = t["ofType"]
    return t["name"]


HOSTILE = st.one_of(
    st.none(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20), st.just("x" * 200_000),
    st.just("\u0000"), st.just("2019-02-30"), st.just("9999-12-31"), st.just("0001-01-01"), st.just("not-a-date"),
    st.lists(st.text(max_size=5), max_size=3), st.just({"nested": "object"}),
)


def value_for(draw, field_type: dict, types: dict, ids: list[str]):
    name = base_type(field_type)
    plausible = {
        "ID": st.sampled_from(ids),
        "Date": st.dates().map(str),
        "String": st.text(max_size=30),
        "Int": st.integers(-2, 5),
        "Float": st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
    }.get(name)
    if types.get(name, {}).get("kind") == "ENUM":
        plausible = st.sampled_from([v["name"] for v in types[name]["enumValues"]])
    if field_type["kind"] == "LIST" or field_type.get("ofType", {}) and field_type["ofType"].get("kind") == "LIST":
        plausible = st.lists(plausible, max_size=3)
    return draw(st.one_of(plausible, HOSTILE) if plausible is not None else HOSTILE)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_mutations_are_refused_cleanly(server, world, data):
    mine, theirs, types, tokens = world
    name = data.draw(st.sampled_from(sorted(MUTATION_INPUTS)))
    ids = [mine.partnership, mine.plan, mine.action, mine.inspection, mine.priority_area, mine.council, *mine.findings,
           theirs.partnership, theirs.plan, theirs.action, theirs.council, "00000000-0000-0000-0000-000000000000", "nope"]
    fields = types[MUTATION_INPUTS[name]]["inputFields"]
    input = {f["name"]: value_for(data.draw, f["type"], types, ids) for f in fields
             if data.draw(st.booleans()) or f["type"]["kind"] == "NON_NULL"}
    who = data.draw(st.sampled_from(tokens))
    end = server.log_end(mine.auditor)
    response = server.post(f"mutation($input: {MUTATION_INPUTS[name]}!) {{ {name}(input: $input) {{"
                           " userErrors { code message field } event { position } } }", {"input": input}, who)
    text = response.text
    assert response.status_code in (200, 400, 413), text[:300]
    assert "Traceback" not in text and "Unexpected error" not in text, text[:500]
    body = json.loads(text)
    payload = (body.get("data") or {}).get(name)
    recorded = server.recorded_since(end, mine.auditor)
    if payload is None or payload["userErrors"]:
        assert recorded == [], f"a refused {name} recorded {recorded}"
        assert payload is None or payload["event"] is None
    else:
        assert len(recorded) == 1 and payload["event"]["position"] == recorded[0]["cursor"]
