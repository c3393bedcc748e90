"""Rebuilding the read models (event records, current state, versioned state) from the stored events.

The read models are written in the events' own transaction, so they never fall
behind; a rebuild is for when their code changes or their tables are damaged.
It replays each aggregate's stored events, aggregates taken in the order they
were created, through the same code that writes them as changes are made, into
a second set of tables (`records_rebuild`, ...) without their secondary
indexes, committing its progress with every batch, so a rebuild stopped
half-way resumes where it was. At the end, with other writers held off for a
moment, it puts the rebuilt tables in place of the live ones, indexes them and
replays the aggregates changed since it began, in one transaction. The event
log and the audit chain are never touched.
"""

from __future__ import annotations

import logging
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from itertools import groupby
from multiprocessing import get_context
from typing import Any, Callable, Iterator

from projections.shapes import KINDS
from projections.tables import READ_MODEL_INDEXES, READ_MODEL_VERSION, READ_MODELS, read_model_tables
from projections.views import about, entity_rows, event_record, version_row
from projections.writes import Writer, entity_row, record_row, write_rows

SUFFIX = "_rebuild"
AHEAD = 4  # batches a worker process may build before the writer takes them
log = logging.getLogger("send_records.rebuild")

# Rows of the read models: event records, current-state rows and versioned states.
Rows = tuple[list[tuple], list[tuple], list[tuple]]
# Opens the store and the application (whose mapper decodes the events) in a worker process: a module-level
# function, so that it can be sent there.
Opener = Callable[[], tuple[Any, Any]]


class RebuildError(Exception):
    pass


def rebuild(store: Any, mapper: Any, progress: Callable[[int, int], None] | None = None, batch: int = 200,
            workers: int = 0, opener: Opener | None = None) -> int:
    """Rebuild the read models; returns the number of events replayed (resuming counts only what is left).

    With workers (and an opener for their store), worker processes decode the events and build the rows
    while this process writes them."""
    with store.writer() as w:
        started, replayed_through = begin(store, w)
    created = store.aggregates_created(replayed_through, started)
    batches = [created[n:n + batch] for n in range(0, len(created), batch)]
    replayed = done = 0
    with (ProcessPoolExecutor(workers, get_context("spawn"), initializer=start_worker, initargs=(opener,))
          if workers else nullcontext()) as pool:
        for chunk, rows in zip(batches, built(store, mapper, batches, pool), strict=True):
            with store.writer() as w:
                write_rows(w.executemany, *rows, SUFFIX)
                w.execute("UPDATE rebuild_progress SET replayed_through = ?", (chunk[-1][0],))
            replayed += len(rows[0])
            done += len(chunk)
            if progress is not None:
                progress(done, len(created))
    with store.writer(lock_writers=True) as w:
        for table in READ_MODELS:
            store.replace_table(w, table, f"{table}{SUFFIX}")
        for statement in READ_MODEL_INDEXES:
            w.execute(statement, ())
        changed = store.aggregates_changed(w.fetch, started)
        for n in range(0, len(changed), batch):
            forget(w, changed[n:n + batch])
            rows = rows_of(store, mapper, changed[n:n + batch])
            write_rows(w.executemany, *rows)
            replayed += len(rows[0])
        w.execute("DELETE FROM rebuild_progress", ())
        w.execute("UPDATE read_model_version SET version = ?", (READ_MODEL_VERSION,))
    return replayed


def built(store: Any, mapper: Any, batches: list[list[tuple[int, str]]], pool: ProcessPoolExecutor | None) -> Iterator[Rows]:
    """Each batch's rows, in order: built here, or by the worker processes, a few batches ahead of the writer."""
    ids = ([aggregate_id for _, aggregate_id in chunk] for chunk in batches)
    if pool is None:
        yield from (rows_of(store, mapper, chunk) for chunk in ids)
        return
    ahead: deque = deque()
    try:
        for chunk in ids:
            ahead.append(pool.submit(worker_rows, chunk))
            if len(ahead) >= AHEAD:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()
    except BrokenProcessPool:
        raise RebuildError("a worker process stopped; run the rebuild again to resume it") from None


_worker_store: tuple[Any, Any] | None = None


def start_worker(opener: Opener) -> None:
    """A worker process opens the store once (and keeps the application, which closes the store when it goes)."""
    global _worker_store
    _worker_store = opener()


def worker_rows(aggregate_ids: list[str]) -> Rows:
    assert _worker_store is not None
    store, app = _worker_store
    return rows_of(store, app.mapper, aggregate_ids)


def begin(store: Any, w: Writer) -> tuple[int, int]:
    """Where the rebuild under way stands, or a new one: empty tables to rebuild into, and the log's end now."""
    found = w.fetch("SELECT started_position, replayed_through FROM rebuild_progress", ())
    if found:
        return found[0]["started_position"], found[0]["replayed_through"]
    for table in READ_MODELS:
        w.execute(f"DROP TABLE IF EXISTS {table}{SUFFIX}", ())
    for statement in read_model_tables(SUFFIX):
        w.execute(statement.format(bigint=store.bigint), ())
    started = store.chain_end()
    w.execute("INSERT INTO rebuild_progress (started_position, replayed_through) VALUES (?, 0)", (started,))
    return started, 0


def rows_of(store: Any, mapper: Any, aggregate_ids: list[str]) -> Rows:
    """These aggregates' read-model rows from their stored events, event by event, with the row builders their
    commands used."""
    records, entities, versions = [], [], []
    for _, stored_events in groupby(store.stored_with_links(aggregate_ids), key=lambda found: found[0].originator_id):
        aggregate, first_position, first_seen = None, None, {}
        stored_events = list(stored_events)
        for n, (stored, position, _, _) in enumerate(stored_events, 1):
            try:
                event = mapper.to_domain_event(stored)
                aggregate = event.mutate(aggregate)
            except Exception as error:
                log.error("rebuild cannot replay the event at position %s (aggregate %s): %s", position,
                          stored.originator_id, error)
                raise RebuildError(f"the event at position {position} cannot be replayed: {error}") from None
            records.append(record_row(position, event, event_record(event, aggregate.partnership_id)))
            rows = entity_rows(aggregate, with_children=n == len(stored_events))  # all of them after the last event
            versions.append(version_row(rows[0], event.effective_on))
            first_position = first_position or position
            child = about(event)
            if child is not None:  # a child's first event adds it
                first_seen.setdefault(child, position)
        # an entity's seq is the position it first appeared at
        entities += [entity_row(row, first_seen.get(row.id, first_position)) for row in rows]
    records.sort()  # in log order, which is the records table's order
    return records, entities, versions


def forget(w: Writer, aggregate_ids: list[str]) -> None:
    """Drop the read models of these aggregates (and of the children in them)."""
    ids = f"({','.join('?' * len(aggregate_ids))})"
    w.execute(f"DELETE FROM records WHERE entity_id IN {ids}", aggregate_ids)
    w.execute(f"DELETE FROM entity_versions WHERE id IN {ids}", aggregate_ids)
    w.execute(f"DELETE FROM entities WHERE id IN {ids}", aggregate_ids)
    for kind in KINDS.values():
        if kind.owner is not None:
            w.execute(f"DELETE FROM entities WHERE type = ? AND {kind.owner_key} IN {ids}", [kind.name, *aggregate_ids])
