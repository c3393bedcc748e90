"""The demo story, loaded into a real embedded store, tells what the seed minutes tell."""

import asyncio
from collections import Counter

from domain.vocabulary import Role
from projections import queries as q
from service.authorisation import Principal
from service.bootstrap import bootstrap
from service.demo import load
from service.reader import Reader


def test_the_demo_tells_the_lancashire_bcp_and_northbridge_story_once(store):
    commands = bootstrap().commands
    ids = load(commands)
    reader = Reader(commands.read_model, Principal("auditor", Role.AUDITOR), commands.app.mapper)
    asyncio.run(check_story(commands, reader, ids))


async def check_story(commands, reader, ids):
    await commands.read_model.store.start()

    inspection = await reader.entity(ids["lancashireInspection"], "Inspection")
    assert Counter(f.kind for f in inspection.findings) == {"FUNDAMENTAL_FAILING": 2, "SIGNIFICANT_CONCERN": 12}
    assert (inspection.started_on.isoformat(), inspection.outcome) == ("2017-11-13", "WRITTEN_STATEMENT_REQUIRED")
    judgements = await reader.entities("Judgement", "inspection_id", ids["lancashireRevisit"])
    assert Counter(j.outcome for j in judgements) == {"SUFFICIENT_PROGRESS": 3, "INSUFFICIENT_PROGRESS": 2}
    wsoa = await reader.entity(ids["lancashireWsoa"], "Plan")
    assert wsoa.kind == "WRITTEN_STATEMENT_OF_ACTION" and wsoa.status == "SUPERSEDED"
    assert wsoa.superseded_by_id == ids["lancashireImprovementPlan"]
    owners = {a.owner_agency_id for a in await reader.entities("Action", "plan_id", ids["lancashireWsoa"])}
    agencies = {a.id: a.kind for a in (await reader.entity(ids["lancashire"], "Partnership")).agencies}
    assert {agencies[o] for o in owners} >= {"LOCAL_AUTHORITY", "HEALTH", "PARENT_CARER_FORUM"}
    scorecard = await reader.entities("Metric", "partnership_id", ids["lancashire"])
    assert scorecard and all(len(m.measurements) >= 2 for m in scorecard)

    northbridge = await reader.entity(ids["northbridge"], "Partnership")
    assert "(fictional)" in northbridge.name
    full = await reader.entity(ids["northbridgeInspection"], "Inspection")
    assert (full.framework, full.kind, full.outcome) == ("AREA_SEND_2023", "FULL", "WIDESPREAD_SYSTEMIC_FAILINGS")
    priority_actions = [f for f in full.findings if f.kind == "PRIORITY_ACTION"]
    assert len(priority_actions) == 3 and all(f.responsible_agency_ids for f in priority_actions)
    assert Counter(f.kind for f in full.findings)["AREA_FOR_IMPROVEMENT"] == 2
    plan = await reader.entity(ids["northbridgePriorityActionPlan"], "Plan")
    assert (plan.kind, plan.status, plan.submission_due_derived) == ("PRIORITY_ACTION_PLAN", "APPROVED", True)
    assert plan.first_submitted_on <= plan.submission_due
    monitoring = await reader.entity(ids["northbridgeMonitoring"], "Inspection")
    assert (monitoring.kind, monitoring.revisit_of_id, monitoring.outcome) == ("MONITORING", full.id, None)
    judged = await reader.entities("Judgement", "inspection_id", monitoring.id)
    assert sorted(j.subject_id for j in judged) == sorted(f.id for f in priority_actions)
    meetings = await reader.entities("Meeting", "partnership_id", northbridge.id)
    assert {"ENGAGEMENT_MEETING", "STOCKTAKE", "IMPROVEMENT_BOARD"} <= {m.kind for m in meetings}

    await commands.read_model.store.close()
    end = commands.read_model.run(q.last_position())
    assert load(commands) == ids
    assert commands.read_model.run(q.last_position()) == end, "loading the demo again recorded something"
