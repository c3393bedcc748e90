"""An action of a plan, owned by one agency of the partnership, with a lead officer and a due date.

Lifecycle: NOT_STARTED -> IN_PROGRESS -> COMPLETED (with evidence); COMPLETED ->
IN_PROGRESS (reopened); NOT_STARTED or IN_PROGRESS -> CANCELLED (with a reason).
"""

from __future__ import annotations

from datetime import date
from typing import Iterable, Protocol

from eventsourcing.domain import event

from domain.base import InvalidError, InvalidTransitionError, Record, check_order, effective_today, require_text
from domain.partnership import Partnership
from domain.plan import Plan
from domain.vocabulary import OPEN_ACTION_STATUSES, ActionStatus, Rag


class Action(Record):
    @classmethod
    def add(
        cls,
        plan: Plan,
        partnership: Partnership,
        title: str,
        owner_agency_id: str,
        due_on: date,
        priority_area_id: str | None = None,
        description: str | None = None,
        lead_officer: str | None = None,
    ) -> Action:
        plan.check_open_for_actions()
        plan.check_exists_on(effective_today(), "plan")
        if priority_area_id is not None:
            plan.check_has_priority_area(priority_area_id, "priority_area_id")
        partnership.check_has_agency(owner_agency_id, "owner_agency_id")
        return cls(
            plan_id=str(plan.id),
            partnership_id=plan.partnership_id,
            priority_area_id=priority_area_id,
            title=require_text(title, "title"),
            description=description,
            owner_agency_id=owner_agency_id,
            lead_officer=lead_officer,
            due_on=due_on,
        )

    @event("ActionAdded")
    def __init__(
        self,
        plan_id: str,
        partnership_id: str,
        priority_area_id: str | None,
        title: str,
        description: str | None,
        owner_agency_id: str,
        lead_officer: str | None,
        due_on: date,
    ):
        self._partnership_id = partnership_id
        self.plan_id = plan_id
        self.priority_area_id = priority_area_id
        self.title = title
        self.description = description
        self.owner_agency_id = owner_agency_id
        self.lead_officer = lead_officer
        self.due_on = due_on
        self.original_due_on = due_on
        self.reschedule_count = 0
        self.status = ActionStatus.NOT_STARTED
        self.status_since = self.changed_on
        self.rag: Rag | None = None
        self.completed_on: date | None = None
        self.evidence: tuple[str, ...] = ()
        self.latest_note: str | None = None

    def start(self, reason: str | None = None) -> None:
        self.check_status({ActionStatus.NOT_STARTED}, "start it", moving=True)
        self._started(reason=reason)

    @event("ActionStarted")
    def _started(self, reason: str | None) -> None:
        self.status, self.status_since = ActionStatus.IN_PROGRESS, self.changed_on

    def report_progress(self, note: str, rag: Rag | None) -> None:
        self.check_status(OPEN_ACTION_STATUSES, "report progress on it")
        self._progress_reported(note=require_text(note, "note"), rag=Rag(rag) if rag else None)

    @event("ActionProgressReported")
    def _progress_reported(self, note: str, rag: Rag | None) -> None:
        self.latest_note = note
        if rag is not None:
            self.rag = rag

    def reschedule(self, due_on: date, reason: str) -> None:
        self.check_status(OPEN_ACTION_STATUSES, "reschedule it")
        self._rescheduled(due_on=due_on, reason=require_text(reason, "reason"))

    @event("ActionRescheduled")
    def _rescheduled(self, due_on: date, reason: str) -> None:
        self.due_on = due_on
        self.reschedule_count += 1

    def reassign(self, partnership: Partnership, owner_agency_id: str, lead_officer: str | None, reason: str) -> None:
        self.check_status(OPEN_ACTION_STATUSES, "reassign it")
        reason = require_text(reason, "reason")
        partnership.check_has_agency(owner_agency_id, "owner_agency_id")
        self._reassigned(owner_agency_id=owner_agency_id, lead_officer=lead_officer, reason=reason)

    @event("ActionReassigned")
    def _reassigned(self, owner_agency_id: str, lead_officer: str | None, reason: str) -> None:
        self.owner_agency_id = owner_agency_id
        self.lead_officer = lead_officer

    def complete(self, completed_on: date, evidence: list[str], note: str | None) -> None:
        self.check_status({ActionStatus.IN_PROGRESS}, "complete it", moving=True)
        evidence = [e.strip() for e in evidence if e and e.strip()]
        if not evidence:
            raise InvalidError("completing an action needs at least one item of evidence", "evidence")
        self._completed(completed_on=completed_on, evidence=evidence, note=note)

    @event("ActionCompleted")
    def _completed(self, completed_on: date, evidence: list, note: str | None) -> None:
        self.status, self.status_since = ActionStatus.COMPLETED, self.changed_on
        self.completed_on = completed_on
        self.evidence = self.evidence + tuple(evidence)
        if note:
            self.latest_note = note

    def reopen(self, reason: str | None) -> None:
        self.check_status({ActionStatus.COMPLETED}, "reopen it", moving=True)
        self._reopened(reason=reason)

    @event("ActionReopened")
    def _reopened(self, reason: str | None) -> None:
        self.status, self.status_since = ActionStatus.IN_PROGRESS, self.changed_on
        self.completed_on = None

    def cancel(self, reason: str) -> None:
        self.check_status(OPEN_ACTION_STATUSES, "cancel it", moving=True)
        self._cancelled(reason=require_text(reason, "reason"))

    @event("ActionCancelled")
    def _cancelled(self, reason: str) -> None:
        self.status, self.status_since = ActionStatus.CANCELLED, self.changed_on

    def check_status(self, allowed: set[ActionStatus], doing: str, moving: bool = False) -> None:
        """The change may be made in the action's status; one `moving` it to another takes effect on or after the
        day it came to this one (so that, read as of any date, the action went through its steps in order)."""
        if self.status not in allowed:
            raise InvalidTransitionError(f"the action is {self.status}: cannot {doing}")
        if moving:
            check_order(self.status_since, effective_today(), "effective_on",
                        f"the action became {self.status} on {self.status_since}: it cannot {doing} before that")


def is_overdue(status: ActionStatus, due_on: date, on: date) -> bool:
    """Due before the given day and neither completed nor cancelled."""
    return status in OPEN_ACTION_STATUSES and due_on < on


class Rated(Protocol):
    status: ActionStatus
    rag: Rag | None
    due_on: date


def roll_up(actions: Iterable[Rated], on: date) -> Rag | None:
    """A priority area's RAG from its actions on a day: RED if any open action is RED or overdue; else AMBER if any
    open action is AMBER; else GREEN if some action is not cancelled and every one not cancelled is completed or
    GREEN; else None (no actions, or open ones not yet rated)."""
    actions = list(actions)
    open_ = [a for a in actions if a.status in OPEN_ACTION_STATUSES]
    if any(a.rag == Rag.RED or is_overdue(a.status, a.due_on, on) for a in open_):
        return Rag.RED
    if any(a.rag == Rag.AMBER for a in open_):
        return Rag.AMBER
    live = [a for a in actions if a.status != ActionStatus.CANCELLED]
    if live and all(a.status == ActionStatus.COMPLETED or a.rag == Rag.GREEN for a in live):
        return Rag.GREEN
    return None
