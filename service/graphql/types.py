"""The GraphQL types of the record, each built from a read-model state (projections/shapes.py) at a view.

Plain fields are copied from the state, by name; relations are resolvers that
read through the request's reader at the same view (asAt, asOf) as the object
they are on, so they see only what the caller may see, as it stood then. A
related entity that did not exist at that view is null where the field may be,
and a clear error where the schema promises one.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone
from functools import cache
from typing import Annotated, Any, Optional

import msgspec
import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from domain import vocabulary as v
from domain.action import is_overdue
from projections.shapes import MeasurementState, State
from projections.temporal import NOW, View
from service import commands
from service.graphql import cursors
from service.graphql.context import Info
from service.webhooks import deliveries

AgencyKind = strawberry.enum(v.AgencyKind)
InspectionFramework = strawberry.enum(v.InspectionFramework)
InspectionKind = strawberry.enum(v.InspectionKind)
InspectionOutcome = strawberry.enum(v.InspectionOutcome)
FindingKind = strawberry.enum(v.FindingKind)
PlanKind = strawberry.enum(v.PlanKind)
PlanStatus = strawberry.enum(v.PlanStatus)
ActionStatus = strawberry.enum(v.ActionStatus)
Rag = strawberry.enum(v.Rag)
JudgingBody = strawberry.enum(v.JudgingBody)
ProgressJudgement = strawberry.enum(v.ProgressJudgement)
MetricUnit = strawberry.enum(v.MetricUnit)
Polarity = strawberry.enum(v.Polarity)
Role = strawberry.enum(v.Role)
ErrorCode = strawberry.enum(commands.ErrorCode)


def described(view: View) -> str:
    return ", ".join(f"{k} {val}" for k, val in (("asAt", view.as_at_text), ("asOf", view.as_of)) if val) or "now"


async def related(info: Info, entity_id: str | None, kind: str, view: View) -> State | None:
    return await info.context.reader.entity(entity_id, kind, view=view) if entity_id else None


async def required(info: Info, entity_id: str, kind: str, view: View, of: str) -> State:
    """A relation the schema promises: an error if the record holds none at this view (only a record written
    before the service refused changes that take effect before what they belong to can lack one)."""
    found = await related(info, entity_id, kind, view)
    if found is None:
        raise GraphQLError(f"the {kind} of this {of} did not exist in the record at this view ({described(view)})")
    return found


@strawberry.interface(description="An entity of the record with an id of its own, which `node(id:)` finds.")
class Node:
    id: strawberry.ID
    state: strawberry.Private[Any]
    view: strawberry.Private[View]

    @classmethod
    def of(cls, state: State | None, view: View = NOW) -> Any:
        """The type from a state, its plain fields copied by name."""
        if state is None:
            return None
        return cls(**{name: getattr(state, name) for name in copied(cls, type(state))}, state=state, view=view)


@cache
def copied(cls: type, shape: type) -> tuple[str, ...]:
    """The fields of a GraphQL type that are the same-named fields of its state's shape."""
    plain = {f.python_name for f in cls.__strawberry_definition__.fields if f.base_resolver is None}
    return tuple(f.name for f in msgspec.structs.fields(shape) if f.name in plain)


@strawberry.type
class Actor:
    subject: str
    role: Role
    agency_id: Optional[strawberry.ID]


@strawberry.type
class UserError:
    code: ErrorCode
    message: str
    field: Optional[list[str]]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: Optional[str]


@strawberry.type(description="An agency of a partnership: the council, health, education, the parent carer forum.")
class Agency(Node):
    name: str
    kind: AgencyKind


@strawberry.type
class Partnership(Node):
    name: str
    local_authority: str
    version: int
    updated_at: datetime

    @strawberry.field
    def agencies(self) -> list[Agency]:
        return [Agency.of(a, self.view) for a in self.state.agencies]

    @strawberry.field
    async def inspections(self, info: Info) -> list[Inspection]:
        return [Inspection.of(s, self.view) for s in await info.context.reader.entities("Inspection", "partnership_id", self.id, view=self.view)]

    @strawberry.field
    async def plans(self, info: Info) -> list[Plan]:
        return [Plan.of(s, self.view) for s in await info.context.reader.entities("Plan", "partnership_id", self.id, view=self.view)]

    @strawberry.field
    async def metrics(self, info: Info) -> list[Metric]:
        return [Metric.of(s, self.view) for s in await info.context.reader.entities("Metric", "partnership_id", self.id, view=self.view)]


@strawberry.type
class Inspection(Node):
    framework: InspectionFramework
    kind: InspectionKind
    started_on: date
    ended_on: date
    published_on: Optional[date]
    outcome: Optional[InspectionOutcome]
    version: int
    updated_at: datetime

    @strawberry.field
    async def partnership(self, info: Info) -> Partnership:
        return Partnership.of(await required(info, self.state.partnership_id, "Partnership", self.view, "inspection"), self.view)

    @strawberry.field
    async def revisit_of(self, info: Info) -> Optional[Inspection]:
        return Inspection.of(await related(info, self.state.revisit_of_id, "Inspection", self.view), self.view)

    @strawberry.field
    def findings(self) -> list[Finding]:
        return [Finding.of(f, self.view) for f in self.state.findings]

    @strawberry.field(description="Judgements made during this inspection (a revisit's judgements of earlier findings).")
    async def judgements(self, info: Info) -> list[Judgement]:
        return [Judgement.of(s, self.view) for s in await info.context.reader.entities("Judgement", "inspection_id", self.id, view=self.view)]


@strawberry.type
class Finding(Node):
    kind: FindingKind
    text: str

    @strawberry.field
    async def inspection(self, info: Info) -> Inspection:
        return Inspection.of(await required(info, self.state.inspection_id, "Inspection", self.view, "finding"), self.view)

    @strawberry.field(description="The judgement with the latest madeOn (the later recorded, on the same day).")
    async def latest_judgement(self, info: Info) -> Optional[Judgement]:
        judgements = await info.context.reader.entities("Judgement", "subject_id", self.id, view=self.view)
        return Judgement.of(max(judgements, key=lambda j: (j.made_on, j.seq), default=None), self.view)

    @strawberry.field
    async def addressed_by(self, info: Info) -> list[PriorityArea]:
        areas = await info.context.reader.entities("PriorityArea", "partnership_id", self.state.partnership_id, view=self.view)
        return [PriorityArea.of(a, self.view) for a in areas if self.id in a.addresses]


@strawberry.input
class ActionFilter:
    status: Optional[list[ActionStatus]] = None
    owner_agency_id: Optional[strawberry.ID] = None
    priority_area_id: Optional[strawberry.ID] = None
    overdue: Optional[bool] = None
    rag: Optional[list[Rag]] = None

    def admits(self, action: Any, on: date) -> bool:
        return (
            (self.status is None or action.status in self.status)
            and (self.owner_agency_id is None or action.owner_agency_id == self.owner_agency_id)
            and (self.priority_area_id is None or action.priority_area_id == self.priority_area_id)
            and (self.overdue is None or is_overdue(action.status, action.due_on, on) == self.overdue)
            and (self.rag is None or action.rag in self.rag)
        )


@strawberry.type
class ActionEdge:
    cursor: str
    node: Action


@strawberry.type
class ActionConnection:
    edges: list[ActionEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, actions: list[Any], filter: ActionFilter | None, first: int | None, after: str | None,
           view: View = NOW) -> ActionConnection:
        size, start, on = cursors.page_size(first), cursors.decode("a", after), view.day
        chosen = [a for a in actions if filter is None or filter.admits(a, on)]
        page = [a for a in chosen if a.seq > start]
        edges = [ActionEdge(cursor=cursors.encode("a", a.seq), node=Action.of(a, view)) for a in page[:size]]
        return cls(
            edges=edges,
            page_info=PageInfo(has_next_page=len(page) > size, end_cursor=edges[-1].cursor if edges else None),
            total_count=len(chosen),
        )


@strawberry.type
class PlanProgress:
    total: int
    not_started: int
    in_progress: int
    completed: int
    cancelled: int
    overdue: int

    @classmethod
    def of(cls, actions: list[Any], on: date) -> PlanProgress:
        count = {status: sum(a.status == status for a in actions) for status in v.ActionStatus}
        return cls(
            total=len(actions), not_started=count[v.ActionStatus.NOT_STARTED],
            in_progress=count[v.ActionStatus.IN_PROGRESS], completed=count[v.ActionStatus.COMPLETED],
            cancelled=count[v.ActionStatus.CANCELLED], overdue=sum(is_overdue(a.status, a.due_on, on) for a in actions),
        )


@strawberry.type
class Plan(Node):
    kind: PlanKind
    title: str
    status: PlanStatus
    period_start: Optional[date]
    period_end: Optional[date]
    submission_due: Optional[date]
    submitted_on: Optional[date]
    approved_on: Optional[date]
    returned_on: Optional[date]
    version: int
    updated_at: datetime

    @strawberry.field
    async def partnership(self, info: Info) -> Partnership:
        return Partnership.of(await required(info, self.state.partnership_id, "Partnership", self.view, "plan"), self.view)

    @strawberry.field
    async def responds_to(self, info: Info) -> Optional[Inspection]:
        return Inspection.of(await related(info, self.state.responds_to_id, "Inspection", self.view), self.view)

    @strawberry.field
    async def superseded_by(self, info: Info) -> Optional[Plan]:
        return Plan.of(await related(info, self.state.superseded_by_id, "Plan", self.view), self.view)

    @strawberry.field
    def priority_areas(self) -> list[PriorityArea]:
        return [PriorityArea.of(p, self.view) for p in self.state.priority_areas]

    @strawberry.field
    async def actions(
        self, info: Info, filter: Optional[ActionFilter] = None, first: Optional[int] = None, after: Optional[str] = None
    ) -> ActionConnection:
        return ActionConnection.of(await info.context.reader.entities("Action", "plan_id", self.id, view=self.view), filter, first, after, self.view)

    @strawberry.field
    async def progress(self, info: Info) -> PlanProgress:
        return PlanProgress.of(await info.context.reader.entities("Action", "plan_id", self.id, view=self.view), self.view.day)


@strawberry.type
class PriorityArea(Node):
    title: str
    success_measures: list[str]

    @strawberry.field
    async def plan(self, info: Info) -> Plan:
        return Plan.of(await required(info, self.state.plan_id, "Plan", self.view, "priority area"), self.view)

    @strawberry.field
    async def addresses(self, info: Info) -> list[Finding]:
        findings = [await info.context.reader.entity(f, "Finding", view=self.view) for f in self.state.addresses]
        return [Finding.of(f, self.view) for f in findings if f is not None]

    @strawberry.field
    async def actions(self, info: Info) -> list[Action]:
        actions = await info.context.reader.entities("Action", "plan_id", self.state.plan_id, view=self.view)
        return [Action.of(a, self.view) for a in actions if a.priority_area_id == self.id]


@strawberry.type
class Action(Node):
    title: str
    description: Optional[str]
    lead_officer: Optional[str]
    due_on: date
    status: ActionStatus
    rag: Optional[Rag]
    completed_on: Optional[date]
    evidence: list[str]
    latest_note: Optional[str]
    version: int
    updated_at: datetime

    @strawberry.field
    async def plan(self, info: Info) -> Plan:
        return Plan.of(await required(info, self.state.plan_id, "Plan", self.view, "action"), self.view)

    @strawberry.field
    async def priority_area(self, info: Info) -> Optional[PriorityArea]:
        return PriorityArea.of(await related(info, self.state.priority_area_id, "PriorityArea", self.view), self.view)

    @strawberry.field
    async def owner_agency(self, info: Info) -> Agency:
        return Agency.of(await required(info, self.state.owner_agency_id, "Agency", self.view, "action"), self.view)

    @strawberry.field(description="Due before the day the answer is for (asOf, else the day of asAt, else today) and neither completed nor cancelled.")
    def overdue(self) -> bool:
        return is_overdue(self.status, self.due_on, self.view.day)


@strawberry.type
class Judgement(Node):
    body: JudgingBody
    subject_id: strawberry.ID = strawberry.field(description="A finding, plan, priority area or action.")
    outcome: Optional[ProgressJudgement]
    rag: Optional[Rag]
    made_on: date
    rationale: str
    version: int

    @strawberry.field
    async def inspection(self, info: Info) -> Optional[Inspection]:
        return Inspection.of(await related(info, self.state.inspection_id, "Inspection", self.view), self.view)


@strawberry.type
class Measurement:
    period: str
    period_end: date
    value: float
    rag: Optional[Rag]
    metric_id: strawberry.Private[str]
    version: strawberry.Private[int]

    @classmethod
    def of(cls, m: MeasurementState | None, metric_id: str) -> Measurement | None:
        if m is None:
            return None
        return cls(period=m.period, period_end=m.period_end, value=m.value, rag=m.rag, metric_id=metric_id, version=m.version)

    @strawberry.field(description="When the figure for this period that stands was recorded (a period measured again is a correction).")
    async def recorded_at(self, info: Info) -> datetime:
        return await info.context.reader.recorded_at(self.metric_id, self.version)


@strawberry.type
class Metric(Node):
    name: str
    unit: MetricUnit
    polarity: Polarity
    target: Optional[float]
    version: int
    updated_at: datetime

    @strawberry.field
    async def partnership(self, info: Info) -> Partnership:
        return Partnership.of(await required(info, self.state.partnership_id, "Partnership", self.view, "metric"), self.view)

    @strawberry.field(description="Every period measured, in order of periodEnd.")
    def measurements(self) -> list[Measurement]:
        return [Measurement.of(m, self.id) for m in sorted(self.state.measurements, key=lambda m: m.period_end)]

    @strawberry.field(description="The measurement with the latest periodEnd.")
    def latest(self) -> Optional[Measurement]:
        return Measurement.of(max(self.state.measurements, key=lambda m: m.period_end, default=None), self.id)


@strawberry.type(description="One immutable fact in the record.")
class EventRecord:
    position: str = strawberry.field(description="Opaque cursor, ordered as the global log is.")
    entity_id: strawberry.ID
    entity_type: str
    type: str = strawberry.field(description="Past-tense name, e.g. ActionCompleted.")
    version: int = strawberry.field(description="The entity's version after this event.")
    recorded_at: datetime
    effective_on: Optional[date]
    actor: Actor
    reason: Optional[str]
    partnership_id: Optional[strawberry.ID]
    data: JSON
    # Subscriptions' results on this record, by operation and variables: the live feed gives every subscriber
    # the same EventRecord, and the selection is run once for all who ask the same (schema.SharedResults).
    results: strawberry.Private[dict] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, r: dict | None) -> EventRecord | None:
        if r is None:
            return None
        actor = r["actor"]
        return cls(
            position=cursors.encode("e", r["position"]), entity_id=r["entityId"], entity_type=r["entityType"],
            type=r["type"], version=r["version"], recorded_at=datetime.fromisoformat(r["recordedAt"]),
            effective_on=date.fromisoformat(r["effectiveOn"]) if r["effectiveOn"] else None,
            actor=Actor(subject=actor["subject"], role=v.Role(actor["role"]), agency_id=actor.get("agencyId")),
            reason=r["reason"], partnership_id=r["partnershipId"], data=r["data"],
        )


@strawberry.type
class EventEdge:
    cursor: str
    node: EventRecord


@strawberry.type
class EventConnection:
    edges: list[EventEdge]
    page_info: PageInfo

    @classmethod
    def of(cls, records: list[dict], size: int) -> EventConnection:
        edges = [EventEdge(cursor=cursors.encode("e", r["position"]), node=EventRecord.of(r)) for r in records[:size]]
        return cls(edges=edges, page_info=PageInfo(has_next_page=len(records) > size, end_cursor=edges[-1].cursor if edges else None))


@strawberry.type
class AuditVerification:
    ok: bool
    events_checked: int
    first_broken_position: Optional[str]


WebhookDeliveryStatus = strawberry.enum(deliveries.DeliveryStatus, name="WebhookDeliveryStatus",
                                       description="Where one event's delivery to a webhook stands.")
for _value in WebhookDeliveryStatus.__strawberry_definition__.values:
    _value.description = {
        "PENDING": "Not yet attempted, or its first attempt under way.",
        "DELIVERED": "The receiver answered 2xx.",
        "FAILED": "Failed at least once; it is retried on its schedule.",
        "GIVEN_UP": "Failed on every attempt of its schedule (about a day); redeliverWebhook sends it again.",
    }[_value.name]


@strawberry.type(description="One event's delivery to a webhook: where it stands after the attempts made so far, "
                             "all under the same webhook-id.")
class WebhookDelivery:
    position: str = strawberry.field(description="The event's position cursor, as `events` shows it: the webhook-id "
                                                 "header of every attempt.")
    event: EventRecord = strawberry.field(description="The event delivered (the body's data).")
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")
    parked: bool = strawberry.field(description="Set aside after failing for longer than the webhook's place may be "
                                                "held, so that later events flow; it keeps its retries.")
    attempts: int = strawberry.field(description="Attempts made.")
    first_attempt_at: Optional[datetime] = strawberry.field(description="When the first attempt was made.")
    last_attempt_at: Optional[datetime] = strawberry.field(description="When the last attempt was made.")
    next_attempt_at: Optional[datetime] = strawberry.field(description="When it is next tried, while FAILED.")
    last_status_code: Optional[int] = strawberry.field(description="The receiver's HTTP status at the last attempt; "
                                                                   "null if it gave none (refused, timed out).")
    last_error: Optional[str] = strawberry.field(description="What went wrong at the last attempt, if it failed.")

    @classmethod
    def of(cls, row: dict) -> WebhookDelivery:
        def at(ms: int | None) -> datetime | None:
            return datetime.fromtimestamp(ms / 1000, timezone.utc) if ms is not None else None

        status = deliveries.DeliveryStatus(row["status"])
        return cls(position=cursors.encode("e", row["position"]), event=EventRecord.of(row["body"]), status=status,
                   parked=bool(row["parked"]), attempts=row["attempts"], first_attempt_at=at(row["first_attempt_at"]),
                   last_attempt_at=at(row["last_attempt_at"]),
                   next_attempt_at=at(row["next_attempt_at"]) if status == deliveries.DeliveryStatus.FAILED else None,
                   last_status_code=row["last_status_code"], last_error=row["last_error"])


@strawberry.type(description="A delivery and its cursor.")
class WebhookDeliveryEdge:
    cursor: str = strawberry.field(description="The event's position cursor.")
    node: WebhookDelivery = strawberry.field(description="The delivery.")


@strawberry.type(description="A page of a webhook's deliveries, in log order.")
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge] = strawberry.field(description="The deliveries of this page.")
    page_info: PageInfo = strawberry.field(description="Whether there are more, and the cursor to ask after.")


@strawberry.type(description="An integration's HTTP endpoint that receives the events it asks for as signed POSTs "
                             "(Standard Webhooks 1.0), in log order, at least once. Read by whoever reads its "
                             "partnership (a webhook for every partnership: the roles that read them all).")
class Webhook(Node):
    url: str = strawberry.field(description="Where the events are POSTed.")
    event_types: list[str] = strawberry.field(description="The event types it receives; empty: every event.")
    description: Optional[str] = strawberry.field(description="What it is for.")
    active: bool = strawberry.field(description="Whether it receives events; disabled, it resumes where it stopped "
                                                "once enabled.")
    disabled_reason: Optional[str] = strawberry.field(description="Why it was disabled, while it is.")
    version: int = strawberry.field(description="The number of its events.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @strawberry.field(description="The partnership whose events it receives; null: every partnership (an ADMIN's).")
    async def partnership(self, info: Info) -> Optional[Partnership]:
        return Partnership.of(await related(info, self.state.partnership_id, "Partnership", self.view), self.view)

    @strawberry.field(description="Until when the secret before the last rotation signs deliveries beside the "
                                  "current one; null when only the current one does.")
    def previous_secret_expires_at(self) -> Optional[datetime]:
        expires = self.state.previous_secret_expires_at
        return expires if expires is not None and expires > datetime.now(timezone.utc) else None

    @strawberry.field(description="The events delivered or being delivered to it, in log order, as they stand now "
                                  "(whatever the view); those settled (delivered or given up) are kept for "
                                  "SEND_RECORDS_WEBHOOK_KEEP_DAYS days.")
    async def deliveries(
        self,
        info: Info,
        first: Annotated[Optional[int], strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[Optional[str], strawberry.argument(description="The cursor to go on after.")] = None,
        status: Annotated[Optional[WebhookDeliveryStatus],
                          strawberry.argument(description="Only deliveries that stand so.")] = None,
    ) -> WebhookDeliveryConnection:
        size = cursors.page_size(first)
        rows = await info.context.reader.read_model.ask(
            deliveries.page(self.id, cursors.decode("e", after), size + 1, status))
        edges = [WebhookDeliveryEdge(cursor=cursors.encode("e", r["position"]), node=WebhookDelivery.of(r))
                 for r in rows[:size]]
        return WebhookDeliveryConnection(edges=edges, page_info=PageInfo(
            has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None))


# The GraphQL type of each kind of entity (projections/shapes.py's KINDS).
TYPES: dict[str, type[Node]] = {"Partnership": Partnership, "Agency": Agency, "Inspection": Inspection,
                                "Finding": Finding, "Plan": Plan, "PriorityArea": PriorityArea, "Action": Action,
                                "Judgement": Judgement, "Metric": Metric, "Webhook": Webhook}
