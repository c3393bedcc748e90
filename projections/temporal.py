"""Time travel: what the record showed at an instant (asAt), and what it said was true on a date (asOf).

Two ways to answer, chosen per question so that the cost for one entity grows
with that entity's own history and never with the size of the whole log:

- asAt alone: every write also keeps the aggregate's state after that version
  (`entity_versions`, in the events' transaction); the answer is the latest
  version recorded at or before the instant: one indexed lookup per entity,
  the same cost as reading current state.
- asOf (with or without asAt): backdated events change what was true on earlier
  dates, so no stored state answers every date. The entity's own events are
  read and folded, in recorded order, keeping those recorded by asAt (or now)
  whose effectiveOn is on or before asOf.

Findings and priority areas live inside their inspection or plan and are
answered through it. Membership (which actions a plan has) never changes, so
lists take their members from the current index and ask each at the view; a
member that did not exist yet answers None and drops out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterable

from domain.base import Record
from projections.views import instant, state_of


@dataclass(frozen=True)
class View:
    """The (asAt, asOf) pair an answer is for; both None is the current state."""

    as_at: datetime | None = None
    as_of: date | None = None

    def __post_init__(self) -> None:
        if self.as_at is not None and self.as_at.tzinfo is None:
            object.__setattr__(self, "as_at", self.as_at.replace(tzinfo=timezone.utc))  # a bare instant is UTC

    @property
    def current(self) -> bool:
        return self.as_at is None and self.as_of is None

    @property
    def as_at_text(self) -> str | None:
        return instant(self.as_at.astimezone(timezone.utc)) if self.as_at is not None else None

    @property
    def day(self) -> date:
        """The day overdue is judged on: asOf, else the day of asAt, else today."""
        if self.as_of is not None:
            return self.as_of
        return (self.as_at or datetime.now(timezone.utc)).astimezone(timezone.utc).date()


NOW = View()


def counts(event: Any, view: View) -> bool:
    return (view.as_at is None or event.timestamp <= view.as_at) and (
        view.as_of is None or event.effective_on <= view.as_of
    )


def fold(events: Iterable[Any], view: View) -> Record | None:
    """The aggregate from those of its events (in version order) that count at the view, or None
    if its creation does not count. Its version is the number of events that count."""
    aggregate, count = None, 0
    for event in events:
        if not counts(event, view):
            if aggregate is None:
                return None
            continue
        count += 1
        if aggregate is None:
            aggregate = event.mutate(None)
        else:
            event.apply(aggregate)
            aggregate.version = count
            aggregate.modified_on = event.timestamp
    return aggregate


def state_at(events: Iterable[Any], view: View) -> dict | None:
    aggregate = fold(events, view)
    return state_of(aggregate) if aggregate is not None else None
