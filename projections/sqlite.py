"""The embedded store: the library's SQLite recorder, writing the read models in the events' transaction.

A write that returns is readable at once, and a refused or failed one leaves
nothing at all. Reads on the request path are local, sub-millisecond SQLite
queries, run inline; each thread reads on a connection of its own (WAL lets
readers go on while a writer writes).
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any, Sequence
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from projections.store import Change, create_tables, write_change


class RecordsRecorder(SQLiteApplicationRecorder):
    def _create_table(self, c: SQLiteCursor) -> None:
        super()._create_table(c)

        def fetch(sql: str) -> list:
            c.execute(sql)
            return c.fetchall()

        create_tables(c.execute, fetch, bigint="INTEGER")

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], *, change: Change | None = None, **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        if change is not None:
            write_change(c.execute, c.executemany, positions, change)
        return positions


class SQLiteStore:
    unavailable = (sqlite3.OperationalError, OperationalError, InterfaceError)

    def __init__(self, db_name: str, recorder: RecordsRecorder):
        self.db_name = db_name
        self.events_table = recorder.events_table_name
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

    async def start(self) -> None:
        pass

    async def listen(self, wake: Any) -> None:
        """Commits in this process wake the feed themselves; the embedded store has no other writers to hear."""

    async def close(self) -> None:
        pass
