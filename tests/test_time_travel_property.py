"""Property: every asAt/asOf answer equals a fold, from scratch, of the log's own event records.

Random commands on a plan and its actions, with random effective dates (many
backdated behind events already recorded), are run through the real command
path on a real store; then the plan, its actions and its progress are read at
random (asAt, asOf) pairs through the GraphQL schema and compared with an
oracle that knows nothing of the domain code: it replays the EventRecords of
the `events` log with a few lines per event type.
"""

import asyncio
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.vocabulary import Role
from service.authorisation import Principal
from service.bootstrap import bootstrap
from service.graphql.context import Context
from service.graphql.schema import schema

ADMIN = Principal("admin", Role.ADMIN)
DATES = st.dates(date(2018, 1, 1), date(2019, 12, 31))
DAYS = st.one_of(st.none(), DATES, DATES, DATES)  # mostly an effective date of its own, often behind earlier ones
# Weighted towards changes that usually apply, so that entities gather long, out-of-order histories.
COMMANDS = ["addAction"] * 2 + ["startAction"] * 3 + ["reportActionProgress"] * 3 + ["rescheduleAction"] * 3 + [
    "reassignAction", "completeAction", "completeAction", "reopenAction", "cancelAction", "submitPlan", "approvePlan",
    "returnPlan"]
STEP = st.tuples(st.sampled_from(COMMANDS), st.integers(0, 3), DAYS, DATES, st.sampled_from(["RED", "AMBER", "GREEN", None]))
STEPS = st.tuples(st.lists(STEP.map(lambda s: ("addAction", *s[1:])), min_size=1, max_size=3),
                  st.lists(STEP, min_size=5, max_size=30)).map(lambda parts: parts[0] + parts[1])
PLAN = """query($id: ID!, $asAt: DateTime, $asOf: Date) { plan(id: $id, asAt: $asAt, asOf: $asOf) {
  status version submittedOn
  progress { total notStarted inProgress completed cancelled overdue }
  actions(first: 100) { totalCount edges { node { id status dueOn completedOn latestNote rag version overdue ownerAgency { id } } } } } }"""


@pytest.fixture
def session(store):
    """The commands, and one event loop in which the store's async side runs for the whole test."""
    commands = bootstrap().commands
    with asyncio.Runner() as loop:
        loop.run(commands.read_model.store.start())
        yield commands, loop
        loop.run(commands.read_model.store.close())


def run(commands, mutation, **arguments):
    return commands.execute(ADMIN, mutation, arguments)


def area(commands):
    partnership = run(commands, "registerPartnership", name="Property SEND Partnership", local_authority="Anywhere").entity_id
    agencies = [run(commands, "addAgency", partnership_id=partnership, name=agency, kind=k, expected_version=None).extra["agencyId"]
                for agency, k in [("Council", "LOCAL_AUTHORITY"), ("ICB", "HEALTH")]]
    plan = run(commands, "draftPlan", partnership_id=partnership, kind="IMPROVEMENT_PLAN", title="Plan", responds_to=None,
               period_start=None, period_end=None, submission_due=None, effective_on=date(2018, 1, 1)).entity_id
    return partnership, agencies, plan


def apply(commands, plan, agencies, actions, step):
    name, target, effective, day, rag = step
    action = actions[target % len(actions)] if actions else None
    change = {"action_id": action, "expected_version": None}
    if name == "addAction":
        outcome = run(commands, name, plan_id=plan, priority_area_id=None, title="An action", description=None,
                      owner_agency_id=agencies[target % 2], lead_officer=None, due_on=day, effective_on=effective)
        if not outcome.errors:
            actions.append(outcome.entity_id)
    elif name in ("submitPlan", "approvePlan", "returnPlan"):
        run(commands, name, plan_id=plan, on=day, reason=None, expected_version=None)
    elif action is None:
        return
    elif name in ("startAction", "reopenAction"):
        run(commands, name, reason=None, effective_on=effective, **change)
    elif name == "cancelAction":
        run(commands, name, reason="No longer needed", effective_on=effective, **change)
    elif name == "reportActionProgress":
        run(commands, name, note=f"Note {day}", rag=rag, effective_on=effective, **change)
    elif name == "rescheduleAction":
        run(commands, name, due_on=day, reason="Moved", effective_on=effective, **change)
    elif name == "reassignAction":
        run(commands, name, owner_agency_id=agencies[target % 2], lead_officer=None, reason="Moved", effective_on=effective,
            **change)
    elif name == "completeAction":
        run(commands, name, completed_on=day, evidence=["Evidence"], note=None, **change)


def oracle(records, plan_id, as_at, as_of):
    """The plan and its actions from the event records that count, folded in log order."""
    today = (as_of or (as_at or datetime.now(timezone.utc)).date())
    entities: dict[str, dict | None] = {}
    for r in records:
        counts = (as_at is None or datetime.fromisoformat(r["recordedAt"]) <= as_at) and (
            as_of is None or date.fromisoformat(r["effectiveOn"]) <= as_of)
        entity, data, kind = entities.get(r["entityId"]), r["data"], r["type"]
        if r["version"] == 1:
            entities[r["entityId"]] = entity = (
                {"id": r["entityId"], "kind": "plan" if kind == "PlanDrafted" else "action", "version": 0, "status": None,
                 "dueOn": data.get("dueOn"), "owner": data.get("ownerAgencyId"), "completedOn": None, "latestNote": None,
                 "rag": None, "submittedOn": None, "plan": data.get("planId")} if counts else None)
        if entity is None or not counts:
            continue
        entity["version"] += 1
        status = {"PlanDrafted": "DRAFT", "PlanSubmitted": "SUBMITTED", "PlanApproved": "APPROVED", "PlanReturned": "RETURNED",
                  "ActionAdded": "NOT_STARTED", "ActionStarted": "IN_PROGRESS", "ActionCompleted": "COMPLETED",
                  "ActionReopened": "IN_PROGRESS", "ActionCancelled": "CANCELLED"}.get(kind)
        entity["status"] = status or entity["status"]
        if kind == "PlanSubmitted":
            entity["submittedOn"] = data["on"]
        elif kind == "ActionRescheduled":
            entity["dueOn"] = data["dueOn"]
        elif kind == "ActionReassigned":
            entity["owner"] = data["ownerAgencyId"]
        elif kind == "ActionProgressReported":
            entity["latestNote"] = data["note"]
            entity["rag"] = data["rag"] or entity["rag"]
        elif kind == "ActionCompleted":
            entity["completedOn"] = data["completedOn"]
        elif kind == "ActionReopened":
            entity["completedOn"] = None
    plan = entities.get(plan_id)
    if plan is None:
        return None
    actions = [a for a in entities.values() if a and a["kind"] == "action" and a["plan"] == plan_id]
    overdue = [a["status"] in ("NOT_STARTED", "IN_PROGRESS") and date.fromisoformat(a["dueOn"]) < today for a in actions]
    count = {s: sum(a["status"] == s for a in actions) for s in ("NOT_STARTED", "IN_PROGRESS", "COMPLETED", "CANCELLED")}
    return {
        "status": plan["status"], "version": plan["version"], "submittedOn": plan["submittedOn"],
        "progress": {"total": len(actions), "notStarted": count["NOT_STARTED"], "inProgress": count["IN_PROGRESS"],
                     "completed": count["COMPLETED"], "cancelled": count["CANCELLED"], "overdue": sum(overdue)},
        "actions": {"totalCount": len(actions), "edges": [
            {"node": {"id": a["id"], "status": a["status"], "dueOn": a["dueOn"], "completedOn": a["completedOn"],
                      "latestNote": a["latestNote"], "rag": a["rag"], "version": a["version"], "overdue": o,
                      "ownerAgency": {"id": a["owner"]}}} for a, o in zip(actions, overdue)]},
    }


def query(session, text, **variables):
    commands, loop = session
    result = loop.run(schema.execute(text, variable_values=variables, context_value=Context(commands=commands, principal=ADMIN)))
    assert result.errors is None, result.errors
    return result.data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS, data=st.data())
def test_every_view_equals_a_fold_of_the_log(session, steps, data):
    commands = session[0]
    partnership, agencies, plan = area(commands)
    actions: list[str] = []
    for step in steps:
        apply(commands, plan, agencies, actions, step)
    records = [e["node"] for e in query(session, """query($p: ID!) { events(partnershipId: $p, first: 100) {
        edges { node { entityId type version recordedAt effectiveOn data } } } }""", p=partnership)["events"]["edges"]]
    instants = [datetime.fromisoformat(r["recordedAt"]) for r in records]
    moments = st.one_of(st.none(), st.sampled_from(instants).flatmap(
        lambda t: st.sampled_from([t, t - timedelta(microseconds=1), t + timedelta(microseconds=1)])))
    for _ in range(8):
        as_at, as_of = data.draw(moments), data.draw(DAYS)
        answer = query(session, PLAN, id=plan, asAt=as_at.isoformat() if as_at else None,
                       asOf=as_of.isoformat() if as_of else None)["plan"]
        assert answer == oracle(records, plan, as_at, as_of), (as_at, as_of)
