"""The 2023 framework over HTTP, on both stores: finding kinds, derived deadlines through draftPlan, overdue and late
submissions at views either side of the deadline, monitoring inspections, the next inspection, meetings and
improvement notices, judgements where they are made, a priority area's RAG, and the scorecard as committees read it."""

from dataclasses import dataclass

import pytest

from tests.support import Area, new_area, token

PLAN = "plan { id: entityId submissionDue publicationDue submissionDueSource submissionOverdue submittedLate status }"


@dataclass
class Inspected:
    """A partnership with a published AREA_SEND_2023 full inspection that found widespread or systemic failings."""

    area: Area
    inspection: str
    priority_actions: list[str]
    improvement: str


def inspected(server, published_on="2023-11-16", outcome="WIDESPREAD_SYSTEMIC_FAILINGS") -> Inspected:
    area = new_area(server)
    inspection = server.ok("recordInspection", {"partnershipId": area.partnership, "framework": "AREA_SEND_2023",
                                                "kind": "FULL", "startedOn": "2023-10-09", "endedOn": "2023-10-13"},
                           area.inspector, "inspection { id: entityId }")["inspection"]["id"]

    def finding(kind, text, **extra):
        return server.ok("recordFinding", {"inspectionId": inspection, "kind": kind, "text": text,
                                           "effectiveOn": "2023-10-13", **extra}, area.inspector,
                         "finding { id: entityId }")["finding"]["id"]

    priority_actions = [
        finding("PRIORITY_ACTION", "Leaders do not know how long children wait for assessment",
                responsibleAgencyIds=[area.council, area.health]),
        finding("PRIORITY_ACTION", "Children in alternative provision are not tracked",
                responsibleAgencyIds=[area.council], aboutAlternativeProvision=True),
    ]
    improvement = finding("AREA_FOR_IMPROVEMENT", "The local offer is hard to find")
    server.ok("publishInspection", {"inspectionId": inspection, "publishedOn": published_on, "outcome": outcome},
              area.inspector)
    return Inspected(area, inspection, priority_actions, improvement)


def draft(server, i: Inspected, **extra) -> dict:
    return server.ok("draftPlan", {"partnershipId": i.area.partnership, "kind": "PRIORITY_ACTION_PLAN",
                                   "title": "Priority action plan", "respondsTo": i.inspection,
                                   "effectiveOn": "2023-11-20", **extra}, i.area.lead, PLAN)


def test_findings_of_the_2023_framework_name_the_agencies_responsible(server):
    i = inspected(server)
    findings = server.query("""query($id: ID!) { inspection(id: $id) { findings { id: entityId kind aboutAlternativeProvision
                                 responsibleAgencies { id: entityId name } } } }""", i.area.auditor, id=i.inspection)
    found = findings["inspection"]["findings"]
    assert [(f["kind"], [a["id"] for a in f["responsibleAgencies"]], f["aboutAlternativeProvision"]) for f in found] == [
        ("PRIORITY_ACTION", [i.area.council, i.area.health], False), ("PRIORITY_ACTION", [i.area.council], True),
        ("AREA_FOR_IMPROVEMENT", [], False)]
    before = server.query("""query($id: ID!, $asOf: Date) { inspection(id: $id, asOf: $asOf) { findings { id: entityId } } }""",
                          i.area.auditor, id=i.inspection, asOf="2023-10-12")
    assert before["inspection"]["findings"] == []
    other = server.ok("recordInspection", {"partnershipId": i.area.partnership, "framework": "AREA_SEND_2023",
                                           "kind": "FULL", "startedOn": "2024-10-07", "endedOn": "2024-10-11"},
                      i.area.inspector, "inspection { id: entityId }")["inspection"]["id"]
    for extra, field in [({"kind": "SIGNIFICANT_WEAKNESS"}, "kind"), ({"kind": "PRIORITY_ACTION"}, "responsibleAgencyIds"),
                         ({"kind": "STRENGTH", "responsibleAgencyIds": [i.area.council]}, "responsibleAgencyIds"),
                         ({"kind": "PRIORITY_ACTION", "responsibleAgencyIds": [new_area(server).council]},
                          "responsibleAgencyIds")]:
        payload = server.mutate("recordFinding", {"inspectionId": other, "text": "x", **extra}, i.area.inspector)
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", [field])], extra
    # The 2016 framework keeps its own kinds.
    payload = server.mutate("recordFinding", {"inspectionId": i.area.inspection, "kind": "AREA_FOR_IMPROVEMENT",
                                              "text": "x"}, i.area.inspector)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["kind"])]


@pytest.mark.parametrize("published_on, submission_due, publication_due", [
    # Worked by hand in tests/unit/test_deadlines.py: 35 and 70 working days across Christmas and New Year ...
    ("2023-11-16", "2024-01-09", "2024-02-27"),
    # ... and across Easter and the May bank holidays.
    ("2024-03-01", "2024-04-23", "2024-06-13"),
])
def test_a_priority_action_plan_gets_its_deadlines_from_the_reports_publication(server, published_on, submission_due,
                                                                                publication_due):
    i = inspected(server, published_on)
    drafted = draft(server, i, effectiveOn=published_on)
    assert drafted["plan"]["submissionDue"] == submission_due and drafted["plan"]["publicationDue"] == publication_due
    assert drafted["plan"]["submissionDueSource"] == "DERIVED"
    assert drafted["event"]["data"]["submissionDue"] == submission_due
    assert drafted["event"]["data"]["submissionDueDerived"] is True
    given = draft(server, i, effectiveOn=published_on, submissionDue="2024-05-01")
    assert (given["plan"]["submissionDue"], given["plan"]["publicationDue"], given["plan"]["submissionDueSource"]) == (
        "2024-05-01", publication_due, "GIVEN")
    assert given["event"]["data"]["submissionDueDerived"] is False


def test_a_wsoa_gets_70_working_days_across_a_christmas_at_a_weekend_and_other_plans_none(server):
    area = new_area(server)
    server.ok("publishInspection", {"inspectionId": area.inspection, "publishedOn": "2021-10-15",
                                    "outcome": "WRITTEN_STATEMENT_REQUIRED"}, area.inspector)
    wsoa = server.ok("draftPlan", {"partnershipId": area.partnership, "kind": "WRITTEN_STATEMENT_OF_ACTION",
                                   "title": "WSoA", "respondsTo": area.inspection}, area.lead, PLAN)["plan"]
    assert (wsoa["submissionDue"], wsoa["publicationDue"], wsoa["submissionDueSource"]) == ("2022-01-26", None, "DERIVED")
    improvement = server.ok("draftPlan", {"partnershipId": area.partnership, "kind": "IMPROVEMENT_PLAN",
                                          "title": "Improvement plan", "respondsTo": area.inspection}, area.lead, PLAN)
    assert (improvement["plan"]["submissionDue"], improvement["plan"]["submissionDueSource"]) == (None, None)
    # The plan drafted before the report was published (by new_area) has none derived.
    before = server.query("query($id: ID!) { " + PLAN.replace("plan {", "plan(id: $id) {") + " }", area.auditor, id=area.plan)
    assert before["plan"]["submissionDue"] is None and before["plan"]["submissionOverdue"] is False


def plan_at(server, i, plan, **view):
    return server.query("query($id: ID!, $asAt: DateTime, $asOf: Date) { " +
                        PLAN.replace("plan {", "plan(id: $id, asAt: $asAt, asOf: $asOf) {") + " }",
                        i.area.auditor, id=plan, **view)["plan"]


def test_a_submission_is_overdue_after_its_deadline_and_late_if_it_comes_after(server):
    i = inspected(server)
    plan = draft(server, i)["plan"]["id"]  # due Tue 9 Jan 2024
    area = server.ok("addPriorityArea", {"planId": plan, "title": "Knowing how long children wait",
                                         "addresses": i.priority_actions[:1], "effectiveOn": "2023-12-01"},
                     i.area.lead)["event"]["recordedAt"]
    refused = server.mutate("submitPlan", {"planId": plan, "on": "2024-01-08"}, i.area.lead)
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("INVALID", ["planId"])]
    assert i.priority_actions[1] in refused["userErrors"][0]["message"]
    assert "Children in alternative provision are not tracked" in refused["userErrors"][0]["message"]
    assert i.priority_actions[0] not in refused["userErrors"][0]["message"]
    server.ok("addPriorityArea", {"planId": plan, "title": "Alternative provision",
                                  "addresses": i.priority_actions[1:] + [i.improvement], "effectiveOn": "2023-12-01"},
              i.area.lead)
    submitted = server.ok("submitPlan", {"planId": plan, "on": "2024-01-12"}, i.area.lead, PLAN)
    assert submitted["plan"]["submittedLate"] is True and submitted["plan"]["submissionOverdue"] is False

    def at(**view):
        found = plan_at(server, i, plan, **view)
        return found["submissionOverdue"], found["submittedLate"]

    assert at(asOf="2024-01-09") == (False, None)  # the deadline itself
    assert at(asOf="2024-01-10") == (True, None)
    assert at(asOf="2024-01-11") == (True, None)
    assert at(asOf="2024-01-12") == (False, True)
    assert at(asAt=area) == (True, None)  # as the record stood before the submission: today is long after the deadline
    assert at(asAt=area, asOf="2024-01-05") == (False, None)
    assert at() == (False, True)
    # Returned and submitted again, its first submission still counts.
    server.ok("returnPlan", {"planId": plan, "on": "2024-02-01", "reason": "More on health"}, i.area.inspector)
    assert at(asOf="2024-02-02") == (True, True)
    on_time = draft(server, i)["plan"]["id"]
    server.ok("addPriorityArea", {"planId": on_time, "title": "All of it", "addresses": i.priority_actions,
                                  "effectiveOn": "2023-12-01"}, i.area.lead)
    assert server.ok("submitPlan", {"planId": on_time, "on": "2024-01-09"}, i.area.lead, PLAN)["plan"]["submittedLate"] is False
    approved = server.ok("approvePlan", {"planId": on_time, "on": "2024-02-20"}, i.area.inspector, PLAN)
    assert approved["plan"]["status"] == "APPROVED"
    refused = server.mutate("approvePlan", {"planId": plan, "on": "2024-02-20"}, i.area.monitor)
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]


NEXT = """query($id: ID!, $asAt: DateTime, $asOf: Date) { partnership(id: $id, asAt: $asAt, asOf: $asOf) {
            nextInspection { kind earliest latest overdue follows { id: entityId } } } }"""


def test_a_monitoring_inspection_judges_each_area_for_priority_action_and_has_no_outcome(server):
    i = inspected(server)
    area = i.area

    def expected(**view):
        return server.query(NEXT, area.auditor, id=area.partnership, **view)["partnership"]["nextInspection"]

    waiting = {"kind": "MONITORING", "earliest": "2025-02-16", "latest": "2025-08-16", "follows": {"id": i.inspection}}
    assert expected(asOf="2025-08-16") == {**waiting, "overdue": False}
    assert expected(asOf="2025-08-17") == {**waiting, "overdue": True}
    assert expected(asOf="2023-11-15") is None  # the report was not yet published

    for input, field in [({"revisitOf": None}, "revisitOf"), ({"revisitOf": area.inspection}, "framework"),
                         ({"startedOn": "2023-11-01", "endedOn": "2023-11-03"}, "startedOn")]:
        payload = server.mutate("recordInspection", {"partnershipId": area.partnership, "framework": "AREA_SEND_2023",
                                                     "kind": "MONITORING", "startedOn": "2025-05-12",
                                                     "endedOn": "2025-05-14", "revisitOf": i.inspection, **input},
                                area.inspector)
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", [field])], input
    recorded = server.ok("recordInspection", {"partnershipId": area.partnership, "framework": "AREA_SEND_2023",
                                              "kind": "MONITORING", "startedOn": "2025-05-12", "endedOn": "2025-05-14",
                                              "revisitOf": i.inspection}, area.inspector,
                         "inspection { id: entityId kind revisitOf { id: entityId } }")
    monitoring = recorded["inspection"]["id"]
    assert recorded["inspection"]["revisitOf"] == {"id": i.inspection}
    recorded_at = recorded["event"]["recordedAt"]
    # Under way by the end of the window: not overdue; as the record stood before it was recorded, overdue.
    assert expected(asOf="2025-08-17") == {**waiting, "overdue": False}
    assert expected(asAt=recorded_at, asOf="2025-05-11")["overdue"] is False
    judgement = "judgement { id: entityId subjectId outcome inspection { id: entityId } }"
    for finding, outcome in zip(i.priority_actions, ["SUFFICIENT_PROGRESS", "INSUFFICIENT_PROGRESS"]):
        server.ok("recordJudgement", {"subjectId": finding, "body": "OFSTED_CQC", "outcome": outcome,
                                      "madeOn": "2025-06-20", "inspectionId": monitoring,
                                      "rationale": "Monitoring inspection report"}, area.inspector, judgement)
    for input, who, field in [({"subjectId": i.improvement}, area.inspector, "subjectId"),
                              ({"subjectId": area.plan}, area.inspector, "subjectId"),
                              ({"body": "DFE"}, area.monitor, "body")]:
        payload = server.mutate("recordJudgement", {"subjectId": i.priority_actions[0], "body": "OFSTED_CQC",
                                                    "outcome": "SUFFICIENT_PROGRESS", "madeOn": "2025-06-20",
                                                    "inspectionId": monitoring, "rationale": "x", **input}, who)
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", [field])], input
    payload = server.mutate("publishInspection", {"inspectionId": monitoring, "publishedOn": "2025-06-20",
                                                  "outcome": "POSITIVE_EXPERIENCES"}, area.inspector)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["outcome"])]
    published = server.ok("publishInspection", {"inspectionId": monitoring, "publishedOn": "2025-06-20"}, area.inspector,
                          "inspection { publishedOn outcome judgements { subjectId outcome } }")["inspection"]
    assert published["publishedOn"] == "2025-06-20" and published["outcome"] is None
    assert sorted(j["subjectId"] for j in published["judgements"]) == sorted(i.priority_actions)
    findings = server.query("query($id: ID!) { inspection(id: $id) { findings { judgements { outcome inspection { id: entityId } } } } }",
                            area.auditor, id=i.inspection)["inspection"]["findings"]
    assert [f["judgements"] for f in findings] == [
        [{"outcome": "SUFFICIENT_PROGRESS", "inspection": {"id": monitoring}}],
        [{"outcome": "INSUFFICIENT_PROGRESS", "inspection": {"id": monitoring}}], []]

    # Once the monitoring inspection is published, a full inspection within 3 years of the report.
    full = {"kind": "FULL", "earliest": "2023-11-16", "latest": "2026-11-16", "overdue": False, "follows": {"id": i.inspection}}
    assert expected(asOf="2025-06-20") == full
    assert expected(asOf="2025-06-19") == {**waiting, "overdue": False}
    assert expected(asOf="2026-11-17") == {**full, "overdue": True}


def test_a_full_inspection_needs_an_outcome_and_a_partnership_without_one_expects_nothing(server):
    area = new_area(server)
    payload = server.mutate("publishInspection", {"inspectionId": area.inspection, "publishedOn": "2018-01-30"},
                            area.inspector)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["outcome"])]
    assert server.query(NEXT, area.auditor, id=area.partnership)["partnership"]["nextInspection"] is None
    server.ok("publishInspection", {"inspectionId": area.inspection, "publishedOn": "2018-01-30",
                                    "outcome": "WRITTEN_STATEMENT_REQUIRED"}, area.inspector)
    # 2016: a revisit, whose clock starts when the WSoA is approved.
    assert server.query(NEXT, area.auditor, id=area.partnership)["partnership"]["nextInspection"] == {
        "kind": "REVISIT", "earliest": None, "latest": None, "overdue": False, "follows": {"id": area.inspection}}
    server.ok("submitPlan", {"planId": area.plan, "on": "2018-05-10"}, area.lead)
    server.ok("approvePlan", {"planId": area.plan, "on": "2018-06-15"}, area.inspector)
    assert server.query(NEXT, area.auditor, id=area.partnership, asOf="2020-03-16")["partnership"]["nextInspection"] == {
        "kind": "REVISIT", "earliest": "2019-09-15", "latest": "2020-03-15", "overdue": True,
        "follows": {"id": area.inspection}}
    assert server.query(NEXT, area.auditor, id=area.partnership, asOf="2018-06-14")["partnership"]["nextInspection"][
        "earliest"] is None


MEETINGS = """query($id: ID!, $asOf: Date, $kind: MeetingKind) { partnership(id: $id, asOf: $asOf) {
                meetings(kind: $kind) { id: entityId kind heldOn summary decisions otherAttendees version
                  attendingAgencies { id: entityId } actions { id: entityId } plans { id: entityId } partnership { id: entityId } }
                improvementNotices { id: entityId issuedOn summary liftedOn liftReason inForce } } }"""


def test_meetings_and_improvement_notices(server):
    area = new_area(server)
    action = server.ok("addAction", {"planId": area.plan, "title": "Recruit therapists", "ownerAgencyId": area.health,
                                     "dueOn": "2025-03-31", "effectiveOn": "2024-01-15"}, area.lead,
                       "action { id: entityId }")["action"]["id"]
    stocktake = server.ok("recordMeeting", {
        "partnershipId": area.partnership, "kind": "STOCKTAKE", "heldOn": "2024-06-12",
        "summary": "Six-monthly stocktake: assessment waiting times remain too long",
        "attendingAgencyIds": [area.council, area.health], "otherAttendees": ["DfE SEND adviser", "NHS England"],
        "decisions": ["Waiting times reported monthly to the improvement board"], "actionIds": [action],
        "planIds": [area.plan]}, area.monitor, "meeting { id: entityId kind heldOn actions { id: entityId } plans { id: entityId } }")
    assert stocktake["event"]["type"] == "MeetingRecorded" and stocktake["event"]["effectiveOn"] == "2024-06-12"
    board = server.ok("recordMeeting", {"partnershipId": area.partnership, "kind": "IMPROVEMENT_BOARD",
                                        "heldOn": "2024-02-07", "summary": "Board reviewed the plan"}, area.lead,
                      "meeting { id: entityId }")["meeting"]["id"]
    engagement = server.ok("recordMeeting", {"partnershipId": area.partnership, "kind": "ENGAGEMENT_MEETING",
                                             "heldOn": "2024-09-18", "summary": "Annual engagement meeting"},
                           area.inspector, "meeting { id: entityId }")["meeting"]["id"]
    other = new_area(server)
    for input, field in [({"planIds": [other.plan]}, "planIds"), ({"attendingAgencyIds": [other.council]}, "attendingAgencyIds"),
                         ({"actionIds": [action], "heldOn": "2024-01-10"}, "actionIds"), ({"summary": " "}, "summary")]:
        payload = server.mutate("recordMeeting", {"partnershipId": area.partnership, "kind": "REVIEW_MEETING",
                                                  "heldOn": "2024-06-12", "summary": "Review", **input}, area.monitor)
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", [field])], input

    def read(**variables):
        return server.query(MEETINGS, area.auditor, id=area.partnership, **variables)["partnership"]

    meetings = read()["meetings"]
    assert [m["id"] for m in meetings] == [board, stocktake["meeting"]["id"], engagement]  # in the order held
    assert meetings[1] == {
        "id": stocktake["meeting"]["id"], "kind": "STOCKTAKE", "heldOn": "2024-06-12",
        "summary": "Six-monthly stocktake: assessment waiting times remain too long",
        "decisions": ["Waiting times reported monthly to the improvement board"],
        "otherAttendees": ["DfE SEND adviser", "NHS England"], "version": 1,
        "attendingAgencies": [{"id": area.council}, {"id": area.health}], "actions": [{"id": action}],
        "plans": [{"id": area.plan}], "partnership": {"id": area.partnership}}
    assert [m["id"] for m in read(kind="ENGAGEMENT_MEETING")["meetings"]] == [engagement]
    assert [m["id"] for m in read(asOf="2024-06-11")["meetings"]] == [board]
    node = server.query("query($id: ID!) { node(id: $id) { ... on Meeting { kind } } }", area.auditor, id=board)
    assert node["node"] == {"kind": "IMPROVEMENT_BOARD"}

    notice = server.ok("issueImprovementNotice", {"partnershipId": area.partnership, "issuedOn": "2024-03-01",
                                                  "summary": "Improve the timeliness and quality of EHC plans"},
                       area.monitor, "improvementNotice { id: entityId inForce }")
    assert notice["improvementNotice"]["inForce"] is True and notice["event"]["type"] == "ImprovementNoticeIssued"
    notice_id = notice["improvementNotice"]["id"]
    payload = server.mutate("liftImprovementNotice", {"improvementNoticeId": notice_id, "liftedOn": "2024-02-01",
                                                      "reason": "x"}, area.monitor)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["liftedOn"])]
    lifted = server.ok("liftImprovementNotice", {"improvementNoticeId": notice_id, "liftedOn": "2025-03-03",
                                                 "reason": "Timeliness above the national average for two terms"},
                       area.monitor, "improvementNotice { inForce liftedOn }")
    assert lifted["improvementNotice"] == {"inForce": False, "liftedOn": "2025-03-03"}
    assert lifted["event"]["reason"] == "Timeliness above the national average for two terms"
    payload = server.mutate("liftImprovementNotice", {"improvementNoticeId": notice_id, "liftedOn": "2025-04-01",
                                                      "reason": "Again"}, area.monitor)
    assert [e["code"] for e in payload["userErrors"]] == ["INVALID_TRANSITION"]
    assert read(asOf="2025-03-02")["improvementNotices"] == [{
        "id": notice_id, "issuedOn": "2024-03-01", "summary": "Improve the timeliness and quality of EHC plans",
        "liftedOn": None, "liftReason": None, "inForce": True}]
    assert read(asOf="2025-03-03")["improvementNotices"][0]["inForce"] is False
    assert read(asOf="2024-02-29")["improvementNotices"] == []
    # Another partnership's lead sees none of it.
    hidden = server.query(MEETINGS, token("PARTNERSHIP_LEAD", other.partnership), id=area.partnership)
    assert hidden["partnership"] is None


def test_judgements_where_they_are_made_and_a_priority_areas_rag(server):
    area = new_area(server)
    read = """query($id: ID!, $asOf: Date) { plan(id: $id, asOf: $asOf) { judgements { rag madeOn }
                priorityAreas { rag judgements { rag } actions { id: entityId originalDueOn dueOn rescheduleCount
                judgements { rag } } } } }"""

    def plan(asOf=None):
        return server.query(read, area.auditor, id=area.plan, asOf=asOf)["plan"]

    assert plan()["priorityAreas"][0]["rag"] is None  # its one action is not yet rated
    server.ok("reportActionProgress", {"actionId": area.action, "note": "On track", "rag": "GREEN"}, area.lead)
    assert plan()["priorityAreas"][0]["rag"] == "GREEN"
    late = server.ok("addAction", {"planId": area.plan, "priorityAreaId": area.priority_area, "title": "Audit EHC plans",
                                   "ownerAgencyId": area.council, "dueOn": "2024-03-31", "effectiveOn": "2024-01-10"},
                     area.lead, "action { id: entityId }")["action"]["id"]
    server.ok("reportActionProgress", {"actionId": late, "note": "Started", "rag": "AMBER", "effectiveOn": "2024-02-01"},
              area.lead)
    assert plan("2024-03-31")["priorityAreas"][0]["rag"] == "AMBER"
    assert plan("2024-04-01")["priorityAreas"][0]["rag"] == "RED"  # overdue by then
    for due, when in [("2024-06-30", "2024-03-20"), ("2024-09-30", "2024-06-20")]:
        server.ok("rescheduleAction", {"actionId": late, "dueOn": due, "reason": "Auditors not yet appointed",
                                       "effectiveOn": when}, area.lead)
    assert plan("2024-04-01")["priorityAreas"][0]["rag"] == "AMBER"
    actions = {a["id"]: a for a in plan("2024-04-01")["priorityAreas"][0]["actions"]}
    assert (actions[late]["originalDueOn"], actions[late]["dueOn"], actions[late]["rescheduleCount"]) == (
        "2024-03-31", "2024-06-30", 1)
    assert plan()["priorityAreas"][0]["actions"][1]["rescheduleCount"] == 2

    for subject, body, rag, made, who in [(area.plan, "DFE", "AMBER", "2024-05-01", area.monitor),
                                          (area.plan, "NHS_ENGLAND", "RED", "2024-02-01", area.monitor),
                                          (area.priority_area, "IMPROVEMENT_BOARD", "GREEN", "2024-05-01", area.lead),
                                          (late, "IMPROVEMENT_BOARD", "AMBER", "2024-05-01", area.lead)]:
        server.ok("recordJudgement", {"subjectId": subject, "body": body, "rag": rag, "madeOn": made,
                                      "rationale": "Stocktake"}, who)
    now = plan()
    assert now["judgements"] == [{"rag": "RED", "madeOn": "2024-02-01"}, {"rag": "AMBER", "madeOn": "2024-05-01"}]
    assert now["priorityAreas"][0]["judgements"] == [{"rag": "GREEN"}]
    assert [a["judgements"] for a in now["priorityAreas"][0]["actions"]] == [[], [{"rag": "AMBER"}]]
    assert plan("2024-04-30")["judgements"] == [{"rag": "RED", "madeOn": "2024-02-01"}]


def test_a_scorecard_with_a_baseline_milestones_benchmarks_and_directions(server):
    area = new_area(server)
    metric = server.ok("defineMetric", {"partnershipId": area.partnership, "name": "EHC plans issued within 20 weeks",
                                        "unit": "PERCENT", "polarity": "HIGHER_IS_BETTER", "target": 60,
                                        "baseline": 12, "baselinePeriod": "2022-23", "amberTolerance": 0.05,
                                        "effectiveOn": "2023-09-01"}, area.lead,
                       "metric { id: entityId baseline baselinePeriod amberTolerance }")["metric"]
    assert (metric["baseline"], metric["baselinePeriod"], metric["amberTolerance"]) == (12, "2022-23", 0.05)
    default = server.ok("defineMetric", {"partnershipId": area.partnership, "name": "Exclusions", "unit": "RATE",
                                         "polarity": "LOWER_IS_BETTER"}, area.lead, "metric { amberTolerance }")
    assert default["metric"]["amberTolerance"] == 0.10
    payload = server.mutate("defineMetric", {"partnershipId": area.partnership, "name": "x", "unit": "RATE",
                                             "polarity": "LOWER_IS_BETTER", "amberTolerance": 1.5}, area.lead)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["amberTolerance"])]
    for period, end, value, england, neighbours in [("Autumn term 2023", "2023-12-22", 12.0, 49.2, 45.0),
                                                    ("Spring term 2024", "2024-03-28", 28.5, None, 46.1),
                                                    ("Summer term 2024", "2024-07-23", 28.5, 50.3, None)]:
        server.ok("recordMeasurement", {"metricId": metric["id"], "period": period, "periodEnd": end, "value": value,
                                        "englandAverage": england, "statisticalNeighbours": neighbours}, area.lead)
    milestone = server.ok("setMetricMilestone", {"metricId": metric["id"], "period": "Summer term 2024",
                                                 "periodEnd": "2024-07-23", "target": 35, "effectiveOn": "2024-01-15"},
                          area.lead)
    assert milestone["event"]["type"] == "MilestoneSet" and milestone["event"]["effectiveOn"] == "2024-01-15"
    server.ok("setMetricMilestone", {"metricId": metric["id"], "period": "Summer term 2024", "periodEnd": "2024-07-23",
                                     "target": 30, "effectiveOn": "2024-02-01"}, area.lead)  # replaces it
    server.ok("setMetricMilestone", {"metricId": metric["id"], "period": "Spring term 2024", "periodEnd": "2024-03-28",
                                     "target": 25, "effectiveOn": "2024-02-01"}, area.lead)
    read = """query($id: ID!, $asOf: Date) { metric(id: $id, asOf: $asOf) { milestones { period periodEnd target }
                measurements { period target rag direction englandAverage statisticalNeighbours } } }"""
    now = server.query(read, area.auditor, id=metric["id"])["metric"]
    assert now["milestones"] == [{"period": "Spring term 2024", "periodEnd": "2024-03-28", "target": 25},
                                 {"period": "Summer term 2024", "periodEnd": "2024-07-23", "target": 30}]
    assert now["measurements"] == [
        # The first milestone due on or after the end of autumn: spring's.
        {"period": "Autumn term 2023", "target": 25, "rag": "RED", "direction": None, "englandAverage": 49.2,
         "statisticalNeighbours": 45},
        {"period": "Spring term 2024", "target": 25, "rag": "GREEN", "direction": "IMPROVING", "englandAverage": None,
         "statisticalNeighbours": 46.1},
        # 28.5 against 30, within 5%.
        {"period": "Summer term 2024", "target": 30, "rag": "AMBER", "direction": "STEADY", "englandAverage": 50.3,
         "statisticalNeighbours": None}]
    # Before any milestone was set, every measurement recorded by then was judged against the metric's target.
    then = server.query(read, area.auditor, id=metric["id"], asOf="2024-01-14")["metric"]
    assert then["milestones"] == [] and [(m["target"], m["rag"]) for m in then["measurements"]] == [(60, "RED")]
    between = server.query(read, area.auditor, id=metric["id"], asOf="2024-01-20")["metric"]
    assert [m["target"] for m in between["measurements"]] == [35]
