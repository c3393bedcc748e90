"""The read-model tables and every query on them, written once for both stores.

SQL here uses `?` placeholders and `{bigint}` in table definitions; each store
turns them into its own dialect. A query is data (SQL, parameters, and how to
turn rows into an answer), so the same query runs synchronously in a command's
worker thread and asynchronously on the request path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from projections.audit import GENESIS, link
from projections.views import EntityRow

SCHEMA_VERSION = 2

READ_MODELS = ("records", "entities", "entity_versions")


def read_model_tables(suffix: str = "") -> list[str]:
    """The read models' tables; a rebuild fills a second set with a suffix."""
    return [statement.replace("{s}", suffix) for statement in [
        """CREATE TABLE IF NOT EXISTS records{s} (
            position {bigint} PRIMARY KEY,
            entity_id TEXT NOT NULL,
            about TEXT,
            type TEXT NOT NULL,
            partnership_id TEXT NOT NULL,
            body TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS entities{s} (
            id TEXT NOT NULL,
            type TEXT NOT NULL,
            partnership_id TEXT NOT NULL,
            plan_id TEXT,
            inspection_id TEXT,
            subject_id TEXT,
            seq {bigint} NOT NULL,
            version INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            state TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS entity_versions{s} (
            id TEXT NOT NULL,
            version INTEGER NOT NULL,
            recorded_at TEXT NOT NULL,
            state TEXT NOT NULL)""",
    ]]


# The read models' indexes (but the records' primary key): a rebuild creates them once its rows are in, which is
# far faster than keeping them up to date row by row.
READ_MODEL_INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS entities_by_id ON entities (id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS entity_versions_by_id ON entity_versions (id, version)",
    "CREATE INDEX IF NOT EXISTS records_by_entity ON records (entity_id, position)",
    "CREATE INDEX IF NOT EXISTS records_by_about ON records (about, position) WHERE about IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS records_by_partnership ON records (partnership_id, position)",
    "CREATE INDEX IF NOT EXISTS entities_by_partnership ON entities (partnership_id, type, seq)",
    "CREATE INDEX IF NOT EXISTS entities_by_plan ON entities (plan_id, seq) WHERE plan_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS entities_by_inspection ON entities (inspection_id, seq) WHERE inspection_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS entities_by_subject ON entities (subject_id, seq) WHERE subject_id IS NOT NULL",
]

# A rebuild under way (projections/rebuild.py): the log's end when it started, and how far it has got (every
# aggregate created at or before that position is rebuilt).
REBUILD_PROGRESS = ("CREATE TABLE IF NOT EXISTS rebuild_progress (started_position {bigint} NOT NULL,"
                    " replayed_through {bigint} NOT NULL)")

TABLES = read_model_tables() + READ_MODEL_INDEXES + [
    """CREATE TABLE IF NOT EXISTS idempotency (
        subject TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        position {bigint} NOT NULL,
        result TEXT NOT NULL,
        PRIMARY KEY (subject, key))""",
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    # The audit trail's hash chain (projections/audit.py): part of the record, written with the events, never rebuilt.
    """CREATE TABLE IF NOT EXISTS audit_chain (
        position {bigint} PRIMARY KEY,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL)""",
    REBUILD_PROGRESS,
]

# What changes a database made by an earlier version, by the version it brings the database to.
MIGRATIONS = {
    # A rebuild's progress is the position it has replayed through, no longer the last aggregate id it finished
    # (a rebuild interrupted under version 1 starts again); the new read-model indexes are made by TABLES.
    2: ["DROP TABLE rebuild_progress", REBUILD_PROGRESS],
}


@dataclass(frozen=True)
class Writer:
    """Statements inside one write transaction of a store, with `?` placeholders whatever the store."""

    execute: Callable[[str, Sequence[Any]], Any]
    executemany: Callable[[str, list], Any]
    fetch: Callable[[str, Sequence[Any]], list]


def create_tables(w: Writer, bigint: str) -> None:
    """Create what is missing, bring a database of an earlier version up to this one, and record the schema
    version (inside the caller's transaction)."""
    for statement in TABLES:
        w.execute(statement.format(bigint=bigint), ())
    found = w.fetch("SELECT version FROM schema_version", ())
    if not found:
        w.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        return
    for version in range(found[0]["version"] + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[version]:
            w.execute(statement.format(bigint=bigint), ())
        w.execute("UPDATE schema_version SET version = ?", (version,))


@dataclass(frozen=True)
class IdempotencyKey:
    subject: str
    key: str
    fingerprint: str
    result: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """What one command writes beside its one event: its record, the entities' rows, its idempotency key."""

    records: list[dict]
    entities: list[EntityRow]
    idempotency: IdempotencyKey | None = None


# The audit chain's last link, read in the transaction that adds links after it (writers are serialised there).
CHAIN_HEAD = "SELECT hash FROM audit_chain ORDER BY position DESC LIMIT 1"


def chain_head(rows: Sequence[Any]) -> str:
    """The hash the next link follows, from CHAIN_HEAD's rows."""
    return rows[0]["hash"] if rows else GENESIS


def write_changes(w: Writer, positions: Sequence[int], stored_events: Sequence[Any], changes: Sequence[Change],
                  prev_hash: str) -> None:
    """Write changes' audit links (after the link with this hash) and read models in the transaction that stored
    their events, change after change, at these positions."""
    links = []
    for position, stored in zip(positions, stored_events, strict=True):
        hash = link(prev_hash, str(stored.originator_id), stored.originator_version, stored.topic, bytes(stored.state))
        links.append((position, prev_hash, hash))
        prev_hash = hash
    w.executemany("INSERT INTO audit_chain (position, prev_hash, hash) VALUES (?,?,?)", links)
    records, entities, versions, keys = [], [], [], []
    at = 0
    for change in changes:
        own = positions[at:at + len(change.records)]
        at += len(own)
        records += [record_row(p, r) for p, r in zip(own, change.records, strict=True)]
        entities += [entity_row(e, own[0]) for e in change.entities]
        versions.append(version_row(change.entities[0]))  # the changed aggregate; the rest are findings or priority areas
        if change.idempotency is not None:
            k = change.idempotency
            keys.append((k.subject, k.key, k.fingerprint, own[-1], json.dumps(k.result)))
    assert at == len(positions), "every stored event belongs to a change"
    write_rows(w.executemany, records, entities, versions)
    if keys:
        w.executemany("INSERT INTO idempotency (subject, key, fingerprint, position, result) VALUES (?,?,?,?,?)", keys)


def record_row(position: int, record: dict) -> tuple:
    return (position, record["entityId"], record["about"], record["type"], record["partnershipId"],
            json.dumps({**record, "position": position}))


def entity_row(entity: EntityRow, seq: int) -> tuple:
    return (entity.id, entity.type, entity.partnership_id, entity.plan_id, entity.inspection_id, entity.subject_id, seq,
            entity.version, entity.updated_at, entity.state)


def version_row(entity: EntityRow) -> tuple:
    return (entity.id, entity.version, entity.updated_at, entity.state)


def write_rows(executemany: Callable[[str, list], Any], records: list[tuple], entities: list[tuple], versions: list[tuple],
               suffix: str = "") -> None:
    """Event records, current rows and aggregate versions, in that order. In the live tables an existing entity's
    row is replaced (it keeps its seq); a rebuild's tables (with a suffix) get each entity once."""
    executemany(f"INSERT INTO records{suffix} (position, entity_id, about, type, partnership_id, body) VALUES (?,?,?,?,?,?)",
                records)
    replace = "" if suffix else """ ON CONFLICT (id) DO UPDATE SET version = excluded.version,
                                    updated_at = excluded.updated_at, state = excluded.state"""
    executemany(f"""INSERT INTO entities{suffix} (id, type, partnership_id, plan_id, inspection_id, subject_id, seq,
                                                  version, updated_at, state)
                    VALUES (?,?,?,?,?,?,?,?,?,?){replace}""", entities)
    executemany(f"INSERT INTO entity_versions{suffix} (id, version, recorded_at, state) VALUES (?,?,?,?)", versions)


@dataclass(frozen=True)
class Query:
    sql: str
    params: list
    answer: Callable[[list], Any]


def _in(values: Sequence[Any]) -> str:
    return f"({','.join('?' * len(values))})"


def entity(entity_id: str) -> Query:
    return Query("SELECT type, state FROM entities WHERE id = ?", [entity_id],
                 lambda rows: (rows[0]["type"], json.loads(rows[0]["state"])) if rows else None)


def entities(column: str | None, value: str | None, kind: str | None, partnership_ids: Sequence[str] | None) -> Query:
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
        where.append(f"partnership_id IN {_in(partnership_ids)}")
        params.extend(partnership_ids)
    sql = "SELECT seq, state FROM entities" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
    return Query(sql, params, lambda rows: [{**json.loads(r["state"]), "seq": r["seq"]} for r in rows])


def states_at(ids: Sequence[str], as_at: str) -> Query:
    """The state of each of these aggregates as last recorded at or before the instant (ISO text, UTC)."""
    return Query(
        f"""SELECT v.id, v.state FROM entity_versions v
            JOIN (SELECT id, MAX(version) AS version FROM entity_versions
                  WHERE id IN {_in(ids)} AND recorded_at <= ? GROUP BY id) latest
            ON v.id = latest.id AND v.version = latest.version""",
        [*ids, as_at],
        lambda rows: {r["id"]: json.loads(r["state"]) for r in rows},
    )


def records(after: int, limit: int, partnership_ids: Sequence[str] | None = None, types: Sequence[str] | None = None,
            entity_id: str | None = None) -> Query:
    """Event records after a position, in log order."""
    where, params = ["position > ?"], [after]
    if entity_id is not None:
        where.append("(entity_id = ? OR about = ?)")
        params += [entity_id, entity_id]
    if partnership_ids is not None:
        where.append(f"partnership_id IN {_in(partnership_ids)}")
        params.extend(partnership_ids)
    if types:
        where.append(f"type IN {_in(types)}")
        params.extend(types)
    return Query(f"SELECT body FROM records WHERE {' AND '.join(where)} ORDER BY position LIMIT ?", [*params, limit],
                 lambda rows: [json.loads(r["body"]) for r in rows])


def record_at(position: int) -> Query:
    return Query("SELECT body FROM records WHERE position = ?", [position],
                 lambda rows: json.loads(rows[0]["body"]) if rows else None)


def last_position() -> Query:
    return Query("SELECT COALESCE(MAX(position), 0) AS last FROM records", [], lambda rows: rows[0]["last"])


def rebuild_under_way() -> Query:
    return Query("SELECT started_position, replayed_through FROM rebuild_progress", [],
                 lambda rows: {"startedAt": rows[0]["started_position"], "replayedThrough": rows[0]["replayed_through"]}
                 if rows else None)


def idempotency(subject: str, key: str) -> Query:
    return Query("SELECT fingerprint, position, result FROM idempotency WHERE subject = ? AND key = ?", [subject, key],
                 lambda rows: (rows[0]["fingerprint"], rows[0]["position"], json.loads(rows[0]["result"])) if rows else None)


class StoreUnavailable(Exception):
    """The store could not be reached (a database restarting, say)."""

    def __init__(self) -> None:
        super().__init__("the record store is unavailable; please retry shortly "
                         "(a change retried with the same idempotencyKey is made once)")


class ReadModel:
    """Runs the queries above on one store: `run` in a worker thread, `ask` on the request path."""

    def __init__(self, store: Any):
        self.store = store

    def run(self, query: Query) -> Any:
        try:
            return query.answer(self.store.fetch_sync(query.sql, query.params))
        except self.store.unavailable as error:
            raise StoreUnavailable() from error

    async def ask(self, query: Query) -> Any:
        try:
            return query.answer(await self.store.fetch(query.sql, query.params))
        except self.store.unavailable as error:
            raise StoreUnavailable() from error

    async def stored_events(self, entity_id: str) -> list:
        """One aggregate's stored events, in version order (for folding it at a view)."""
        try:
            return await self.store.stored_events(entity_id)
        except self.store.unavailable as error:
            raise StoreUnavailable() from error
