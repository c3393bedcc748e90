"""The embedded store: the library's SQLite recorder, writing the read models in the events' transaction.

A write that returns is readable at once, and a refused or failed one leaves
nothing at all. Reads on the request path are local, sub-millisecond SQLite
queries, run inline; each thread reads on a connection of its own (WAL lets
readers go on while a writer writes).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Sequence
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from projections.audit import ChainRow
from projections.group_commit import GroupCommitRecorder
from projections.store import CHAIN_HEAD, Change, Writer, chain_head, create_tables, write_changes


class RecordsRecorder(GroupCommitRecorder, SQLiteApplicationRecorder):
    insert_all = SQLiteApplicationRecorder.insert_events

    def _create_table(self, c: SQLiteCursor) -> None:
        super()._create_table(c)
        create_tables(cursor_writer(c), bigint=SQLiteStore.bigint)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], *, changes: Sequence[Change] = (), **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        w = cursor_writer(c)
        write_changes(w, positions, stored_events, changes, chain_head(w.fetch(CHAIN_HEAD, ())))
        return positions


def cursor_writer(c: SQLiteCursor) -> Writer:
    """Statements on the library's SQLite cursor, inside its transaction."""

    def fetch(sql: str, params: Sequence[Any]) -> list:
        c.execute(sql, params)
        return c.fetchall()

    return Writer(c.execute, c.executemany, fetch)


class SQLiteStore:
    unavailable = (sqlite3.OperationalError, OperationalError, InterfaceError)
    bigint = "INTEGER"

    def __init__(self, db_name: str, recorder: RecordsRecorder):
        self.db_name = db_name
        self.events_table = recorder.events_table_name
        self.datastore = recorder.datastore
        self.local = threading.local()

    def fetch_sync(self, sql: str, params: Sequence[Any]) -> list:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.db_name, uri=True, check_same_thread=False, isolation_level=None)
            connection.row_factory = sqlite3.Row
            self.local.connection = connection
        return connection.execute(sql, params).fetchall()

    async def fetch(self, sql: str, params: Sequence[Any]) -> list:
        return self.fetch_sync(sql, params)

    async def stored_events(self, entity_id: str) -> list[StoredEvent]:
        rows = self.fetch_sync(
            f"SELECT originator_version, topic, state FROM {self.events_table} WHERE originator_id = ?"
            " ORDER BY originator_version",
            [UUID(entity_id).hex],
        )
        return [StoredEvent(UUID(entity_id), r["originator_version"], r["topic"], r["state"]) for r in rows]

    def chain_rows(self, after: int, until: int) -> list[ChainRow]:
        """Every position in (after, until] held by an event or a link, with both (or None where one is missing)."""
        rows = self.fetch_sync(
            f"""SELECT p.position, e.originator_id, e.originator_version, e.topic, e.state, c.prev_hash, c.hash,
                       r.partnership_id
                FROM (SELECT rowid AS position FROM {self.events_table} WHERE rowid > ? AND rowid <= ?
                      UNION SELECT position FROM audit_chain WHERE position > ? AND position <= ?) p
                LEFT JOIN {self.events_table} e ON e.rowid = p.position
                LEFT JOIN audit_chain c ON c.position = p.position
                LEFT JOIN records r ON r.position = p.position
                ORDER BY p.position""",
            [after, until, after, until],
        )
        return [ChainRow(r[0], str(UUID(r[1])) if r[1] else None, *r[2:]) for r in rows]

    def stored_with_links(self, entity_ids: Sequence[str]) -> list[tuple[StoredEvent, int, str | None, str | None]]:
        """These aggregates' stored events, aggregate by aggregate in id order and each in version order,
        with their positions and audit links."""
        rows = self.fetch_sync(
            f"""SELECT e.rowid AS position, e.originator_id, e.originator_version, e.topic, e.state, c.prev_hash, c.hash
                FROM {self.events_table} e LEFT JOIN audit_chain c ON c.position = e.rowid
                WHERE e.originator_id IN (SELECT value FROM json_each(?))
                ORDER BY e.originator_id, e.originator_version""", [json.dumps([UUID(i).hex for i in entity_ids])])
        return [(StoredEvent(UUID(r["originator_id"]), r["originator_version"], r["topic"], r["state"]), r["position"],
                 r["prev_hash"], r["hash"]) for r in rows]

    @contextmanager
    def writer(self, lock_writers: bool = False) -> Iterator[Writer]:
        """A write transaction; with lock_writers, no one else writes until it ends (its first statement writes)."""
        with self.datastore.transaction(commit=True) as c:
            if lock_writers:
                c.execute("UPDATE rebuild_progress SET replayed_through = replayed_through")
            yield cursor_writer(c)

    @staticmethod
    def replace_table(w: Writer, table: str, by: str) -> None:
        """Drop a table and give its name to another. Dropped pages are not zeroed one by one (this build of
        SQLite zeroes all deleted content, the "secure_delete" option, which makes dropping a large table
        slow): what they held is derived from the event log, which keeps every word of it anyway."""
        w.execute("PRAGMA secure_delete = FAST", ())
        w.execute(f"DROP TABLE {table}", ())
        w.execute(f"ALTER TABLE {by} RENAME TO {table}", ())  # its primary key's index follows it

    def aggregates_created(self, after: int, until: int) -> list[tuple[int, str]]:
        """The aggregates created in (after, until], each with the position of its first event, in log order."""
        rows = self.fetch_sync(f"SELECT rowid, originator_id FROM {self.events_table}"
                               " WHERE rowid > ? AND rowid <= ? AND originator_version = 1 ORDER BY rowid", [after, until])
        return [(r[0], str(UUID(r[1]))) for r in rows]

    def aggregates_changed(self, fetch: Any, since: int) -> list[str]:
        """The aggregates with events after a position."""
        rows = fetch(f"SELECT DISTINCT originator_id FROM {self.events_table} WHERE rowid > ?", [since])
        return [str(UUID(r[0])) for r in rows]

    def chain_end(self) -> int:
        return self.fetch_sync(f"SELECT MAX(m) AS last FROM (SELECT MAX(rowid) AS m FROM {self.events_table}"
                               " UNION ALL SELECT MAX(position) FROM audit_chain)", [])[0]["last"] or 0

    async def start(self) -> None:
        pass

    async def listen(self, wake: Any) -> None:
        """Commits in this process wake the feed themselves; the embedded store has no other writers to hear."""

    async def close(self) -> None:
        pass
