"""What every aggregate of the record shares: who and when on each event, and the errors.

Each event names who made the change (the actor) and the date it took effect in
the world (effectiveOn, valid time); the library stamps when it was recorded
(its timestamp, transaction time). The service sets the stamp once per command,
as the eventsourcing library's content-management example sets its user id.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Iterator

from eventsourcing.domain import Aggregate

from domain.vocabulary import Role


@dataclass(frozen=True)
class Actor:
    subject: str
    role: Role
    agency_id: str | None = None

    def as_dict(self) -> dict:
        return {"subject": self.subject, "role": str(self.role), "agencyId": self.agency_id}


@dataclass(frozen=True)
class Stamp:
    actor: Actor
    effective_on: date


SYSTEM = Actor(subject="system", role=Role.ADMIN)
_stamp: ContextVar[Stamp | None] = ContextVar("stamp", default=None)


def current_stamp() -> Stamp:
    return _stamp.get() or Stamp(actor=SYSTEM, effective_on=datetime.now(timezone.utc).date())


@contextmanager
def stamped(actor: Actor, effective_on: date) -> Iterator[Stamp]:
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
        actor: dict = field(default_factory=lambda: current_stamp().actor.as_dict(), init=False)
        effective_on: date = field(default_factory=lambda: current_stamp().effective_on, init=False)

    @property
    def partnership_id(self) -> str:
        return self._partnership_id


def require_text(value: str | None, field_name: str) -> str:
    if value is None or not value.strip():
        raise InvalidError(f"{field_name} must not be empty", field_name)
    return value.strip()


def check_order(earlier: date | None, later: date | None, earlier_name: str, later_name: str) -> None:
    if earlier is not None and later is not None and later < earlier:
        raise InvalidError(f"{later_name} ({later}) is before {earlier_name} ({earlier})", later_name)


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
