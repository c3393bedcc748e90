"""Each role's allowed and forbidden writes: a forbidden write is FORBIDDEN and records nothing."""

import uuid
from datetime import date

import pytest

from service.commands import declared
from tests.support import new_area, token

ADMIN, LEAD, PARTNER = "ADMIN", "PARTNERSHIP_LEAD", "PARTNER"
INSPECTOR, MONITOR, AUDITOR = "INSPECTOR", "MONITOR", "AUDITOR"
ROLES = [ADMIN, LEAD, PARTNER, INSPECTOR, MONITOR, AUDITOR]


def submitted(server, area, kind="WRITTEN_STATEMENT_OF_ACTION"):
    plan = area.plan
    if kind != "WRITTEN_STATEMENT_OF_ACTION":
        plan = server.ok("draftPlan", {"partnershipId": area.partnership, "kind": kind, "title": "Improvement Plan",
                                       "effectiveOn": "2018-04-02"},
                         area.lead, "plan { id }")["plan"]["id"]
    server.ok("submitPlan", {"planId": plan, "on": "2018-05-10"}, area.lead)
    return plan


def approved(server, area):
    plan = submitted(server, area)
    server.ok("approvePlan", {"planId": plan, "on": "2018-06-12"}, area.inspector)
    return plan


def started(server, area):
    server.ok("startAction", {"actionId": area.action}, area.lead)
    return area.action


def completed(server, area):
    started(server, area)
    server.ok("completeAction", {"actionId": area.action, "completedOn": date.today().isoformat(), "evidence": ["Minutes"]}, area.lead)
    return area.action


def metric(server, area):
    return server.ok("defineMetric", {"partnershipId": area.partnership, "name": "Exclusions", "unit": "RATE",
                                      "polarity": "LOWER_IS_BETTER", "target": 8}, area.lead, "metric { id }")["metric"]["id"]


def priority_action_plan(server, area):
    """A submitted priority action plan (answering no inspection, so that nothing needs addressing first)."""
    plan = server.ok("draftPlan", {"partnershipId": area.partnership, "kind": "PRIORITY_ACTION_PLAN", "title": "PAP",
                                   "effectiveOn": "2023-12-01"},
                     area.lead, "plan { id }")["plan"]["id"]
    server.ok("submitPlan", {"planId": plan, "on": "2024-01-08"}, area.lead)
    return plan


def notice(server, area):
    return server.ok("issueImprovementNotice", {"partnershipId": area.partnership, "issuedOn": "2024-03-01",
                                                "summary": "Improve the timeliness of EHC plans"}, area.monitor,
                     "improvementNotice { id }")["improvementNotice"]["id"]


def meeting(kind):
    return lambda server, area: {"partnershipId": area.partnership, "kind": kind, "heldOn": "2024-02-07",
                                 "summary": "Progress against the plan", "attendingAgencyIds": [area.council],
                                 "planIds": [area.plan]}


HOOK = "http://192.0.2.1/hooks/send"  # a documentation address: the server refuses to call it, at once


def webhook(server, area, active=True):
    webhook_id = server.ok("registerWebhook", {"partnershipId": area.partnership, "url": HOOK}, area.lead,
                           "webhook { id }")["webhook"]["id"]
    if not active:
        server.ok("disableWebhook", {"webhookId": webhook_id, "reason": "Down"}, area.lead)
    return webhook_id


def judgement(body, subject):
    return lambda server, area: {"subjectId": getattr(area, subject), "body": body, "rag": "AMBER", "madeOn": "2019-01-01",
                                 "rationale": "Monitoring visit"}


CASES = {
    "registerPartnership": ({ADMIN}, lambda s, a: {"name": "Dorset SEND Partnership", "localAuthority": "Dorset Council"}),
    "addAgency": ({ADMIN, LEAD}, lambda s, a: {"partnershipId": a.partnership, "name": f"Forum {uuid.uuid4().hex[:6]}",
                                               "kind": "PARENT_CARER_FORUM"}),
    "recordInspection": ({ADMIN, INSPECTOR}, lambda s, a: {"partnershipId": a.partnership, "framework": "AREA_SEND_2023",
                                                           "kind": "FULL", "startedOn": "2024-01-08", "endedOn": "2024-01-19"}),
    "recordFinding": ({ADMIN, INSPECTOR}, lambda s, a: {"inspectionId": a.inspection, "kind": "STRENGTH", "text": "Strong forum"}),
    "publishInspection": ({ADMIN, INSPECTOR}, lambda s, a: {"inspectionId": a.inspection, "publishedOn": "2018-01-30",
                                                            "outcome": "WRITTEN_STATEMENT_REQUIRED"}),
    "draftPlan": ({ADMIN, LEAD}, lambda s, a: {"partnershipId": a.partnership, "kind": "IMPROVEMENT_PLAN", "title": "Plan"}),
    "addPriorityArea": ({ADMIN, LEAD}, lambda s, a: {"planId": a.plan, "title": "Co-production"}),
    "submitPlan": ({ADMIN, LEAD}, lambda s, a: {"planId": a.plan, "on": "2018-05-10"}),
    "approvePlan": ({ADMIN, INSPECTOR}, lambda s, a: {"planId": submitted(s, a), "on": "2018-06-12"}),
    "returnPlan": ({ADMIN, INSPECTOR}, lambda s, a: {"planId": submitted(s, a), "on": "2018-06-12", "reason": "x"}),
    "approvePlan (improvement plan)": ({ADMIN, MONITOR}, lambda s, a: {"planId": submitted(s, a, "IMPROVEMENT_PLAN"), "on": "2019-06-12"}),
    "returnPlan (improvement plan)": ({ADMIN, MONITOR}, lambda s, a: {"planId": submitted(s, a, "IMPROVEMENT_PLAN"), "on": "2019-06-12"}),
    "supersedePlan": ({ADMIN, LEAD}, lambda s, a: {"planId": approved(s, a), "on": "2020-01-31", "supersededBy": s.ok(
        "draftPlan", {"partnershipId": a.partnership, "kind": "IMPROVEMENT_PLAN", "title": "Next", "effectiveOn": "2019-11-01"},
        a.lead, "plan { id }")["plan"]["id"]}),
    "closePlan": ({ADMIN, LEAD}, lambda s, a: {"planId": approved(s, a), "on": "2020-01-31"}),
    "addAction": ({ADMIN, LEAD}, lambda s, a: {"planId": a.plan, "title": "Audit plans", "ownerAgencyId": a.council,
                                               "dueOn": "2030-01-01"}),
    "startAction": ({ADMIN, LEAD, PARTNER}, lambda s, a: {"actionId": a.action}),
    "reportActionProgress": ({ADMIN, LEAD, PARTNER}, lambda s, a: {"actionId": a.action, "note": "On track"}),
    "completeAction": ({ADMIN, LEAD, PARTNER}, lambda s, a: {"actionId": started(s, a), "completedOn": date.today().isoformat(),
                                                             "evidence": ["Report"]}),
    "rescheduleAction": ({ADMIN, LEAD}, lambda s, a: {"actionId": a.action, "dueOn": "2031-01-01", "reason": "Later"}),
    "reassignAction": ({ADMIN, LEAD}, lambda s, a: {"actionId": a.action, "ownerAgencyId": a.health, "reason": "Health"}),
    "reopenAction": ({ADMIN, LEAD}, lambda s, a: {"actionId": completed(s, a), "reason": "Slipped"}),
    "cancelAction": ({ADMIN, LEAD}, lambda s, a: {"actionId": a.action, "reason": "Superseded"}),
    "recordJudgement (OFSTED_CQC)": ({ADMIN, INSPECTOR}, judgement("OFSTED_CQC", "plan")),
    "recordJudgement (DFE)": ({ADMIN, MONITOR}, judgement("DFE", "plan")),
    "recordJudgement (NHS_ENGLAND)": ({ADMIN, MONITOR}, judgement("NHS_ENGLAND", "action")),
    "recordJudgement (IMPROVEMENT_BOARD)": ({ADMIN, LEAD}, judgement("IMPROVEMENT_BOARD", "priority_area")),
    "defineMetric": ({ADMIN, LEAD}, lambda s, a: {"partnershipId": a.partnership, "name": "EHC", "unit": "PERCENT",
                                                  "polarity": "HIGHER_IS_BETTER"}),
    "recordMeasurement": ({ADMIN, LEAD}, lambda s, a: {"metricId": metric(s, a), "period": "Autumn term 2023",
                                                       "periodEnd": "2023-12-22", "value": 7.5}),
    "approvePlan (priority action plan)": ({ADMIN, INSPECTOR}, lambda s, a: {"planId": priority_action_plan(s, a),
                                                                             "on": "2024-02-01"}),
    "returnPlan (priority action plan)": ({ADMIN, INSPECTOR}, lambda s, a: {"planId": priority_action_plan(s, a),
                                                                            "on": "2024-02-01", "reason": "x"}),
    "setMetricMilestone": ({ADMIN, LEAD}, lambda s, a: {"metricId": metric(s, a), "period": "Summer term 2025",
                                                        "periodEnd": "2025-07-22", "target": 7.0}),
    "recordMeeting (ENGAGEMENT_MEETING)": ({ADMIN, INSPECTOR}, meeting("ENGAGEMENT_MEETING")),
    "recordMeeting (STOCKTAKE)": ({ADMIN, MONITOR}, meeting("STOCKTAKE")),
    "recordMeeting (REVIEW_MEETING)": ({ADMIN, MONITOR}, meeting("REVIEW_MEETING")),
    "recordMeeting (IMPROVEMENT_BOARD)": ({ADMIN, LEAD}, meeting("IMPROVEMENT_BOARD")),
    "recordMeeting (SCRUTINY_COMMITTEE)": ({ADMIN, LEAD}, meeting("SCRUTINY_COMMITTEE")),
    "issueImprovementNotice": ({ADMIN, MONITOR}, lambda s, a: {"partnershipId": a.partnership, "issuedOn": "2024-03-01",
                                                               "summary": "Improve the timeliness of EHC plans"}),
    "liftImprovementNotice": ({ADMIN, MONITOR}, lambda s, a: {"improvementNoticeId": notice(s, a), "liftedOn": "2025-03-01",
                                                              "reason": "Sustained improvement"}),
    "registerWebhook": ({ADMIN, LEAD}, lambda s, a: {"partnershipId": a.partnership, "url": HOOK}),
    "rotateWebhookSecret": ({ADMIN, LEAD}, lambda s, a: {"webhookId": webhook(s, a)}),
    "disableWebhook": ({ADMIN, LEAD}, lambda s, a: {"webhookId": webhook(s, a), "reason": "Retired"}),
    "enableWebhook": ({ADMIN, LEAD}, lambda s, a: {"webhookId": webhook(s, a, active=False)}),
    "redeliverWebhook": ({ADMIN, LEAD}, lambda s, a: {"webhookId": webhook(s, a)}),
}


def test_every_declared_mutation_has_a_case():
    assert {case.split(" ")[0] for case in CASES} == set(declared())


def token_for(role, area):
    """A token of this role; scoped roles belong to the area's partnership and (a partner) the action's owner."""
    return token(role, area.partnership if role in (LEAD, PARTNER) else None, area.council if role == PARTNER else None)


@pytest.mark.parametrize("case", list(CASES))
def test_who_may_make_each_change(server, case):
    name = case.split(" ")[0]
    allowed, prepare = CASES[case]
    area = new_area(server)
    input = prepare(server, area)
    refusals = {token_for(role, area): "FORBIDDEN" for role in ROLES if role not in allowed}
    # Another partnership's lead is told nothing of this one's record: what it names is not found, as if unknown
    # (there is nothing to name in registering a partnership).
    refusals[token(LEAD, new_area(server).partnership)] = "FORBIDDEN" if name == "registerPartnership" else "NOT_FOUND"
    if PARTNER in allowed:
        refusals[token(PARTNER, area.partnership, area.health)] = "FORBIDDEN"  # another agency's partner
    end = server.log_end(area.auditor)
    for who, code in refusals.items():
        payload = server.mutate(name, input, who)
        assert [e["code"] for e in payload["userErrors"]] == [code], (case, payload)
    assert server.recorded_since(end, area.auditor) == []
    for role in sorted(allowed):
        fresh = new_area(server)
        payload = server.mutate(name, prepare(server, fresh), token_for(role, fresh))
        assert payload["userErrors"] == [] and payload["event"] is not None, (case, role, payload)


def test_an_auditor_reads_everything_and_writes_nothing(server):
    area = new_area(server)
    auditor = token(AUDITOR)
    read = server.query("query($id: ID!) { plan(id: $id) { id } events(first: 1) { edges { cursor } } }", auditor, id=area.plan)
    assert read["plan"] == {"id": area.plan} and read["events"]["edges"]
