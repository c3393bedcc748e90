"""The mutations: each turns its input into a command and its outcome into a payload."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import strawberry
from anyio import to_thread

from projections.temporal import NOW, View
from service.commands import Outcome
from service.graphql.context import Info
from service.graphql.types import (
    AgencyKind, EventRecord, Finding, FindingKind, Inspection, InspectionFramework, InspectionKind,
    InspectionOutcome, JudgingBody, MetricUnit, PlanKind, Polarity, PriorityArea, ProgressJudgement, Rag, UserError,
    Action, Judgement, Metric, Partnership, Plan,
)

ID = strawberry.ID


@strawberry.input
class RegisterPartnershipInput:
    name: str
    local_authority: str
    effective_on: Optional[date] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class AddAgencyInput:
    partnership_id: ID
    name: str
    kind: AgencyKind
    expected_version: Optional[int] = None
    effective_on: Optional[date] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class RecordInspectionInput:
    partnership_id: ID
    framework: InspectionFramework
    kind: InspectionKind
    started_on: date
    ended_on: date
    revisit_of: Optional[ID] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class RecordFindingInput:
    inspection_id: ID
    kind: FindingKind
    text: str
    expected_version: Optional[int] = None
    effective_on: Optional[date] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class PublishInspectionInput:
    inspection_id: ID
    published_on: date
    outcome: InspectionOutcome
    expected_version: Optional[int] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class DraftPlanInput:
    partnership_id: ID
    kind: PlanKind
    title: str
    responds_to: Optional[ID] = None
    period_start: Optional[date] = None
    period_end: Optional[date] = None
    submission_due: Optional[date] = None
    effective_on: Optional[date] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class AddPriorityAreaInput:
    plan_id: ID
    title: str
    addresses: Optional[list[ID]] = None
    success_measures: Optional[list[str]] = None
    expected_version: Optional[int] = None
    effective_on: Optional[date] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class PlanTransitionInput:
    plan_id: ID
    on: date
    reason: Optional[str] = None
    expected_version: Optional[int] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class SupersedePlanInput:
    plan_id: ID
    superseded_by: ID
    on: date
    reason: Optional[str] = None
    expected_version: Optional[int] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class AddActionInput:
    plan_id: ID
    title: str
    owner_agency_id: ID
    due_on: date
    priority_area_id: Optional[ID] = None
    description: Optional[str] = None
    lead_officer: Optional[str] = None
    effective_on: Optional[date] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class ActionChangeInput:
    action_id: ID
    reason: Optional[str] = None
    effective_on: Optional[date] = None
    expected_version: Optional[int] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class ReportActionProgressInput:
    action_id: ID
    note: str
    rag: Optional[Rag] = None
    effective_on: Optional[date] = None
    expected_version: Optional[int] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class RescheduleActionInput:
    action_id: ID
    due_on: date
    reason: str
    expected_version: Optional[int] = None
    effective_on: Optional[date] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class ReassignActionInput:
    action_id: ID
    owner_agency_id: ID
    reason: str
    lead_officer: Optional[str] = None
    expected_version: Optional[int] = None
    effective_on: Optional[date] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class CompleteActionInput:
    action_id: ID
    completed_on: date
    evidence: list[str]
    note: Optional[str] = None
    expected_version: Optional[int] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class RecordJudgementInput:
    subject_id: ID
    body: JudgingBody
    made_on: date
    rationale: str
    outcome: Optional[ProgressJudgement] = None
    rag: Optional[Rag] = None
    inspection_id: Optional[ID] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class DefineMetricInput:
    partnership_id: ID
    name: str
    unit: MetricUnit
    polarity: Polarity
    target: Optional[float] = None
    priority_area_id: Optional[ID] = None
    effective_on: Optional[date] = None
    idempotency_key: Optional[str] = None


@strawberry.input
class RecordMeasurementInput:
    metric_id: ID
    period: str
    period_end: date
    value: float
    expected_version: Optional[int] = None
    idempotency_key: Optional[str] = None


async def execute(info: Info, name: str, input: object) -> Outcome:
    context = info.context
    outcome = await to_thread.run_sync(context.commands.execute, context.principal, name, vars(input),
                                       limiter=context.limiter)
    context.reader.forget(outcome.written)
    return outcome


def errors(outcome: Outcome) -> list[UserError]:
    return [UserError(code=e.code, message=e.message, field=e.field) for e in outcome.errors]


def view_of(o: Outcome) -> View:
    """A retried mutation answers as the first one did: with the entity as it stood just after that change."""
    return View(as_at=datetime.fromisoformat(o.event["recordedAt"])) if o.replayed else NOW


async def entity(info: Info, o: Outcome, kind: str, extra: str | None = None) -> dict | None:
    """The state of the entity changed (or of the finding or priority area it added, named in extra)."""
    entity_id = o.extra.get(extra) if extra else o.entity_id
    return await info.context.reader.entity(entity_id, kind, view=view_of(o)) if entity_id else None


@strawberry.type
class PartnershipPayload:
    partnership: Optional[Partnership]
    event: Optional[EventRecord]
    user_errors: list[UserError]

    @classmethod
    async def of(cls, info: Info, o: Outcome) -> PartnershipPayload:
        return cls(partnership=Partnership.of(await entity(info, o, "Partnership"), view_of(o)), event=EventRecord.of(o.event),
                   user_errors=errors(o))


@strawberry.type
class InspectionPayload:
    inspection: Optional[Inspection]
    finding: Optional[Finding] = strawberry.field(description="The finding this call recorded, where it recorded one.")
    event: Optional[EventRecord]
    user_errors: list[UserError]

    @classmethod
    async def of(cls, info: Info, o: Outcome) -> InspectionPayload:
        return cls(inspection=Inspection.of(await entity(info, o, "Inspection"), view_of(o)),
                   finding=Finding.of(await entity(info, o, "Finding", "findingId"), view_of(o)),
                   event=EventRecord.of(o.event), user_errors=errors(o))


@strawberry.type
class PlanPayload:
    plan: Optional[Plan]
    priority_area: Optional[PriorityArea] = strawberry.field(description="The priority area this call added, where it added one.")
    event: Optional[EventRecord]
    user_errors: list[UserError]

    @classmethod
    async def of(cls, info: Info, o: Outcome) -> PlanPayload:
        return cls(plan=Plan.of(await entity(info, o, "Plan"), view_of(o)),
                   priority_area=PriorityArea.of(await entity(info, o, "PriorityArea", "priorityAreaId"), view_of(o)),
                   event=EventRecord.of(o.event), user_errors=errors(o))


@strawberry.type
class ActionPayload:
    action: Optional[Action]
    event: Optional[EventRecord]
    user_errors: list[UserError]

    @classmethod
    async def of(cls, info: Info, o: Outcome) -> ActionPayload:
        return cls(action=Action.of(await entity(info, o, "Action"), view_of(o)), event=EventRecord.of(o.event), user_errors=errors(o))


@strawberry.type
class JudgementPayload:
    judgement: Optional[Judgement]
    event: Optional[EventRecord]
    user_errors: list[UserError]

    @classmethod
    async def of(cls, info: Info, o: Outcome) -> JudgementPayload:
        return cls(judgement=Judgement.of(await entity(info, o, "Judgement"), view_of(o)), event=EventRecord.of(o.event),
                   user_errors=errors(o))


@strawberry.type
class MetricPayload:
    metric: Optional[Metric]
    event: Optional[EventRecord]
    user_errors: list[UserError]

    @classmethod
    async def of(cls, info: Info, o: Outcome) -> MetricPayload:
        return cls(metric=Metric.of(await entity(info, o, "Metric"), view_of(o)), event=EventRecord.of(o.event), user_errors=errors(o))


def mutation(name: str, input_type: type, payload: type) -> object:
    """A mutation field that runs the command of this name and answers with this payload."""

    async def resolve(info: Info, input: input_type) -> payload:  # type: ignore[valid-type]
        return await payload.of(info, await execute(info, name, input))

    resolve.__annotations__ = {"info": Info, "input": input_type, "return": payload}
    return strawberry.mutation(resolver=resolve, name=name)


@strawberry.type
class Mutation:
    register_partnership = mutation("registerPartnership", RegisterPartnershipInput, PartnershipPayload)
    add_agency = mutation("addAgency", AddAgencyInput, PartnershipPayload)
    record_inspection = mutation("recordInspection", RecordInspectionInput, InspectionPayload)
    record_finding = mutation("recordFinding", RecordFindingInput, InspectionPayload)
    publish_inspection = mutation("publishInspection", PublishInspectionInput, InspectionPayload)
    draft_plan = mutation("draftPlan", DraftPlanInput, PlanPayload)
    add_priority_area = mutation("addPriorityArea", AddPriorityAreaInput, PlanPayload)
    submit_plan = mutation("submitPlan", PlanTransitionInput, PlanPayload)
    approve_plan = mutation("approvePlan", PlanTransitionInput, PlanPayload)
    return_plan = mutation("returnPlan", PlanTransitionInput, PlanPayload)
    supersede_plan = mutation("supersedePlan", SupersedePlanInput, PlanPayload)
    close_plan = mutation("closePlan", PlanTransitionInput, PlanPayload)
    add_action = mutation("addAction", AddActionInput, ActionPayload)
    start_action = mutation("startAction", ActionChangeInput, ActionPayload)
    report_action_progress = mutation("reportActionProgress", ReportActionProgressInput, ActionPayload)
    reschedule_action = mutation("rescheduleAction", RescheduleActionInput, ActionPayload)
    reassign_action = mutation("reassignAction", ReassignActionInput, ActionPayload)
    complete_action = mutation("completeAction", CompleteActionInput, ActionPayload)
    reopen_action = mutation("reopenAction", ActionChangeInput, ActionPayload)
    cancel_action = mutation("cancelAction", ActionChangeInput, ActionPayload)
    record_judgement = mutation("recordJudgement", RecordJudgementInput, JudgementPayload)
    define_metric = mutation("defineMetric", DefineMetricInput, MetricPayload)
    record_measurement = mutation("recordMeasurement", RecordMeasurementInput, MetricPayload)
