"""What the termly report says, gathered through the public GraphQL schema as its reader may see it.

The report is a view of one plan as at one instant: every figure in it is the
answer GraphQL gives at that `asAt` (the queries below run in-process with the
reader's own principal, so a caller who may not read the plan gets no report),
and the events of the period come from the `events` log. Nothing here decides
anything: the report only arranges answers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from projections import queries as q
from projections.temporal import settled, View
from projections.views import instant
from service.graphql import cursors

PLAN = """query($id: ID!, $asAt: DateTime!) { plan(id: $id, asAt: $asAt) {
  id: entityId title kind status periodStart periodEnd submissionDue publicationDue submissionOverdue submittedLate submittedOn
  approvedOn version
  partnership { id: entityId name localAuthority
    nextInspection { kind earliest latest overdue }
    meetings { kind heldOn summary decisions }
    metrics { id: entityId name unit polarity target baseline baselinePeriod
      measurements { period periodEnd value rag target direction englandAverage recordedAt } } }
  respondsTo { framework kind startedOn publishedOn outcome }
  priorityAreas { id: entityId title successMeasures rag }
  progress { total notStarted inProgress completed cancelled overdue } } }"""

ACTIONS = """query($id: ID!, $asAt: DateTime!, $after: String) { plan(id: $id, asAt: $asAt) {
  actions(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node {
    id: entityId title leadOfficer dueOn originalDueOn rescheduleCount status rag overdue latestNote completedOn ownerAgency { name }
    priorityArea { id: entityId } } } } } }"""

EVENTS = """query($p: ID!, $after: String, $types: [String!]) { events(partnershipId: $p, after: $after, first: 100, types: $types) {
  pageInfo { hasNextPage endCursor } edges { node {
    position entityId type recordedAt effectiveOn reason actor { subject role } data } } } }"""

# The changes to actions a committee asks about, as the log names them, and how the report words them.
CHANGES = {"ActionAdded": "added", "ActionStarted": "started", "ActionCompleted": "completed",
           "ActionRescheduled": "rescheduled", "ActionReassigned": "reassigned", "ActionCancelled": "cancelled",
           "ActionReopened": "reopened"}
TERM = timedelta(days=122)  # about four months: the period a termly report covers by default, and what it looks ahead to


class ReportNotFound(Exception):
    """No plan with this id that the reader may read."""


@dataclass
class Change:
    recorded_at: str
    effective_on: str
    action: str
    what: str
    who: str
    why: str


@dataclass
class Report:
    as_at: datetime
    since: datetime
    chain_position: int
    chain_hash: str | None
    plan: dict
    actions: list[dict]
    changes: list[Change] = field(default_factory=list)
    judgements: list[dict] = field(default_factory=list)

    @property
    def partnership(self) -> dict:
        return self.plan["partnership"]

    @property
    def by_status(self) -> Counter:
        return Counter(a["status"] for a in self.actions)

    @property
    def by_rag(self) -> Counter:
        return Counter(a["rag"] or "NOT_RATED" for a in self.actions)

    @property
    def exceptions(self) -> list[dict]:
        """Actions rated RED or overdue: what the committee is asked to look at."""
        return [a for a in self.actions if a["rag"] == "RED" or a["overdue"]]

    def actions_of(self, area_id: str | None) -> list[dict]:
        return [a for a in self.actions if (a["priorityArea"] or {}).get("id") == area_id]

    @property
    def day(self) -> date:
        return self.as_at.date()

    @property
    def meetings(self) -> list[dict]:
        """The partnership's meetings held in the period (engagement meetings, stocktakes, boards, scrutiny)."""
        since = self.since.date().isoformat()
        return [m for m in self.partnership["meetings"] if since < m["heldOn"] <= self.day.isoformat()]

    @property
    def ahead(self) -> list[tuple[str, str]]:
        """What falls due within about a term of the report: the plan's deadlines, the next inspection's window
        and its open actions' due dates."""
        found = []
        for label, key in (("Plan submission due", "submissionDue"), ("Plan publication due", "publicationDue"),
                           ("Plan period ends", "periodEnd")):
            due = self.plan.get(key)
            if due and self.day <= date.fromisoformat(due) <= self.day + TERM:
                found.append((due, label))
        expected = self.partnership["nextInspection"]
        if expected and expected["latest"] and date.fromisoformat(expected["latest"]) <= self.day + TERM:
            window = f"from {expected['earliest']} " if expected["earliest"] else ""
            found.append((expected["latest"], f"{expected['kind'].capitalize()} inspection expected {window}by "
                                              f"{expected['latest']}{' (overdue)' if expected['overdue'] else ''}"))
        found += [(a["dueOn"], f"Action due: {a['title']} ({a['ownerAgency']['name']})") for a in self.actions
                  if a["status"] in ("NOT_STARTED", "IN_PROGRESS")
                  and self.day <= date.fromisoformat(a["dueOn"]) <= self.day + TERM]
        return sorted(found)


async def gather(ask: Any, read_model: Any, plan_id: str, as_at: datetime | None, since: datetime | None) -> Report:
    """The report on a plan as at an instant (now if None, made final as any asAt read is), with the changes
    recorded after `since` (if None, a term before: the period since the last termly report). `ask(query,
    variables)` runs a query as the reader."""
    view = await settled(read_model, View(as_at=as_at or datetime.now().astimezone()))
    at = view.as_at.isoformat()
    plan = (await ask(PLAN, {"id": plan_id, "asAt": at}))["plan"]
    if plan is None:
        raise ReportNotFound(f"no plan with id {plan_id!r} that this reader may read (as at {at})")
    since = since or view.as_at - TERM  # (a plan is recorded long after the year 1)
    actions, after = [], None
    while True:
        page = (await ask(ACTIONS, {"id": plan_id, "asAt": at, "after": after}))["plan"]["actions"]
        actions += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    position, chain_hash = await read_model.ask(q.position_at(view.as_at_text))
    report = Report(as_at=view.as_at, since=since, chain_position=position, chain_hash=chain_hash, plan=plan,
                    actions=actions)
    await period(report, ask, read_model)
    return report


async def period(report: Report, ask: Any, read_model: Any) -> None:
    """The changes to the plan's actions, and the judgements of the plan, its priority areas and actions, recorded
    in the period (after `since`, at or before the report's instant)."""
    names = {a["id"]: a["title"] for a in report.actions}
    subjects = {report.plan["id"], *names, *(area["id"] for area in report.plan["priorityAreas"])}
    start = (await read_model.ask(q.position_at(instant(report.since))))[0]
    after, end = cursors.encode("e", start) if start else None, instant(report.as_at)
    while True:
        page = (await ask(EVENTS, {"p": report.partnership["id"], "after": after,
                                   "types": [*CHANGES, "JudgementRecorded"]}))["events"]
        for edge in page["edges"]:
            event = edge["node"]
            if instant(datetime.fromisoformat(event["recordedAt"])) > end:
                return
            if event["type"] == "JudgementRecorded" and event["data"]["subjectId"] in subjects:
                report.judgements.append({**event["data"], "recordedAt": event["recordedAt"],
                                          "subject": names.get(event["data"]["subjectId"], "the plan or a priority area")})
            elif event["entityId"] in names:
                report.changes.append(Change(event["recordedAt"], event["effectiveOn"], names[event["entityId"]],
                                             CHANGES[event["type"]], f"{event['actor']['subject']} ({event['actor']['role']})",
                                             event["reason"] or detail(event)))
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]


def detail(event: dict) -> str:
    """What a change without a reason carries instead: a completion's evidence and note, a due date."""
    data = event["data"]
    if event["type"] == "ActionCompleted":
        return "; ".join([*data.get("evidence", []), *([data["note"]] if data.get("note") else [])])
    if event["type"] == "ActionAdded":
        return f"due {data['dueOn']}"
    return ""
