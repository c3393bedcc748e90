"""The production store: the library's PostgreSQL recorder, shared by several service processes.

Appends go through the library's synchronous recorder (psycopg), in worker
threads with a bounded pool, many commands' changes to a transaction (the group
commit, projections/group_commit.py). A transaction takes the library's
EXCLUSIVE lock on the events table and the log clock's row before it stamps
its events, so positions and recorded instants are given in commit order and a
cursor never skips a late-committing event. The read models are written in the
same transaction. Reads on the request path use asyncpg and never block the
event loop.

Tables are created at start-up under an advisory lock, so any number of
processes may start at once; `schema_version` records the version for later
migrations.
"""

from __future__ import annotations

import asyncio
import re
import time
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Callable, Iterator, Sequence
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
import psycopg
import psycopg_pool
from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder

from projections.group_commit import GroupCommitRecorder
from projections.store import EventLogStore
from projections.tables import create_tables
from projections.writes import CHAIN_HEAD, Change, Stored, Writer, chain_head, encode, stamp, taken, write_changes

CREATE_TABLES_LOCK = 7_201_911  # arbitrary advisory-lock keys: creating the tables,
EXCLUSIVE_LOCK = 7_201_912  # and work that one process does at a time
POOL_SIZE = 10
WRITER_CHECK_SECONDS = 1.0  # how long the batches' connection may stay idle and be used unchecked


def percent(sql: str) -> str:
    return sql.replace("?", "%s")


@lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    count = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _: f"${next(count)}", sql)


def library_env(database_url: str, pool_size: int = POOL_SIZE) -> dict[str, str]:
    """The eventsourcing library's settings for a postgresql:// URL (a `host` query names a socket directory),
    with a pool of this many connections, all opened at the start."""
    url = urlsplit(database_url)
    if url.scheme not in ("postgres", "postgresql"):
        raise ValueError("DATABASE_URL must be a postgresql:// URL")
    query = parse_qs(url.query)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": query.get("host", [url.hostname or "localhost"])[0],
        "POSTGRES_PORT": str(url.port or query.get("port", ["5432"])[0]),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "0",
        "POSTGRES_PRE_PING": "y",
        "POSTGRES_CONNECT_TIMEOUT": "3",
        "POSTGRES_LOCK_TIMEOUT": "10",
        "APPLICATION_RECORDER_TOPIC": "projections.postgres:PostgresRecordsRecorder",
    }


class PostgresRecordsRecorder(GroupCommitRecorder, PostgresApplicationRecorder):
    # The library retries a failed call ten times, each waiting for a connection; during an outage that holds
    # a request for the best part of a minute. The service answers "unavailable" after one wait for a
    # connection instead, and the client retries (safely, with an idempotency key).
    select_events = PostgresApplicationRecorder.select_events.__wrapped__
    held: tuple[Any, Any, float] | None = None  # the batches' connection: its context manager, itself, last used

    def _create_table(self, curs: Any) -> None:
        curs.execute("SELECT pg_advisory_xact_lock(%s)", (CREATE_TABLES_LOCK,))
        super()._create_table(curs)
        create_tables(cursor_writer(curs), bigint=PostgresStore.bigint)

    def insert_all(self, take: Callable[[], Sequence[Change]]) -> Stored:
        """Store changes in one transaction, in three round trips: the events table and the log clock's row locked
        (so that positions and instants follow commit order, see the library's _lock_table), the clock and the
        audit chain's head read; then the changes taken (so that every change queued while this waited for the
        lock goes in too), and the latest versions of their aggregates and their positions read; then, once the
        events are stamped and encoded, the events, links, read models and idempotency keys written and
        committed. While the table is locked every other writer waits, so nothing else happens in between. A
        change whose version is taken is refused alone; any other broken rule is raised as the library's
        IntegrityError, and nothing is stored."""
        with self._writer() as conn, conn.pipeline() as pipeline, conn.transaction():
            with (conn.cursor() as curs, conn.cursor() as clock, conn.cursor() as head, conn.cursor() as latest,
                  conn.cursor() as ids):
                self._lock_table(curs)
                self._notify_channel(curs)
                clock.execute("SELECT instant FROM log_clock FOR UPDATE")
                head.execute(CHAIN_HEAD)
                pipeline.sync()
                changes = take()
                latest.execute(f"SELECT originator_id, MAX(originator_version) AS version FROM {self.events_table_name}"
                               " WHERE originator_id = ANY(%s::uuid[]) GROUP BY originator_id",
                               ([change.aggregate.id for change in changes],))
                ids.execute("SELECT nextval(pg_get_serial_sequence(%s, 'notification_id')) AS position"
                            " FROM generate_series(1, %s) ORDER BY 1",
                            (self.events_table_name, sum(len(change.events) for change in changes)))
                pipeline.sync()
                refused = taken(changes, {row["originator_id"]: row["version"] for row in latest.fetchall()})
                kept = [change for n, change in enumerate(changes) if n not in refused]
                recorded_at = stamp(kept, clock.fetchone()["instant"])
                stored = encode(kept, self.mapper)
                positions = [row["position"] for row in ids.fetchall()][:len(stored)]  # (a refused change's: a gap)
                curs.execute(f"INSERT INTO {self.events_table_name}"
                             " (notification_id, originator_id, originator_version, topic, state)"
                             " SELECT * FROM unnest(%s::bigint[], %s::uuid[], %s::bigint[], %s::text[], %s::bytea[])",
                             (positions, [e.originator_id for e in stored], [e.originator_version for e in stored],
                              [e.topic for e in stored], [e.state for e in stored]))
                write_changes(cursor_writer(curs), positions, stored, kept, chain_head(head.fetchall()), recorded_at)
        return Stored(changes, positions, recorded_at, refused)

    @contextmanager
    def _writer(self) -> Iterator[Any]:
        """The connection batches are written on (one at a time: the group commit has one writer), kept from one
        batch to the next, since taking one from the pool costs a round trip (the pool checks it). One kept idle
        for a second or more is checked the same way before use, so that it is as sound after a restart of
        PostgreSQL as one fresh from the pool. If a batch fails on it, it goes back to the pool (which drops a
        broken one), the error is raised as the library's, and the next batch takes another."""
        if self.held is not None and time.monotonic() - self.held[2] >= WRITER_CHECK_SECONDS:
            try:
                psycopg_pool.ConnectionPool.check_connection(self.held[1])
            except psycopg.Error:
                self.held[0].__exit__(None, None, None)
                self.held = None
        if self.held is None:
            manager = self.datastore.get_connection()
            self.held = (manager, manager.__enter__(), 0.0)
        manager, conn, _ = self.held
        try:
            yield conn
        except BaseException as error:
            self.held = None
            if not manager.__exit__(type(error), error, error.__traceback__):
                raise
        else:
            self.held = (manager, conn, time.monotonic())


def cursor_writer(curs: Any) -> Writer:
    """Statements on a psycopg cursor, inside its transaction, with `?` placeholders."""

    def fetch(sql: str, params: Sequence[Any]) -> list:
        curs.execute(percent(sql), params)
        return curs.fetchall()

    return Writer(lambda sql, params=(): curs.execute(percent(sql), params),
                  lambda sql, rows: curs.executemany(percent(sql), rows), fetch)


class QueryConnection(asyncpg.Connection):
    """A connection of the read pool. It only ever runs single queries (no locks, cursors, LISTEN or SET), so
    there is nothing to reset when it goes back to the pool, and no reset round trip after every query."""

    def get_reset_query(self) -> str:
        return ""


class PostgresStore(EventLogStore):
    bigint = "BIGINT"
    position = "notification_id"
    unavailable = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.CannotConnectNowError,
                   asyncpg.exceptions.AdminShutdownError, psycopg.OperationalError, psycopg_pool.PoolTimeout,
                   OperationalError, InterfaceError, TimeoutError)

    def __init__(self, database_url: str, recorder: PostgresRecordsRecorder):
        self.database_url = database_url
        self.datastore = recorder.datastore
        self.events_table = recorder.events_table_name
        self.channel = recorder.channel_name  # the library NOTIFYs it with every insert
        self.pool: asyncpg.Pool | None = None
        self.listening: asyncio.Task | None = None

    @contextmanager
    def writer(self, lock_writers: bool = False) -> Iterator[Writer]:
        """A write transaction; with lock_writers, no one else writes events until it ends."""
        with self.datastore.transaction(commit=True) as curs:
            if lock_writers:
                curs.execute(f"LOCK TABLE {self.events_table} IN EXCLUSIVE MODE")
            yield cursor_writer(curs)

    @contextmanager
    def exclusively(self) -> Iterator[None]:
        """A session advisory lock, on a connection of its own, for as long as the block runs."""
        with self.datastore.get_connection() as connection:
            connection.execute("SELECT pg_advisory_lock(%s)", (EXCLUSIVE_LOCK,))
            try:
                yield
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s)", (EXCLUSIVE_LOCK,))

    @staticmethod
    def replace_table(w: Writer, table: str, by: str) -> None:
        """Drop a table and give its name to another."""
        w.execute(f"DROP TABLE {table}", ())
        w.execute(f"ALTER TABLE {by} RENAME TO {table}", ())
        w.execute(f"ALTER INDEX IF EXISTS {by}_pkey RENAME TO {table}_pkey", ())  # frees the name for the next rebuild

    async def seal(self, instant: str) -> None:
        # A writer holds the clock's row from before it stamps until it commits: this waits for that commit.
        await self.fetch("UPDATE log_clock SET instant = GREATEST(instant, ?)", [instant])

    async def start(self) -> None:
        self.pool = await asyncpg.create_pool(self.database_url, min_size=1, max_size=POOL_SIZE, timeout=5,
                                              command_timeout=30, connection_class=QueryConnection)

    async def close(self) -> None:
        if self.listening is not None:
            self.listening.cancel()
        if self.pool is not None:
            await self.pool.close()

    async def listen(self, wake: Callable[[], None]) -> None:
        """Call wake whenever any process commits events (LISTEN on a connection of its own, kept open)."""
        self.listening = asyncio.create_task(self._keep_listening(wake))

    async def _keep_listening(self, wake: Callable[[], None]) -> None:
        while True:
            try:
                connection = await asyncpg.connect(self.database_url, timeout=5)
                lost = asyncio.Event()
                connection.add_termination_listener(lambda *_: lost.set())
                await connection.add_listener(self.channel, lambda *_: wake())
                wake()  # whatever was committed while nobody was listening
                await lost.wait()
            except self.unavailable:
                pass
            await asyncio.sleep(1)

    def fetch_sync(self, sql: str, params: Sequence[Any]) -> list:
        with self.datastore.get_connection() as connection, connection.cursor() as cursor:
            cursor.execute(percent(sql), list(params))
            return cursor.fetchall()

    async def fetch(self, sql: str, params: Sequence[Any]) -> list:
        assert self.pool is not None, "the asyncpg pool starts with the app"
        async with self.pool.acquire() as connection:
            return await connection.fetch(numbered(sql), *params)
