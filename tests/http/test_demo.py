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
    assert len(plans) == 5
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


@pytest.mark.parametrize("section", ["Time travel", "The 2023 framework, and monitoring between inspections"])
def test_the_readme_examples_answer_on_the_demo(demo, section):
    examples = readme_examples(section)
    assert examples
    for example in examples:
        data = demo.query(example, token("AUDITOR"))
        assert all(value for value in data.values()), (example, data)


# The fictional partnership's record, in two queries: in one, it would ask for more than a query may (its lists'
# bounds multiply: service/graphql/cost.py).
NORTHBRIDGE = ["""inspections { id framework kind outcome publishedOn revisitOf { id }
    findings { id kind aboutAlternativeProvision responsibleAgencies { name } addressedBy { title }
      judgements { outcome inspection { kind } } }
    judgements { subjectId outcome } }""",
               """plans { title kind status submissionDue publicationDue submissionDueSource submissionOverdue submittedLate
    submittedOn approvedOn priorityAreas { title rag judgements { body rag } } }
  meetings { kind heldOn attendingAgencies { name } plans { title } }
  stocktakes: meetings(kind: STOCKTAKE) { heldOn decisions otherAttendees actions { title } }
  metrics { name baseline baselinePeriod amberTolerance milestones { period target }
    measurements { period value target rag direction englandAverage statisticalNeighbours } }
  nextInspection { kind earliest latest follows { kind } }"""]


def northbridge(demo, as_of=None):
    auditor = token("AUDITOR")
    (found,) = [p for p in demo.query("{ partnerships { id name } }", auditor)["partnerships"]
                if p["name"] == "Northbridge SEND Partnership (fictional)"]
    parts = [demo.query(f"query($id: ID!, $asOf: Date) {{ partnership(id: $id, asOf: $asOf) {{ id name {part} }} }}",
                        auditor, id=found["id"], asOf=as_of)["partnership"] for part in NORTHBRIDGE]
    return None if parts[0] is None else {key: value for part in parts for key, value in part.items()}


def test_the_2023_framework_story_of_the_fictional_partnership(demo):
    p = northbridge(demo)
    full, monitoring = p["inspections"]
    assert (full["framework"], full["kind"], full["outcome"], full["publishedOn"]) == (
        "AREA_SEND_2023", "FULL", "WIDESPREAD_SYSTEMIC_FAILINGS", "2023-11-16")
    priority = [f for f in full["findings"] if f["kind"] == "PRIORITY_ACTION"]
    assert len(priority) == 3 and all(f["responsibleAgencies"] and f["addressedBy"] for f in priority)
    assert [f["aboutAlternativeProvision"] for f in priority] == [False, False, True]
    assert sum(f["kind"] == "AREA_FOR_IMPROVEMENT" for f in full["findings"]) == 2

    (plan,) = [x for x in p["plans"] if x["kind"] == "PRIORITY_ACTION_PLAN"]
    # 35 and 70 working days from Thursday 16 November 2023, across Christmas and New Year.
    assert (plan["submissionDue"], plan["publicationDue"], plan["submissionDueSource"]) == ("2024-01-09", "2024-02-27",
                                                                                          "DERIVED")
    assert (plan["submittedOn"], plan["submittedLate"], plan["status"]) == ("2024-01-08", False, "APPROVED")
    assert [a["judgements"] for a in plan["priorityAreas"]] == [[{"body": "IMPROVEMENT_BOARD", "rag": "AMBER"}],
                                                               [{"body": "IMPROVEMENT_BOARD", "rag": "AMBER"}],
                                                               [{"body": "IMPROVEMENT_BOARD", "rag": "GREEN"}], []]

    assert {"SCRUTINY_COMMITTEE", "IMPROVEMENT_BOARD", "ENGAGEMENT_MEETING", "STOCKTAKE"} == {m["kind"] for m in p["meetings"]}
    assert [m["heldOn"] for m in p["meetings"]] == sorted(m["heldOn"] for m in p["meetings"])
    (stocktake,) = p["stocktakes"]
    assert "DfE SEND adviser" in stocktake["otherAttendees"] and stocktake["decisions"] and stocktake["actions"]

    # The monitoring inspection, about 18 months after the report, judges each area for priority action.
    assert (monitoring["kind"], monitoring["revisitOf"], monitoring["outcome"]) == ("MONITORING", {"id": full["id"]}, None)
    assert monitoring["publishedOn"][:7] == "2025-06"
    assert sorted(j["subjectId"] for j in monitoring["judgements"]) == sorted(f["id"] for f in priority)
    assert all(f["judgements"][-1]["inspection"]["kind"] == "MONITORING" for f in priority)
    assert p["nextInspection"] == {"kind": "FULL", "earliest": "2023-11-16", "latest": "2026-11-16",
                                   "follows": {"kind": "FULL"}}

    (metric,) = p["metrics"]
    assert (metric["baseline"], metric["baselinePeriod"], metric["amberTolerance"]) == (23, "2022-23", 0.1)
    assert [m["period"] for m in metric["milestones"]] == ["Summer term 2024", "Summer term 2025"]
    summer = {m["period"]: m for m in metric["measurements"]}["Summer term 2024"]
    assert (summer["target"], summer["rag"], summer["direction"]) == (35, "GREEN", "IMPROVING")


def test_the_fictional_partnership_as_of_dates_on_the_way(demo):
    assert northbridge(demo, "2023-03-31") is None
    drafted = northbridge(demo, "2023-12-01")
    (plan,) = drafted["plans"]
    assert (plan["status"], plan["submissionDue"], plan["submissionOverdue"], plan["submittedLate"]) == (
        "DRAFT", "2024-01-09", False, None)
    assert drafted["nextInspection"] == {"kind": "MONITORING", "earliest": "2025-02-16", "latest": "2025-08-16",
                                         "follows": {"kind": "FULL"}}
    assert drafted["meetings"] == [] and drafted["inspections"][0]["findings"][0]["judgements"] == []
    # At the end of the summer term 2024, the improvement board's view of each priority area.
    autumn = northbridge(demo, "2024-09-30")
    assert [a["rag"] for a in autumn["plans"][0]["priorityAreas"]] == ["AMBER", "AMBER", "GREEN", "GREEN"]
    assert [m["kind"] for m in autumn["meetings"]] == ["SCRUTINY_COMMITTEE", "IMPROVEMENT_BOARD", "ENGAGEMENT_MEETING",
                                                       "STOCKTAKE", "IMPROVEMENT_BOARD"]
    before_monitoring = northbridge(demo, "2025-05-11")
    assert len(before_monitoring["inspections"]) == 1
    assert before_monitoring["nextInspection"]["kind"] == "MONITORING"
