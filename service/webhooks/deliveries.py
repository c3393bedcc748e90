"""Where each webhook has got to, and every delivery attempted: the statements on their tables, written once for
both stores (the tables are in projections/tables.py).

`webhook_progress` holds one row per webhook: its cursor (every event it asks for up to this log position is
delivered, given up or parked), when its next attempt is due, whether its last attempt failed, how many redelivery
requests it has applied, and the claim of the process delivering its head. `webhook_deliveries` holds one row per
event attempted for a webhook: status, attempts, the last answer, when it is next due, whether it is parked, and
the claim of the process attempting it. Times are milliseconds since the epoch. Deliveries settled for good
(delivered or given up) are pruned once older than the engine's keeping time.

Statements use `?` placeholders and run inside a store's `writer()` (projections/writes.py's Writer); only the
locking clause differs: PostgreSQL's `FOR UPDATE SKIP LOCKED` lets several processes claim rows at once, each
taking others' than the ones another is claiming; the embedded store has one process delivering.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple, Sequence

from projections import queries as q
from projections.queries import Query
from projections.shapes import WebhookState
from projections.writes import Writer


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"  # not yet attempted, or its first attempt under way
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"  # failed at least once; retried on its schedule
    GIVEN_UP = "GIVEN_UP"  # its schedule ran out


@dataclass(frozen=True)
class Claim:
    """One delivery a process has claimed: one of its webhook's next events (in log order), or a parked one."""

    webhook_id: str
    position: int
    attempts: int  # made before
    first_attempt_at: int | None
    head: bool
    failing: bool  # the webhook's last head attempt failed
    token: str


def _in(values: Sequence[Any]) -> str:
    return f"({','.join('?' * len(values))})"


def start(w: Writer, webhooks: list[WebhookState], now: int) -> None:
    """Progress rows for webhooks seen for the first time: each delivers what comes after its registration."""
    w.executemany("INSERT INTO webhook_progress (webhook_id, position, next_attempt_at) VALUES (?,?,?)"
                  " ON CONFLICT (webhook_id) DO NOTHING", [(h.id, h.seq, now) for h in webhooks])


def due_webhooks(w: Writer, ids: list[str], now: int, limit: int, lock: str) -> list[dict]:
    """The webhooks (of these) whose next attempt is due and that no other process is claiming."""
    return w.fetch(f"SELECT webhook_id, position, failing, redeliveries FROM webhook_progress"
                   f" WHERE next_attempt_at <= ? AND webhook_id IN {_in(ids)} ORDER BY next_attempt_at LIMIT ?{lock}",
                   (now, *ids, limit))


def apply_redelivery(w: Writer, webhook_id: str, after: int, redeliveries: int, now: int) -> None:
    """Start the webhook again after this position: the deliveries after it begin afresh as its cursor reaches them."""
    w.execute("UPDATE webhook_progress SET position = ?, redeliveries = ?, failing = 0, next_attempt_at = ?, claim = NULL"
              " WHERE webhook_id = ?", (after, redeliveries, now, webhook_id))
    w.execute("UPDATE webhook_deliveries SET status = ?, parked = 0, attempts = 0, first_attempt_at = NULL,"
              " next_attempt_at = NULL, claim = NULL WHERE webhook_id = ? AND position > ?",
              (DeliveryStatus.PENDING, webhook_id, after))


def records_after(w: Writer, position: int, limit: int) -> list[dict]:
    query = q.records(position, limit)
    return query.answer(w.fetch(query.sql, query.params))


def skip_to(w: Writer, webhook_id: str, position: int) -> None:
    """Nothing the webhook asks for is in the log up to this position."""
    w.execute("UPDATE webhook_progress SET position = ? WHERE webhook_id = ? AND position < ?",
              (position, webhook_id, position))


def claim_runs(w: Writer, runs: dict[str, list[int]], lease_until: int, token: str) -> None:
    """Claim each webhook's next events (webhook id: positions, in log order), to deliver one after another; each
    is recorded as PENDING when first claimed."""
    heads = [(webhook_id, position) for webhook_id, positions in runs.items() for position in positions]
    w.executemany("INSERT INTO webhook_deliveries (webhook_id, position, status) VALUES (?,?,?)"
                  " ON CONFLICT (webhook_id, position) DO NOTHING",
                  [(webhook_id, position, DeliveryStatus.PENDING) for webhook_id, position in heads])
    w.executemany("UPDATE webhook_progress SET next_attempt_at = ?, claim = ? WHERE webhook_id = ?",
                  [(lease_until, token, webhook_id) for webhook_id in runs])
    _claim(w, heads, lease_until, token)


def claim_parked(w: Writer, ids: list[str], now: int, lease_until: int, token: str, limit: int, lock: str) -> None:
    """Claim parked deliveries (of these webhooks) whose retry is due."""
    rows = w.fetch(f"SELECT webhook_id, position FROM webhook_deliveries WHERE parked = 1 AND next_attempt_at <= ?"
                   f" AND webhook_id IN {_in(ids)} ORDER BY next_attempt_at LIMIT ?{lock}", (now, *ids, limit))
    _claim(w, [(r["webhook_id"], r["position"]) for r in rows], lease_until, token)


def _claim(w: Writer, deliveries: list[tuple[str, int]], lease_until: int, token: str) -> None:
    w.executemany("UPDATE webhook_deliveries SET next_attempt_at = ?, claim = ? WHERE webhook_id = ? AND position = ?",
                  [(lease_until, token, webhook_id, position) for webhook_id, position in deliveries])


def claimed(w: Writer, token: str, failing: dict[str, bool]) -> list[Claim]:
    rows = w.fetch("SELECT webhook_id, position, attempts, first_attempt_at, parked FROM webhook_deliveries"
                   " WHERE claim = ? ORDER BY webhook_id, position", (token,))
    return [Claim(r["webhook_id"], r["position"], r["attempts"], r["first_attempt_at"], not r["parked"],
                  failing.get(r["webhook_id"], False), token) for r in rows]


@dataclass(frozen=True)
class Settled:
    """How a claimed delivery ends: attempted (when, the answer, its new status, when it is next due: None when
    settled for good, and whether it is parked), or handed back unattempted (`attempted_at` None)."""

    claim: Claim
    attempted_at: int | None = None
    status: DeliveryStatus | None = None
    next_attempt_at: int | None = None
    parked: bool = False
    status_code: int | None = None
    error: str | None = None

    @property
    def moves_on(self) -> bool:
        """Whether the webhook's cursor moves past it: delivered, given up or parked."""
        return self.attempted_at is not None and (self.next_attempt_at is None or self.parked)


def settle(w: Writer, runs: list[list[Settled]], now: int) -> None:
    """Record how runs of claimed deliveries ended, if their claims still hold (a claim that outlived its lease may
    have been taken over): each delivery, then its webhook's place (for a run of its next events)."""
    ended = [s for run in runs for s in run]
    w.executemany("UPDATE webhook_deliveries SET next_attempt_at = ?, claim = NULL WHERE webhook_id = ? AND position = ?"
                  " AND claim = ?", [(now, s.claim.webhook_id, s.claim.position, s.claim.token)
                                     for s in ended if s.attempted_at is None])
    w.executemany("UPDATE webhook_deliveries SET status = ?, parked = ?, attempts = attempts + 1,"
                  " first_attempt_at = COALESCE(first_attempt_at, ?), last_attempt_at = ?, next_attempt_at = ?,"
                  " last_status_code = ?, last_error = ?, claim = NULL WHERE webhook_id = ? AND position = ? AND claim = ?",
                  [(s.status, int(s.parked), s.attempted_at, s.attempted_at, s.next_attempt_at, s.status_code, s.error,
                    s.claim.webhook_id, s.claim.position, s.claim.token) for s in ended if s.attempted_at is not None])
    places = [place for run in runs if (place := _place([s for s in run if s.claim.head], now)) is not None]
    for moved in (True, False):
        w.executemany(f"UPDATE webhook_progress SET {'position = ?, ' if moved else ''}next_attempt_at = ?, failing = ?,"
                      " claim = NULL WHERE webhook_id = ? AND claim = ?",
                      [((p.cursor,) if moved else ()) + (p.next_attempt_at, int(p.failing), p.webhook_id, p.token)
                       for p in places if (p.cursor is not None) == moved])
    back = [p.webhook_id for p in places if p.receiver_back]
    if back:  # what was parked while the receiver failed is retried at once
        w.executemany("UPDATE webhook_deliveries SET next_attempt_at = ? WHERE webhook_id = ? AND parked = 1"
                      " AND claim IS NULL AND next_attempt_at > ?", [(now, webhook_id, now) for webhook_id in back])


class Place(NamedTuple):
    """A webhook's place after a run of its next events."""

    webhook_id: str
    token: str
    cursor: int | None  # past the events delivered, given up or parked; None if it has not moved
    next_attempt_at: int  # now, or when the event that failed is to be retried
    failing: bool  # its last attempt failed
    receiver_back: bool  # it had failed before, and now delivered


def _place(heads: list[Settled], now: int) -> Place | None:
    if not heads:
        return None
    first = heads[0].claim
    passed = [s for s in heads if s.moves_on]  # a run stops at its first failure that holds the webhook's place
    rest = heads[len(passed):]
    waiting = rest[0] if rest and rest[0].attempted_at is not None else None
    failing = waiting is not None or (passed[-1].status != DeliveryStatus.DELIVERED if passed else first.failing)
    return Place(first.webhook_id, first.token, passed[-1].claim.position if passed else None,
                 waiting.next_attempt_at if waiting else now, failing,
                 first.failing and any(s.status == DeliveryStatus.DELIVERED for s in passed))


def next_due(w: Writer, ids: list[str], now: int) -> int | None:
    """When the earliest attempt of these webhooks not yet due falls due (a lease running out counts: it is then
    taken over). A webhook whose place is free is due whenever a new event comes, and is not counted."""
    rows = w.fetch(f"""SELECT MIN(t) AS due FROM (
                         SELECT MIN(next_attempt_at) AS t FROM webhook_progress
                         WHERE next_attempt_at > ? AND webhook_id IN {_in(ids)}
                         UNION ALL SELECT MIN(next_attempt_at) FROM webhook_deliveries
                         WHERE parked = 1 AND next_attempt_at > ? AND webhook_id IN {_in(ids)}) due""",
                   (now, *ids, now, *ids))
    return rows[0]["due"]


def prune(w: Writer, before: int) -> None:
    """Forget deliveries settled for good (delivered or given up) whose last attempt was before this time."""
    w.execute("DELETE FROM webhook_deliveries WHERE status IN (?,?) AND last_attempt_at < ?",
              (DeliveryStatus.DELIVERED, DeliveryStatus.GIVEN_UP, before))


def page(webhook_id: str, after: int, limit: int, status: DeliveryStatus | None = None) -> Query:
    """A webhook's deliveries after a log position, in log order, each with its event's record (for
    `Webhook.deliveries`)."""
    where, params = ["d.webhook_id = ?", "d.position > ?"], [webhook_id, after]
    if status is not None:
        where.append("d.status = ?")
        params.append(str(status))
    return Query(f"""SELECT d.position, d.status, d.parked, d.attempts, d.first_attempt_at, d.last_attempt_at,
                            d.next_attempt_at, d.last_status_code, d.last_error, r.body
                     FROM webhook_deliveries d JOIN records r ON r.position = d.position
                     WHERE {' AND '.join(where)} ORDER BY d.position LIMIT ?""", [*params, limit],
                 lambda rows: [{**dict(r), "body": json.loads(r["body"])} for r in rows])


def records_at(w: Writer, positions: list[int]) -> dict[int, dict]:
    """The log's records at these positions, by position."""
    rows = w.fetch(f"SELECT position, body FROM records WHERE position IN {_in(positions)}", positions)
    return {r["position"]: json.loads(r["body"]) for r in rows}
