"""Pure functions from the domain to read-model rows.

`event_record` is how one stored event reads in the log (the GraphQL EventRecord);
`entity_rows` is the current state of one aggregate and of the findings or priority
areas inside it. Both are used incrementally (in the same transaction as the events)
and by replay (rebuild and time travel), so the two can never disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

from domain.base import Record

# Fields every event has; the rest of an event is its data.
_BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor", "effective_on", "reason"}
# Events about one entity inside an aggregate name it; the record lists them under that id too.
_ABOUT_FIELDS = ("agency_id", "finding_id", "priority_area_id")
# Entities kept inside an aggregate that are addressable by id of their own.
_CHILDREN = {"Inspection": ("findings", "Finding", "inspectionId"), "Plan": ("priority_areas", "PriorityArea", "planId")}


@dataclass(frozen=True)
class EntityRow:
    id: str
    type: str
    partnership_id: str
    plan_id: str | None
    inspection_id: str | None
    subject_id: str | None
    version: int
    updated_at: str
    state: str


SCALARS = {str, int, float, bool}


@lru_cache(maxsize=1024)
def camel(name: str) -> str:
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
    return value.isoformat(timespec="microseconds")


# Compact, with sorted keys, for values already made plain.
dumps = json.JSONEncoder(separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode


def entity_type(aggregate_or_event: Any) -> str:
    cls = aggregate_or_event if isinstance(aggregate_or_event, type) else type(aggregate_or_event)
    return cls.__qualname__.split(".")[0]


def event_record(event: Any, partnership_id: str) -> dict:
    """One stored event as the log shows it (without its position, which the store assigns)."""
    fields = vars(event)
    data = {camel(k): v if v is None or type(v) in SCALARS else plain(v) for k, v in fields.items() if k not in _BASE_FIELDS}
    about = next((fields[k] for k in _ABOUT_FIELDS if k in fields), None)
    return {
        "entityId": str(event.originator_id),
        "entityType": entity_type(event),
        "about": about,
        "type": type(event).__name__,
        "version": event.originator_version,
        "recordedAt": instant(event.timestamp),
        "effectiveOn": plain(fields.get("effective_on")),
        "actor": fields.get("actor"),
        "reason": fields.get("reason"),
        "partnershipId": partnership_id,
        "data": data,
    }


def state_of(aggregate: Record) -> dict:
    """The aggregate's public attributes, camel-cased, with id, version and times.

    An aggregate keeps its agencies, findings, priority areas and measurements in
    dicts by key; the read model lists them in the order they were added.
    """
    state = {}
    for k, v in vars(aggregate).items():  # the hottest loop of a rebuild: scalars are taken as they are
        if k[0] != "_":
            state[camel(k)] = v if v is None or type(v) in SCALARS else plain(list(v.values()) if type(v) is dict else v)
    state.update(
        id=str(aggregate.id),
        partnershipId=aggregate.partnership_id,
        version=aggregate.version,
        createdAt=instant(aggregate.created_on),
        updatedAt=instant(aggregate.modified_on),
    )
    return state


def entity_rows(aggregate: Record, with_children: bool = True) -> list[EntityRow]:
    """The aggregate's current-state row, and one for each finding or priority area in it."""
    state = state_of(aggregate)
    kind = entity_type(aggregate)
    rows = [_row(kind, state, state)]
    if with_children and kind in _CHILDREN:
        attribute, child_kind, parent_key = _CHILDREN[kind]
        for child in state[camel(attribute)]:
            rows.append(_row(child_kind, {**child, parent_key: state["id"], "partnershipId": state["partnershipId"]}, state))
    return rows


def _row(kind: str, state: dict, owner: dict) -> EntityRow:
    return EntityRow(
        id=state["id"],
        type=kind,
        partnership_id=owner["partnershipId"],
        plan_id=state.get("planId"),
        inspection_id=state.get("inspectionId"),
        subject_id=state.get("subjectId"),
        version=owner["version"],
        updated_at=owner["updatedAt"],
        state=dumps(state),
    )

