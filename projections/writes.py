"""What a commit writes beside the events, inside the transaction that stores them.

A change (one command's) is its aggregate, the aggregate's new events and its
idempotency key. The store's recorder commits changes many at a time (the group
commit), holding the writers' lock; inside it, and only there:

0. a change made on a version of its aggregate that is no longer the latest (a
   copy another process had changed since, or a change before it in the batch)
   is refused alone (`taken`), and the others are stored without it;
1. the batch is stamped: every event gets one recorded instant, later than the
   log clock's (so instants follow commit order, and no commit can land at or
   before an instant that has already been answered for), and the clock moves to it;
2. the events are encoded (their stored bytes carry that instant) and stored;
3. their audit links, records, current-state rows, versioned states and
   idempotency keys are written, built from the stamped events and aggregates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, Sequence
from uuid import UUID

from eventsourcing.persistence import Mapper, RecordConflictError, StoredEvent

from domain.base import Record
from projections.audit import GENESIS, link
from projections.views import about, entity_rows, event_record, instant, version_row

TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class IdempotencyKey:
    scope: str  # the caller's whole identity
    key: str
    fingerprint: str
    result: dict = field(default_factory=dict)


@dataclass
class Change:
    """One command's change: the aggregate, its new events (collected from it), and its idempotency key."""

    aggregate: Record
    events: list
    idempotency: IdempotencyKey | None = None


@dataclass(frozen=True)
class Committed:
    """What the store answers for a change: its events' positions and the instant it was recorded at."""

    positions: Sequence[int]
    recorded_at: datetime


@dataclass(frozen=True)
class Stored:
    """What a store's `insert_all` answers: the changes it took, their events' positions, the instant they were
    recorded at, and the changes (by their place) it refused because their versions were taken."""

    changes: Sequence[Change]
    positions: Sequence[int]
    recorded_at: datetime
    refused: set[int]

    def answers(self) -> list[Committed | RecordConflictError]:
        """Each change's answer, in order: what was committed, or its refusal."""
        answers: list[Committed | RecordConflictError] = []
        at = 0
        for n, change in enumerate(self.changes):
            if n in self.refused:
                answers.append(RecordConflictError(f"version {change.events[0].originator_version} of "
                                                   f"{change.aggregate.id} is taken"))
                continue
            answers.append(Committed(self.positions[at:at + len(change.events)], self.recorded_at))
            at += len(change.events)
        return answers


@dataclass(frozen=True)
class Writer:
    """Statements inside one write transaction of a store, with `?` placeholders whatever the store."""

    execute: Callable[[str, Sequence[Any]], Any]
    executemany: Callable[[str, list], Any]
    fetch: Callable[[str, Sequence[Any]], list]


def taken(changes: Sequence[Change], latest: Mapping[UUID, int]) -> set[int]:
    """The changes (by their place in the batch) whose first event's version is already taken: by an event stored
    before (`latest`: the last stored version of each aggregate there is), or by a change before it in the batch.
    Storing one would break the log's rule of one event a version, and fail the whole transaction."""
    following: dict[UUID, int] = {}
    refused = set()
    for n, change in enumerate(changes):
        aggregate_id = change.aggregate.id
        if change.events[0].originator_version != following.get(aggregate_id, latest.get(aggregate_id, 0) + 1):
            refused.add(n)
        else:
            following[aggregate_id] = change.events[-1].originator_version + 1
    return refused


# The audit chain's last link, read in the transaction that adds links after it (writers are serialised there).
CHAIN_HEAD = "SELECT hash FROM audit_chain ORDER BY position DESC LIMIT 1"


def chain_head(rows: Sequence[Any]) -> str:
    """The hash the next link follows, from CHAIN_HEAD's rows."""
    return rows[0]["hash"] if rows else GENESIS


def stamp(changes: Sequence[Change], clock: str) -> datetime:
    """Give every event of the batch the batch's recorded instant: now, or just after the log clock if that is
    later (a clock behind another process's, or a read sealed an instant ahead of this one)."""
    recorded_at = max(datetime.now(timezone.utc), datetime.fromisoformat(clock) + TICK)
    for change in changes:
        for event in change.events:
            object.__setattr__(event, "timestamp", recorded_at)
        change.aggregate.modified_on = recorded_at
        if change.events[0].originator_version == 1:
            change.aggregate._created_on = recorded_at
    return recorded_at


def encode(changes: Sequence[Change], mapper: Mapper) -> list[StoredEvent]:
    return [mapper.to_stored_event(event) for change in changes for event in change.events]


def write_changes(w: Writer, positions: Sequence[int], stored_events: Sequence[StoredEvent], changes: Sequence[Change],
                  prev_hash: str, recorded_at: datetime) -> None:
    """Write stamped changes' audit links (after the link with this hash), read models, idempotency keys and the
    log clock in the transaction that stored their events, at these positions."""
    links = []
    for position, stored in zip(positions, stored_events, strict=True):
        hash = link(prev_hash, str(stored.originator_id), stored.originator_version, stored.topic, bytes(stored.state))
        links.append((position, prev_hash, hash))
        prev_hash = hash
    w.executemany("INSERT INTO audit_chain (position, prev_hash, hash) VALUES (?,?,?)", links)
    records, entities, versions, keys = [], [], [], []
    at = 0
    for change in changes:
        own = positions[at:at + len(change.events)]
        at += len(own)
        partnership_id = change.aggregate.partnership_id
        records += [record_row(p, e, event_record(e, partnership_id)) for p, e in zip(own, change.events, strict=True)]
        rows = entity_rows(change.aggregate)
        entities += [entity_row(row, own[0]) for row in rows]
        versions.append(version_row(rows[0], change.events[-1].effective_on))  # the aggregate's; the rest are children
        if change.idempotency is not None:
            keys.append(idempotency_row(change.idempotency, own[-1]))
    write_rows(w.executemany, records, entities, versions)
    if keys:
        w.executemany(INSERT_KEY, keys)
    w.execute("UPDATE log_clock SET instant = ?", (instant(recorded_at),))


INSERT_KEY = "INSERT INTO idempotency (scope, key, fingerprint, position, result) VALUES (?,?,?,?,?)"


def idempotency_row(k: IdempotencyKey, position: int | None) -> tuple:
    return (k.scope, k.key, k.fingerprint, position, json.dumps(k.result))


def record_row(position: int, event: Any, record: dict) -> tuple:
    return (position, record["entityId"], about(event), record["type"], record["partnershipId"], record["recordedAt"],
            json.dumps({**record, "position": position}))


def entity_row(entity: Any, seq: int) -> tuple:
    return (entity.id, entity.type, entity.partnership_id, entity.plan_id, entity.inspection_id, entity.subject_id, seq,
            entity.version, entity.updated_at, entity.state)


def write_rows(executemany: Callable[[str, list], Any], records: list[tuple], entities: list[tuple], versions: list[tuple],
               suffix: str = "") -> None:
    """Event records, current rows and aggregate versions, in that order. In the live tables an existing entity's
    row is replaced (it keeps its seq); a rebuild's tables (with a suffix) get each entity once. A version is in
    order when the one before it was and its effective date is not before that one's."""
    executemany(f"""INSERT INTO records{suffix} (position, entity_id, about, type, partnership_id, recorded_at, body)
                    VALUES (?,?,?,?,?,?,?)""", records)
    replace = "" if suffix else """ ON CONFLICT (id) DO UPDATE SET version = excluded.version,
                                    updated_at = excluded.updated_at, state = excluded.state"""
    executemany(f"""INSERT INTO entities{suffix} (id, type, partnership_id, plan_id, inspection_id, subject_id, seq,
                                                  version, updated_at, state)
                    VALUES (?,?,?,?,?,?,?,?,?,?){replace}""", entities)
    executemany(f"""INSERT INTO entity_versions{suffix} (id, version, recorded_at, effective_on, in_order, state)
                    SELECT v.id, v.version, v.recorded_at, v.effective_on,
                           COALESCE((SELECT p.in_order AND p.effective_on <= v.effective_on FROM entity_versions{suffix} p
                                     WHERE p.id = v.id AND p.version = v.version - 1), TRUE), v.state
                    FROM (SELECT ? AS id, ? AS version, ? AS recorded_at, ? AS effective_on, ? AS state) v""", versions)
