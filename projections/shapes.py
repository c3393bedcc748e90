"""The read-model contract: for each kind of entity, the shape of its state, and the registry of kinds.

Projections write these shapes and GraphQL types read them; neither depends on
the aggregates' attribute names, which each builder below maps explicitly.
States are stored as compact JSON (msgspec: typed encoding and decoding of
dates, enums and nested states, with no hand-written mapping), snake_case,
fields at their default left out.

An aggregate's state holds its children (an inspection's findings, a plan's
priority areas, a partnership's agencies) in the order they were added; each
child is also an entity of its own, addressable by id, with its own row, and
answered at a past view through its owner's state at that view.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

import msgspec

from domain.action import Action
from domain.base import Record
from domain.improvement_notice import ImprovementNotice
from domain.inspection import Inspection
from domain.judgement import Judgement
from domain.meeting import Meeting
from domain.metric import Metric
from domain.partnership import Partnership
from domain.plan import Plan
from domain.webhook import Webhook
from domain.vocabulary import (
    ActionStatus, AgencyKind, Direction, FindingKind, InspectionFramework, InspectionKind, InspectionOutcome,
    JudgingBody, MeetingKind, MetricUnit, PlanKind, PlanStatus, Polarity, ProgressJudgement, Rag,
)


class State(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What every entity's state has. `seq` is the log position the entity first appeared at (the order of
    lists and their cursors): it is the row's, never stored in the state."""

    id: str
    partnership_id: str
    seq: int = 0


class AggregateState(State, kw_only=True, omit_defaults=True):
    version: int
    updated_at: datetime


class AgencyState(State, kw_only=True, omit_defaults=True):
    name: str
    kind: AgencyKind


class PartnershipState(AggregateState, kw_only=True, omit_defaults=True):
    name: str
    local_authority: str
    agencies: list[AgencyState] = []


class FindingState(State, kw_only=True, omit_defaults=True):
    inspection_id: str
    kind: FindingKind
    text: str
    responsible_agency_ids: list[str] = []
    about_alternative_provision: bool = False


class InspectionState(AggregateState, kw_only=True, omit_defaults=True):
    framework: InspectionFramework
    kind: InspectionKind
    started_on: date
    ended_on: date
    published_on: date | None = None
    outcome: InspectionOutcome | None = None
    revisit_of_id: str | None = None
    findings: list[FindingState] = []


class PriorityAreaState(State, kw_only=True, omit_defaults=True):
    plan_id: str
    title: str
    addresses: list[str] = []  # ids of the findings it answers
    success_measures: list[str] = []


class PlanState(AggregateState, kw_only=True, omit_defaults=True):
    kind: PlanKind
    title: str
    status: PlanStatus
    responds_to_id: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    submission_due: date | None = None
    submission_due_derived: bool = False  # counted by the framework's table, not given by hand
    publication_due: date | None = None
    first_submitted_on: date | None = None
    submitted_on: date | None = None
    approved_on: date | None = None
    returned_on: date | None = None
    finished_on: date | None = None
    superseded_by_id: str | None = None
    priority_areas: list[PriorityAreaState] = []


class ActionState(AggregateState, kw_only=True, omit_defaults=True):
    plan_id: str
    priority_area_id: str | None = None
    title: str
    description: str | None = None
    owner_agency_id: str
    lead_officer: str | None = None
    due_on: date
    original_due_on: date
    reschedule_count: int = 0
    status: ActionStatus
    rag: Rag | None = None
    completed_on: date | None = None
    evidence: list[str] = []
    latest_note: str | None = None


class JudgementState(AggregateState, kw_only=True, omit_defaults=True):
    subject_id: str
    subject_kind: str
    body: JudgingBody
    outcome: ProgressJudgement | None = None
    rag: Rag | None = None
    made_on: date
    rationale: str
    inspection_id: str | None = None


class MeasurementState(msgspec.Struct, kw_only=True, omit_defaults=True):
    period: str
    period_end: date
    value: float
    target: float | None = None  # the one it was judged against
    rag: Rag | None = None
    direction: Direction | None = None
    england_average: float | None = None
    statistical_neighbours: float | None = None
    version: int  # the metric's version that recorded it: its recordedAt is that event's


class MilestoneState(msgspec.Struct, kw_only=True, omit_defaults=True):
    period: str
    period_end: date
    target: float


class MetricState(AggregateState, kw_only=True, omit_defaults=True):
    name: str
    unit: MetricUnit
    polarity: Polarity
    target: float | None = None
    baseline: float | None = None
    baseline_period: str | None = None
    amber_tolerance: float  # always written: omit_defaults would leave out the default only where it is the same object
    priority_area_id: str | None = None
    milestones: list[MilestoneState] = []
    measurements: list[MeasurementState] = []


class MeetingState(AggregateState, kw_only=True, omit_defaults=True):
    kind: MeetingKind
    held_on: date
    summary: str
    attending_agency_ids: list[str] = []
    other_attendees: list[str] = []
    decisions: list[str] = []
    action_ids: list[str] = []
    plan_ids: list[str] = []


class ImprovementNoticeState(AggregateState, kw_only=True, omit_defaults=True):
    issued_on: date
    summary: str
    lifted_on: date | None = None
    lift_reason: str | None = None


class WebhookState(AggregateState, kw_only=True, omit_defaults=True):
    partnership_id: str | None = None  # None: it follows every partnership, and belongs to none
    url: str
    event_types: list[str] = []  # none: every event
    description: str | None = None
    owner_partnership_id: str | None = None  # the one partnership its owner may read; None: all of them
    secret_id: str  # what its secret is derived from (service/webhooks/outbound.py); not a secret itself
    previous_secret_id: str | None = None
    previous_secret_expires_at: datetime | None = None
    active: bool = True
    disabled_reason: str | None = None
    redeliveries: int = 0  # redeliveries asked for; the last one from after this log position:
    redeliver_after: int | None = None


def _base(a: Record) -> dict[str, Any]:
    return {"id": str(a.id), "partnership_id": a.partnership_id, "version": a.version, "updated_at": a.modified_on}


def partnership_state(p: Partnership) -> PartnershipState:
    agencies = [AgencyState(id=a.id, partnership_id=p.partnership_id, name=a.name, kind=a.kind) for a in p.agencies.values()]
    return PartnershipState(**_base(p), name=p.name, local_authority=p.local_authority, agencies=agencies)


def inspection_state(i: Inspection) -> InspectionState:
    findings = [FindingState(id=f.id, partnership_id=i.partnership_id, inspection_id=str(i.id), kind=f.kind, text=f.text,
                             responsible_agency_ids=list(f.responsible_agency_ids),
                             about_alternative_provision=f.about_alternative_provision)
                for f in i.findings.values()]
    return InspectionState(**_base(i), framework=i.framework, kind=i.kind, started_on=i.started_on, ended_on=i.ended_on,
                           published_on=i.published_on, outcome=i.outcome, revisit_of_id=i.revisit_of, findings=findings)


def plan_state(p: Plan) -> PlanState:
    areas = [PriorityAreaState(id=a.id, partnership_id=p.partnership_id, plan_id=str(p.id), title=a.title,
                               addresses=list(a.addresses), success_measures=list(a.success_measures))
             for a in p.priority_areas.values()]
    return PlanState(**_base(p), kind=p.kind, title=p.title, status=p.status, responds_to_id=p.responds_to,
                     period_start=p.period_start, period_end=p.period_end, submission_due=p.submission_due,
                     submission_due_derived=p.submission_due_derived, publication_due=p.publication_due,
                     first_submitted_on=p.first_submitted_on, submitted_on=p.submitted_on, approved_on=p.approved_on, returned_on=p.returned_on,
                     finished_on=p.finished_on, superseded_by_id=p.superseded_by, priority_areas=areas)


def action_state(a: Action) -> ActionState:
    return ActionState(**_base(a), plan_id=a.plan_id, priority_area_id=a.priority_area_id, title=a.title,
                       description=a.description, owner_agency_id=a.owner_agency_id, lead_officer=a.lead_officer,
                       due_on=a.due_on, original_due_on=a.original_due_on, reschedule_count=a.reschedule_count,
                       status=a.status, rag=a.rag, completed_on=a.completed_on,
                       evidence=list(a.evidence), latest_note=a.latest_note)


def judgement_state(j: Judgement) -> JudgementState:
    return JudgementState(**_base(j), subject_id=j.subject_id, subject_kind=j.subject_kind, body=j.body,
                          outcome=j.outcome, rag=j.rag, made_on=j.made_on, rationale=j.rationale,
                          inspection_id=j.inspection_id)


def metric_state(m: Metric) -> MetricState:
    measurements = [MeasurementState(period=x.period, period_end=x.period_end, value=x.value, target=m.target_for(x),
                                     rag=m.rag_of(x), direction=m.direction_of(x), england_average=x.england_average,
                                     statistical_neighbours=x.statistical_neighbours, version=x.version)
                    for x in m.measurements.values()]
    milestones = [MilestoneState(period=x.period, period_end=x.period_end, target=x.target) for x in m.milestones.values()]
    return MetricState(**_base(m), name=m.name, unit=m.unit, polarity=m.polarity, target=m.target, baseline=m.baseline,
                       baseline_period=m.baseline_period, amber_tolerance=m.amber_tolerance,
                       priority_area_id=m.priority_area_id, milestones=milestones, measurements=measurements)


def meeting_state(m: Meeting) -> MeetingState:
    return MeetingState(**_base(m), kind=m.kind, held_on=m.held_on, summary=m.summary,
                        attending_agency_ids=list(m.attending_agency_ids), other_attendees=list(m.other_attendees),
                        decisions=list(m.decisions), action_ids=list(m.action_ids), plan_ids=list(m.plan_ids))


def improvement_notice_state(n: ImprovementNotice) -> ImprovementNoticeState:
    return ImprovementNoticeState(**_base(n), issued_on=n.issued_on, summary=n.summary, lifted_on=n.lifted_on,
                                  lift_reason=n.lift_reason)


def webhook_state(w: Webhook) -> WebhookState:
    return WebhookState(**_base(w), url=w.url, event_types=list(w.event_types), description=w.description,
                        owner_partnership_id=w.owner_partnership_id, secret_id=w.secret_id,
                        previous_secret_id=w.previous_secret_id, previous_secret_expires_at=w.previous_secret_expires_at,
                        active=w.active, disabled_reason=w.disabled_reason, redeliveries=w.redeliveries,
                        redeliver_after=w.redeliver_after)


@dataclass(frozen=True)
class Kind:
    """A kind of entity: its state's shape and where its rows come from.

    An aggregate kind names its aggregate class and builder, and the fields of its state holding children; a
    child kind names its owner kind, the field of its state naming the owner, and the event that adds one (and
    its field holding the child's id), which is the child's own event in the log."""

    name: str
    shape: type[State]
    aggregate: type[Record] | None = None
    build: Callable[[Any], AggregateState] | None = None
    children: tuple[tuple[str, str], ...] = ()  # (field of the state, child kind)
    owner: str | None = None
    owner_key: str | None = None
    added_by: tuple[str, str] | None = None  # (event type, field of the event naming the child)


KINDS: dict[str, Kind] = {k.name: k for k in [
    Kind("Partnership", PartnershipState, Partnership, partnership_state, children=(("agencies", "Agency"),)),
    Kind("Agency", AgencyState, owner="Partnership", owner_key="partnership_id", added_by=("AgencyAdded", "agency_id")),
    Kind("Inspection", InspectionState, Inspection, inspection_state, children=(("findings", "Finding"),)),
    Kind("Finding", FindingState, owner="Inspection", owner_key="inspection_id",
         added_by=("FindingRecorded", "finding_id")),
    Kind("Plan", PlanState, Plan, plan_state, children=(("priority_areas", "PriorityArea"),)),
    Kind("PriorityArea", PriorityAreaState, owner="Plan", owner_key="plan_id",
         added_by=("PriorityAreaAdded", "priority_area_id")),
    Kind("Action", ActionState, Action, action_state),
    Kind("Judgement", JudgementState, Judgement, judgement_state),
    Kind("Metric", MetricState, Metric, metric_state),
    Kind("Meeting", MeetingState, Meeting, meeting_state),
    Kind("ImprovementNotice", ImprovementNoticeState, ImprovementNotice, improvement_notice_state),
    Kind("Webhook", WebhookState, Webhook, webhook_state),
]}
KIND_OF_AGGREGATE: dict[type, Kind] = {k.aggregate: k for k in KINDS.values() if k.aggregate is not None}
# The event that adds a child, and the field naming it: its record is about that child.
CHILD_EVENTS: dict[str, str] = {k.added_by[0]: k.added_by[1] for k in KINDS.values() if k.added_by is not None}
DECODERS = {name: msgspec.json.Decoder(kind.shape) for name, kind in KINDS.items()}
encode = msgspec.json.Encoder().encode


def kind_of(aggregate: Record) -> Kind:
    return KIND_OF_AGGREGATE[type(aggregate)]


def decode(kind: str, state: str | bytes, seq: int = 0) -> State:
    decoded = DECODERS[kind].decode(state)
    decoded.seq = seq
    return decoded


class Stored(Sequence):
    """Entities of one kind as stored, in order, each state decoded when it is first read: a page of 50 of a plan's
    200 actions decodes its 50 (and what finds where the page starts), `len` none. Rows are (seq, stored state,
    the value of the column the entities were listed by)."""

    def __init__(self, kind: str, rows: list[tuple[int, Any, Any]]):
        self.kind, self.rows = kind, rows
        self.states: list[State | None] = [None] * len(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.rows)))]
        state = self.states[index]
        if state is None:
            seq, stored, _ = self.rows[index]
            state = self.states[index] = decode(self.kind, stored, seq)
        return state

    def __iter__(self) -> Iterator[State]:
        return iter([self[i] if state is None else state for i, state in enumerate(self.states)])

    def by_column(self) -> dict[Any, Stored]:
        """These entities parted by the value of the column they were listed by, each part in order."""
        parts: dict[Any, list] = {}
        for row in self.rows:
            parts.setdefault(row[2], []).append(row)
        return {value: Stored(self.kind, rows) for value, rows in parts.items()}


def children(state: AggregateState, kind: Kind) -> list[tuple[str, State]]:
    """The children kept in an aggregate's state, with their kinds."""
    return [(child_kind, child) for attribute, child_kind in kind.children for child in getattr(state, attribute)]
