"""A meeting where the partnership's progress is examined.

Most monitoring happens between inspections: Ofsted/CQC engagement meetings, DfE
and NHS England stocktakes and review meetings, the partnership's improvement
board and the council's scrutiny committee. A meeting is recorded once, as held:
who attended (agencies of the partnership and other named bodies), a summary, the
decisions taken, and the actions and plans discussed.
"""

from __future__ import annotations

from datetime import date
from typing import Sequence

from eventsourcing.domain import event

from domain.action import Action
from domain.base import InvalidError, Record, effective_today, require_text
from domain.partnership import Partnership
from domain.plan import Plan
from domain.vocabulary import MeetingKind


class Meeting(Record):
    @classmethod
    def record(
        cls,
        partnership: Partnership,
        kind: MeetingKind,
        held_on: date,
        summary: str,
        attending_agency_ids: Sequence[str] = (),
        other_attendees: Sequence[str] = (),
        decisions: Sequence[str] = (),
        actions: Sequence[Action] = (),
        plans: Sequence[Plan] = (),
    ) -> Meeting:
        partnership.check_exists_on(effective_today(), "partnership")
        agencies = list(dict.fromkeys(attending_agency_ids))
        for agency_id in agencies:
            partnership.check_has_agency(agency_id, "attending_agency_ids")
        for discussed, field_name in [(actions, "action_ids"), (plans, "plan_ids")]:
            for item in discussed:
                cls.check_discussable(partnership, item, held_on, field_name)
        return cls(
            partnership_id=partnership.partnership_id,
            kind=MeetingKind(kind),
            held_on=held_on,
            attending_agency_ids=agencies,
            other_attendees=[require_text(a, "other_attendees") for a in other_attendees],
            summary=require_text(summary, "summary"),
            decisions=[require_text(d, "decisions") for d in decisions],
            action_ids=list(dict.fromkeys(str(a.id) for a in actions)),
            plan_ids=list(dict.fromkeys(str(p.id) for p in plans)),
        )

    @event("MeetingRecorded")
    def __init__(
        self,
        partnership_id: str,
        kind: MeetingKind,
        held_on: date,
        attending_agency_ids: list,
        other_attendees: list,
        summary: str,
        decisions: list,
        action_ids: list,
        plan_ids: list,
    ):
        self._partnership_id = partnership_id
        self.kind = kind
        self.held_on = held_on
        self.attending_agency_ids = tuple(attending_agency_ids)
        self.other_attendees = tuple(other_attendees)
        self.summary = summary
        self.decisions = tuple(decisions)
        self.action_ids = tuple(action_ids)
        self.plan_ids = tuple(plan_ids)

    @staticmethod
    def check_discussable(partnership: Partnership, item: Action | Plan, held_on: date, field_name: str) -> None:
        """What a meeting discusses is the partnership's, and in the record by the day it is held."""
        what = type(item).__name__.lower()
        if item.partnership_id != partnership.partnership_id:
            raise InvalidError(f"{what} {item.id} is not one of this partnership's", field_name)
        if held_on < item.effective_from:
            raise InvalidError(f"{what} {item.id} came into the record on {item.effective_from}, after the meeting "
                               f"({held_on})", field_name)
