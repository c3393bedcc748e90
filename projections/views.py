"""Pure functions from the domain to read-model rows.

`event_record` is how one stored event reads in the log (the GraphQL EventRecord);
`entity_rows` is the current state of one aggregate and of the children inside it,
in the shapes of projections/shapes.py; `version_row` is the aggregate's state
after one event, for answers at a past instant. All are used incrementally (in
the transaction that stores the events, once they are stamped) and by replay
(rebuild and time travel), so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import Enum
from functools import lru_cache
from typing import Any

from domain.base import Record
from projections.shapes import CHILD_EVENTS, children, encode, kind_of

# Fields every event has; the rest of an event is its data.
_BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor", "effective_on", "reason"}
SCALARS = {str, int, float, bool}


@dataclass(frozen=True)
class EntityRow:
    id: str
    type: str
    partnership_id: str | None  # None: of no partnership (a webhook for every partnership)
    plan_id: str | None
    inspection_id: str | None
    subject_id: str | None
    version: int
    updated_at: str
    state: str


@lru_cache(maxsize=1024)
def camel(name: str) -> str:
    """An event's field as the log's records name it (EventRecord.data is in the API's casing)."""
    head, *rest = name.lstrip("_").split("_")
    return head + "".join(part.title() for part in rest)


def plain(value: Any) -> Any:
    """A JSON-ready copy: dates as ISO text, enums as their values."""
    if value is None or type(value) in SCALARS:  # most values, checked first: this runs for every field of every event
        return value
    if isinstance(value, datetime):
        return instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def instant(value: datetime) -> str:
    """Fixed-width ISO text in UTC, so that text order is time order."""
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def entity_type(aggregate_or_event: Any) -> str:
    cls = aggregate_or_event if isinstance(aggregate_or_event, type) else type(aggregate_or_event)
    return cls.__qualname__.split(".")[0]


def about(event: Any) -> str | None:
    """The child an event adds, for the events that add one: that event is the child's history."""
    field = CHILD_EVENTS.get(type(event).__name__)
    return getattr(event, field) if field else None


def event_record(event: Any, partnership_id: str | None) -> dict:
    """One stored event as the log shows it (without its position, which the store assigns)."""
    fields = vars(event)
    return {
        "entityId": str(event.originator_id),
        "entityType": entity_type(event),
        "type": type(event).__name__,
        "version": event.originator_version,
        "recordedAt": instant(event.timestamp),
        "effectiveOn": plain(fields.get("effective_on")),
        "actor": fields.get("actor"),
        "reason": fields.get("reason"),
        "partnershipId": partnership_id,
        "data": {camel(k): v if v is None or type(v) in SCALARS else plain(v) for k, v in fields.items()
                 if k not in _BASE_FIELDS},
    }


def entity_rows(aggregate: Record, with_children: bool = True) -> list[EntityRow]:
    """The aggregate's current-state row, and one for each child in it."""
    kind = kind_of(aggregate)
    state = kind.build(aggregate)
    updated_at = instant(aggregate.modified_on)
    rows = [_row(kind.name, state, state.version, updated_at)]
    if with_children:
        rows += [_row(child_kind, child, state.version, updated_at) for child_kind, child in children(state, kind)]
    return rows


def _row(kind: str, state: Any, version: int, updated_at: str) -> EntityRow:
    return EntityRow(id=state.id, type=kind, partnership_id=state.partnership_id, plan_id=getattr(state, "plan_id", None),
                     inspection_id=getattr(state, "inspection_id", None), subject_id=getattr(state, "subject_id", None),
                     version=version, updated_at=updated_at, state=encode(state).decode())


def version_row(aggregate_row: EntityRow, effective_on: date) -> tuple:
    """The aggregate's state after one of its events, kept for answers at a past instant, with that event's
    effective date (see projections/temporal.py)."""
    return (aggregate_row.id, aggregate_row.version, aggregate_row.updated_at, effective_on.isoformat(),
            aggregate_row.state)
