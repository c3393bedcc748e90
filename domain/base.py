"""What every aggregate of the record shares: who and when on each event, and the errors.

Each event names who made the change (the actor) and the date it took effect in
the world (effective_on, valid time); the store stamps when it was recorded (its
timestamp, transaction time) as it commits. The service sets who and the
effective date once per command, as the eventsourcing library's
content-management example sets its user id.

Errors name the field of the command they are about in the command's own
(snake_case) names; the service turns them into its API's names.
"""

from __future__ import annotations

import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Iterator, Mapping

from eventsourcing.domain import Aggregate

# Who made a change, as the service records it on each event (opaque to the domain); changes made outside any
# command (a benchmark building a log, say) are the system's.
SYSTEM: Mapping[str, Any] = {"subject": "system", "role": "ADMIN"}


@dataclass(frozen=True)
class Stamp:
    actor: Mapping[str, Any]
    effective_on: date


_stamp: ContextVar[Stamp | None] = ContextVar("stamp", default=None)


def current_stamp() -> Stamp:
    return _stamp.get() or Stamp(actor=SYSTEM, effective_on=datetime.now(timezone.utc).date())


@contextmanager
def stamped(actor: Mapping[str, Any], effective_on: date) -> Iterator[Stamp]:
    """Every event triggered inside this block names this actor and effective date."""
    stamp = Stamp(actor=actor, effective_on=effective_on)
    token = _stamp.set(stamp)
    try:
        yield stamp
    finally:
        _stamp.reset(token)


class Record(Aggregate):
    """An aggregate of the partnership's record."""

    class Event(Aggregate.Event):
        actor: dict = field(default_factory=lambda: dict(current_stamp().actor), init=False)
        effective_on: date = field(default_factory=lambda: current_stamp().effective_on, init=False)

        def mutate(self, aggregate: Any) -> Any:
            if aggregate is not None:  # (None for the event that creates it: see __base_init__)
                aggregate._changed_on = self.effective_on  # (read by the event's own method: `changed_on`)
            return super().mutate(aggregate)

    def __base_init__(self, originator_id: Any, originator_version: int, timestamp: datetime, effective_on: date) -> None:
        super().__base_init__(originator_id, originator_version, timestamp)
        self._effective_from = self._changed_on = effective_on

    def __deepcopy__(self, memo: dict) -> Record:
        """A copy to decide a change on (a change made to it leaves this one as it was). An aggregate's state is
        immutable values (text, dates, enums, tuples) and dicts of immutable children (frozen dataclasses), so
        copying its dicts and lists, one level down, is enough: the standard deep copy, walking every value, cost
        a twentieth of a write's time."""
        copy = object.__new__(type(self))
        copy.__dict__.update((name, value.copy() if isinstance(value, (dict, list)) else value)
                             for name, value in vars(self).items())
        return copy

    @property
    def partnership_id(self) -> str:
        return self._partnership_id

    @property
    def effective_from(self) -> date:
        """The date the record says this came into being (its first event's effective date)."""
        return self._effective_from

    @property
    def changed_on(self) -> date:
        """The effective date of the change being applied (in an event's method), else of the latest change."""
        return self._changed_on

    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None:
        """Every change to a record takes effect on or after the day the record itself did (a change of a plan
        dated before the plan was drafted would rewrite what the plan said on days it did not exist), unless its
        event says it may precede the record (`may_precede_record`)."""
        if not getattr(event_class, "may_precede_record", False):
            self.check_exists_on(current_stamp().effective_on, words(type(self).__name__))
        super().trigger_event(event_class, **kwargs)

    def check_exists_on(self, on: date, what: str) -> None:
        """Nothing takes effect in the record before what it belongs to: at any date where it exists, its
        partnership, plan or inspection exists too."""
        if on < self.effective_from:
            raise InvalidError(
                f"this would take effect on {on}, before the {what} it belongs to did ({self.effective_from})",
                "effective_on")


def words(kind: str) -> str:
    """'PriorityArea' -> 'priority area'."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in kind).strip()


def with_article(noun: str) -> str:
    """'inspection' -> 'an inspection'."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def effective_today() -> date:
    """The effective date of the change being made."""
    return current_stamp().effective_on


def require_text(value: str | None, field_name: str) -> str:
    """Text with something to read: not only spaces, nor only invisible characters (a zero-width space)."""
    if value is None or all(c.isspace() or unicodedata.category(c) == "Cf" for c in value):
        raise InvalidError(f"{field_name.replace('_', ' ')} must not be empty", field_name)
    return value.strip()


def check_order(earlier: date | None, later: date | None, field_name: str, rule: str) -> None:
    """Two dates of one thing in their order; the error names the later one's field and says the rule."""
    if earlier is not None and later is not None and later < earlier:
        raise InvalidError(f"{rule} ({later} is before {earlier})", field_name)


class DomainError(Exception):
    """A rule of the domain refused the change; nothing is recorded."""

    code = "INVALID"

    def __init__(self, message: str, field_name: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field_name


class InvalidError(DomainError):
    code = "INVALID"


class InvalidTransitionError(DomainError):
    code = "INVALID_TRANSITION"
