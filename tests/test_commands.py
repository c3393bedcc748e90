"""The service layer's rules, on an in-process application with a real store and no server (one test per rule),
and the effective date of every declared mutation, generated from the declarations."""

import copy
import dataclasses
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from uuid import UUID

import pytest

from domain.base import SYSTEM, Record, stamped
from domain.vocabulary import Role
from projections import queries as q
from service.authorisation import Principal
from service.bootstrap import bootstrap
from service.commands import declared

ADMIN = Principal("admin@example.org", Role.ADMIN)
FOUNDED, DRAFTED, ADDED = date(2017, 1, 1), date(2018, 1, 1), date(2018, 6, 1)
OWN, EFFECTIVE, PERIOD = date(2019, 5, 6), date(2019, 4, 1), date(2027, 12, 31)
HOOK = "https://cms.anytown.example/hooks/send"


@pytest.fixture
def commands(store):
    return bootstrap().commands


class World:
    """Records made through the commands for one test: each call makes a fresh one of what it names."""

    def __init__(self, commands):
        self.commands = commands
        self.partnership = self.ok(ADMIN, "registerPartnership", name="Anytown SEND Partnership",
                                   local_authority="Anytown Council", effective_on=FOUNDED).entity_id
        self.lead = Principal("lead@anytown.gov.uk", Role.PARTNERSHIP_LEAD, self.partnership)
        self.council, self.health = (
            self.ok(self.lead, "addAgency", partnership_id=self.partnership, name=name, kind=kind,
                    effective_on=FOUNDED).extra["agencyId"]
            for name, kind in [("Anytown Council", "LOCAL_AUTHORITY"), ("Anytown ICB", "HEALTH")])

    def ok(self, principal, mutation, **fields):
        outcome = self.commands.run(principal, mutation, **fields)
        assert not outcome.errors, (mutation, outcome.errors)
        return outcome

    def inspection(self) -> str:
        return self.ok(ADMIN, "recordInspection", partnership_id=self.partnership, framework="LOCAL_AREA_SEND_2016",
                       kind="FULL", started_on=date(2017, 11, 13), ended_on=date(2017, 11, 17)).entity_id

    def plan(self, status: str = "DRAFT", kind: str = "IMPROVEMENT_PLAN") -> str:
        plan = self.ok(self.lead, "draftPlan", partnership_id=self.partnership, kind=kind, title="Plan",
                       effective_on=DRAFTED).entity_id
        for step in {"DRAFT": [], "SUBMITTED": ["submitPlan"], "APPROVED": ["submitPlan", "approvePlan"]}[status]:
            self.ok(ADMIN, step, plan_id=plan, on=DRAFTED)
        return plan

    def action(self, status: str = "NOT_STARTED") -> str:
        action = self.ok(self.lead, "addAction", plan_id=self.plan(), title="An action", owner_agency_id=self.council,
                         due_on=date(2019, 12, 31), effective_on=ADDED).entity_id
        for step in {"NOT_STARTED": [], "IN_PROGRESS": ["startAction"], "COMPLETED": ["startAction", "completeAction"]}[status]:
            fields = {"completed_on": ADDED, "evidence": ["Minutes"]} if step == "completeAction" else {"effective_on": ADDED}
            self.ok(self.lead, step, action_id=action, **fields)
        return action

    def metric(self) -> str:
        return self.ok(self.lead, "defineMetric", partnership_id=self.partnership, name="EHC plans in 20 weeks",
                       unit="PERCENT", polarity="HIGHER_IS_BETTER", target=60.0, effective_on=DRAFTED).entity_id

    def notice(self) -> str:
        return self.ok(ADMIN, "issueImprovementNotice", partnership_id=self.partnership, issued_on=DRAFTED,
                       summary="Improve the timeliness of EHC plans").entity_id

    def webhook(self, active: bool = True) -> str:
        webhook = self.ok(self.lead, "registerWebhook", partnership_id=self.partnership, url=HOOK).entity_id
        if not active:
            self.ok(self.lead, "disableWebhook", webhook_id=webhook, reason="The receiver is down")
        return webhook

    def end(self) -> int:
        return self.commands.read_model.run(q.last_position())


# A valid input for every mutation, in a fresh World; its own date (if it has one) is OWN, and any other date it
# carries (a plan's period, a due date) is far from OWN and EFFECTIVE, so that a date taken from the wrong field shows.
EXAMPLES = {
    "registerPartnership": lambda w: {"name": "Elsewhere SEND Partnership", "local_authority": "Elsewhere"},
    "addAgency": lambda w: {"partnership_id": w.partnership, "name": "Anytown Forum", "kind": "PARENT_CARER_FORUM"},
    "recordInspection": lambda w: {"partnership_id": w.partnership, "framework": "AREA_SEND_2023", "kind": "FULL",
                                   "started_on": OWN, "ended_on": date(2019, 5, 10)},
    "recordFinding": lambda w: {"inspection_id": w.inspection(), "kind": "STRENGTH", "text": "A strong forum"},
    "publishInspection": lambda w: {"inspection_id": w.inspection(), "published_on": OWN,
                                    "outcome": "WRITTEN_STATEMENT_REQUIRED"},
    "draftPlan": lambda w: {"partnership_id": w.partnership, "kind": "IMPROVEMENT_PLAN", "title": "Next plan",
                            "period_start": date(2027, 1, 1), "period_end": PERIOD, "submission_due": PERIOD},
    "addPriorityArea": lambda w: {"plan_id": w.plan(), "title": "Co-production", "success_measures": ["A survey"]},
    "submitPlan": lambda w: {"plan_id": w.plan(), "on": OWN},
    "approvePlan": lambda w: {"plan_id": w.plan("SUBMITTED"), "on": OWN},
    "returnPlan": lambda w: {"plan_id": w.plan("SUBMITTED"), "on": OWN, "reason": "More on health"},
    "closePlan": lambda w: {"plan_id": w.plan("APPROVED"), "on": OWN},
    "supersedePlan": lambda w: {"plan_id": w.plan("APPROVED"), "superseded_by": w.plan(), "on": OWN},
    "addAction": lambda w: {"plan_id": w.plan(), "title": "Audit plans", "owner_agency_id": w.council, "due_on": PERIOD},
    "startAction": lambda w: {"action_id": w.action()},
    "reopenAction": lambda w: {"action_id": w.action("COMPLETED"), "reason": "Slipped"},
    "cancelAction": lambda w: {"action_id": w.action(), "reason": "Superseded"},
    "reportActionProgress": lambda w: {"action_id": w.action(), "note": "On track", "rag": "GREEN"},
    "rescheduleAction": lambda w: {"action_id": w.action(), "due_on": PERIOD, "reason": "Later"},
    "reassignAction": lambda w: {"action_id": w.action(), "owner_agency_id": w.health, "reason": "Health leads it"},
    "completeAction": lambda w: {"action_id": w.action("IN_PROGRESS"), "completed_on": OWN, "evidence": ["Report"]},
    "recordJudgement": lambda w: {"subject_id": w.plan(), "body": "DFE", "rag": "AMBER", "made_on": OWN,
                                  "rationale": "Monitoring visit"},
    "defineMetric": lambda w: {"partnership_id": w.partnership, "name": "Exclusions", "unit": "RATE",
                               "polarity": "LOWER_IS_BETTER", "target": 8.0},
    "recordMeasurement": lambda w: {"metric_id": w.metric(), "period": "Summer term 2019", "period_end": OWN,
                                    "value": 55.0, "england_average": 59.5, "statistical_neighbours": 52.0},
    "setMetricMilestone": lambda w: {"metric_id": w.metric(), "period": "Summer term 2027", "period_end": PERIOD,
                                     "target": 50.0},
    "recordMeeting": lambda w: {"partnership_id": w.partnership, "kind": "STOCKTAKE", "held_on": OWN,
                                "summary": "Six-monthly stocktake with the DfE and NHS England",
                                "attending_agency_ids": [w.council], "other_attendees": ["DfE SEND adviser"],
                                "decisions": ["Health advice to be tracked monthly"], "action_ids": [w.action()],
                                "plan_ids": [w.plan()]},
    "issueImprovementNotice": lambda w: {"partnership_id": w.partnership, "issued_on": OWN,
                                         "summary": "Improve the timeliness of EHC plans"},
    "liftImprovementNotice": lambda w: {"improvement_notice_id": w.notice(), "lifted_on": OWN,
                                        "reason": "Sustained improvement"},
    "registerWebhook": lambda w: {"partnership_id": w.partnership, "url": HOOK, "event_types": ["ActionCompleted"]},
    "rotateWebhookSecret": lambda w: {"webhook_id": w.webhook()},
    "disableWebhook": lambda w: {"webhook_id": w.webhook(), "reason": "The receiver is retired"},
    "enableWebhook": lambda w: {"webhook_id": w.webhook(active=False), "reason": "The receiver is back"},
    "redeliverWebhook": lambda w: {"webhook_id": w.webhook()},
}


def test_every_declared_mutation_has_an_example():
    assert set(EXAMPLES) == set(declared())


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_a_change_takes_effect_on_its_own_date_else_its_effective_on_else_today(commands, name):
    mutation = declared()[name]
    takes_effective_on = "effective_on" in mutation.input.__dataclass_fields__
    variants = [({}, OWN if mutation.dated_by else datetime.now(timezone.utc).date())]
    if takes_effective_on:
        variants.append(({"effective_on": EFFECTIVE}, EFFECTIVE))
    for extra, expected in variants:
        world = World(commands)
        outcome = commands.run(ADMIN, name, **EXAMPLES[name](world), **extra)
        assert not outcome.errors, outcome.errors
        assert outcome.event["effectiveOn"] == expected.isoformat(), (name, extra)


def refused(world, principal, mutation, code, field=None, **fields):
    """The change is refused with this code (and field), and nothing is recorded."""
    end = world.end()
    outcome = world.commands.run(principal, mutation, **fields)
    assert [(e.code, e.field) for e in outcome.errors] == [(code, [field] if field else None)], outcome.errors
    assert outcome.event is None and world.end() == end
    return outcome.errors[0]


def test_an_unknown_id_is_not_found(commands):
    w = World(commands)
    refused(w, w.lead, "startAction", "NOT_FOUND", "actionId", action_id="b4a1c0de-0000-4000-8000-000000000000")
    refused(w, w.lead, "startAction", "NOT_FOUND", "actionId", action_id="not-an-id")
    refused(w, w.lead, "startAction", "NOT_FOUND", "actionId", action_id=w.plan())  # an id of another kind


def test_another_partnerships_entity_is_refused_as_an_unknown_id_is(commands):
    mine, theirs = World(commands), World(commands)
    action = theirs.action()
    unknown = "b4a1c0de-0000-4000-8000-000000000000"
    error = refused(mine, mine.lead, "startAction", "NOT_FOUND", "actionId", action_id=action)
    assert error.message == refused(mine, mine.lead, "startAction", "NOT_FOUND", "actionId",
                                    action_id=unknown).message.replace(unknown, action)


def test_a_role_not_declared_for_a_change_is_forbidden_and_told_why(commands):
    w = World(commands)
    error = refused(w, Principal("auditor@example.org", Role.AUDITOR), "startAction", "FORBIDDEN", action_id=w.action())
    assert error.message == "an AUDITOR token may not startAction: it is for PARTNER or PARTNERSHIP_LEAD tokens"


def test_who_approves_depends_on_the_plans_kind(commands):
    w = World(commands)
    inspector, monitor = Principal("hmi@ofsted.gov.uk", Role.INSPECTOR), Principal("adviser@dfe.gov.uk", Role.MONITOR)
    wsoa = w.plan("SUBMITTED", kind="WRITTEN_STATEMENT_OF_ACTION")
    refused(w, monitor, "approvePlan", "FORBIDDEN", plan_id=wsoa, on=OWN)
    w.ok(inspector, "approvePlan", plan_id=wsoa, on=OWN)
    improvement = w.plan("SUBMITTED")
    refused(w, inspector, "approvePlan", "FORBIDDEN", plan_id=improvement, on=OWN)
    w.ok(monitor, "approvePlan", plan_id=improvement, on=OWN)


def test_a_partner_changes_only_what_its_own_agency_owns(commands):
    w = World(commands)
    action = w.action()
    health = Principal("dco@anytown.nhs.uk", Role.PARTNER, w.partnership, w.health)
    error = refused(w, health, "startAction", "FORBIDDEN", action_id=action)
    assert "owned by another agency" in error.message
    w.ok(Principal("send@anytown.gov.uk", Role.PARTNER, w.partnership, w.council), "startAction", action_id=action)


def test_a_stale_expected_version_is_a_conflict(commands):
    w = World(commands)
    action = w.action()
    w.ok(w.lead, "startAction", action_id=action, expected_version=1)
    error = refused(w, w.lead, "reportActionProgress", "CONFLICT", "expectedVersion", action_id=action, note="x",
                    expected_version=1)
    assert "version 2" in error.message


def test_a_rule_of_the_domain_is_invalid_and_names_the_field(commands):
    w = World(commands)
    refused(w, w.lead, "cancelAction", "INVALID", "reason", action_id=w.action(), reason=" ")
    refused(w, w.lead, "completeAction", "INVALID_TRANSITION", action_id=w.action(), completed_on=OWN, evidence=["x"])


def test_nothing_takes_effect_before_what_it_belongs_to(commands):
    w = World(commands)
    error = refused(w, w.lead, "addAction", "INVALID", "effectiveOn", plan_id=w.plan(), title="Early",
                    owner_agency_id=w.council, due_on=PERIOD, effective_on=date(2017, 6, 1))
    assert "2018-01-01" in error.message  # the plan's own date
    # A change dated by its own date is refused on that field.
    refused(w, ADMIN, "recordInspection", "INVALID", "startedOn", partnership_id=w.partnership,
            framework="LOCAL_AREA_SEND_2016", kind="FULL", started_on=date(2016, 3, 1), ended_on=date(2016, 3, 4))
    forum = w.ok(w.lead, "addAgency", partnership_id=w.partnership, name="Forum", kind="PARENT_CARER_FORUM",
                 effective_on=date(2019, 1, 1)).extra["agencyId"]
    refused(w, w.lead, "reassignAction", "INVALID", "ownerAgencyId", action_id=w.action(), owner_agency_id=forum,
            reason="The forum leads it", effective_on=date(2018, 9, 1))


def test_text_with_nul_is_invalid(commands):
    w = World(commands)
    refused(w, w.lead, "reportActionProgress", "INVALID", "note", action_id=w.action(), note="bad\x00note")


def test_a_retry_with_the_same_key_replays_the_first_answer(commands):
    w = World(commands)
    action = w.action()
    first = w.ok(w.lead, "startAction", action_id=action, idempotency_key="start-1")
    end = w.end()
    again = w.ok(w.lead, "startAction", action_id=action, idempotency_key="start-1")
    assert (again.replayed, again.entity_id, again.event) == (True, first.entity_id, first.event)
    assert w.end() == end
    refused(w, w.lead, "startAction", "INVALID", "idempotencyKey", action_id=action, reason="changed",
            idempotency_key="start-1")


def test_a_refusal_is_replayed_too_even_once_the_change_would_be_allowed(commands):
    w = World(commands)
    action = w.action()
    fields = {"action_id": action, "completed_on": OWN, "evidence": ["Report"], "idempotency_key": "complete-1"}
    refused(w, w.lead, "completeAction", "INVALID_TRANSITION", **fields)  # not started yet
    w.ok(w.lead, "startAction", action_id=action)
    assert refused(w, w.lead, "completeAction", "INVALID_TRANSITION", **fields)


def test_idempotency_keys_are_kept_per_caller_identity(commands):
    mine, theirs = World(commands), World(commands)
    same_subject = Principal(mine.lead.subject, Role.PARTNERSHIP_LEAD, theirs.partnership)
    first = mine.ok(mine.lead, "startAction", action_id=mine.action(), idempotency_key="k")
    other = theirs.ok(same_subject, "startAction", action_id=theirs.action(), idempotency_key="k")
    assert not other.replayed and other.event["position"] != first.event["position"]


def test_a_change_dated_after_today_is_refused_on_its_date_field_and_nothing_is_recorded(commands):
    world = World(commands)
    plan, action = world.plan("SUBMITTED"), world.action("IN_PROGRESS")
    tomorrow = datetime.now(timezone.utc).date() + timedelta(days=1)
    before = world.end()
    for mutation, principal, fields, named in [
            ("approvePlan", ADMIN, {"plan_id": plan, "on": tomorrow}, "on"),
            ("completeAction", world.lead, {"action_id": action, "completed_on": tomorrow, "evidence": ["Minutes"]},
             "completedOn"),
            ("reportActionProgress", world.lead, {"action_id": action, "note": "On track", "effective_on": tomorrow},
             "effectiveOn")]:
        refused = commands.run(principal, mutation, **fields).errors
        assert [(e.code.value, e.field) for e in refused] == [("INVALID", [named])], mutation
        assert "on or before the day it is recorded" in refused[0].message
    assert world.end() == before



IMMUTABLE = (type(None), bool, int, float, str, bytes, date, datetime, UUID, Enum, Decimal)


def immutable(value) -> bool:
    if isinstance(value, IMMUTABLE):
        return True
    if isinstance(value, (tuple, frozenset)):
        return all(immutable(v) for v in value)
    if dataclasses.is_dataclass(value):
        return value.__dataclass_params__.frozen and all(immutable(getattr(value, f.name))
                                                         for f in dataclasses.fields(value))
    return False


def test_a_copy_of_an_aggregate_to_decide_on_shares_nothing_a_change_could_alter(commands):
    """Commands decide on copies of the aggregates a process keeps, and Record.__deepcopy__ copies an aggregate's
    dicts and lists one level down, nothing more: a whole copy only while every aggregate's state holds immutable
    values, and dicts and lists of them. Every kind of aggregate, as every mutation leaves it, is checked."""
    world = World(commands)
    for name, example in EXAMPLES.items():
        assert not commands.run(ADMIN, name, **example(world)).errors, name
    app = commands.app
    ids = {n.originator_id for n in app.recorder.select_notifications(start=1, limit=100_000)}
    kinds = set()
    for aggregate in map(app.load, ids):
        kinds.add(type(aggregate).__name__)
        for name, value in vars(aggregate).items():
            inside = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
            assert all(immutable(v) for v in inside), (type(aggregate).__name__, name, value)
    assert kinds == {c.__name__ for c in Record.__subclasses__()}

    plan = app.load(UUID(world.plan()))
    before = dict(vars(plan))
    changed = copy.deepcopy(plan)
    with stamped(dict(SYSTEM), OWN):
        changed.add_priority_area("Joint commissioning", [], ["A measure"], None)
    assert vars(plan) == before and len(changed.priority_areas) == len(plan.priority_areas) + 1
