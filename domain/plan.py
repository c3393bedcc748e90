"""A plan answering an inspection (WSoA, Improvement Plan, ...) and its priority areas.

Lifecycle: DRAFT -> SUBMITTED -> APPROVED or RETURNED; RETURNED -> SUBMITTED;
APPROVED -> SUPERSEDED (by another plan of the partnership) or CLOSED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import uuid4

from eventsourcing.domain import event

from domain.base import InvalidError, InvalidTransitionError, Record, check_order, effective_today, require_text
from domain.inspection import Inspection
from domain.partnership import Partnership
from domain.vocabulary import PlanKind, PlanStatus

EDITABLE = {PlanStatus.DRAFT, PlanStatus.RETURNED}
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
        return cls(
            partnership_id=partnership.partnership_id,
            kind=PlanKind(kind),
            title=require_text(title, "title"),
            responds_to=str(responds_to.id) if responds_to is not None else None,
            period_start=period_start,
            period_end=period_end,
            submission_due=submission_due,
        )

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
    ):
        self._partnership_id = partnership_id
        self.kind = kind
        self.title = title
        self.responds_to = responds_to
        self.period_start = period_start
        self.period_end = period_end
        self.submission_due = submission_due
        self.status = PlanStatus.DRAFT
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

    def submit(self, on: date, reason: str | None = None) -> None:
        self.check_status(EDITABLE, "submit it")
        check_order(self.returned_on, on, "on", "a plan is submitted again after it was returned")
        self._submitted(on=on, reason=reason)

    @event("PlanSubmitted")
    def _submitted(self, on: date, reason: str | None) -> None:
        self.status = PlanStatus.SUBMITTED
        self.submitted_on = on

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

    def check_has_priority_area(self, priority_area_id: str, field_name: str) -> None:
        if priority_area_id not in self.priority_areas:
            raise InvalidError(f"priority area {priority_area_id} is not in plan {self.id}", field_name)
