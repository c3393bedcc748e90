"""The store: the port every part of the service reads and writes through, and what both adapters share.

`Store` declares the interface (projections/sqlite.py and projections/postgres.py
are its adapters). `EventLogStore` holds the SQL on the library's events table
that both write the same way, given each one's name for a position and its
encoding of ids. `ReadModel` runs the queries of projections/queries.py on a
store, synchronously in a worker thread or asynchronously on the request path,
turning a store that cannot be reached into StoreUnavailable. On the request
path, the current states that concurrent requests ask for by id, or listed by
a column, in one turn of the event loop are read by one query (`Gathering`).
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from typing import Any, Awaitable, Callable, Hashable, Mapping, Protocol, Sequence
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from projections import queries as q
from projections.audit import ChainRow
from projections.queries import Query
from projections.shapes import State, Stored
from projections.writes import Writer


class Store(Protocol):
    bigint: str  # the store's 64-bit integer type, for projections/tables.py
    unavailable: tuple[type[Exception], ...]  # what it raises when it cannot be reached

    def fetch_sync(self, sql: str, params: Sequence[Any]) -> list: ...
    async def fetch(self, sql: str, params: Sequence[Any]) -> list: ...
    def writer(self, lock_writers: bool = False) -> AbstractContextManager[Writer]: ...
    async def seal(self, instant: str) -> None:
        """Move the log clock to the instant, once no commit is under way: commits after it stamp later."""
    async def stored_events(self, entity_ids: Sequence[str]) -> dict[str, list[StoredEvent]]: ...
    def stored_with_links(self, entity_ids: Sequence[str]) -> list[tuple[StoredEvent, int, str | None, str | None]]: ...
    def chain_rows(self, after: int, until: int) -> list[ChainRow]: ...
    def chain_end(self) -> int: ...
    def aggregates_created(self, after: int, until: int) -> list[tuple[int, str]]: ...
    def aggregates_changed(self, fetch: Callable[[str, Sequence[Any]], list], since: int) -> list[str]: ...
    def replace_table(self, w: Writer, table: str, by: str) -> None: ...
    def exclusively(self) -> AbstractContextManager[None]:
        """Held by one process at a time (a start-up rebuild)."""
    async def start(self) -> None: ...
    async def listen(self, wake: Callable[[], None]) -> None: ...
    async def close(self) -> None: ...


class EventLogStore:
    """SQL on the events table that both stores share: `position` is the column holding an event's position,
    `id_param` turns an id into the store's encoding of it."""

    position: str
    events_table: str
    fetch_sync: Callable[[str, Sequence[Any]], list]
    fetch: Callable[..., Any]

    @staticmethod
    def id_param(entity_id: str) -> Any:
        return entity_id

    def _events_of(self, entity_ids: Sequence[str], extra: str = "", join: str = "") -> tuple[str, list]:
        marks = ",".join("?" * len(entity_ids))
        return (f"""SELECT e.{self.position} AS position, e.originator_id, e.originator_version, e.topic, e.state {extra}
                    FROM {self.events_table} e {join}
                    WHERE e.originator_id IN ({marks}) ORDER BY e.originator_id, e.originator_version""",
                [self.id_param(i) for i in entity_ids])

    async def stored_events(self, entity_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """These aggregates' stored events, each one's in version order."""
        found: dict[str, list[StoredEvent]] = {}
        for r in await self.fetch(*self._events_of(entity_ids)):
            entity_id = str(UUID(str(r["originator_id"])))
            found.setdefault(entity_id, []).append(
                StoredEvent(UUID(entity_id), r["originator_version"], r["topic"], bytes(r["state"])))
        return found

    def stored_with_links(self, entity_ids: Sequence[str]) -> list[tuple[StoredEvent, int, str | None, str | None]]:
        """These aggregates' stored events, aggregate by aggregate in id order and each in version order, with their
        positions and audit links."""
        rows = self.fetch_sync(*self._events_of(entity_ids, ", c.prev_hash, c.hash",
                                                f"LEFT JOIN audit_chain c ON c.position = e.{self.position}"))
        return [(StoredEvent(UUID(str(r["originator_id"])), r["originator_version"], r["topic"], bytes(r["state"])),
                 r["position"], r["prev_hash"], r["hash"]) for r in rows]

    def chain_rows(self, after: int, until: int) -> list[ChainRow]:
        """Every position in (after, until] held by an event or a link, with both (or None where one is missing)."""
        rows = self.fetch_sync(
            f"""SELECT p.position, e.originator_id, e.originator_version, e.topic, e.state, c.prev_hash, c.hash,
                       r.partnership_id
                FROM (SELECT {self.position} AS position FROM {self.events_table}
                      WHERE {self.position} > ? AND {self.position} <= ?
                      UNION SELECT position FROM audit_chain WHERE position > ? AND position <= ?) p
                LEFT JOIN {self.events_table} e ON e.{self.position} = p.position
                LEFT JOIN audit_chain c ON c.position = p.position
                LEFT JOIN records r ON r.position = p.position
                ORDER BY p.position""",
            [after, until, after, until],
        )
        return [ChainRow(r["position"], str(UUID(str(r["originator_id"]))) if r["originator_id"] else None,
                         r["originator_version"], r["topic"], bytes(r["state"]) if r["state"] is not None else None,
                         r["prev_hash"], r["hash"], r["partnership_id"]) for r in rows]

    def chain_end(self) -> int:
        return self.fetch_sync(f"SELECT MAX(m) AS last FROM (SELECT MAX({self.position}) AS m FROM {self.events_table}"
                               " UNION ALL SELECT MAX(position) FROM audit_chain) ends", [])[0]["last"] or 0

    def aggregates_created(self, after: int, until: int) -> list[tuple[int, str]]:
        """The aggregates created in (after, until], each with the position of its first event, in log order."""
        rows = self.fetch_sync(f"SELECT {self.position} AS position, originator_id FROM {self.events_table}"
                               f" WHERE {self.position} > ? AND {self.position} <= ? AND originator_version = 1"
                               f" ORDER BY {self.position}", [after, until])
        return [(r["position"], str(UUID(str(r["originator_id"])))) for r in rows]

    def aggregates_changed(self, fetch: Callable[[str, Sequence[Any]], list], since: int) -> list[str]:
        """The aggregates with events after a position."""
        rows = fetch(f"SELECT DISTINCT originator_id FROM {self.events_table} WHERE {self.position} > ?", [since])
        return [str(UUID(str(r["originator_id"]))) for r in rows]


class StoreUnavailable(Exception):
    """The store could not be reached (a database restarting, say)."""

    def __init__(self) -> None:
        super().__init__("the record store is unavailable; please retry shortly "
                         "(a change retried with the same idempotencyKey is made once)")

    def __reduce__(self) -> tuple:  # raised in the costly-read process, it reaches the serving process as it is
        return StoreUnavailable, ()


GATHERED = 100  # values (ids, or values of a column) in one query of a gathering


class Gathering:
    """The values asked for by requests in one turn of the event loop, for one query that takes many: when the turn
    ends, the query is asked once for all of them, and each request is answered its own values' part of the answer
    (a mapping from value to what the query found for it). Concurrent requests so share one round trip to the store,
    one statement and the decoding of the states they both read."""

    def __init__(self, loop: asyncio.AbstractEventLoop, ask: Callable[[list], Awaitable[Mapping]]):
        self.loop, self.ask = loop, ask
        self.values: dict[Hashable, None] = {}  # in the order asked, once each
        self.asking: list[tuple[Sequence[Hashable], asyncio.Future]] = []  # each request's values, and its answer

    def add(self, values: Sequence[Hashable]) -> asyncio.Future:
        self.values.update(dict.fromkeys(values))
        answer = self.loop.create_future()
        self.asking.append((values, answer))
        return answer

    async def answer(self) -> None:
        try:
            found = await self.ask(list(self.values))
        except Exception as error:
            for _, answer in self.asking:
                if not answer.done():
                    answer.set_exception(error)
            return
        for values, answer in self.asking:
            if not answer.done():  # (its request went)
                answer.set_result({value: found[value] for value in values if value in found})


class ReadModel:
    """Runs the queries of projections/queries.py on one store: `run` in a worker thread, `ask` on the request path."""

    def __init__(self, store: Store):
        self.store = store
        self.gatherings: dict[Hashable, Gathering] = {}  # by query, those still taking values
        self.answering: set[asyncio.Task] = set()

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

    def current(self, ids: Sequence[str]) -> Awaitable[dict[str, tuple[str, State]]]:
        """The current state of each of these entities there is, by id, with its kind (gathered)."""
        return self._gathered(("by id",), ids, lambda gathered: self.ask(q.entities_by_id(gathered)))

    def listed(self, kind: str, column: str | None, values: Sequence[str | None],
               partnership_ids: Sequence[str] | None) -> Awaitable[dict[str | None, Stored]]:
        """The current states of the entities of a kind where the column is one of these values (or all of them
        with no column: the value None), within these partnerships (None: all), oldest first, by value (gathered)."""
        readable = None if partnership_ids is None else tuple(partnership_ids)

        async def ask(gathered: list) -> dict[str | None, Stored]:
            return (await self.ask(q.entities(kind, column, gathered, readable))).by_column()

        return self._gathered(("listed", kind, column, readable), values, ask)

    def _gathered(self, key: Hashable, values: Sequence[Hashable], ask: Callable[[list], Awaitable[Mapping]]) -> asyncio.Future:
        """These values' part of the answer of the gathering for this query that is taking values (one is started,
        to be asked when this turn of the event loop ends, when none is or when it is full). Its states are
        shared by the requests that asked for them: they are read, never changed."""
        loop = asyncio.get_running_loop()
        gathering = self.gatherings.get(key)
        if (gathering is None or gathering.loop is not loop
                or (gathering.values and len(gathering.values) + len(values) > GATHERED)):
            gathering = self.gatherings[key] = Gathering(loop, ask)
            loop.call_soon(self._ask, key, gathering)
        return gathering.add(values)

    def _ask(self, key: Hashable, gathering: Gathering) -> None:
        if self.gatherings.get(key) is gathering:
            del self.gatherings[key]  # values asked from now on are gathered for a query of their own
        task = gathering.loop.create_task(gathering.answer())
        self.answering.add(task)  # (the loop keeps only a weak reference to a task)
        task.add_done_callback(self.answering.discard)

    async def stored_events(self, entity_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """Aggregates' stored events, each one's in version order (for folding them at a view)."""
        try:
            return await self.store.stored_events(entity_ids)
        except self.store.unavailable as error:
            raise StoreUnavailable() from error

    async def seal(self, instant: str) -> None:
        try:
            await self.store.seal(instant)
        except self.store.unavailable as error:
            raise StoreUnavailable() from error
