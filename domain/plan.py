"""A plan answering an inspection (WSoA, Improvement Plan, ...) and its priority areas.

Lifecycle: DRAFT -> SUBMITTED -> APPROVED or RETURNED; RETURNED -> SUBMITTED;
APPROVED -> SUPERSEDED (by another plan of the partnership) or CLOSED.

A plan answering a published inspection gets the deadlines its framework sets
(domain/deadlines.py) when it is drafted; a submission date given by hand
overrides the derived one, and the PlanDrafted event says which it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import uuid4

from eventsourcing.domain import event

from domain.base import InvalidError, InvalidTransitionError, Record, check_order, effective_today, require_text
from domain.deadlines import PlanDeadlines, plan_deadlines
from domain.inspection import Inspection
from domain.partnership import Partnership
from domain.vocabulary import PlanKind, PlanStatus

EDITABLE = {PlanStatus.DRAFT, PlanStatus.RETURNED}  # not yet submitted, or sent back for rework
FINISHED = {PlanStatus.SUPERSEDED, PlanStatus.CLOSED}


@dataclass(frozen=True)
class PriorityArea:
    id: str
    title: str
    addresses: tuple[str, ...]  # the findings it answers
    success_measures: tuple[str, ...]


class Plan(Record):
    @classmethod
    def draft(
        cls,
        partnership: Partnership,
        kind: PlanKind,
        title: str,
        responds_to: Inspection | None = None,
        period_start: date | None = None,
        period_end: date | None = None,
        submission_due: date | None = None,
    ) -> Plan:
        partnership.check_exists_on(effective_today(), "partnership")
        check_order(period_start, period_end, "period_end", "a plan's period ends after it starts")
        if responds_to is not None and responds_to.partnership_id != partnership.partnership_id:
            raise InvalidError("a plan may only respond to an inspection of its own partnership", "responds_to")
        if responds_to is not None:
            responds_to.check_exists_on(effective_today(), "inspection")
        kind = PlanKind(kind)
        derived = PlanDeadlines(None, None)
        if responds_to is not None and responds_to.published_on is not None:
            derived = plan_deadlines(responds_to.framework, kind, responds_to.published_on)
        return cls(
            partnership_id=partnership.partnership_id,
            kind=kind,
            title=require_text(title, "title"),
            responds_to=str(responds_to.id) if responds_to is not None else None,
            period_start=period_start,
            period_end=period_end,
            submission_due=submission_due or derived.submission_due,
            publication_due=derived.publication_due,
            submission_due_derived=submission_due is None and derived.submission_due is not None,
        )

    # The last two fields came with derived deadlines: plans drafted before have none derived (a submission date
    # in them was typed in).
    @event("PlanDrafted")
    def __init__(
        self,
        partnership_id: str,
        kind: PlanKind,
        title: str,
        responds_to: str | None,
        period_start: date | None,
        period_end: date | None,
        submission_due: date | None,
        publication_due: date | None = None,
        submission_due_derived: bool = False,
    ):
        self._partnership_id = partnership_id
        self.kind = kind
        self.title = title
        self.responds_to = responds_to
        self.period_start = period_start
        self.period_end = period_end
        self.submission_due = submission_due
        self.publication_due = publication_due
        self.submission_due_derived = submission_due_derived
        self.status = PlanStatus.DRAFT
        self.first_submitted_on: date | None = None
        self.submitted_on: date | None = None
        self.approved_on: date | None = None
        self.returned_on: date | None = None
        self.finished_on: date | None = None
        self.superseded_by: str | None = None
        self.priority_areas: dict[str, PriorityArea] = {}

    def add_priority_area(
        self, title: str, addresses: list[str], success_measures: list[str], inspection: Inspection | None
    ) -> str:
        self.check_status(EDITABLE, "add a priority area")
        self.check_exists_on(effective_today(), "plan")
        if addresses and inspection is None:
            raise InvalidError("this plan responds to no inspection, so its priority areas cannot address findings", "addresses")
        for finding_id in addresses:
            inspection.check_has_finding(finding_id, "addresses")
        priority_area_id = str(uuid4())
        self._priority_area_added(
            priority_area_id=priority_area_id,
            title=require_text(title, "title"),
            addresses=list(dict.fromkeys(addresses)),
            success_measures=[require_text(m, "success_measures") for m in success_measures],
        )
        return priority_area_id

    @event("PriorityAreaAdded")
    def _priority_area_added(self, priority_area_id: str, title: str, addresses: list, success_measures: list) -> None:
        self.priority_areas[priority_area_id] = PriorityArea(priority_area_id, title, tuple(addresses),
                                                             tuple(success_measures))

    def submit(self, on: date, reason: str | None = None, inspection: Inspection | None = None) -> None:
        """`inspection`: the one the plan responds to (a priority action plan answers each of its areas for
        priority action)."""
        self.check_status(EDITABLE, "submit it")
        check_order(self.returned_on, on, "on", "a plan is submitted again after it was returned")
        if self.kind == PlanKind.PRIORITY_ACTION_PLAN and self.responds_to is not None:
            assert inspection is not None and str(inspection.id) == self.responds_to
            self.check_addresses_every_priority_action(inspection)
        self._submitted(on=on, reason=reason)

    @event("PlanSubmitted")
    def _submitted(self, on: date, reason: str | None) -> None:
        self.status = PlanStatus.SUBMITTED
        self.submitted_on = on
        if self.first_submitted_on is None:
            self.first_submitted_on = on

    def approve(self, on: date, reason: str | None = None) -> None:
        self.check_status({PlanStatus.SUBMITTED}, "approve it")
        check_order(self.submitted_on, on, "on", "a plan is approved after it was submitted")
        self._approved(on=on, reason=reason)

    @event("PlanApproved")
    def _approved(self, on: date, reason: str | None) -> None:
        self.status = PlanStatus.APPROVED
        self.approved_on = on

    def return_(self, on: date, reason: str | None = None) -> None:
        self.check_status({PlanStatus.SUBMITTED}, "return it")
        check_order(self.submitted_on, on, "on", "a plan is returned after it was submitted")
        self._returned(on=on, reason=reason)

    @event("PlanReturned")
    def _returned(self, on: date, reason: str | None) -> None:
        self.status = PlanStatus.RETURNED
        self.returned_on = on

    def supersede(self, by: Plan, on: date, reason: str | None = None) -> None:
        self.check_status({PlanStatus.APPROVED}, "supersede it")
        if by.id == self.id:
            raise InvalidError("a plan cannot supersede itself", "superseded_by")
        if by.partnership_id != self.partnership_id:
            raise InvalidError("a plan can only be superseded by a plan of the same partnership", "superseded_by")
        if by.status in FINISHED:
            raise InvalidError(f"the superseding plan is {by.status}", "superseded_by")
        check_order(self.approved_on, on, "on", "a plan is superseded after it was approved")
        check_order(by.effective_from, on, "on", "a plan is superseded by one drafted by then")
        self._superseded(superseded_by=str(by.id), on=on, reason=reason)

    @event("PlanSuperseded")
    def _superseded(self, superseded_by: str, on: date, reason: str | None) -> None:
        self.status = PlanStatus.SUPERSEDED
        self.superseded_by = superseded_by
        self.finished_on = on

    def close(self, on: date, reason: str | None = None) -> None:
        self.check_status({PlanStatus.APPROVED}, "close it")
        check_order(self.approved_on, on, "on", "a plan is closed after it was approved")
        self._closed(on=on, reason=reason)

    @event("PlanClosed")
    def _closed(self, on: date, reason: str | None) -> None:
        self.status = PlanStatus.CLOSED
        self.finished_on = on

    def check_status(self, allowed: set[PlanStatus], doing: str) -> None:
        if self.status not in allowed:
            raise InvalidTransitionError(f"the plan is {self.status}: cannot {doing}")

    def check_open_for_actions(self) -> None:
        if self.status in FINISHED:
            raise InvalidTransitionError(f"the plan is {self.status}: it takes no new actions")

    def check_addresses_every_priority_action(self, inspection: Inspection) -> None:
        addressed = {f for area in self.priority_areas.values() for f in area.addresses}
        left = [f for f in inspection.priority_actions() if f.id not in addressed]
        if left:
            raise InvalidError("a priority action plan is submitted once its priority areas address every area for "
                               "priority action of the inspection; not yet addressed: " +
                               "; ".join(f"{f.text!r} ({f.id})" for f in left), "plan_id")

    def check_has_priority_area(self, priority_area_id: str, field_name: str) -> None:
        if priority_area_id not in self.priority_areas:
            raise InvalidError(f"priority area {priority_area_id} is not in plan {self.id}", field_name)


def submission_overdue(status: PlanStatus, submission_due: date | None, on: date) -> bool:
    """Not yet submitted (a draft, or returned for rework) and due before the given day."""
    return status in EDITABLE and submission_due is not None and submission_due < on


def submitted_late(first_submitted_on: date | None, submission_due: date | None) -> bool | None:
    """None until submitted; then whether the first submission came after the day it was due (never, with no
    day set)."""
    if first_submitted_on is None:
        return None
    return submission_due is not None and first_submitted_on > submission_due
