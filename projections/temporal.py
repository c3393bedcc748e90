"""Time travel: what the record showed at an instant (asAt), and what it said was true on a date (asOf).

Answers for many aggregates of one kind are found together, at a cost for each
that grows with its own history and never with the size of the whole log:

- asAt alone: every write also keeps the aggregate's state after that version
  (`entity_versions`, in the events' transaction); the answer is the latest
  version recorded at or before the instant: one indexed lookup, the same cost
  as reading current state.
- asOf (with or without asAt): the answer folds, in recorded order, the events
  recorded by asAt (or now) whose effective date is on or before asOf. Where an
  aggregate's events (those recorded by asAt) came in order of effective date,
  the ones that count are a prefix of its versions, so the answer is again one
  stored version: the last one effective by asOf (`in_order` on each version
  says whether its events so far came in order). Only an aggregate with a
  backdated event (effective before an earlier-recorded one) has its events
  read and folded.

Children (findings, priority areas, agencies) live inside their aggregate and
are answered through it. Membership (which actions a plan has) never changes,
so lists take their members from the current index and ask each at the view;
a member that did not exist yet drops out.

An answer as at an instant never changes once given: events are stamped in
commit order, later than the log clock, inside the transaction that stores
them. A read as at an instant later than the clock first moves the clock there
(`seal`, which waits for a commit under way), so no later commit can be stamped
at or before it. An instant later than the moment of the read is answered as at
that moment (the read cannot know the future).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterable

from domain.base import Record
from projections import queries as q
from projections.shapes import KINDS, AggregateState
from projections.views import instant


@dataclass(frozen=True)
class View:
    """The (asAt, asOf) pair an answer is for; both None is the current state."""

    as_at: datetime | None = None
    as_of: date | None = None

    def __post_init__(self) -> None:
        if self.as_at is not None:
            object.__setattr__(self, "as_at", self.as_at.astimezone(timezone.utc))

    @property
    def current(self) -> bool:
        return self.as_at is None and self.as_of is None

    @property
    def as_at_text(self) -> str | None:
        return instant(self.as_at) if self.as_at is not None else None

    @property
    def day(self) -> date:
        """The day overdue is judged on: asOf, else the day of asAt, else today."""
        if self.as_of is not None:
            return self.as_of
        return (self.as_at or datetime.now(timezone.utc)).date()


NOW = View()


async def settled(read_model: Any, view: View) -> View:
    """The view to answer, made final: as at an instant no commit can still be stamped at or before."""
    if view.as_at is None:
        return view
    now = datetime.now(timezone.utc)
    if view.as_at > now:
        view = View(now, view.as_of)
    if view.as_at_text > await read_model.ask(q.log_clock()):
        await read_model.seal(view.as_at_text)
    return view


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


async def aggregates_at(read_model: Any, mapper: Any, kind: str, ids: list[str], view: View) -> dict[str, AggregateState]:
    """The states at the view of those of these aggregates (all of one kind) that exist there, by id."""
    if not ids:
        return {}
    if view.as_of is None:
        return await read_model.ask(q.states_at(kind, ids, view.as_at_text))
    found = await read_model.ask(q.states_as_of(kind, ids, view.as_at_text, view.as_of.isoformat()))
    answers = {i: state for i, (in_order, state) in found.items() if in_order and state is not None}
    backdated = [i for i, (in_order, _) in found.items() if not in_order]
    if backdated:
        build = KINDS[kind].build
        for entity_id, stored in (await read_model.stored_events(backdated)).items():
            folded = fold(map(mapper.to_domain_event, stored), view)
            if folded is not None:
                answers[entity_id] = build(folded)
    return answers
