"""The GraphQL types of the record, each built from a read-model state.

Plain fields are copied from the state; relations are resolvers that read
through the request's reader, so they see only what the caller may see.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Optional

import strawberry
from strawberry.scalars import JSON

from domain import vocabulary as v
from domain.action import is_overdue
from domain.metric import latest_measurement
from service import commands
from service.graphql import cursors
from service.graphql.context import Info
from projections.temporal import NOW, View

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


def day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def required(info: Info, entity_id: str, kind: str, view: View) -> dict:
    """A relation the schema promises is there: at the view, else as it stands now (only a backdated
    effective date can put a plan's or an action's own date before its partnership's or plan's)."""
    reader = info.context.reader
    return await reader.entity(entity_id, kind, view=view) or await reader.entity(entity_id, kind)


@strawberry.interface
class Node:
    id: strawberry.ID


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


@strawberry.type
class Agency:
    id: strawberry.ID
    name: str
    kind: AgencyKind

    @classmethod
    def of(cls, a: dict) -> Agency:
        return cls(id=a["id"], name=a["name"], kind=v.AgencyKind(a["kind"]))


@strawberry.type
class Partnership(Node):
    id: strawberry.ID
    name: str
    local_authority: str
    agencies: list[Agency]
    version: int
    updated_at: datetime
    view: strawberry.Private[View]

    @classmethod
    def of(cls, s: dict | None, view: View = NOW) -> Partnership | None:
        if s is None:
            return None
        return cls(id=s["id"], name=s["name"], local_authority=s["localAuthority"], agencies=[Agency.of(a) for a in s["agencies"]],
                   version=s["version"], updated_at=moment(s["updatedAt"]), view=view)

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
    id: strawberry.ID
    partnership_id: strawberry.Private[str]
    framework: InspectionFramework
    kind: InspectionKind
    started_on: date
    ended_on: date
    published_on: Optional[date]
    outcome: Optional[InspectionOutcome]
    revisit_of_id: strawberry.Private[str | None]
    finding_states: strawberry.Private[list[dict]]
    version: int
    view: strawberry.Private[View]

    @classmethod
    def of(cls, s: dict | None, view: View = NOW) -> Inspection | None:
        if s is None:
            return None
        return cls(
            id=s["id"], partnership_id=s["partnershipId"], framework=v.InspectionFramework(s["framework"]),
            kind=v.InspectionKind(s["kind"]), started_on=day(s["startedOn"]), ended_on=day(s["endedOn"]),
            published_on=day(s["publishedOn"]), outcome=v.InspectionOutcome(s["outcome"]) if s["outcome"] else None,
            revisit_of_id=s["revisitOf"], finding_states=s["findings"], version=s["version"], view=view,
        )

    @strawberry.field
    async def partnership(self, info: Info) -> Partnership:
        return Partnership.of(await required(info, self.partnership_id, "Partnership", self.view), self.view)

    @strawberry.field
    async def revisit_of(self, info: Info) -> Optional[Inspection]:
        return Inspection.of(await info.context.reader.entity(self.revisit_of_id, "Inspection", view=self.view), self.view) if self.revisit_of_id else None

    @strawberry.field
    def findings(self) -> list[Finding]:
        return [Finding.of({**f, "inspectionId": self.id, "partnershipId": self.partnership_id}, self.view) for f in self.finding_states]

    @strawberry.field(description="Judgements made during this inspection (a revisit's judgements of earlier findings).")
    async def judgements(self, info: Info) -> list[Judgement]:
        return [Judgement.of(s, self.view) for s in await info.context.reader.entities("Judgement", "inspection_id", self.id, view=self.view)]


@strawberry.type
class Finding:
    id: strawberry.ID
    kind: FindingKind
    text: str
    inspection_id: strawberry.Private[str]
    partnership_id: strawberry.Private[str]
    view: strawberry.Private[View]

    @classmethod
    def of(cls, s: dict | None, view: View = NOW) -> Finding | None:
        if s is None:
            return None
        return cls(id=s["id"], kind=v.FindingKind(s["kind"]), text=s["text"], inspection_id=s["inspectionId"],
                   partnership_id=s["partnershipId"], view=view)

    @strawberry.field
    async def inspection(self, info: Info) -> Inspection:
        return Inspection.of(await required(info, self.inspection_id, "Inspection", self.view), self.view)

    @strawberry.field(description="The judgement with the latest madeOn (the later recorded, on the same day).")
    async def latest_judgement(self, info: Info) -> Optional[Judgement]:
        judgements = await info.context.reader.entities("Judgement", "subject_id", self.id, view=self.view)
        return Judgement.of(max(judgements, key=lambda j: (j["madeOn"], j["seq"]), default=None), self.view)

    @strawberry.field
    async def addressed_by(self, info: Info) -> list[PriorityArea]:
        areas = await info.context.reader.entities("PriorityArea", "partnership_id", self.partnership_id, view=self.view)
        return [PriorityArea.of(a, self.view) for a in areas if self.id in a["addresses"]]


@strawberry.input
class ActionFilter:
    status: Optional[list[ActionStatus]] = None
    owner_agency_id: Optional[strawberry.ID] = None
    priority_area_id: Optional[strawberry.ID] = None
    overdue: Optional[bool] = None
    rag: Optional[list[Rag]] = None

    def admits(self, action: dict, on: date) -> bool:
        return (
            (self.status is None or action["status"] in self.status)
            and (self.owner_agency_id is None or action["ownerAgencyId"] == self.owner_agency_id)
            and (self.priority_area_id is None or action["priorityAreaId"] == self.priority_area_id)
            and (self.overdue is None or overdue(action, on) == self.overdue)
            and (self.rag is None or action["rag"] in self.rag)
        )


def overdue(action: dict, on: date) -> bool:
    return is_overdue(v.ActionStatus(action["status"]), day(action["dueOn"]), on)


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
    def of(cls, actions: list[dict], filter: ActionFilter | None, first: int | None, after: str | None,
           view: View = NOW) -> ActionConnection:
        size, start, on = cursors.page_size(first), cursors.decode("a", after), view.day
        chosen = [a for a in actions if filter is None or filter.admits(a, on)]
        page = [a for a in chosen if a["seq"] > start]
        edges = [ActionEdge(cursor=cursors.encode("a", a["seq"]), node=Action.of(a, view)) for a in page[:size]]
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
    def of(cls, actions: list[dict], on: date) -> PlanProgress:
        count = {status: sum(a["status"] == status for a in actions) for status in v.ActionStatus}
        return cls(
            total=len(actions), not_started=count[v.ActionStatus.NOT_STARTED],
            in_progress=count[v.ActionStatus.IN_PROGRESS], completed=count[v.ActionStatus.COMPLETED],
            cancelled=count[v.ActionStatus.CANCELLED], overdue=sum(overdue(a, on) for a in actions),
        )


@strawberry.type
class Plan(Node):
    id: strawberry.ID
    partnership_id: strawberry.Private[str]
    kind: PlanKind
    title: str
    status: PlanStatus
    responds_to_id: strawberry.Private[str | None]
    period_start: Optional[date]
    period_end: Optional[date]
    submission_due: Optional[date]
    submitted_on: Optional[date]
    approved_on: Optional[date]
    returned_on: Optional[date]
    superseded_by_id: strawberry.Private[str | None]
    priority_area_states: strawberry.Private[list[dict]]
    version: int
    updated_at: datetime
    view: strawberry.Private[View]

    @classmethod
    def of(cls, s: dict | None, view: View = NOW) -> Plan | None:
        if s is None:
            return None
        return cls(
            id=s["id"], partnership_id=s["partnershipId"], kind=v.PlanKind(s["kind"]), title=s["title"],
            status=v.PlanStatus(s["status"]), responds_to_id=s["respondsTo"], period_start=day(s["periodStart"]),
            period_end=day(s["periodEnd"]), submission_due=day(s["submissionDue"]),
            submitted_on=day(s["submittedOn"]), approved_on=day(s["approvedOn"]), returned_on=day(s["returnedOn"]),
            superseded_by_id=s["supersededBy"], priority_area_states=s["priorityAreas"], version=s["version"],
            updated_at=moment(s["updatedAt"]), view=view,
        )

    @strawberry.field
    async def partnership(self, info: Info) -> Partnership:
        return Partnership.of(await required(info, self.partnership_id, "Partnership", self.view), self.view)

    @strawberry.field
    async def responds_to(self, info: Info) -> Optional[Inspection]:
        return Inspection.of(await info.context.reader.entity(self.responds_to_id, "Inspection", view=self.view), self.view) if self.responds_to_id else None

    @strawberry.field
    async def superseded_by(self, info: Info) -> Optional[Plan]:
        return Plan.of(await info.context.reader.entity(self.superseded_by_id, "Plan", view=self.view), self.view) if self.superseded_by_id else None

    @strawberry.field
    def priority_areas(self) -> list[PriorityArea]:
        return [PriorityArea.of({**p, "planId": self.id, "partnershipId": self.partnership_id}, self.view) for p in self.priority_area_states]

    @strawberry.field
    async def actions(
        self, info: Info, filter: Optional[ActionFilter] = None, first: Optional[int] = None, after: Optional[str] = None
    ) -> ActionConnection:
        return ActionConnection.of(await info.context.reader.entities("Action", "plan_id", self.id, view=self.view), filter, first, after, self.view)

    @strawberry.field
    async def progress(self, info: Info) -> PlanProgress:
        return PlanProgress.of(await info.context.reader.entities("Action", "plan_id", self.id, view=self.view), self.view.day)


@strawberry.type
class PriorityArea:
    id: strawberry.ID
    title: str
    success_measures: list[str]
    plan_id: strawberry.Private[str]
    partnership_id: strawberry.Private[str]
    finding_ids: strawberry.Private[list[str]]
    view: strawberry.Private[View]

    @classmethod
    def of(cls, s: dict | None, view: View = NOW) -> PriorityArea | None:
        if s is None:
            return None
        return cls(id=s["id"], title=s["title"], success_measures=s["successMeasures"], plan_id=s["planId"],
                   partnership_id=s["partnershipId"], finding_ids=s["addresses"], view=view)

    @strawberry.field
    async def addresses(self, info: Info) -> list[Finding]:
        findings = [await info.context.reader.entity(f, "Finding", view=self.view) for f in self.finding_ids]
        return [Finding.of(f, self.view) for f in findings if f is not None]

    @strawberry.field
    async def actions(self, info: Info) -> list[Action]:
        actions = await info.context.reader.entities("Action", "plan_id", self.plan_id, view=self.view)
        return [Action.of(a, self.view) for a in actions if a["priorityAreaId"] == self.id]


@strawberry.type
class Action(Node):
    id: strawberry.ID
    plan_id: strawberry.Private[str]
    priority_area_id: strawberry.Private[str | None]
    partnership_id: strawberry.Private[str]
    title: str
    description: Optional[str]
    owner_agency_id: strawberry.Private[str]
    lead_officer: Optional[str]
    due_on: date
    status: ActionStatus
    rag: Optional[Rag]
    completed_on: Optional[date]
    evidence: list[str]
    latest_note: Optional[str]
    version: int
    updated_at: datetime
    view: strawberry.Private[View]

    @classmethod
    def of(cls, s: dict | None, view: View = NOW) -> Action | None:
        if s is None:
            return None
        return cls(
            id=s["id"], plan_id=s["planId"], priority_area_id=s["priorityAreaId"], partnership_id=s["partnershipId"],
            title=s["title"], description=s["description"], owner_agency_id=s["ownerAgencyId"],
            lead_officer=s["leadOfficer"], due_on=day(s["dueOn"]), status=v.ActionStatus(s["status"]),
            rag=v.Rag(s["rag"]) if s["rag"] else None, completed_on=day(s["completedOn"]), evidence=s["evidence"],
            latest_note=s["latestNote"], version=s["version"], updated_at=moment(s["updatedAt"]), view=view,
        )

    @strawberry.field
    async def plan(self, info: Info) -> Plan:
        return Plan.of(await required(info, self.plan_id, "Plan", self.view), self.view)

    @strawberry.field
    async def priority_area(self, info: Info) -> Optional[PriorityArea]:
        return PriorityArea.of(await info.context.reader.entity(self.priority_area_id, "PriorityArea", view=self.view), self.view) if self.priority_area_id else None

    @strawberry.field
    async def owner_agency(self, info: Info) -> Agency:
        # At the view, else now (an agency added with a later effective date than the action's).
        for view in (self.view, NOW):
            partnership = await info.context.reader.entity(self.partnership_id, "Partnership", view=view) or {"agencies": []}
            agency = next((a for a in partnership["agencies"] if a["id"] == self.owner_agency_id), None)
            if agency is not None:
                return Agency.of(agency)
        raise LookupError(f"agency {self.owner_agency_id} is not in partnership {self.partnership_id}")

    @strawberry.field(description="Due before the day the answer is for (asOf, else the day of asAt, else today) and neither completed nor cancelled.")
    def overdue(self) -> bool:
        return is_overdue(self.status, self.due_on, self.view.day)


@strawberry.type
class Judgement(Node):
    id: strawberry.ID
    body: JudgingBody
    subject_id: strawberry.ID = strawberry.field(description="A finding, plan, priority area or action.")
    outcome: Optional[ProgressJudgement]
    rag: Optional[Rag]
    made_on: date
    rationale: str
    inspection_id: strawberry.Private[str | None]
    view: strawberry.Private[View]

    @classmethod
    def of(cls, s: dict | None, view: View = NOW) -> Judgement | None:
        if s is None:
            return None
        return cls(
            id=s["id"], body=v.JudgingBody(s["body"]), subject_id=s["subjectId"],
            outcome=v.ProgressJudgement(s["outcome"]) if s["outcome"] else None,
            rag=v.Rag(s["rag"]) if s["rag"] else None, made_on=day(s["madeOn"]), rationale=s["rationale"],
            inspection_id=s["inspectionId"], view=view,
        )

    @strawberry.field
    async def inspection(self, info: Info) -> Optional[Inspection]:
        return Inspection.of(await info.context.reader.entity(self.inspection_id, "Inspection", view=self.view), self.view) if self.inspection_id else None


@strawberry.type
class Measurement:
    period: str
    period_end: date
    value: float
    rag: Optional[Rag]
    recorded_at: datetime

    @classmethod
    def of(cls, s: dict | None) -> Measurement | None:
        if s is None:
            return None
        return cls(period=s["period"], period_end=day(s["periodEnd"]), value=s["value"],
                   rag=v.Rag(s["rag"]) if s["rag"] else None, recorded_at=moment(s["recordedAt"]))


@strawberry.type
class Metric(Node):
    id: strawberry.ID
    partnership_id: strawberry.Private[str]
    name: str
    unit: MetricUnit
    polarity: Polarity
    target: Optional[float]
    measurement_states: strawberry.Private[list[dict]]
    view: strawberry.Private[View]

    @classmethod
    def of(cls, s: dict | None, view: View = NOW) -> Metric | None:
        if s is None:
            return None
        return cls(id=s["id"], partnership_id=s["partnershipId"], name=s["name"], unit=v.MetricUnit(s["unit"]),
                   polarity=v.Polarity(s["polarity"]), target=s["target"], measurement_states=s["measurements"], view=view)

    @strawberry.field
    async def partnership(self, info: Info) -> Partnership:
        return Partnership.of(await required(info, self.partnership_id, "Partnership", self.view), self.view)

    @strawberry.field(description="Every period measured, in order of periodEnd.")
    def measurements(self) -> list[Measurement]:
        return [Measurement.of(m) for m in sorted(self.measurement_states, key=lambda m: m["periodEnd"])]

    @strawberry.field(description="The measurement with the latest periodEnd.")
    def latest(self) -> Optional[Measurement]:
        return Measurement.of(latest_measurement(self.measurement_states))


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
            type=r["type"], version=r["version"], recorded_at=moment(r["recordedAt"]),
            effective_on=day(r["effectiveOn"]),
            actor=Actor(subject=actor["subject"], role=v.Role(actor["role"]), agency_id=actor["agencyId"]),
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


STATE_TYPES: dict[str, type] = {"Partnership": Partnership, "Inspection": Inspection, "Plan": Plan, "Action": Action,
               "Judgement": Judgement, "Metric": Metric}
