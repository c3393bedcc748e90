"""Every mutation of the contract, through a running server, with what it records."""

from domain.vocabulary import Role
from tests.support import dated_action, new_area, token

PLAN = "plan { id status version submittedOn approvedOn returnedOn supersededBy { id } priorityAreas { id title addresses { id } successMeasures } }"
ACTION = ("action { id status version dueOn rag overdue completedOn evidence latestNote leadOfficer"
          " ownerAgency { id name } priorityArea { id } plan { id } }")


def test_registering_a_partnership_and_adding_agencies(server):
    admin = token(Role.ADMIN, subject="admin-1")
    payload = server.ok("registerPartnership", {"name": "Lancashire SEND Partnership", "localAuthority": "Lancashire",
                                                "effectiveOn": "2017-09-01"}, admin,
                        "partnership { id name localAuthority version agencies { id } }")
    partnership = payload["partnership"]
    assert partnership["name"] == "Lancashire SEND Partnership" and partnership["version"] == 1
    event = payload["event"]
    assert event["type"] == "PartnershipRegistered" and event["entityId"] == partnership["id"]
    assert event["effectiveOn"] == "2017-09-01" and event["partnershipId"] == partnership["id"]
    assert event["actor"] == {"subject": "admin-1", "role": "ADMIN", "agencyId": None}

    lead = token(Role.PARTNERSHIP_LEAD, partnership["id"])
    added = server.ok("addAgency", {"partnershipId": partnership["id"], "name": "Lancashire Parent Carer Forum",
                                    "kind": "PARENT_CARER_FORUM", "expectedVersion": 1}, lead,
                      "partnership { version agencies { id name kind } }")
    assert added["event"]["type"] == "AgencyAdded" and added["event"]["version"] == 2
    assert added["partnership"]["agencies"] == [
        {"id": added["event"]["data"]["agencyId"], "name": "Lancashire Parent Carer Forum", "kind": "PARENT_CARER_FORUM"}]


def test_an_inspection_its_findings_publication_and_a_revisit(server):
    area = new_area(server)
    published = server.ok("publishInspection", {"inspectionId": area.inspection, "publishedOn": "2018-01-30",
                                                "outcome": "WRITTEN_STATEMENT_REQUIRED"}, area.inspector,
                          "inspection { publishedOn outcome version findings { id kind text } }")
    assert published["event"]["type"] == "InspectionPublished"
    assert published["event"]["effectiveOn"] == "2018-01-30"
    assert published["inspection"]["outcome"] == "WRITTEN_STATEMENT_REQUIRED"
    assert [f["id"] for f in published["inspection"]["findings"]] == area.findings
    assert published["inspection"]["version"] == 4

    revisit = server.ok("recordInspection", {"partnershipId": area.partnership, "framework": "LOCAL_AREA_SEND_2016",
                                             "kind": "REVISIT", "startedOn": "2019-10-15", "endedOn": "2019-10-17",
                                             "revisitOf": area.inspection}, area.inspector,
                        "inspection { id kind revisitOf { id } startedOn endedOn }")
    assert revisit["inspection"]["revisitOf"] == {"id": area.inspection}
    assert revisit["event"]["type"] == "InspectionRecorded" and revisit["event"]["effectiveOn"] == "2019-10-15"


def test_a_plan_through_its_lifecycle(server):
    area = new_area(server)
    submitted = server.ok("submitPlan", {"planId": area.plan, "on": "2018-05-10", "reason": "Board sign-off"}, area.lead, PLAN)
    assert submitted["plan"]["status"] == "SUBMITTED" and submitted["plan"]["submittedOn"] == "2018-05-10"
    assert submitted["event"]["reason"] == "Board sign-off"
    returned = server.ok("returnPlan", {"planId": area.plan, "on": "2018-05-20", "reason": "Too little on health"},
                         area.inspector, PLAN)
    assert returned["plan"]["status"] == "RETURNED" and returned["event"]["type"] == "PlanReturned"
    server.ok("submitPlan", {"planId": area.plan, "on": "2018-05-30"}, area.lead)
    approved = server.ok("approvePlan", {"planId": area.plan, "on": "2018-06-12"}, area.inspector, PLAN)
    assert approved["plan"]["status"] == "APPROVED" and approved["plan"]["approvedOn"] == "2018-06-12"
    assert approved["event"]["effectiveOn"] == "2018-06-12"

    successor = server.ok("draftPlan", {"partnershipId": area.partnership, "kind": "IMPROVEMENT_PLAN",
                                        "title": "Improvement Plan 2019-2020", "periodStart": "2019-01-01",
                                        "periodEnd": "2020-12-31", "effectiveOn": "2019-01-07"}, area.lead,
                                       "plan { id status }")["plan"]
    assert successor["status"] == "DRAFT"
    superseded = server.ok("supersedePlan", {"planId": area.plan, "supersededBy": successor["id"], "on": "2020-01-31",
                                             "reason": "Replaced by the Improvement Plan"}, area.lead, PLAN)
    assert superseded["plan"]["status"] == "SUPERSEDED"
    assert superseded["plan"]["supersededBy"] == {"id": successor["id"]}

    server.ok("submitPlan", {"planId": successor["id"], "on": "2019-04-01"}, area.lead)
    server.ok("approvePlan", {"planId": successor["id"], "on": "2019-04-10"}, area.monitor)
    closed = server.ok("closePlan", {"planId": successor["id"], "on": "2020-12-31", "reason": "Plan period ended"},
                       area.lead, "plan { status }")
    assert closed["plan"]["status"] == "CLOSED" and closed["event"]["type"] == "PlanClosed"


def test_priority_areas_address_the_findings_of_the_inspection(server):
    area = new_area(server)
    added = server.ok("addPriorityArea", {"planId": area.plan, "title": "The local offer", "addresses": area.findings[:1],
                                          "successMeasures": ["Relaunched with the forum"]}, area.lead,
                      "priorityArea { id title addresses { id text inspection { id } addressedBy { id } } successMeasures }")
    priority_area = added["priorityArea"]
    assert added["event"]["type"] == "PriorityAreaAdded"
    assert priority_area["addresses"][0]["id"] == area.findings[0]
    assert priority_area["addresses"][0]["inspection"] == {"id": area.inspection}
    assert priority_area["addresses"][0]["addressedBy"] == [{"id": priority_area["id"]}]
    assert priority_area["successMeasures"] == ["Relaunched with the forum"]


def test_an_action_through_its_lifecycle(server):
    area = new_area(server)
    action = dated_action(server, area, "2018-06-01")
    partner = token(Role.PARTNER, area.partnership, area.council)
    started = server.ok("startAction", {"actionId": action, "effectiveOn": "2018-06-20"}, partner, ACTION)
    assert started["action"]["status"] == "IN_PROGRESS" and started["event"]["effectiveOn"] == "2018-06-20"
    assert started["event"]["actor"]["agencyId"] == area.council
    progress = server.ok("reportActionProgress", {"actionId": action, "note": "Four of six in post", "rag": "AMBER"},
                         partner, ACTION)
    assert progress["action"]["latestNote"] == "Four of six in post" and progress["action"]["rag"] == "AMBER"
    rescheduled = server.ok("rescheduleAction", {"actionId": action, "dueOn": "2031-03-31",
                                                 "reason": "Recruitment round extended"}, area.lead, ACTION)
    assert rescheduled["action"]["dueOn"] == "2031-03-31" and rescheduled["event"]["reason"] == "Recruitment round extended"
    reassigned = server.ok("reassignAction", {"actionId": action, "ownerAgencyId": area.health,
                                              "leadOfficer": "Designated Clinical Officer", "reason": "Health leads"},
                           area.lead, ACTION)
    assert reassigned["action"]["ownerAgency"]["id"] == area.health
    assert reassigned["action"]["leadOfficer"] == "Designated Clinical Officer"
    health = token(Role.PARTNER, area.partnership, area.health)
    completed = server.ok("completeAction", {"actionId": action, "completedOn": "2018-10-15",
                                             "evidence": ["Six coordinators in post"], "note": "Done"}, health, ACTION)
    assert completed["action"]["status"] == "COMPLETED" and completed["action"]["completedOn"] == "2018-10-15"
    assert completed["action"]["evidence"] == ["Six coordinators in post"]
    assert completed["event"]["type"] == "ActionCompleted" and completed["event"]["effectiveOn"] == "2018-10-15"
    reopened = server.ok("reopenAction", {"actionId": action, "reason": "Two coordinators left"}, area.lead, ACTION)
    assert reopened["action"]["status"] == "IN_PROGRESS" and reopened["action"]["completedOn"] is None
    cancelled = server.ok("cancelAction", {"actionId": action, "reason": "Folded into the new plan"}, area.lead, ACTION)
    assert cancelled["action"]["status"] == "CANCELLED" and cancelled["action"]["version"] == 8
    history = server.query("query($id: ID!) { history(entityId: $id) { edges { node { type version } } } }",
                           area.auditor, id=action)["history"]["edges"]
    assert [e["node"]["type"] for e in history] == [
        "ActionAdded", "ActionStarted", "ActionProgressReported", "ActionRescheduled", "ActionReassigned",
        "ActionCompleted", "ActionReopened", "ActionCancelled"]
    assert [e["node"]["version"] for e in history] == list(range(1, 9))


def test_judgements_by_each_body(server):
    area = new_area(server)
    revisit = server.ok("recordInspection", {"partnershipId": area.partnership, "framework": "LOCAL_AREA_SEND_2016",
                                             "kind": "REVISIT", "startedOn": "2019-10-15", "endedOn": "2019-10-17",
                                             "revisitOf": area.inspection}, area.inspector, "inspection { id }")["inspection"]["id"]
    judged = server.ok("recordJudgement", {"subjectId": area.findings[1], "body": "OFSTED_CQC", "outcome": "SUFFICIENT_PROGRESS",
                                           "madeOn": "2019-12-23", "rationale": "Timeliness has improved",
                                           "inspectionId": revisit}, area.inspector,
                       "judgement { id body subjectId outcome rag madeOn rationale inspection { id } }")
    assert judged["judgement"]["outcome"] == "SUFFICIENT_PROGRESS" and judged["judgement"]["inspection"] == {"id": revisit}
    assert judged["event"]["type"] == "JudgementRecorded" and judged["event"]["effectiveOn"] == "2019-12-23"
    server.ok("recordJudgement", {"subjectId": area.plan, "body": "DFE", "rag": "AMBER", "madeOn": "2018-12-18",
                                  "rationale": "Joint commissioning behind"}, area.monitor)
    server.ok("recordJudgement", {"subjectId": area.action, "body": "IMPROVEMENT_BOARD", "rag": "GREEN",
                                  "madeOn": "2019-01-10", "rationale": "On track"}, area.lead)
    server.ok("recordJudgement", {"subjectId": area.priority_area, "body": "NHS_ENGLAND", "rag": "RED",
                                  "madeOn": "2019-01-10", "rationale": "Health advice late"}, area.monitor)
    finding = server.query("query($id: ID!) { inspection(id: $id) { judgements { id } findings { id latestJudgement { id outcome } } } }",
                           area.auditor, id=revisit)["inspection"]
    assert finding["judgements"] == [{"id": judged["judgement"]["id"]}]
    original = server.query("query($id: ID!) { inspection(id: $id) { findings { id latestJudgement { outcome } } } }",
                            area.auditor, id=area.inspection)["inspection"]["findings"]
    assert original[1]["latestJudgement"] == {"outcome": "SUFFICIENT_PROGRESS"} and original[0]["latestJudgement"] is None


def test_a_scorecard_metric_and_its_termly_measurements(server):
    area = new_area(server)
    metric = server.ok("defineMetric", {"partnershipId": area.partnership, "name": "EHC plans within 20 weeks", "unit": "PERCENT",
                                        "polarity": "HIGHER_IS_BETTER", "target": 60, "priorityAreaId": area.priority_area},
                       area.lead, "metric { id name unit polarity target latest { value } }")
    assert metric["metric"]["target"] == 60 and metric["metric"]["latest"] is None
    metric_id = metric["metric"]["id"]
    for period, end, value in [("Spring term 2020", "2020-04-03", 55.5), ("Autumn term 2019", "2019-12-20", 38.0),
                               ("Summer term 2020", "2020-07-22", 63.2)]:
        recorded = server.ok("recordMeasurement", {"metricId": metric_id, "period": period, "periodEnd": end, "value": value},
                             area.lead)
        assert recorded["event"]["type"] == "MeasurementRecorded" and recorded["event"]["effectiveOn"] == end
    read = server.query("query($id: ID!) { metric(id: $id) { measurements { period value rag recordedAt } latest { period rag } partnership { id } } }",
                        area.auditor, id=metric_id)["metric"]
    assert [(m["period"], m["rag"]) for m in read["measurements"]] == [
        ("Autumn term 2019", "RED"), ("Spring term 2020", "AMBER"), ("Summer term 2020", "GREEN")]
    assert read["latest"] == {"period": "Summer term 2020", "rag": "GREEN"}
    partnership = server.query("query($id: ID!) { partnership(id: $id) { metrics { id } } }", area.auditor, id=area.partnership)
    assert partnership["partnership"]["metrics"] == [{"id": metric_id}]
