"""The auditor's story: what the record showed at each recorded instant, and what it said was true on dates between."""

from datetime import datetime, timedelta

from tests.support import new_area

ACTION = """query($id: ID!, $asAt: DateTime, $asOf: Date) { action(id: $id, asAt: $asAt, asOf: $asOf) {
              status dueOn completedOn version overdue } }"""


def before(instant: str) -> str:
    return (datetime.fromisoformat(instant) - timedelta(microseconds=1)).isoformat()


def test_an_action_started_completed_late_and_rescheduled(server):
    area = new_area(server)
    added = server.ok("addAction", {"planId": area.plan, "title": "Relaunch the local offer", "ownerAgencyId": area.council,
                                    "dueOn": "2018-09-30", "effectiveOn": "2018-06-01"}, area.lead, "action { id }")
    action, t0 = added["action"]["id"], added["event"]["recordedAt"]
    t1 = server.ok("startAction", {"actionId": action, "effectiveOn": "2018-06-10"}, area.lead)["event"]["recordedAt"]
    t2 = server.ok("rescheduleAction", {"actionId": action, "dueOn": "2018-12-31", "reason": "Forum asked for a pilot first",
                                        "effectiveOn": "2018-09-15"}, area.lead)["event"]["recordedAt"]
    # Recorded after the rescheduling, but it took effect before it: a backdated completion.
    t3 = server.ok("completeAction", {"actionId": action, "completedOn": "2018-08-20", "evidence": ["Relaunch notice"]},
                   area.lead)["event"]["recordedAt"]

    def at(asAt=None, asOf=None):
        return server.query(ACTION, area.auditor, id=action, asAt=asAt, asOf=asOf)["action"]

    assert at(asAt=before(t0)) is None
    assert at(asAt=t0) == {"status": "NOT_STARTED", "dueOn": "2018-09-30", "completedOn": None, "version": 1, "overdue": True}
    assert at(asAt=t1)["status"] == "IN_PROGRESS" and at(asAt=before(t2))["dueOn"] == "2018-09-30"
    assert at(asAt=t2) == {"status": "IN_PROGRESS", "dueOn": "2018-12-31", "completedOn": None, "version": 3, "overdue": True}
    assert at(asAt=t3) == at() == {"status": "COMPLETED", "dueOn": "2018-12-31", "completedOn": "2018-08-20", "version": 4,
                                   "overdue": False}

    assert at(asOf="2018-05-31") is None
    assert at(asOf="2018-06-05") == {"status": "NOT_STARTED", "dueOn": "2018-09-30", "completedOn": None, "version": 1,
                                     "overdue": False}
    assert at(asOf="2018-07-01")["status"] == "IN_PROGRESS"
    assert at(asOf="2018-08-25") == {"status": "COMPLETED", "dueOn": "2018-09-30", "completedOn": "2018-08-20", "version": 3,
                                     "overdue": False}
    assert at(asOf="2018-09-20") == {"status": "COMPLETED", "dueOn": "2018-12-31", "completedOn": "2018-08-20", "version": 4,
                                     "overdue": False}
    # What the record said on 25 August, as it stood before the completion was recorded.
    assert at(asAt=t2, asOf="2018-08-25") == {"status": "IN_PROGRESS", "dueOn": "2018-09-30", "completedOn": None,
                                              "version": 2, "overdue": False}
    assert at(asAt=t2, asOf="2018-10-05")["overdue"] is False  # rescheduled to December by then
    assert at(asAt=t1, asOf="2018-10-05")["overdue"] is True

    plan = server.query("""query($id: ID!, $asAt: DateTime) { plan(id: $id, asAt: $asAt) { version
                             progress { total notStarted inProgress completed }
                             actions { totalCount edges { node { entityId status plan { version } } } } } }""",
                        area.auditor, id=area.plan, asAt=t1)["plan"]
    assert plan["progress"] == {"total": 2, "notStarted": 1, "inProgress": 1, "completed": 0}
    assert {e["node"]["entityId"]: e["node"]["status"] for e in plan["actions"]["edges"]} == {area.action: "NOT_STARTED",
                                                                                       action: "IN_PROGRESS"}
    assert {e["node"]["plan"]["version"] for e in plan["actions"]["edges"]} == {plan["version"]}


def test_nested_fields_answer_at_the_same_instant(server):
    area = new_area(server)
    published = server.ok("publishInspection", {"inspectionId": area.inspection, "publishedOn": "2018-01-30",
                                                "outcome": "WRITTEN_STATEMENT_REQUIRED"}, area.inspector)["event"]["recordedAt"]
    server.ok("addPriorityArea", {"planId": area.plan, "title": "Later area", "addresses": area.findings[:1]}, area.lead)
    query = """query($p: ID!, $asAt: DateTime) { partnership(id: $p, asAt: $asAt) { version
                 inspections { publishedOn findings { entityId addressedBy { title } } }
                 plans { version priorityAreas { title addresses { entityId } } } } }"""
    then = server.query(query, area.auditor, p=area.partnership, asAt=published)["partnership"]
    assert then["plans"][0]["priorityAreas"] == [{"title": "Timely EHC plans", "addresses": [{"entityId": area.findings[1]}]}]
    assert then["inspections"][0]["publishedOn"] == "2018-01-30"
    assert [f["addressedBy"] for f in then["inspections"][0]["findings"]] == [[], [{"title": "Timely EHC plans"}]]
    now = server.query(query, area.auditor, p=area.partnership)["partnership"]
    assert [a["title"] for a in now["plans"][0]["priorityAreas"]] == ["Timely EHC plans", "Later area"]
    assert server.query(query, area.auditor, p=area.partnership, asAt="2000-01-01T00:00:00Z")["partnership"] is None


def test_a_retried_mutation_answers_as_the_first_did(server):
    area = new_area(server)
    input = {"actionId": area.action, "idempotencyKey": f"start-{area.action}"}
    first = server.ok("startAction", input, area.lead, "action { status version }")
    server.ok("reportActionProgress", {"actionId": area.action, "note": "Later"}, area.lead)
    assert server.ok("startAction", input, area.lead, "action { status version }") == first
