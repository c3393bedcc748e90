"""The GraphQL types of the record, each built from a read-model state (projections/shapes.py) at a view.

Plain fields are copied from the state, by name; relations are resolvers that
read through the request's reader at the same view (asAt, asOf) as the object
they are on, so they see only what the caller may see, as it stood then. A
related entity that did not exist at that view is null where the field may be,
and a clear error where the schema promises one.
"""

from __future__ import annotations

import asyncio
import dataclasses
from bisect import bisect_right
from datetime import date, datetime, timezone
from functools import cache
from operator import attrgetter
from typing import Annotated, Any, Optional, Sequence

import msgspec
import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from domain import vocabulary as v
from domain.action import is_overdue, roll_up
from domain.deadlines import expected_inspection
from domain.deadlines import is_overdue as window_closed
from domain.improvement_notice import in_force
from domain.inspection import FOLLOW_UPS
from domain.plan import submission_overdue, submitted_late
from projections.shapes import MeasurementState, State
from projections.temporal import NOW, View
from service import commands
from service.graphql import cursors, ids
from service.graphql.context import Info
from service.webhooks import deliveries



def described_enum(cls: type, description: str, **values: str) -> Any:
    """A domain enum as a GraphQL enum, described, and each of its values described."""
    wrapped = strawberry.enum(cls, description=description)
    for value in wrapped.__strawberry_definition__.values:
        value.description = values[value.name]
    return wrapped


AgencyKind = described_enum(
    v.AgencyKind, "What an agency of the local area partnership is.",
    LOCAL_AUTHORITY="The council: its SEND service, education and inclusion teams.",
    HEALTH="A health body: an integrated care board (formerly a CCG), an NHS trust.",
    EDUCATION="Schools, colleges and early years settings, or a forum of them.",
    SOCIAL_CARE="Children's and adults' social care.",
    PARENT_CARER_FORUM="The parent carer forum: families' voice in co-production.",
    OTHER="Any other partner.",
)
InspectionFramework = described_enum(
    v.InspectionFramework, "The Ofsted/CQC framework an inspection of a local area's SEND arrangements ran under.",
    LOCAL_AREA_SEND_2016="The 2016 local area SEND inspection framework: its outcome says whether a Written "
                         "Statement of Action is required; a revisit follows a WSoA.",
    AREA_SEND_2023="The 2023 area SEND framework (handbook updated 2025): three outcomes about children's "
                   "experiences; widespread or systemic failings bring areas for priority action.",
)
InspectionKind = described_enum(
    v.InspectionKind, "What an inspection is.",
    FULL="A full inspection of the local area.",
    REVISIT="A 2016-framework revisit, judging progress on each significant weakness of the inspection it follows.",
    MONITORING="A 2023-framework monitoring inspection, judging progress on each area for priority action of the "
               "inspection it follows; published without an overall outcome.",
)
InspectionOutcome = described_enum(
    v.InspectionOutcome, "The outcome an inspection's published report gives (one of its framework's).",
    WRITTEN_STATEMENT_REQUIRED="2016: the partnership must write a Written Statement of Action.",
    NO_WRITTEN_STATEMENT_REQUIRED="2016: no Written Statement of Action is required.",
    POSITIVE_EXPERIENCES="2023: arrangements typically lead to positive experiences and outcomes; next full "
                         "inspection within about 5 years.",
    INCONSISTENT_EXPERIENCES="2023: arrangements lead to inconsistent experiences and outcomes; the strategic plan "
                             "is updated, next full inspection within about 3 years.",
    WIDESPREAD_SYSTEMIC_FAILINGS="2023: widespread and/or systemic failings; areas for priority action, a priority "
                                 "action plan, a monitoring inspection about 18 months later.",
)
FindingKind = described_enum(
    v.FindingKind, "What an inspection found (each framework takes its own kinds: see recordFinding).",
    SIGNIFICANT_WEAKNESS="2016: a significant weakness the WSoA must address; judged at the revisit.",
    SIGNIFICANT_CONCERN="2016: an area of significant concern.",
    FUNDAMENTAL_FAILING="2016: a fundamental failing.",
    PRIORITY_ACTION="2023: an area for priority action, naming the partners responsible; judged at the monitoring "
                    "inspection.",
    AREA_FOR_IMPROVEMENT="2023: an area for improvement.",
    STRENGTH="A strength (either framework).",
)
PlanKind = described_enum(
    v.PlanKind, "The kind of plan a partnership writes (its approver and deadlines follow from it: README: Deadlines).",
    WRITTEN_STATEMENT_OF_ACTION="The 2016 framework's Written Statement of Action (WSoA), approved by Ofsted/CQC.",
    IMPROVEMENT_PLAN="An improvement plan, monitored by the DfE and NHS England.",
    PRIORITY_ACTION_PLAN="The 2023 framework's priority action plan, answering the areas for priority action; "
                         "approved by Ofsted/CQC.",
    ACCELERATED_PROGRESS_PLAN="An accelerated progress plan after insufficient progress at a revisit; monitored by "
                              "the DfE and NHS England.",
)
PlanStatus = described_enum(
    v.PlanStatus, "Where a plan is in its lifecycle: DRAFT -> SUBMITTED -> APPROVED (or RETURNED, then SUBMITTED "
                  "again); APPROVED -> SUPERSEDED or CLOSED.",
    DRAFT="Being written: priority areas may be added.",
    SUBMITTED="Submitted for approval.",
    APPROVED="Approved by whoever approves its kind.",
    RETURNED="Returned for rework: priority areas may be added, and it may be submitted again.",
    SUPERSEDED="Replaced by another plan of the partnership (supersededBy).",
    CLOSED="Closed at its end.",
)
ActionStatus = described_enum(
    v.ActionStatus, "Where an action is: NOT_STARTED -> IN_PROGRESS -> COMPLETED (with evidence; it may be reopened) "
                    "or CANCELLED (with a reason).",
    NOT_STARTED="Added, not yet started.",
    IN_PROGRESS="Started (or reopened).",
    COMPLETED="Completed, with evidence.",
    CANCELLED="Cancelled, with a reason.",
)
Rag = described_enum(
    v.Rag, "A red, amber or green rating.",
    RED="Off track: needs intervention.",
    AMBER="At risk, or within the tolerance short of a target.",
    GREEN="On track, or at or beyond a target.",
)
JudgingBody = described_enum(
    v.JudgingBody, "Who made a judgement of progress (and so which role records it: docs/roles.md).",
    OFSTED_CQC="Ofsted and the CQC, at a revisit or monitoring inspection; recorded by an INSPECTOR.",
    DFE="The Department for Education; recorded by a MONITOR.",
    NHS_ENGLAND="NHS England; recorded by a MONITOR.",
    IMPROVEMENT_BOARD="The partnership's improvement board; recorded by the PARTNERSHIP_LEAD.",
)
ProgressJudgement = described_enum(
    v.ProgressJudgement, "Whether enough progress was made.",
    SUFFICIENT_PROGRESS="Sufficient progress.",
    INSUFFICIENT_PROGRESS="Insufficient progress.",
)
MetricUnit = described_enum(
    v.MetricUnit, "What a scorecard metric's figures count.",
    PERCENT="A percentage, between 0 and 100.",
    COUNT="A number of children, plans, requests.",
    DAYS="A number of days (a waiting time).",
    RATE="A rate (per 100 pupils, say).",
)
Polarity = described_enum(
    v.Polarity, "Which way is better for a metric (how RAG and direction are judged).",
    HIGHER_IS_BETTER="A higher figure is better (plans on time).",
    LOWER_IS_BETTER="A lower figure is better (exclusions, waiting times).",
)
Role = described_enum(
    v.Role, "A bearer token's role (who may read and change what: README: Roles, docs/roles.md).",
    PARTNER="A partner agency's staff: reads its partnership, changes its own agency's actions.",
    PARTNERSHIP_LEAD="The partnership's lead: reads its partnership, makes most of its changes.",
    INSPECTOR="Ofsted/CQC: inspections, findings, approving a WSoA or priority action plan, engagement meetings.",
    MONITOR="The DfE or NHS England: approving other plans, their judgements, stocktakes, improvement notices.",
    AUDITOR="Reads every partnership and the whole log; changes nothing.",
    ADMIN="May do everything, including registering partnerships.",
)
ErrorCode = described_enum(
    commands.ErrorCode, "Why a mutation's change was refused (userErrors): nothing was recorded.",
    NOT_FOUND="An id names nothing of the kind the input needs, or nothing the caller may read.",
    INVALID="The input breaks a rule of the record (the message says which; field names the input field).",
    FORBIDDEN="The caller's role may not make this change here.",
    CONFLICT="expectedVersion is stale, or concurrent writers kept changing the record.",
    INVALID_TRANSITION="The plan, action or inspection is not in a state that allows this change.",
)
MeetingKind = described_enum(
    v.MeetingKind, "A kind of meeting where a partnership's progress is examined between inspections.",
    ENGAGEMENT_MEETING="An Ofsted/CQC engagement meeting with the partnership between inspections (annual under the "
                       "2023 framework); recorded by an INSPECTOR.",
    STOCKTAKE="A DfE and NHS England stocktake of progress against the plan; recorded by a MONITOR.",
    REVIEW_MEETING="A DfE and NHS England review meeting (a monitoring visit); recorded by a MONITOR.",
    IMPROVEMENT_BOARD="The partnership's improvement board; recorded by the PARTNERSHIP_LEAD.",
    SCRUTINY_COMMITTEE="A council overview and scrutiny committee session on SEND; recorded by the PARTNERSHIP_LEAD.",
)
Direction = described_enum(
    v.Direction, "How a measurement moved against the one of the period before, judged by the metric's polarity.",
    IMPROVING="Better than the period before (higher, where higher is better; lower, where lower is better).",
    WORSENING="Worse than the period before.",
    STEADY="The same figure as the period before.",
)
DeadlineSource = described_enum(
    v.DeadlineSource, "Where a plan's submission deadline came from.",
    DERIVED="Counted in working days from the report's publication, by the framework's table (README: Deadlines).",
    GIVEN="Typed in when the plan was drafted (it overrides any derived one).",
)


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


@strawberry.interface(description="An entity of the record, which `node(id:)` finds by its `id`.")
class Node:
    id: strawberry.Private[str]  # the entity's own id; the GraphQL `id` is the id at the view (service/graphql/ids.py)
    state: strawberry.Private[Any]
    view: strawberry.Private[View]

    # Plain fields, filled by `of`: a field with a resolver costs strawberry's argument handling on every node.
    id_at_view: strawberry.ID = strawberry.field(
        name="id", description="Names the entity as read at this answer's view: in a current answer its own id "
        "(`entityId`); read at a past view (asAt, asOf), an id of that view alone, so that a client's normalised cache "
        "keeps the past beside the present. `node(id:)` and the lookups answer it at that view.")
    entity_id: strawberry.ID = strawberry.field(
        description="The entity's own id, the same at every view: what mutations' inputs, `history(entityId:)` and "
                    "the events name.")

    @classmethod
    def of(cls, state: State | None, view: View = NOW) -> Any:
        """The type from a state, its plain fields copied by name. The instance's attributes are set as the
        dataclass's `__init__` would set them, without the cost of calling it (a page builds 50 nodes): every
        field it takes is given here (`copied` makes sure)."""
        if state is None:
            return None
        names, values = copied(cls, type(state))
        node = object.__new__(cls)
        fields = node.__dict__  # (filled in place: built apart and merged, it cost a node a quarter more)
        fields.update(zip(names, values(state)))
        fields["state"], fields["view"] = state, view
        fields["id_at_view"], fields["entity_id"] = ids.at_view(state.id, view), state.id
        return node


GIVEN = {"state", "view", "id_at_view", "entity_id"}  # the fields Node.of gives every node


@cache
def copied(cls: type, shape: type) -> tuple[tuple[str, ...], Any]:
    """The fields of a GraphQL type that are the same-named fields of its state's shape, and a function reading
    them from a state (as a tuple). Every other field the type's `__init__` takes must be one Node.of gives."""
    plain = {f.python_name for f in cls.__strawberry_definition__.fields if f.base_resolver is None}
    names = tuple(f.name for f in msgspec.structs.fields(shape) if f.name in plain)
    missing = {f.name for f in dataclasses.fields(cls) if f.init} - set(names) - GIVEN
    if missing:
        raise TypeError(f"{cls.__name__}.of cannot fill {sorted(missing)} from a {shape.__name__}")
    return names, (attrgetter(*names) if len(names) > 1 else lambda state: tuple(getattr(state, n) for n in names))


@strawberry.type(description='Who made a change: the caller its bearer token names.')
class Actor:
    subject: str = strawberry.field(description="The token's subject (a person's or a system's id at the identity provider, or `send-records token --subject`).")
    role: Role = strawberry.field(description="The token's role when the change was made.")
    agency_id: Optional[strawberry.ID] = strawberry.field(description="A PARTNER's agency; null for other roles.")


@strawberry.type(description="Why a mutation's change was refused; nothing was recorded.")
class UserError:
    code: ErrorCode = strawberry.field(description='What kind of refusal: branch on this, not on the message.')
    message: str = strawberry.field(description='The reason in plain words, e.g. "the action is owned by another agency".')
    field: Optional[list[str]] = strawberry.field(description='The path of the input field at fault, e.g. ["ownerAgencyId"]; null when no one field is.')


@strawberry.type(description="Where a page of a connection lies in its list (Relay's PageInfo).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether the list has entries after this page's last: ask "
                                           "for them with `after: endCursor`.")
    end_cursor: Optional[str] = strawberry.field(description="The cursor of this page's last entry; null for an "
                                                 "empty page.")
    has_previous_page: bool = strawberry.field(description="Whether the list has entries before this page's first: "
                                               "lists are read forward from `after`; the event lists (`events`, "
                                               "`history`) always answer false.")
    start_cursor: Optional[str] = strawberry.field(description="The cursor of this page's first entry; null for an "
                                                   "empty page.")

    @classmethod
    def of(cls, cursors: list[str], has_next: bool, has_previous: bool = False) -> PageInfo:
        return cls(has_next_page=has_next, end_cursor=cursors[-1] if cursors else None, has_previous_page=has_previous,
                   start_cursor=cursors[0] if cursors else None)


@strawberry.type(description="An agency of a partnership: the council, health, education, the parent carer forum.")
class Agency(Node):
    name: str = strawberry.field(description='Its name, unique within the partnership.')
    kind: AgencyKind = strawberry.field(description='What kind of partner it is.')


@strawberry.type(description='A local area SEND partnership (the council, health, education, the parent carer forum) and its record after inspection.')
class Partnership(Node):
    name: str = strawberry.field(description='The partnership\'s name, e.g. "Lancashire SEND Partnership".')
    local_authority: str = strawberry.field(description='The council whose area it is.')
    version: int = strawberry.field(description='How many of its events count at this view (registration and agencies added).')
    updated_at: datetime = strawberry.field(description='When its latest event counted at this view was recorded.')

    @strawberry.field(description='Its agencies, in the order they were added (at this view).')
    def agencies(self) -> list[Agency]:
        return [Agency.of(a, self.view) for a in self.state.agencies]

    @strawberry.field(description='Its inspections, oldest first (at this view).')
    async def inspections(self, info: Info) -> list[Inspection]:
        return [Inspection.of(s, self.view) for s in await info.context.reader.entities("Inspection", "partnership_id", self.id, view=self.view)]

    @strawberry.field(description='Its plans (WSoA, improvement plans, ...), oldest first (at this view).')
    async def plans(self, info: Info) -> list[Plan]:
        return [Plan.of(s, self.view) for s in await info.context.reader.entities("Plan", "partnership_id", self.id, view=self.view)]

    @strawberry.field(description='Its performance scorecard: metrics, oldest first (at this view).')
    async def metrics(self, info: Info) -> list[Metric]:
        return [Metric.of(s, self.view) for s in await info.context.reader.entities("Metric", "partnership_id", self.id, view=self.view)]

    @strawberry.field(description="The inspection the frameworks expect next, from the last FULL inspection published "
                                  "at this view (and, under 2016, the WSoA's approval): its kind, window and whether it "
                                  "is overdue. Null when nothing is expected (no full inspection published yet, or a "
                                  "2016 cycle ended).")
    async def next_inspection(self, info: Info) -> Optional[ExpectedInspection]:
        reader = info.context.reader
        inspections = await reader.entities("Inspection", "partnership_id", self.id, view=self.view)
        plans = await reader.entities("Plan", "partnership_id", self.id, view=self.view)
        return ExpectedInspection.of(inspections, plans, self.view)

    @strawberry.field(description="Meetings held about the partnership's progress, in the order they were held; "
                                  "with `kind`, only meetings of that kind.")
    async def meetings(self, info: Info, kind: Annotated[Optional[MeetingKind], strawberry.argument(
            description="Only meetings of this kind.")] = None) -> list[Meeting]:
        meetings = await info.context.reader.entities("Meeting", "partnership_id", self.id, view=self.view)
        chosen = [m for m in meetings if kind is None or m.kind == kind]
        return [Meeting.of(m, self.view) for m in sorted(chosen, key=lambda m: (m.held_on, m.seq))]

    @strawberry.field(description="Improvement notices the DfE has issued to the partnership, in the order issued, "
                                  "lifted ones included.")
    async def improvement_notices(self, info: Info) -> list[ImprovementNotice]:
        notices = await info.context.reader.entities("ImprovementNotice", "partnership_id", self.id, view=self.view)
        return [ImprovementNotice.of(n, self.view) for n in sorted(notices, key=lambda n: (n.issued_on, n.seq))]


@strawberry.type(description="An Ofsted/CQC inspection of the local area's SEND arrangements: its findings and published outcome.")
class Inspection(Node):
    framework: InspectionFramework = strawberry.field(description='The framework it ran under.')
    kind: InspectionKind = strawberry.field(description='Full, revisit or monitoring.')
    started_on: date = strawberry.field(description='Its first day on site.')
    ended_on: date = strawberry.field(description='Its last day on site.')
    published_on: Optional[date] = strawberry.field(description='When its report was published; null until then.')
    outcome: Optional[InspectionOutcome] = strawberry.field(description="Its report's outcome; null until published, and for a monitoring inspection.")
    version: int = strawberry.field(description='How many of its events count at this view.')
    updated_at: datetime = strawberry.field(description='When its latest event counted at this view was recorded.')

    @strawberry.field(description='The partnership inspected.')
    async def partnership(self, info: Info) -> Partnership:
        return Partnership.of(await required(info, self.state.partnership_id, "Partnership", self.view, "inspection"), self.view)

    @strawberry.field(description='For a revisit or monitoring inspection, the inspection it follows up.')
    async def revisit_of(self, info: Info) -> Optional[Inspection]:
        return Inspection.of(await related(info, self.state.revisit_of_id, "Inspection", self.view), self.view)

    @strawberry.field(description='What it found, in the order recorded.')
    def findings(self) -> list[Finding]:
        return [Finding.of(f, self.view) for f in self.state.findings]

    @strawberry.field(description="Judgements made during this inspection (a revisit's judgements of earlier findings).")
    async def judgements(self, info: Info) -> list[Judgement]:
        return [Judgement.of(s, self.view) for s in await info.context.reader.entities("Judgement", "inspection_id", self.id, view=self.view)]


@strawberry.type(description='What an inspection found: a weakness, concern, failing, area for priority action or improvement, or strength.')
class Finding(Node):
    kind: FindingKind = strawberry.field(description="What kind of finding (its framework's).")
    text: str = strawberry.field(description="The finding in the report's words.")

    @strawberry.field(description='The inspection that found it.')
    async def inspection(self, info: Info) -> Inspection:
        return Inspection.of(await required(info, self.state.inspection_id, "Inspection", self.view, "finding"), self.view)

    @strawberry.field(description="The judgement with the latest madeOn (the later recorded, on the same day).")
    async def latest_judgement(self, info: Info) -> Optional[Judgement]:
        judgements = await info.context.reader.entities("Judgement", "subject_id", self.id, view=self.view)
        return Judgement.of(max(judgements, key=lambda j: (j.made_on, j.seq), default=None), self.view)

    @strawberry.field(description="The priority areas of the partnership's plans that address it.")
    async def addressed_by(self, info: Info) -> list[PriorityArea]:
        areas = await info.context.reader.entities("PriorityArea", "partnership_id", self.state.partnership_id, view=self.view)
        return [PriorityArea.of(a, self.view) for a in areas if self.id in a.addresses]

    about_alternative_provision: bool = strawberry.field(
        description="The finding is about alternative provision (education arranged outside mainstream and special "
                    "schools).")

    @strawberry.field(description="For an area for priority action (PRIORITY_ACTION), the agencies of the partnership "
                                  "the report names as responsible for it; empty for other findings.")
    async def responsible_agencies(self, info: Info) -> list[Agency]:
        return await agencies(info, self.state.responsible_agency_ids, self.view)

    @strawberry.field(description="Every judgement of progress on this finding (at a revisit or monitoring "
                                  "inspection, or by the DfE, NHS England or the board), in order of madeOn.")
    async def judgements(self, info: Info) -> list[Judgement]:
        return await judgements_of(info, self.id, self.view)


@strawberry.input(description='Which actions a list keeps: every condition given must hold.')
class ActionFilter:
    status: Optional[list[ActionStatus]] = strawberry.field(default=None, description='Actions in one of these statuses.')
    owner_agency_id: Optional[strawberry.ID] = strawberry.field(default=None, description='Actions this agency owns (its id).')
    priority_area_id: Optional[strawberry.ID] = strawberry.field(default=None, description='Actions of this priority area.')
    overdue: Optional[bool] = strawberry.field(default=None, description="Actions overdue (true) or not overdue (false) on the view's day.")
    rag: Optional[list[Rag]] = strawberry.field(default=None, description='Actions rated one of these.')

    def admits(self, action: Any, on: date) -> bool:
        return (
            (self.status is None or action.status in self.status)
            and (self.owner_agency_id is None or action.owner_agency_id == ids.entity_of(self.owner_agency_id))
            and (self.priority_area_id is None or action.priority_area_id == ids.entity_of(self.priority_area_id))
            and (self.overdue is None or is_overdue(action.status, action.due_on, on) == self.overdue)
            and (self.rag is None or action.rag in self.rag)
        )


seq_of = attrgetter("seq")  # an entity's place in its list, in the order added

First = Annotated[Optional[int], strawberry.argument(description="How many to answer: 1 to 100, default 50.")]
After = Annotated[Optional[str], strawberry.argument(
    description="A cursor from an earlier page (endCursor, an edge's cursor, an event's position): answer what comes "
                "after it. Absent: from the start.")]


@strawberry.type(description="An action in a page of actions, with its cursor.")
class ActionEdge:
    cursor: str = strawberry.field(description="Where the action lies in the list: `after` this cursor come the "
                                   "actions that follow it.")
    node: Action = strawberry.field(description='The action.')


@strawberry.type(description="A page of actions (a Relay connection): `first` of them (at most 100, default 50) "
                             "after the cursor `after`, in the order they were added.")
class ActionConnection:
    edges: list[ActionEdge] = strawberry.field(description="This page's actions, in the order they were added.")
    page_info: PageInfo = strawberry.field(description='Where this page lies in the list.')
    total_count: int = strawberry.field(description="How many actions the list holds, its filter applied, on every "
                                        "page.")

    @classmethod
    def of(cls, actions: Sequence[Any], filter: ActionFilter | None, first: int | None, after: str | None,
           view: View = NOW) -> ActionConnection:
        """The page after the cursor of the actions (in order of seq) the filter admits. Without a filter, only the
        page's actions (and the few a binary search for its start reads) are decoded (projections/shapes.py Stored)."""
        size, start, on = cursors.page_size(first), cursors.decode("a", after), view.day
        chosen = actions if filter is None else [a for a in actions if filter.admits(a, on)]
        begins = bisect_right(chosen, start, key=seq_of)
        page = chosen[begins:begins + size]
        edges = [ActionEdge(cursor=cursor, node=Action.of(a, view))
                 for cursor, a in zip(cursors.encode_many("a", [a.seq for a in page]), page)]
        return cls(edges=edges, total_count=len(chosen),
                   page_info=PageInfo.of([e.cursor for e in edges], len(chosen) - begins > size, begins > 0))


@strawberry.type(description="A plan's actions counted by status, on the view's day.")
class PlanProgress:
    total: int = strawberry.field(description='Every action of the plan.')
    not_started: int = strawberry.field(description='Actions not yet started.')
    in_progress: int = strawberry.field(description='Actions in progress.')
    completed: int = strawberry.field(description='Actions completed.')
    cancelled: int = strawberry.field(description='Actions cancelled.')
    overdue: int = strawberry.field(description="Actions past their due date and neither completed nor cancelled, on the view's day.")

    @classmethod
    def of(cls, actions: list[Any], on: date) -> PlanProgress:
        count = {status: sum(a.status == status for a in actions) for status in v.ActionStatus}
        return cls(
            total=len(actions), not_started=count[v.ActionStatus.NOT_STARTED],
            in_progress=count[v.ActionStatus.IN_PROGRESS], completed=count[v.ActionStatus.COMPLETED],
            cancelled=count[v.ActionStatus.CANCELLED], overdue=sum(is_overdue(a.status, a.due_on, on) for a in actions),
        )


@strawberry.type(description='A plan answering an inspection (a WSoA, an improvement or priority action plan, ...), its priority areas and actions.')
class Plan(Node):
    kind: PlanKind = strawberry.field(description='The kind of plan.')
    title: str = strawberry.field(description='Its title.')
    status: PlanStatus = strawberry.field(description='Where it is in its lifecycle.')
    period_start: Optional[date] = strawberry.field(description='The first day of the period it covers.')
    period_end: Optional[date] = strawberry.field(description='The last day of the period it covers.')
    submission_due: Optional[date] = strawberry.field(description="When it must be submitted: derived from the report's publication by its framework, or given.")
    submitted_on: Optional[date] = strawberry.field(description='When it was last submitted.')
    approved_on: Optional[date] = strawberry.field(description='When it was approved.')
    returned_on: Optional[date] = strawberry.field(description='When it was last returned for rework.')
    version: int = strawberry.field(description='How many of its events count at this view.')
    updated_at: datetime = strawberry.field(description='When its latest event counted at this view was recorded.')

    @strawberry.field(description='The partnership whose plan it is.')
    async def partnership(self, info: Info) -> Partnership:
        return Partnership.of(await required(info, self.state.partnership_id, "Partnership", self.view, "plan"), self.view)

    @strawberry.field(description='The inspection it answers; null for a plan answering none.')
    async def responds_to(self, info: Info) -> Optional[Inspection]:
        return Inspection.of(await related(info, self.state.responds_to_id, "Inspection", self.view), self.view)

    @strawberry.field(description='The plan that superseded it.')
    async def superseded_by(self, info: Info) -> Optional[Plan]:
        return Plan.of(await related(info, self.state.superseded_by_id, "Plan", self.view), self.view)

    @strawberry.field(description='Its priority areas, in the order added.')
    def priority_areas(self) -> list[PriorityArea]:
        return [PriorityArea.of(p, self.view) for p in self.state.priority_areas]

    @strawberry.field(description='Its actions, a page at a time, in the order added.')
    async def actions(
        self, info: Info,
        filter: Annotated[Optional[ActionFilter], strawberry.argument(description="Which actions to keep.")] = None,
        first: First = None, after: After = None,
    ) -> ActionConnection:
        return ActionConnection.of(await info.context.reader.entities("Action", "plan_id", self.id, view=self.view), filter, first, after, self.view)

    @strawberry.field(description='Its actions counted by status.')
    async def progress(self, info: Info) -> PlanProgress:
        return PlanProgress.of(await info.context.reader.entities("Action", "plan_id", self.id, view=self.view), self.view.day)

    publication_due: Optional[date] = strawberry.field(
        description="The day the framework expects the plan to be published by, counted in working days from the "
                    "report's publication (a 2023 priority action plan: 70); null where it sets none.")

    @strawberry.field(description="Whether `submissionDue` was derived from the report's publication by the framework's "
                                  "table or given when the plan was drafted; null with no submissionDue.")
    def submission_due_source(self) -> Optional[DeadlineSource]:
        if self.state.submission_due is None:
            return None
        return v.DeadlineSource.DERIVED if self.state.submission_due_derived else v.DeadlineSource.GIVEN

    @strawberry.field(description="Not yet submitted (DRAFT, or RETURNED for rework) and `submissionDue` is before the "
                                  "day the answer is for (asOf, else the day of asAt, else today).")
    def submission_overdue(self) -> bool:
        return submission_overdue(self.status, self.submission_due, self.view.day)

    @strawberry.field(description="Null until the plan is submitted; then whether its first submission came after "
                                  "`submissionDue` (false with no submissionDue).")
    def submitted_late(self) -> Optional[bool]:
        return submitted_late(self.state.first_submitted_on, self.submission_due)

    @strawberry.field(description="Every judgement of progress on the plan as a whole, in order of madeOn.")
    async def judgements(self, info: Info) -> list[Judgement]:
        return await judgements_of(info, self.id, self.view)


@strawberry.type(description='A priority area of a plan: what it sets out to improve, the findings it answers and its success measures.')
class PriorityArea(Node):
    title: str = strawberry.field(description='Its title.')
    success_measures: list[str] = strawberry.field(description='How the partnership will know it has succeeded.')

    @strawberry.field(description='The plan it belongs to.')
    async def plan(self, info: Info) -> Plan:
        return Plan.of(await required(info, self.state.plan_id, "Plan", self.view, "priority area"), self.view)

    @strawberry.field(description='The inspection findings it answers.')
    async def addresses(self, info: Info) -> list[Finding]:
        findings = [await info.context.reader.entity(f, "Finding", view=self.view) for f in self.state.addresses]
        return [Finding.of(f, self.view) for f in findings if f is not None]

    @strawberry.field(description="The plan's actions in this area.")
    async def actions(self, info: Info) -> list[Action]:
        actions = await info.context.reader.entities("Action", "plan_id", self.state.plan_id, view=self.view)
        return [Action.of(a, self.view) for a in actions if a.priority_area_id == self.id]

    @strawberry.field(description="Every judgement of progress on this priority area, in order of madeOn.")
    async def judgements(self, info: Info) -> list[Judgement]:
        return await judgements_of(info, self.id, self.view)

    @strawberry.field(description="A roll-up of the area's actions on the day the answer is for (asOf, else the day of "
                                  "asAt, else today): RED if any open action is rated RED or is overdue; else AMBER if "
                                  "any open action is rated AMBER; else GREEN if at least one action is not cancelled "
                                  "and every action not cancelled is completed or rated GREEN; else null (no actions, "
                                  "or open ones not yet rated).")
    async def rag(self, info: Info) -> Optional[Rag]:
        actions = await info.context.reader.entities("Action", "plan_id", self.state.plan_id, view=self.view)
        return roll_up([a for a in actions if a.priority_area_id == self.id], self.view.day)


@strawberry.type(description='An action of a plan, owned by one agency, with a lead officer and a due date.')
class Action(Node):
    title: str = strawberry.field(description='What is to be done.')
    description: Optional[str] = strawberry.field(description='More detail.')
    lead_officer: Optional[str] = strawberry.field(description='Who leads it (a post, e.g. "Head of SEND").')
    due_on: date = strawberry.field(description='When it is due (its latest due date, after any rescheduling).')
    status: ActionStatus = strawberry.field(description='Where it is in its lifecycle.')
    rag: Optional[Rag] = strawberry.field(description='Its latest RAG rating, from progress reports; null until rated.')
    completed_on: Optional[date] = strawberry.field(description='When it was completed; null unless completed.')
    evidence: list[str] = strawberry.field(description='The evidence given on completion.')
    latest_note: Optional[str] = strawberry.field(description='The latest progress note (or completion note).')
    version: int = strawberry.field(description='How many of its events count at this view.')
    updated_at: datetime = strawberry.field(description='When its latest event counted at this view was recorded.')

    @strawberry.field(description='The plan it belongs to.')
    async def plan(self, info: Info) -> Plan:
        return Plan.of(await required(info, self.state.plan_id, "Plan", self.view, "action"), self.view)

    @strawberry.field(description='Its priority area; null for an action outside any.')
    async def priority_area(self, info: Info) -> Optional[PriorityArea]:
        return PriorityArea.of(await related(info, self.state.priority_area_id, "PriorityArea", self.view), self.view)

    @strawberry.field(description='The agency that owns it.')
    async def owner_agency(self, info: Info) -> Agency:
        return Agency.of(await required(info, self.state.owner_agency_id, "Agency", self.view, "action"), self.view)

    @strawberry.field(description="Due before the day the answer is for (asOf, else the day of asAt, else today) and neither completed nor cancelled.")
    def overdue(self) -> bool:
        return is_overdue(self.status, self.due_on, self.view.day)

    original_due_on: date = strawberry.field(description="The due date the action was added with, before any rescheduling.")
    reschedule_count: int = strawberry.field(description="How many times the action has been rescheduled.")

    @strawberry.field(description="Every judgement of progress on this action, in order of madeOn.")
    async def judgements(self, info: Info) -> list[Judgement]:
        return await judgements_of(info, self.id, self.view)


@strawberry.type(description='A judgement of progress on a finding, plan, priority area or action, by Ofsted/CQC, the DfE, NHS England or the improvement board.')
class Judgement(Node):
    body: JudgingBody = strawberry.field(description='Who judged.')
    subject_id: strawberry.ID = strawberry.field(description="A finding, plan, priority area or action.")
    outcome: Optional[ProgressJudgement] = strawberry.field(description='Sufficient or insufficient progress; null where only a RAG was given.')
    rag: Optional[Rag] = strawberry.field(description='A RAG rating; null where only an outcome was given.')
    made_on: date = strawberry.field(description='When the judgement was made.')
    rationale: str = strawberry.field(description="Why, in the judging body's words.")
    version: int = strawberry.field(description='How many of its events count at this view.')

    @strawberry.field(description="The inspection it was made at (a revisit's or monitoring inspection's judgements); null otherwise.")
    async def inspection(self, info: Info) -> Optional[Inspection]:
        return Inspection.of(await related(info, self.state.inspection_id, "Inspection", self.view), self.view)


@strawberry.type(description="A scorecard metric's figure for one period.")
class Measurement:
    period: str = strawberry.field(description='The period it measures, e.g. "Autumn term 2023".')
    period_end: date = strawberry.field(description="The period's last day.")
    value: float = strawberry.field(description='The figure.')
    rag: Optional[Rag] = strawberry.field(description="Its RAG against its target, with the metric's tolerance; null without a target.")
    metric_id: strawberry.Private[str]
    version: strawberry.Private[int]
    target: Optional[float] = strawberry.field(
        description="The target this measurement was judged against: the milestone of its period, else the first "
                    "milestone due on or after its periodEnd, else the metric's target.")
    england_average: Optional[float] = strawberry.field(description="The England average for the same period.")
    statistical_neighbours: Optional[float] = strawberry.field(
        description="The average of the area's statistical neighbours for the same period.")
    direction: Optional[Direction] = strawberry.field(
        description="Against the measurement of the period ending before this one, by the metric's polarity; null "
                    "for the first.")

    @classmethod
    def of(cls, m: MeasurementState | None, metric_id: str) -> Measurement | None:
        if m is None:
            return None
        return cls(period=m.period, period_end=m.period_end, value=m.value, rag=m.rag, metric_id=metric_id, version=m.version,
                   target=m.target, england_average=m.england_average, statistical_neighbours=m.statistical_neighbours,
                   direction=m.direction)

    @strawberry.field(description="When the figure for this period that stands was recorded (a period measured again is a correction).")
    async def recorded_at(self, info: Info) -> datetime:
        return await info.context.reader.recorded_at(self.metric_id, self.version)


@strawberry.type(description="A metric of a partnership's performance scorecard, with its target, polarity and termly measurements.")
class Metric(Node):
    name: str = strawberry.field(description='What it measures.')
    unit: MetricUnit = strawberry.field(description='What its figures count.')
    polarity: Polarity = strawberry.field(description='Which way is better.')
    target: Optional[float] = strawberry.field(description='The target figures are judged against where no milestone applies; null for none.')
    version: int = strawberry.field(description='How many of its events count at this view.')
    updated_at: datetime = strawberry.field(description='When its latest event counted at this view was recorded.')

    @strawberry.field(description='The partnership whose scorecard it is on.')
    async def partnership(self, info: Info) -> Partnership:
        return Partnership.of(await required(info, self.state.partnership_id, "Partnership", self.view, "metric"), self.view)

    @strawberry.field(description="Every period measured, in order of periodEnd.")
    def measurements(self) -> list[Measurement]:
        return [Measurement.of(m, self.id) for m in sorted(self.state.measurements, key=lambda m: m.period_end)]

    @strawberry.field(description="The measurement with the latest periodEnd.")
    def latest(self) -> Optional[Measurement]:
        return Measurement.of(max(self.state.measurements, key=lambda m: m.period_end, default=None), self.id)

    baseline: Optional[float] = strawberry.field(description="The figure the plan starts from.")
    baseline_period: Optional[str] = strawberry.field(description="The period the baseline was measured in.")
    amber_tolerance: float = strawberry.field(
        description="How far short of its target a measurement may be and still be AMBER, as a share of the target "
                    "(0.10: within 10%).")

    @strawberry.field(description="The targets by period on the way (one per period label), in order of periodEnd.")
    def milestones(self) -> list[Milestone]:
        return [Milestone(period=m.period, period_end=m.period_end, target=m.target)
                for m in sorted(self.state.milestones, key=lambda m: m.period_end)]


@strawberry.type(description="The target a metric should reach by the end of a period on the way.")
class Milestone:
    period: str = strawberry.field(description="The period's label, as its measurements name it.")
    period_end: date = strawberry.field(description="The last day of the period.")
    target: float = strawberry.field(description="The figure to reach by then.")


@strawberry.type(description="The inspection the frameworks expect next (README: Deadlines and expected inspections).")
class ExpectedInspection:
    kind: InspectionKind = strawberry.field(description="FULL, MONITORING (2023, after widespread or systemic "
                                                        "failings) or REVISIT (2016, after a WSoA).")
    earliest: Optional[date] = strawberry.field(
        description="The window's first day; null while its clock has not started (a 2016 WSoA not yet approved).")
    latest: Optional[date] = strawberry.field(description="The window's last day; null as `earliest` is.")
    overdue: bool = strawberry.field(description="The window closed before the day the answer is for (asOf, else the "
                                                 "day of asAt, else today) and no such inspection had started by then.")
    follows_state: strawberry.Private[Any]
    view: strawberry.Private[View]

    @strawberry.field(description="The published FULL inspection whose outcome sets what is expected.")
    def follows(self) -> Inspection:
        return Inspection.of(self.follows_state, self.view)

    @classmethod
    def of(cls, inspections: list[Any], plans: list[Any], view: View) -> ExpectedInspection | None:
        full = [i for i in inspections if i.kind == v.InspectionKind.FULL and i.published_on is not None]
        if not full:
            return None
        last = max(full, key=lambda i: (i.published_on, i.seq))
        follow_ups = [i for i in inspections if i.kind in FOLLOW_UPS and i.revisit_of_id == last.id]
        accepted = [p.approved_on for p in plans if p.responds_to_id == last.id and p.approved_on is not None
                    and p.kind == v.PlanKind.WRITTEN_STATEMENT_OF_ACTION]
        expected = expected_inspection(last.outcome, last.published_on,
                                       followed_up=any(i.published_on is not None for i in follow_ups),
                                       wsoa_accepted_on=min(accepted, default=None))
        if expected is None:
            return None
        day, window = view.day, expected.window
        # Under way: a follow-up of this inspection, or a full inspection after its report, started by the day.
        started = any(i.kind == expected.kind and i.started_on <= day and
                      (i.revisit_of_id == last.id if i.kind in FOLLOW_UPS else i.started_on > last.published_on)
                      for i in inspections)
        return cls(kind=expected.kind, earliest=window.earliest if window else None, latest=window.latest if window else None,
                   overdue=window is not None and window_closed(window, day) and not started, follows_state=last, view=view)


@strawberry.type(description="A meeting where the partnership's progress was examined: an Ofsted/CQC engagement "
                             "meeting, a DfE and NHS England stocktake or review meeting, an improvement board or a "
                             "scrutiny committee.")
class Meeting(Node):
    kind: MeetingKind = strawberry.field(description="What kind of meeting it was (which decides who records it).")
    held_on: date = strawberry.field(description="The day it was held (the day its record takes effect).")
    summary: str = strawberry.field(description="What was discussed and found.")
    other_attendees: list[str] = strawberry.field(
        description="Attending bodies and people other than the partnership's agencies (the DfE, NHS England, an "
                    "independent chair).")
    decisions: list[str] = strawberry.field(description="The decisions and actions agreed, as minuted.")
    version: int = strawberry.field(description="The number of the meeting's events that count at this view.")
    updated_at: datetime = strawberry.field(description="When its last event counting at this view was recorded.")

    @strawberry.field(description="The partnership whose progress it examined.")
    async def partnership(self, info: Info) -> Partnership:
        return Partnership.of(await required(info, self.state.partnership_id, "Partnership", self.view, "meeting"), self.view)

    @strawberry.field(description="The partnership's agencies that attended.")
    async def attending_agencies(self, info: Info) -> list[Agency]:
        return await agencies(info, self.state.attending_agency_ids, self.view)

    @strawberry.field(description="The actions it discussed.")
    async def actions(self, info: Info) -> list[Action]:
        return [Action.of(a, self.view) for a in await all_related(info, self.state.action_ids, "Action", self.view)]

    @strawberry.field(description="The plans it discussed.")
    async def plans(self, info: Info) -> list[Plan]:
        return [Plan.of(p, self.view) for p in await all_related(info, self.state.plan_ids, "Plan", self.view)]


@strawberry.type(description="An improvement notice the DfE issued to the partnership, in force until it is lifted.")
class ImprovementNotice(Node):
    issued_on: date = strawberry.field(description="The day it was issued.")
    summary: str = strawberry.field(description="What the notice requires of the partnership.")
    lifted_on: Optional[date] = strawberry.field(description="The day it was lifted; null while it is not.")
    lift_reason: Optional[str] = strawberry.field(description="Why it was lifted.")
    version: int = strawberry.field(description="The number of the notice's events that count at this view.")
    updated_at: datetime = strawberry.field(description="When its last event counting at this view was recorded.")

    @strawberry.field(description="Not lifted on or before the day the answer is for (asOf, else the day of asAt, "
                                  "else today).")
    def in_force(self) -> bool:
        return in_force(self.lifted_on, self.view.day)

    @strawberry.field(description="The partnership it was issued to.")
    async def partnership(self, info: Info) -> Partnership:
        return Partnership.of(await required(info, self.state.partnership_id, "Partnership", self.view,
                                             "improvement notice"), self.view)


async def all_related(info: Info, entity_ids: list[str], kind: str, view: View) -> list[State]:
    """Those of these entities that exist at the view, in the order given, read together."""
    found = await asyncio.gather(*(related(info, i, kind, view) for i in entity_ids))
    return [f for f in found if f is not None]


async def agencies(info: Info, agency_ids: list[str], view: View) -> list[Agency]:
    return [Agency.of(a, view) for a in await all_related(info, agency_ids, "Agency", view)]


async def judgements_of(info: Info, subject_id: str, view: View) -> list[Judgement]:
    """The judgements about one finding, plan, priority area or action at the view, in order of madeOn (then of
    recording)."""
    found = await info.context.reader.entities("Judgement", "subject_id", subject_id, view=view)
    return [Judgement.of(j, view) for j in sorted(found, key=lambda j: (j.made_on, j.seq))]


@strawberry.type(description="One immutable fact in the record.")
class EventRecord:
    position: str = strawberry.field(description="Opaque cursor, ordered as the global log is.")
    entity_id: strawberry.ID = strawberry.field(description='The id of the entity the event is about.')
    entity_type: str = strawberry.field(description='The kind of that entity, e.g. Action.')
    type: str = strawberry.field(description="Past-tense name, e.g. ActionCompleted.")
    version: int = strawberry.field(description="The entity's version after this event.")
    recorded_at: datetime = strawberry.field(description='When the record stored it (transaction time): stamped in commit order.')
    effective_on: Optional[date] = strawberry.field(description="The date it took effect in the world (valid time): the input's own date, else its effectiveOn, else the day recorded.")
    actor: Actor = strawberry.field(description='Who made the change.')
    reason: Optional[str] = strawberry.field(description='Why, where the change carries a reason.')
    partnership_id: Optional[strawberry.ID] = strawberry.field(description="The partnership whose record it is in; null for an event of no partnership (an admin's webhook for every partnership).")
    data: JSON = strawberry.field(description="The event's own fields, as the log keeps them (e.g. dueOn, note, evidence).")
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


@strawberry.type(description="An event in a page of the log, with its cursor (its position).")
class EventEdge:
    cursor: str = strawberry.field(description="The event's position: `after` it come the events that follow it.")
    node: EventRecord = strawberry.field(description='The event.')


@strawberry.type(description="A page of events (a Relay connection): `first` of them (at most 100, default 50) "
                             "after the cursor `after`, in log order.")
class EventConnection:
    edges: list[EventEdge] = strawberry.field(description="This page's events, in log order.")
    page_info: PageInfo = strawberry.field(description='Where this page lies in the log.')

    @classmethod
    def of(cls, records: list[dict], size: int) -> EventConnection:
        page = records[:size]
        edges = [EventEdge(cursor=cursor, node=EventRecord.of(r))
                 for cursor, r in zip(cursors.encode_many("e", [r["position"] for r in page]), page)]
        return cls(edges=edges, page_info=PageInfo.of([e.cursor for e in edges], len(records) > size))


@strawberry.type(description="What rechecking the audit trail's hash chain found.")
class AuditVerification:
    ok: bool = strawberry.field(description='Whether every link checked holds.')
    events_checked: int = strawberry.field(description="How many events' bytes were rehashed.")
    first_broken_position: Optional[str] = strawberry.field(description='Where the chain first breaks (a position cursor); null when it holds.')


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
        page = rows[:size]
        edges = [WebhookDeliveryEdge(cursor=cursor, node=WebhookDelivery.of(r))
                 for cursor, r in zip(cursors.encode_many("e", [r["position"] for r in page]), page)]
        return WebhookDeliveryConnection(edges=edges, page_info=PageInfo.of([e.cursor for e in edges], len(rows) > size))


# The GraphQL type of each kind of entity (projections/shapes.py's KINDS).
TYPES: dict[str, type[Node]] = {"Partnership": Partnership, "Agency": Agency, "Inspection": Inspection,
                                "Finding": Finding, "Plan": Plan, "PriorityArea": PriorityArea, "Action": Action,
                                "Judgement": Judgement, "Metric": Metric, "Meeting": Meeting,
                                "ImprovementNotice": ImprovementNotice, "Webhook": Webhook}
