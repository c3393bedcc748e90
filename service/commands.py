"""The service layer: one handler per mutation, run under one mechanism.

`Commands.execute` gives every mutation the contract's guarantees: the caller is
stamped on the event, the effective date is taken from the input, idempotency
keys replay the first answer, and any refusal (unknown id, forbidden, stale
expectedVersion, a rule of the domain) comes back as a user error with nothing
recorded. A handler only loads, authorises, calls the domain and returns what to save.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Any, Callable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import RecordConflictError

from domain.action import Action
from domain.base import DomainError, Record, stamped
from domain.inspection import Inspection
from domain.judgement import Judgement
from domain.metric import Metric
from domain.partnership import Partnership
from domain.plan import Plan
from domain.vocabulary import JudgingBody, Role
from projections import store as q
from projections.store import IdempotencyKey, StoreUnavailable
from projections.views import EntityRow, camel, plain
from service.application import RecordsApplication
from service.authorisation import JUDGES, WRITERS, Principal, plan_approvers

ATTEMPTS = 12  # tries at a change without expectedVersion that keeps meeting concurrent writers

# An input's own date is when its change took effect; failing that its effectiveOn; failing that today.
OWN_DATES = ("started_on", "published_on", "on", "completed_on", "made_on", "period_end")


class ErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    INVALID_TRANSITION = "INVALID_TRANSITION"


@dataclass(frozen=True)
class UserError:
    code: str
    message: str
    field: list[str] | None = None


class Refused(DomainError):
    """The service refused the change (nothing found, forbidden, a stale expectedVersion); nothing is recorded."""

    def __init__(self, code: str, message: str, field_name: str | None = None):
        super().__init__(message, field_name)
        self.code = code


@dataclass
class Outcome:
    """What a mutation answers: the entity changed, the event recorded, or why not."""

    entity_id: str | None = None
    event: dict | None = None
    extra: dict = field(default_factory=dict)
    errors: list[UserError] = field(default_factory=list)
    replayed: bool = False
    written: list[EntityRow] = field(default_factory=list)  # the current-state rows the change wrote


@dataclass
class Done:
    aggregate: Record
    extra: dict = field(default_factory=dict)


class Scope:
    """What a handler may use: the caller, the aggregates and the read model.

    With `cached`, aggregates this process has seen are taken as it last saw them, reading nothing; `self.cached`
    names them. Such a copy may be out of date (another process may have changed the aggregate since), so a
    decision made on one stands only where it would be found out: for the aggregate the change is appended to,
    whose next version would then already be taken (a conflict). Commands.execute decides again on the latest
    whenever the copy of any other aggregate counted, and before refusing anything.
    """

    def __init__(self, commands: Commands, principal: Principal, cached: bool = False):
        self.app = commands.app
        self.read_model = commands.read_model
        self.principal = principal
        self.use_cached = cached
        self.cached: set[UUID] = set()

    def load(self, cls: type[Record], entity_id: str | None, field_name: str) -> Any:
        try:
            aggregate_id = UUID(entity_id or "")
            aggregate = self.app.cached(aggregate_id) if self.use_cached else None
            if aggregate is not None:
                self.cached.add(aggregate_id)
            else:
                aggregate = self.app.load(aggregate_id)
        except (ValueError, AggregateNotFoundError):
            aggregate = None
        if not isinstance(aggregate, cls):
            raise Refused("NOT_FOUND", f"no {cls.__name__.lower()} has id {entity_id!r}", field_name)
        return aggregate

    def load_optional(self, cls: type[Record], entity_id: str | None, field_name: str) -> Any:
        return None if entity_id is None else self.load(cls, entity_id, field_name)

    def locate(self, entity_id: str, field_name: str) -> tuple[str, dict]:
        """The kind and state of any entity, aggregates and the findings and priority areas in them."""
        found = self.read_model.run(q.entity(entity_id))
        if found is None:
            raise Refused("NOT_FOUND", f"nothing has id {entity_id!r}", field_name)
        return found

    def authorise(
        self,
        roles: set[Role],
        partnership_id: str | None,
        entity: Record | None = None,
        expected_version: int | None = None,
        owner_agency_id: str | None = None,
    ) -> None:
        if not self.principal.may(roles, partnership_id, owner_agency_id):
            raise Refused("FORBIDDEN", f"a {self.principal.role} token may not make this change here")
        if expected_version is not None and entity is not None and entity.version != expected_version:
            raise Refused(
                "CONFLICT", f"expected version {expected_version} but the record is at version {entity.version}",
                "expectedVersion",
            )


# Handlers, one per mutation, named as the contract names the mutation.

def register_partnership(s: Scope, name: str, local_authority: str) -> Done:
    s.authorise(WRITERS["registerPartnership"], None)
    return Done(Partnership.register(name, local_authority))


def add_agency(s: Scope, partnership_id: str, name: str, kind: str, expected_version: int | None) -> Done:
    partnership = s.load(Partnership, partnership_id, "partnershipId")
    s.authorise(WRITERS["addAgency"], partnership.partnership_id, partnership, expected_version)
    return Done(partnership, {"agencyId": partnership.add_agency(name, kind)})


def record_inspection(
    s: Scope, partnership_id: str, framework: str, kind: str, started_on: date, ended_on: date, revisit_of: str | None
) -> Done:
    partnership = s.load(Partnership, partnership_id, "partnershipId")
    s.authorise(WRITERS["recordInspection"], partnership.partnership_id)
    revisited = s.load_optional(Inspection, revisit_of, "revisitOf")
    return Done(Inspection.record(partnership.partnership_id, framework, kind, started_on, ended_on, revisited))


def record_finding(s: Scope, inspection_id: str, kind: str, text: str, expected_version: int | None) -> Done:
    inspection = s.load(Inspection, inspection_id, "inspectionId")
    s.authorise(WRITERS["recordFinding"], inspection.partnership_id, inspection, expected_version)
    return Done(inspection, {"findingId": inspection.record_finding(kind, text)})


def publish_inspection(
    s: Scope, inspection_id: str, published_on: date, outcome: str, expected_version: int | None
) -> Done:
    inspection = s.load(Inspection, inspection_id, "inspectionId")
    s.authorise(WRITERS["publishInspection"], inspection.partnership_id, inspection, expected_version)
    inspection.publish(published_on, outcome)
    return Done(inspection)


def draft_plan(
    s: Scope,
    partnership_id: str,
    kind: str,
    title: str,
    responds_to: str | None,
    period_start: date | None,
    period_end: date | None,
    submission_due: date | None,
) -> Done:
    partnership = s.load(Partnership, partnership_id, "partnershipId")
    s.authorise(WRITERS["draftPlan"], partnership.partnership_id)
    inspection = s.load_optional(Inspection, responds_to, "respondsTo")
    return Done(Plan.draft(partnership.partnership_id, kind, title, inspection, period_start, period_end, submission_due))


def add_priority_area(
    s: Scope,
    plan_id: str,
    title: str,
    addresses: list[str] | None,
    success_measures: list[str] | None,
    expected_version: int | None,
) -> Done:
    plan = s.load(Plan, plan_id, "planId")
    s.authorise(WRITERS["addPriorityArea"], plan.partnership_id, plan, expected_version)
    inspection = s.load_optional(Inspection, plan.responds_to, "planId")
    priority_area_id = plan.add_priority_area(title, addresses or [], success_measures or [], inspection)
    return Done(plan, {"priorityAreaId": priority_area_id})


def plan_transition(method: str, roles_of: Callable[[Plan], set[Role]]) -> Callable[..., Done]:
    def handle(s: Scope, plan_id: str, on: date, reason: str | None, expected_version: int | None) -> Done:
        plan = s.load(Plan, plan_id, "planId")
        s.authorise(roles_of(plan), plan.partnership_id, plan, expected_version)
        getattr(plan, method)(on, reason)
        return Done(plan)

    return handle


def supersede_plan(
    s: Scope, plan_id: str, superseded_by: str, on: date, reason: str | None, expected_version: int | None
) -> Done:
    plan = s.load(Plan, plan_id, "planId")
    s.authorise(WRITERS["supersedePlan"], plan.partnership_id, plan, expected_version)
    plan.supersede(s.load(Plan, superseded_by, "supersededBy"), on, reason)
    return Done(plan)


def add_action(
    s: Scope,
    plan_id: str,
    priority_area_id: str | None,
    title: str,
    description: str | None,
    owner_agency_id: str,
    lead_officer: str | None,
    due_on: date,
) -> Done:
    plan = s.load(Plan, plan_id, "planId")
    s.authorise(WRITERS["addAction"], plan.partnership_id)
    partnership = s.load(Partnership, plan.partnership_id, "planId")
    return Done(
        Action.add(plan, partnership, title, owner_agency_id, due_on, priority_area_id, description, lead_officer)
    )


def action_change(name: str, change: Callable[..., None]) -> Callable[..., Done]:
    """A handler for one change to one action: load it, authorise the caller, apply the change."""

    def handle(s: Scope, action_id: str, expected_version: int | None, **arguments: Any) -> Done:
        action = s.load(Action, action_id, "actionId")
        s.authorise(WRITERS[name], action.partnership_id, action, expected_version, action.owner_agency_id)
        change(s, action, **arguments)
        return Done(action)

    return handle


def _reassign(s: Scope, action: Action, owner_agency_id: str, lead_officer: str | None, reason: str) -> None:
    action.reassign(s.load(Partnership, action.partnership_id, "actionId"), owner_agency_id, lead_officer, reason)


def record_judgement(
    s: Scope,
    subject_id: str,
    body: JudgingBody,
    outcome: str | None,
    rag: str | None,
    made_on: date,
    rationale: str,
    inspection_id: str | None,
) -> Done:
    subject_kind, subject = s.locate(subject_id, "subjectId")
    s.authorise(JUDGES[JudgingBody(body)], subject["partnershipId"])
    inspection = s.load_optional(Inspection, inspection_id, "inspectionId")
    return Done(
        Judgement.record(
            subject["partnershipId"], subject_id, subject_kind, body, made_on, rationale, outcome, rag, inspection
        )
    )


def define_metric(
    s: Scope,
    partnership_id: str,
    name: str,
    unit: str,
    polarity: str,
    target: float | None,
    priority_area_id: str | None,
) -> Done:
    partnership = s.load(Partnership, partnership_id, "partnershipId")
    s.authorise(WRITERS["defineMetric"], partnership.partnership_id)
    plan = None
    if priority_area_id is not None:
        _, priority_area = s.locate(priority_area_id, "priorityAreaId")
        plan = s.load(Plan, priority_area.get("planId"), "priorityAreaId")
    return Done(Metric.define(partnership.partnership_id, name, unit, polarity, target, plan, priority_area_id))


def record_measurement(
    s: Scope, metric_id: str, period: str, period_end: date, value: float, expected_version: int | None
) -> Done:
    metric = s.load(Metric, metric_id, "metricId")
    s.authorise(WRITERS["recordMeasurement"], metric.partnership_id, metric, expected_version)
    metric.record_measurement(period, period_end, value)
    return Done(metric)


HANDLERS: dict[str, Callable[..., Done]] = {
    "registerPartnership": register_partnership,
    "addAgency": add_agency,
    "recordInspection": record_inspection,
    "recordFinding": record_finding,
    "publishInspection": publish_inspection,
    "draftPlan": draft_plan,
    "addPriorityArea": add_priority_area,
    "submitPlan": plan_transition("submit", lambda plan: WRITERS["submitPlan"]),
    "approvePlan": plan_transition("approve", lambda plan: plan_approvers(plan.kind)),
    "returnPlan": plan_transition("return_", lambda plan: plan_approvers(plan.kind)),
    "supersedePlan": supersede_plan,
    "closePlan": plan_transition("close", lambda plan: WRITERS["closePlan"]),
    "addAction": add_action,
    "startAction": action_change("startAction", lambda s, a, reason: a.start(reason)),
    "reportActionProgress": action_change("reportActionProgress", lambda s, a, note, rag: a.report_progress(note, rag)),
    "rescheduleAction": action_change("rescheduleAction", lambda s, a, due_on, reason: a.reschedule(due_on, reason)),
    "reassignAction": action_change("reassignAction", _reassign),
    "completeAction": action_change(
        "completeAction", lambda s, a, completed_on, evidence, note: a.complete(completed_on, evidence, note)
    ),
    "reopenAction": action_change("reopenAction", lambda s, a, reason: a.reopen(reason)),
    "cancelAction": action_change("cancelAction", lambda s, a, reason: a.cancel(reason)),
    "recordJudgement": record_judgement,
    "defineMetric": define_metric,
    "recordMeasurement": record_measurement,
}


def has_nul(value: Any) -> bool:
    """NUL is in no legitimate text, and PostgreSQL cannot store it."""
    if isinstance(value, str):
        return "\x00" in value
    return isinstance(value, list) and any(has_nul(v) for v in value)


def effective_date(arguments: dict, effective_on: date | None) -> date:
    own = next((arguments[name] for name in OWN_DATES if arguments.get(name) is not None), None)
    return own or effective_on or datetime.now(timezone.utc).date()


class Commands:
    def __init__(self, app: RecordsApplication, read_model: Any):
        self.app = app
        self.read_model = read_model
        self.listeners: list[Callable[[], None]] = []  # told after each commit (the live feed)

    def execute(self, principal: Principal, name: str, arguments: dict) -> Outcome:
        arguments = dict(arguments)
        key = arguments.pop("idempotency_key", None)
        effective_on = arguments.pop("effective_on", None)
        fingerprint = hashlib.sha256(
            json.dumps([name, plain({**arguments, "effective_on": effective_on})], sort_keys=True).encode()
        ).hexdigest()
        unwritable = next((argument for argument, value in arguments.items() if has_nul(value)), None)
        if unwritable is not None or has_nul(key):
            field_name = camel(unwritable) if unwritable else "idempotencyKey"
            return Outcome(errors=[UserError("INVALID", "text must not contain NUL characters", [field_name])])
        if key is not None:
            replayed = self._replay(principal, key, fingerprint)
            if replayed is not None:
                return replayed
        attempts = 0
        cached = True  # first as this process last saw the aggregates, reading nothing (see Scope)
        while True:
            scope = Scope(self, principal, cached)
            cached = False
            try:
                with stamped(principal.actor, effective_date(arguments, effective_on)):
                    done = HANDLERS[name](scope, **arguments)
                if scope.cached - {done.aggregate.id}:
                    continue  # it counted on a copy of another aggregate: decide again on the latest
                entity_id = str(done.aggregate.id)
                idempotency = None
                if key is not None:
                    idempotency = IdempotencyKey(principal.subject, key, fingerprint, {"entityId": entity_id, **done.extra})
                event, written = self.app.record(done.aggregate, idempotency)
                for listener in self.listeners:
                    listener()
                return Outcome(entity_id=entity_id, event=event, extra=done.extra, written=written)
            except DomainError as error:
                if scope.cached:
                    continue  # perhaps refused because a copy was out of date: decide again on the latest
                return Outcome(errors=[UserError(error.code, error.message, [error.field] if error.field else None)])
            except RecordConflictError:
                # Another writer got there first: with the same idempotency key, this call's answer is theirs;
                # without an expectedVersion, the change is made again on the new state, its rules checked again.
                replayed = self._replay(principal, key, fingerprint) if key is not None else None
                if replayed is not None:
                    return replayed
                if scope.cached:
                    continue  # this process's copy was out of date
                attempts += 1
                if arguments.get("expected_version") is not None or attempts == ATTEMPTS:
                    return Outcome(errors=[UserError(
                        "CONFLICT", "the record changed while this change was being made; read it and retry")])
                time.sleep(random.uniform(0, 0.002 * attempts))  # so that the same writers do not meet again
            except self.read_model.store.unavailable as error:
                raise StoreUnavailable() from error

    def _replay(self, principal: Principal, key: str, fingerprint: str) -> Outcome | None:
        stored = self.read_model.run(q.idempotency(principal.subject, key))
        if stored is None:
            return None
        stored_fingerprint, position, result = stored
        if stored_fingerprint != fingerprint:
            return Outcome(errors=[UserError("INVALID", "this idempotencyKey was used with a different input", ["idempotencyKey"])])
        entity_id = result.pop("entityId")
        return Outcome(entity_id=entity_id, event=self.read_model.run(q.record_at(position)), extra=result, replayed=True)
