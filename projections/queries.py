"""Every query on the read models, written once for both stores.

A query is data (SQL with `?` placeholders, parameters, and how to turn rows
into an answer), so the same query runs synchronously in a command's worker
thread and asynchronously on the request path. Queries that take ids take many
at once: the request path batches them (service/graphql/loaders.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from projections.shapes import Stored, decode

# The columns lists of entities are taken by.
LIST_COLUMNS = {"partnership_id", "plan_id", "inspection_id", "subject_id"}


@dataclass(frozen=True)
class Query:
    sql: str
    params: list
    answer: Callable[[list], Any]


def _in(values: Sequence[Any]) -> str:
    return f"({','.join('?' * len(values))})"


def _readable(partnership_ids: Sequence[str] | None, where: list[str], params: list) -> None:
    if partnership_ids is not None:
        where.append(f"partnership_id IN {_in(partnership_ids)}")
        params.extend(partnership_ids)


def entities_by_id(ids: Sequence[str]) -> Query:
    """The current state of each of these entities there is, by id."""
    return Query(f"SELECT type, seq, state FROM entities WHERE id IN {_in(ids)}", list(ids),
                 lambda rows: {(s := decode(r["type"], r["state"], r["seq"])).id: (r["type"], s) for r in rows})


def entities(kind: str, column: str | None, values: Sequence[str], partnership_ids: Sequence[str] | None) -> Query:
    """The current states of the entities of a kind where column is one of these values (or all of them, with no
    column), within the given partnerships (None: all), oldest first: each decoded when first read (Stored)."""
    where, params = ["type = ?"], [kind]
    if column is not None:
        assert column in LIST_COLUMNS
        where.append(f"{column} IN {_in(values)}")
        params.extend(values)
    _readable(partnership_ids, where, params)
    return Query(f"SELECT seq, state, {column or 'NULL'} AS listed_by FROM entities WHERE {' AND '.join(where)} ORDER BY seq",
                 params, lambda rows: Stored(kind, [(r["seq"], r["state"], r["listed_by"]) for r in rows]))


def states_at(kind: str, ids: Sequence[str], as_at: str) -> Query:
    """The state of each of these aggregates as last recorded at or before the instant (ISO text, UTC), by id."""
    return Query(
        f"""SELECT v.state FROM entity_versions v
            JOIN (SELECT id, MAX(version) AS version FROM entity_versions
                  WHERE id IN {_in(ids)} AND recorded_at <= ? GROUP BY id) latest
            ON v.id = latest.id AND v.version = latest.version""",
        [*ids, as_at],
        lambda rows: {(s := decode(kind, r["state"])).id: s for r in rows},
    )


def states_as_of(kind: str, ids: Sequence[str], as_at: str | None, as_of: str) -> Query:
    """For each of these aggregates, as recorded at the instant (None: now): whether its events came in order of
    effective date, and if they did, its state after the last of them effective on or before the date (None if
    even its first was later). See projections/temporal.py."""
    recorded = "AND recorded_at <= ?" if as_at is not None else ""
    return Query(
        f"""SELECT latest.id, at.in_order, s.state FROM
              (SELECT id, MAX(version) AS version FROM entity_versions
               WHERE id IN {_in(ids)} {recorded} GROUP BY id) latest
            JOIN entity_versions at ON at.id = latest.id AND at.version = latest.version
            LEFT JOIN entity_versions s ON s.id = latest.id AND s.version = (
                SELECT MAX(w.version) FROM entity_versions w
                WHERE w.id = latest.id AND w.version <= latest.version AND w.effective_on <= ?)""",
        [*ids, *([as_at] if as_at is not None else []), as_of],
        lambda rows: {r["id"]: (bool(r["in_order"]), decode(kind, r["state"]) if r["state"] is not None else None)
                      for r in rows},
    )


def records(after: int, limit: int, partnership_ids: Sequence[str] | None = None, types: Sequence[str] | None = None,
            entity_id: str | None = None) -> Query:
    """Event records after a position, in log order: of one entity (its own events, or for a child the event
    that added it), of these types (None: any; empty: none)."""
    where, params = ["position > ?"], [after]
    if entity_id is not None:
        where.append("(entity_id = ? OR about = ?)")
        params += [entity_id, entity_id]
    _readable(partnership_ids, where, params)
    if types is not None:
        where.append(f"type IN {_in(types)}" if types else "1 = 0")
        params.extend(types)
    return Query(f"SELECT body FROM records WHERE {' AND '.join(where)} ORDER BY position LIMIT ?", [*params, limit],
                 lambda rows: [json.loads(r["body"]) for r in rows])


def records_of(entity_ids: Sequence[str], event_type: str) -> Query:
    """These entities' records of one type, in log order."""
    return Query(f"SELECT body FROM records WHERE entity_id IN {_in(entity_ids)} AND type = ? ORDER BY position",
                 [*entity_ids, event_type], lambda rows: [json.loads(r["body"]) for r in rows])


def record_at(position: int) -> Query:
    return Query("SELECT body FROM records WHERE position = ?", [position],
                 lambda rows: json.loads(rows[0]["body"]) if rows else None)


def position_at(instant: str) -> Query:
    """The position of the last event recorded at or before the instant (ISO text, UTC), and its audit link's hash
    (0 and None before the first)."""
    return Query("""SELECT r.position, c.hash FROM records r LEFT JOIN audit_chain c ON c.position = r.position
                    WHERE r.recorded_at <= ? ORDER BY r.recorded_at DESC, r.position DESC LIMIT 1""", [instant],
                 lambda rows: (rows[0]["position"], rows[0]["hash"]) if rows else (0, None))


def last_position() -> Query:
    return Query("SELECT COALESCE(MAX(position), 0) AS last FROM records", [], lambda rows: rows[0]["last"])


def log_clock() -> Query:
    return Query("SELECT instant FROM log_clock", [], lambda rows: rows[0]["instant"])


def rebuild_under_way() -> Query:
    return Query("SELECT started_position, replayed_through FROM rebuild_progress", [],
                 lambda rows: {"startedAt": rows[0]["started_position"], "replayedThrough": rows[0]["replayed_through"]}
                 if rows else None)


def read_model_version() -> Query:
    return Query("SELECT version FROM read_model_version", [], lambda rows: rows[0]["version"] if rows else None)


def idempotency(scope: str, key: str) -> Query:
    return Query("SELECT fingerprint, position, result FROM idempotency WHERE scope = ? AND key = ?", [scope, key],
                 lambda rows: (rows[0]["fingerprint"], rows[0]["position"], json.loads(rows[0]["result"])) if rows else None)


def entity(entity_id: str) -> Query:
    """The kind and current state of one entity, if there is one with this id."""
    return Query("SELECT type, seq, state FROM entities WHERE id = ?", [entity_id],
                 lambda rows: (rows[0]["type"], decode(rows[0]["type"], rows[0]["state"], rows[0]["seq"])) if rows else None)
