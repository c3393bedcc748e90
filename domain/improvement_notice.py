"""An improvement notice the DfE issues where a partnership's progress is too slow, in force until it is lifted."""

from __future__ import annotations

from datetime import date

from eventsourcing.domain import event

from domain.base import InvalidTransitionError, Record, check_order, effective_today, require_text
from domain.partnership import Partnership


class ImprovementNotice(Record):
    @classmethod
    def issue(cls, partnership: Partnership, issued_on: date, summary: str) -> ImprovementNotice:
        partnership.check_exists_on(effective_today(), "partnership")
        return cls(partnership_id=partnership.partnership_id, issued_on=issued_on, summary=require_text(summary, "summary"))

    @event("ImprovementNoticeIssued")
    def __init__(self, partnership_id: str, issued_on: date, summary: str):
        self._partnership_id = partnership_id
        self.issued_on = issued_on
        self.summary = summary
        self.lifted_on: date | None = None
        self.lift_reason: str | None = None

    def lift(self, lifted_on: date, reason: str) -> None:
        if self.lifted_on is not None:
            raise InvalidTransitionError(f"the notice was lifted on {self.lifted_on}: cannot lift it again")
        check_order(self.issued_on, lifted_on, "lifted_on", "a notice is lifted on or after the day it was issued")
        self._lifted(lifted_on=lifted_on, reason=require_text(reason, "reason"))

    @event("ImprovementNoticeLifted")
    def _lifted(self, lifted_on: date, reason: str) -> None:
        self.lifted_on = lifted_on
        self.lift_reason = reason


def in_force(lifted_on: date | None, on: date) -> bool:
    """An issued notice is in force until the day it is lifted."""
    return lifted_on is None or lifted_on > on
