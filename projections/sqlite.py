"""The embedded store: the library's SQLite recorder, writing the read models in the events' transaction.

A write that returns is readable at once, and a refused or failed one leaves
nothing at all. Reads on the request path are local, sub-millisecond SQLite
queries, run inline; each thread reads on a connection of its own (WAL lets
readers go on while a writer writes).
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager, nullcontext
from typing import Any, Callable, Iterator, Sequence
from uuid import UUID

from anyio import to_thread
from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from projections.group_commit import GroupCommitRecorder
from projections.store import EventLogStore
from projections.tables import create_tables
from projections.writes import CHAIN_HEAD, Change, Stored, Writer, chain_head, encode, stamp, taken, write_changes


class RecordsRecorder(GroupCommitRecorder, SQLiteApplicationRecorder):
    def _create_table(self, c: SQLiteCursor) -> None:
        super()._create_table(c)
        create_tables(cursor_writer(c), bigint=SQLiteStore.bigint)

    def insert_all(self, take: Callable[[], Sequence[Change]]) -> Stored:
        with self.datastore.transaction(commit=True) as c:
            w = cursor_writer(c)
            # A write first, so that the transaction holds the database's write lock from its start: the clock is
            # read under it, and no reader's seal (or other writer) comes in between; then the changes are taken.
            clock = w.fetch("UPDATE log_clock SET instant = instant RETURNING instant", ())[0]["instant"]
            changes = take()
            prev_hash = chain_head(w.fetch(CHAIN_HEAD, ()))
            latest = w.fetch(f"SELECT originator_id, MAX(originator_version) AS version FROM {self.events_table_name}"
                             f" WHERE originator_id IN ({','.join('?' * len(changes))}) GROUP BY originator_id",
                             [change.aggregate.id.hex for change in changes])
            refused = taken(changes, {UUID(row["originator_id"]): row["version"] for row in latest})
            kept = [change for n, change in enumerate(changes) if n not in refused]
            recorded_at = stamp(kept, clock)
            stored = encode(kept, self.mapper)
            positions = SQLiteApplicationRecorder._insert_events(self, c, stored)
            write_changes(w, positions, stored, kept, prev_hash, recorded_at)
        return Stored(changes, positions, recorded_at, refused)


def cursor_writer(c: SQLiteCursor) -> Writer:
    """Statements on the library's SQLite cursor, inside its transaction."""

    def fetch(sql: str, params: Sequence[Any]) -> list:
        c.execute(sql, params)
        return c.fetchall()

    return Writer(c.execute, c.executemany, fetch)


class SQLiteStore(EventLogStore):
    unavailable = (sqlite3.OperationalError, OperationalError, InterfaceError)
    bigint = "INTEGER"
    position = "rowid"

    def __init__(self, db_name: str, recorder: RecordsRecorder):
        self.db_name = db_name
        self.events_table = recorder.events_table_name
        self.datastore = recorder.datastore
        self.local = threading.local()

    @staticmethod
    def id_param(entity_id: str) -> str:
        return UUID(entity_id).hex

    def fetch_sync(self, sql: str, params: Sequence[Any]) -> list:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.db_name, uri=True, check_same_thread=False, isolation_level=None)
            connection.row_factory = sqlite3.Row
            self.local.connection = connection
        return connection.execute(sql, params).fetchall()

    async def fetch(self, sql: str, params: Sequence[Any]) -> list:
        return self.fetch_sync(sql, params)

    async def seal(self, instant: str) -> None:
        # Waits (in a thread: it may wait for a commit) for the write lock, which a writer holds from its first
        # statement to its commit.
        await to_thread.run_sync(self.fetch_sync, "UPDATE log_clock SET instant = max(instant, ?)", [instant])

    @contextmanager
    def writer(self, lock_writers: bool = False) -> Iterator[Writer]:
        """A write transaction; with lock_writers, no one else writes until it ends (its first statement writes)."""
        with self.datastore.transaction(commit=True) as c:
            if lock_writers:
                c.execute("UPDATE log_clock SET instant = instant")
            yield cursor_writer(c)

    def exclusively(self) -> Any:
        return nullcontext()  # the embedded store is served by one process

    @staticmethod
    def replace_table(w: Writer, table: str, by: str) -> None:
        """Drop a table and give its name to another. Dropped pages are not zeroed one by one (this build of
        SQLite zeroes all deleted content, the "secure_delete" option, which makes dropping a large table
        slow): what they held is derived from the event log, which keeps every word of it anyway."""
        w.execute("PRAGMA secure_delete = FAST", ())
        w.execute(f"DROP TABLE {table}", ())
        w.execute(f"ALTER TABLE {by} RENAME TO {table}", ())  # its primary key's index follows it

    async def start(self) -> None:
        pass

    async def listen(self, wake: Any) -> None:
        """Commits in this process wake the feed themselves; the embedded store has no other writers to hear."""

    async def close(self) -> None:
        pass
