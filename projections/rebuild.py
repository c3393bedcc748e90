"""Rebuilding the read models (event records, current state, versioned state) from the stored events.

The read models are written in the events' own transaction, so they never fall
behind; a rebuild is for when their code changes or their tables are damaged.
It replays each aggregate's stored events, in aggregate-id order, through the
same code that writes them as changes are made, into a second set of tables
(`records_rebuild`, ...), committing its progress with every batch, so a
rebuild stopped half-way resumes where it was. At the end, with other writers
held off for a moment, it replays the aggregates changed since it began and
copies the rebuilt tables over the live ones in one transaction. The event log
and the audit chain are never touched.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from projections.store import READ_MODELS, Writer, entity_row, read_model_tables, record_row, version_row, write_rows
from projections.views import entity_rows, event_record

SUFFIX = "_rebuild"
log = logging.getLogger("send_records.rebuild")


class RebuildError(Exception):
    pass


def rebuild(store: Any, mapper: Any, progress: Callable[[int, int], None] | None = None, batch: int = 200) -> int:
    """Rebuild the read models; returns the number of events replayed (resuming counts only what is left)."""
    with store.writer() as w:
        started, last = begin(store, w)
    ids = store.aggregate_ids(store.fetch_sync, after=last)
    replayed = 0
    for n in range(0, len(ids), batch):
        chunk = ids[n:n + batch]
        with store.writer() as w:
            replayed += replay(store, mapper, w, chunk)
            w.execute("UPDATE rebuild_progress SET last_aggregate = ?", (chunk[-1],))
        if progress is not None:
            progress(n + len(chunk), len(ids))
    with store.writer(lock_writers=True) as w:
        changed = store.aggregate_ids(w.fetch, since=started)
        for aggregate_id in changed:
            forget(w, aggregate_id)
        replayed += replay(store, mapper, w, changed)
        for table in READ_MODELS:
            w.execute(f"DELETE FROM {table}", ())
            w.execute(f"INSERT INTO {table} SELECT * FROM {table}{SUFFIX}", ())
            w.execute(f"DROP TABLE {table}{SUFFIX}", ())
        w.execute("DELETE FROM rebuild_progress", ())
    return replayed


def begin(store: Any, w: Writer) -> tuple[int, str | None]:
    """Where the rebuild under way stands, or a new one: empty tables to rebuild into, and the log's end now."""
    found = w.fetch("SELECT started_position, last_aggregate FROM rebuild_progress", ())
    if found:
        return found[0]["started_position"], found[0]["last_aggregate"]
    for table in READ_MODELS:
        w.execute(f"DROP TABLE IF EXISTS {table}{SUFFIX}", ())
    for statement in read_model_tables(SUFFIX):
        w.execute(statement.format(bigint=store.bigint), ())
    started = store.chain_end()
    w.execute("INSERT INTO rebuild_progress (started_position, last_aggregate) VALUES (?, NULL)", (started,))
    return started, None


def replay(store: Any, mapper: Any, w: Writer, aggregate_ids: list[str]) -> int:
    """Write these aggregates' read models from their stored events, event by event, with the row builders
    their commands used; returns the number of events."""
    records, entities, versions = [], [], []
    for aggregate_id in aggregate_ids:
        aggregate, first_seen = None, {}
        for stored, position, _, _ in store.stored_with_links(aggregate_id):
            try:
                event = mapper.to_domain_event(stored)
                aggregate = event.mutate(aggregate)
            except Exception as error:
                log.error("rebuild cannot replay the event at position %s (aggregate %s): %s", position, aggregate_id, error)
                raise RebuildError(f"the event at position {position} cannot be replayed: {error}") from None
            records.append(record_row(position, event_record(event, aggregate.partnership_id)))
            rows = entity_rows(aggregate)
            versions.append(version_row(rows[0]))
            for row in rows:
                first_seen.setdefault(row.id, position)  # an entity's seq is the position it first appeared at
        entities += [entity_row(row, first_seen[row.id]) for row in rows] if aggregate is not None else []
    write_rows(w.executemany, records, entities, versions, SUFFIX)
    return len(records)


def forget(w: Writer, aggregate_id: str) -> None:
    """Drop what the rebuild wrote for one aggregate (and the findings or priority areas in it)."""
    w.execute(f"DELETE FROM records{SUFFIX} WHERE entity_id = ?", (aggregate_id,))
    w.execute(f"DELETE FROM entity_versions{SUFFIX} WHERE id = ?", (aggregate_id,))
    w.execute(f"DELETE FROM entities{SUFFIX} WHERE id = ? OR (type IN ('Finding', 'PriorityArea')"
              " AND (inspection_id = ? OR plan_id = ?))", (aggregate_id, aggregate_id, aggregate_id))
