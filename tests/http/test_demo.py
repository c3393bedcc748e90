"""The demo, served: its plans exist as of the dates they were drafted, and the README's time-travel examples answer."""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.support import Server, token

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, new_store):
    running = Server(tmp_path_factory.mktemp("demo"), new_store()).start("--demo")
    yield running
    running.stop()


def test_every_demo_plan_exists_as_of_the_day_it_was_drafted_and_not_before(demo):
    auditor = token("AUDITOR")
    plans = [p for partnership in demo.query("{ partnerships { plans { id title } } }", auditor)["partnerships"]
             for p in partnership["plans"]]
    assert len(plans) == 4
    for plan in plans:
        drafted = demo.query("query($id: ID!) { history(entityId: $id, first: 1) { edges { node { type effectiveOn } } } }",
                             auditor, id=plan["id"])["history"]["edges"][0]["node"]
        assert drafted["type"] == "PlanDrafted" and drafted["effectiveOn"] < "2024-01-01", plan
        on = date.fromisoformat(drafted["effectiveOn"])
        asked = "query($id: ID!, $asOf: Date) { plan(id: $id, asOf: $asOf) { title status } }"
        assert demo.query(asked, auditor, id=plan["id"], asOf=on.isoformat())["plan"] == {"title": plan["title"], "status": "DRAFT"}
        assert demo.query(asked, auditor, id=plan["id"], asOf=(on - timedelta(days=1)).isoformat())["plan"] is None


def readme_examples(section: str) -> list[str]:
    text = README.read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```graphql\n(.*?)```", body, re.S)


def test_the_readme_time_travel_examples_answer_on_the_demo(demo):
    examples = readme_examples("Time travel")
    assert examples
    for example in examples:
        data = demo.query(example, token("AUDITOR"))
        assert all(value for value in data.values()), (example, data)
