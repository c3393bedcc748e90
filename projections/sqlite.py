"""The embedded store: the library's SQLite event recorder, with the read models beside it.

`RecordsRecorder` writes, in the one transaction that stores a change's events,
the event records (the log as clients read it), the current-state rows of the
changed entities and the change's idempotency key. So a write that returns is
readable at once, and a refused or failed write leaves nothing at all.
`SQLiteReadModel` answers the queries from those tables.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Any, Sequence

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from projections.views import EntityRow

READ_MODEL_TABLES = [
    """CREATE TABLE IF NOT EXISTS records (
        position INTEGER PRIMARY KEY,
        entity_id TEXT NOT NULL,
        about TEXT,
        type TEXT NOT NULL,
        partnership_id TEXT NOT NULL,
        body TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS records_by_entity ON records (entity_id, position)",
    "CREATE INDEX IF NOT EXISTS records_by_about ON records (about, position) WHERE about IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS records_by_partnership ON records (partnership_id, position)",
    """CREATE TABLE IF NOT EXISTS entities (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        partnership_id TEXT NOT NULL,
        plan_id TEXT,
        inspection_id TEXT,
        subject_id TEXT,
        seq INTEGER NOT NULL,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        state TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS entities_by_partnership ON entities (partnership_id, type, seq)",
    "CREATE INDEX IF NOT EXISTS entities_by_plan ON entities (plan_id, seq) WHERE plan_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS entities_by_inspection ON entities (inspection_id, seq) WHERE inspection_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS entities_by_subject ON entities (subject_id, seq) WHERE subject_id IS NOT NULL",
    """CREATE TABLE IF NOT EXISTS entity_versions (
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        recorded_at TEXT NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (id, version))""",
    """CREATE TABLE IF NOT EXISTS idempotency (
        subject TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        position INTEGER NOT NULL,
        result TEXT NOT NULL,
        PRIMARY KEY (subject, key))""",
]


@dataclass(frozen=True)
class IdempotencyKey:
    subject: str
    key: str
    fingerprint: str
    result: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """What one command writes beside its events."""

    records: list[dict]
    entities: list[EntityRow]
    idempotency: IdempotencyKey | None = None


class RecordsRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + READ_MODEL_TABLES

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], *, change: Change | None = None, **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        if change is not None:
            write_change(c, positions, change)
        return positions


def write_change(c: Any, positions: Sequence[int], change: Change) -> None:
    c.executemany(
        "INSERT INTO records (position, entity_id, about, type, partnership_id, body) VALUES (?,?,?,?,?,?)",
        [
            (p, r["entityId"], r["about"], r["type"], r["partnershipId"], json.dumps({**r, "position": p}))
            for p, r in zip(positions, change.records, strict=True)
        ],
    )
    c.executemany(
        """INSERT INTO entities (id, type, partnership_id, plan_id, inspection_id, subject_id, seq, version, updated_at, state)
           VALUES (?,?,?,?,?,?,?,?,?,?)
           ON CONFLICT (id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at,
                                          state = excluded.state""",
        [
            (e.id, e.type, e.partnership_id, e.plan_id, e.inspection_id, e.subject_id, positions[0], e.version,
             e.updated_at, e.state)
            for e in change.entities
        ],
    )
    aggregate = change.entities[0]  # the changed aggregate; the rest are the findings or priority areas in it
    c.execute(
        "INSERT INTO entity_versions (id, version, recorded_at, state) VALUES (?,?,?,?)",
        (aggregate.id, aggregate.version, aggregate.updated_at, aggregate.state),
    )
    if change.idempotency is not None:
        k = change.idempotency
        c.execute(
            "INSERT INTO idempotency (subject, key, fingerprint, position, result) VALUES (?,?,?,?,?)",
            (k.subject, k.key, k.fingerprint, positions[-1], json.dumps(k.result)),
        )


class SQLiteReadModel:
    """Queries over the read-model tables, on connections of its own, one per thread (WAL lets them
    read while a writer writes)."""

    def __init__(self, db_name: str):
        self.db_name = db_name
        self.local = threading.local()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.db_name, uri=True, check_same_thread=False, isolation_level=None)
            connection.row_factory = sqlite3.Row
            self.local.connection = connection
        return connection.execute(sql, params).fetchall()

    def entity(self, entity_id: str) -> tuple[str, dict] | None:
        rows = self._all("SELECT type, state FROM entities WHERE id = ?", (entity_id,))
        return (rows[0]["type"], json.loads(rows[0]["state"])) if rows else None

    def entities(self, column: str | None, value: str | None, kind: str | None, partnership_ids: Sequence[str] | None) -> list[dict]:
        """States of entities (of one kind) where column = value, within the given partnerships, oldest first."""
        where, params = [], []
        if column is not None:
            assert column in {"partnership_id", "plan_id", "inspection_id", "subject_id"}
            where.append(f"{column} = ?")
            params.append(value)
        if kind is not None:
            where.append("type = ?")
            params.append(kind)
        if partnership_ids is not None:
            where.append(f"partnership_id IN ({','.join('?' * len(partnership_ids))})")
            params.extend(partnership_ids)
        sql = "SELECT seq, state FROM entities" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
        return [{**json.loads(r["state"]), "seq": r["seq"]} for r in self._all(sql, params)]

    def states_at(self, ids: Sequence[str], as_at: str) -> dict[str, dict]:
        """The state of each of these aggregates as last recorded at or before the instant (ISO text, UTC)."""
        if not ids:
            return {}
        rows = self._all(
            f"""SELECT v.id, v.state FROM entity_versions v
                JOIN (SELECT id, MAX(version) AS version FROM entity_versions
                      WHERE id IN ({','.join('?' * len(ids))}) AND recorded_at <= ? GROUP BY id) latest
                ON v.id = latest.id AND v.version = latest.version""",
            [*ids, as_at],
        )
        return {r["id"]: json.loads(r["state"]) for r in rows}

    def records(
        self,
        after: int,
        limit: int,
        partnership_ids: Sequence[str] | None = None,
        types: Sequence[str] | None = None,
        entity_id: str | None = None,
    ) -> list[dict]:
        """Event records after a position, in log order."""
        where, params = ["position > ?"], [after]
        if entity_id is not None:
            where.append("(entity_id = ? OR about = ?)")
            params += [entity_id, entity_id]
        if partnership_ids is not None:
            where.append(f"partnership_id IN ({','.join('?' * len(partnership_ids))})")
            params.extend(partnership_ids)
        if types:
            where.append(f"type IN ({','.join('?' * len(types))})")
            params.extend(types)
        sql = f"SELECT body FROM records WHERE {' AND '.join(where)} ORDER BY position LIMIT ?"
        return [json.loads(r["body"]) for r in self._all(sql, [*params, limit])]

    def record_at(self, position: int) -> dict | None:
        rows = self._all("SELECT body FROM records WHERE position = ?", (position,))
        return json.loads(rows[0]["body"]) if rows else None

    def idempotency(self, subject: str, key: str) -> tuple[str, int, dict] | None:
        rows = self._all("SELECT fingerprint, position, result FROM idempotency WHERE subject = ? AND key = ?", (subject, key))
        return (rows[0]["fingerprint"], rows[0]["position"], json.loads(rows[0]["result"])) if rows else None

    def last_position(self) -> int:
        return self._all("SELECT COALESCE(MAX(position), 0) AS last FROM records")[0]["last"]
