"""Refused changes come back as userErrors with the right code, and record nothing."""

import uuid
from datetime import date
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import dated_action, new_area


@pytest.fixture
def area(server):
    return new_area(server)


def refused(server, area, name, input, who, code, field=None):
    end = server.log_end(area.auditor)
    payload = server.mutate(name, input, who)
    assert [e["code"] for e in payload["userErrors"]] == [code], payload
    assert payload["event"] is None
    if field is not None:
        assert payload["userErrors"][0]["field"] == [field]
    assert server.recorded_since(end, area.auditor) == [], "a refused change recorded something"
    return payload["userErrors"][0]


def test_unknown_ids_are_not_found(server, area):
    refused(server, area, "startAction", {"actionId": str(uuid.uuid4())}, area.lead, "NOT_FOUND", "actionId")
    refused(server, area, "startAction", {"actionId": "not-a-uuid"}, area.lead, "NOT_FOUND", "actionId")
    refused(server, area, "startAction", {"actionId": area.plan}, area.lead, "NOT_FOUND", "actionId")
    refused(server, area, "addAction", {"planId": area.plan, "title": "x", "ownerAgencyId": area.council,
                                        "dueOn": "2030-01-01", "priorityAreaId": str(uuid.uuid4())}, area.lead,
            "INVALID", "priorityAreaId")
    refused(server, area, "recordJudgement", {"subjectId": str(uuid.uuid4()), "body": "DFE", "rag": "RED",
                                              "madeOn": "2020-01-01", "rationale": "x"}, area.monitor, "NOT_FOUND", "subjectId")


def test_rules_of_the_domain_are_invalid(server, area):
    refused(server, area, "completeAction", {"actionId": area.action, "completedOn": "2020-01-01", "evidence": []},
            area.lead, "INVALID_TRANSITION")
    server.ok("startAction", {"actionId": area.action}, area.lead)
    refused(server, area, "completeAction", {"actionId": area.action, "completedOn": date.today().isoformat(), "evidence": ["  "]},
            area.lead, "INVALID", "evidence")
    refused(server, area, "cancelAction", {"actionId": area.action, "reason": " "}, area.lead, "INVALID", "reason")
    refused(server, area, "cancelAction", {"actionId": area.action}, area.lead, "INVALID", "reason")
    refused(server, area, "rescheduleAction", {"actionId": area.action, "dueOn": "2031-01-01", "reason": ""}, area.lead,
            "INVALID", "reason")
    refused(server, area, "reassignAction", {"actionId": area.action, "ownerAgencyId": area.health, "reason": ""},
            area.lead, "INVALID", "reason")
    other = new_area(server)
    refused(server, area, "reassignAction", {"actionId": area.action, "ownerAgencyId": other.council, "reason": "x"},
            area.lead, "INVALID", "ownerAgencyId")
    refused(server, area, "addAction", {"planId": area.plan, "title": "x", "ownerAgencyId": other.council,
                                        "dueOn": "2030-01-01"}, area.lead, "INVALID", "ownerAgencyId")
    refused(server, area, "addPriorityArea", {"planId": area.plan, "title": "x", "addresses": other.findings},
            area.lead, "INVALID", "addresses")
    refused(server, area, "recordInspection", {"partnershipId": area.partnership, "framework": "AREA_SEND_2023",
                                               "kind": "REVISIT", "startedOn": "2024-01-01", "endedOn": "2024-01-05",
                                               "revisitOf": other.inspection}, area.inspector, "INVALID", "revisitOf")
    refused(server, area, "recordInspection", {"partnershipId": area.partnership, "framework": "AREA_SEND_2023",
                                               "kind": "FULL", "startedOn": "2024-01-05", "endedOn": "2024-01-01"},
            area.inspector, "INVALID", "endedOn")
    refused(server, area, "publishInspection", {"inspectionId": area.inspection, "publishedOn": "2018-01-30",
                                                "outcome": "POSITIVE_EXPERIENCES"}, area.inspector, "INVALID", "outcome")


def test_transitions_out_of_order_are_invalid_transitions(server, area):
    refused(server, area, "approvePlan", {"planId": area.plan, "on": "2018-06-01"}, area.inspector, "INVALID_TRANSITION")
    refused(server, area, "closePlan", {"planId": area.plan, "on": "2018-06-01"}, area.lead, "INVALID_TRANSITION")
    refused(server, area, "reopenAction", {"actionId": area.action}, area.lead, "INVALID_TRANSITION")
    server.ok("publishInspection", {"inspectionId": area.inspection, "publishedOn": "2018-01-30",
                                    "outcome": "WRITTEN_STATEMENT_REQUIRED"}, area.inspector)
    refused(server, area, "recordFinding", {"inspectionId": area.inspection, "kind": "STRENGTH", "text": "Late"},
            area.inspector, "INVALID_TRANSITION")
    refused(server, area, "publishInspection", {"inspectionId": area.inspection, "publishedOn": "2018-02-01",
                                                "outcome": "WRITTEN_STATEMENT_REQUIRED"}, area.inspector, "INVALID_TRANSITION")


def test_a_changes_dates_are_days_of_this_record(server, area):
    for name, input, field in [
        ("registerPartnership", {"name": "Year one", "localAuthority": "X", "effectiveOn": "0001-01-01"}, "effectiveOn"),
        ("recordInspection", {"partnershipId": area.partnership, "framework": "AREA_SEND_2023", "kind": "FULL",
                              "startedOn": "2021-03-01", "endedOn": "9999-12-31"}, "endedOn"),
        ("submitPlan", {"planId": area.plan, "on": "0001-01-01"}, "on"),
    ]:
        error = refused(server, area, name, input, area.admin, "INVALID", field)
        assert error["message"] == f"{field} must be a day from 1990-01-01 to 2099-12-31"


def test_a_metric_of_a_priority_area_names_one(server, area):
    input = {"partnershipId": area.partnership, "name": "EHC timeliness", "unit": "PERCENT", "polarity": "HIGHER_IS_BETTER"}
    error = refused(server, area, "defineMetric", {**input, "priorityAreaId": area.inspection}, area.lead, "NOT_FOUND",
                    "priorityAreaId")
    assert error["message"] == f"no priority area has id {area.inspection!r} (it names an inspection)"


def test_no_change_is_dated_before_the_record_it_changes(server, area):
    # (a submission dated before the plan was drafted would make it look submitted on time)
    error = refused(server, area, "submitPlan", {"planId": area.plan, "on": "2018-02-28"}, area.lead, "INVALID", "on")
    assert "before the plan it belongs to did (2018-03-01)" in error["message"]
    action = dated_action(server, area, "2018-06-01")
    refused(server, area, "startAction", {"actionId": action, "effectiveOn": "2018-05-31"}, area.lead, "INVALID",
            "effectiveOn")
    server.ok("startAction", {"actionId": action, "effectiveOn": "2018-07-01"}, area.lead)
    error = refused(server, area, "completeAction", {"actionId": action, "completedOn": "2018-06-30", "evidence": ["Minutes"]},
                    area.lead, "INVALID", "completedOn")
    assert "became IN_PROGRESS on 2018-07-01" in error["message"]
    plan = server.query("query($id: ID!) { plan(id: $id) { status submittedLate } }", area.auditor, id=area.plan)
    assert plan["plan"]["status"] == "DRAFT"


def test_a_stale_expected_version_is_a_conflict(server, area):
    server.ok("startAction", {"actionId": area.action, "expectedVersion": 1}, area.lead)
    error = refused(server, area, "reportActionProgress", {"actionId": area.action, "note": "x", "expectedVersion": 1},
                    area.lead, "CONFLICT", "expectedVersion")
    assert "version 2" in error["message"]
    server.ok("reportActionProgress", {"actionId": area.action, "note": "x", "expectedVersion": 2}, area.lead)


def test_of_concurrent_writers_at_one_version_exactly_one_wins(server, area):
    def report(n):
        return server.mutate("reportActionProgress", {"actionId": area.action, "note": f"writer {n}", "expectedVersion": 1},
                             area.lead)

    with ThreadPoolExecutor(8) as pool:
        payloads = list(pool.map(report, range(8)))
    winners = [p for p in payloads if not p["userErrors"]]
    assert len(winners) == 1 and winners[0]["event"]["version"] == 2
    assert all(p["userErrors"][0]["code"] == "CONFLICT" for p in payloads if p["userErrors"])
    versions = server.query("query($id: ID!) { history(entityId: $id) { edges { node { version } } } }",
                            area.auditor, id=area.action)["history"]["edges"]
    assert [e["node"]["version"] for e in versions] == [1, 2]


def test_a_retried_mutation_returns_the_first_answer_and_records_nothing(server, area):
    input = {"actionId": dated_action(server, area, "2018-06-01"), "effectiveOn": "2018-07-01",
             "idempotencyKey": "start-" + uuid.uuid4().hex}
    first = server.ok("startAction", input, area.lead, "action { id status }")
    end = server.log_end(area.auditor)
    again = server.ok("startAction", input, area.lead, "action { id status }")
    assert again == first
    assert server.recorded_since(end, area.auditor) == []
    refused(server, area, "startAction", {**input, "effectiveOn": "2018-07-02"}, area.lead, "INVALID", "idempotencyKey")
    for blank in ["", "  "]:
        refused(server, area, "reportActionProgress", {"actionId": area.action, "note": "x", "idempotencyKey": blank},
                area.lead, "INVALID", "idempotencyKey")


def test_retries_racing_with_one_key_record_once(server, area):
    input = {"partnershipId": area.partnership, "name": "EHC timeliness", "unit": "PERCENT", "polarity": "HIGHER_IS_BETTER",
             "idempotencyKey": "metric-" + uuid.uuid4().hex}
    with ThreadPoolExecutor(6) as pool:
        payloads = list(pool.map(lambda _: server.ok("defineMetric", input, area.lead, "metric { id }"), range(6)))
    assert len({p["metric"]["id"] for p in payloads}) == 1
    assert len({p["event"]["position"] for p in payloads}) == 1
    metrics = server.query("query($id: ID!) { partnership(id: $id) { metrics { id } } }", area.auditor, id=area.partnership)
    assert len(metrics["partnership"]["metrics"]) == 1


def test_bad_input_types_are_graphql_errors_without_a_record(server, area):
    end = server.log_end(area.auditor)
    response = server.post("mutation { startAction(input: {actionId: 5, expectedVersion: \"one\"}) { userErrors { code } } }",
                           token=area.lead)
    body = response.json()
    assert body.get("data") is None and body["errors"]
    assert "Traceback" not in response.text
    assert server.recorded_since(end, area.auditor) == []


def test_concurrent_changes_without_an_expected_version_are_all_made(server, area):
    with ThreadPoolExecutor(8) as pool:
        payloads = list(pool.map(lambda n: server.mutate("reportActionProgress", {"actionId": area.action, "note": f"n{n}"},
                                                         area.lead), range(8)))
    assert all(p["userErrors"] == [] for p in payloads)
    assert sorted(p["event"]["version"] for p in payloads) == list(range(2, 10))
