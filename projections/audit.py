"""The audit trail: a hash chain over the stored events, in log order.

Each event's link is

    hash = sha256(prev_hash "\\n" originator_id "\\n" version "\\n" topic "\\n" state)

where prev_hash is the previous event's hash in the global log (64 zeros before
the first), originator_id is the entity's UUID in canonical text, version is in
decimal, topic names the event's class, and state is the stored event's bytes
exactly as the store keeps them: the library's JSON of every field of the event
(its type and entity are in the topic and id; the actor, recordedAt as the
event's timestamp, effectiveOn, reason and data are in the state). So any byte
of a stored event changed, an event deleted, two swapped or one inserted by
hand breaks the chain at that position. Links are written in the transaction
that stores their events (`audit_chain`), never rebuilt.

A checkpoint is the chain's head (position, hash, count) signed with HMAC-SHA256
under a key derived from the service's signing secret; verifying the log
against an earlier checkpoint shows the log since then only grew.

The verified head (`audit_verified`) is how far the chain was last verified from
its start, every event rehashed and every link checked: the service's own
verification goes on from there, so that verifying again costs only the events
recorded since (service/audit.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

GENESIS = "0" * 64


def link(prev_hash: str, originator_id: str, version: int, topic: str, state: bytes) -> str:
    digest = hashlib.sha256(f"{prev_hash}\n{originator_id}\n{version}\n{topic}\n".encode())
    digest.update(state)
    return digest.hexdigest()


@dataclass(frozen=True)
class ChainRow:
    """One position of the log as stored: the event's fields (None if the event is missing) and its link
    (None if the link is missing)."""

    position: int
    originator_id: str | None
    version: int | None
    topic: str | None
    state: bytes | None
    prev_hash: str | None
    hash: str | None
    partnership_id: str | None = None


@dataclass
class Verification:
    ok: bool = True
    events_checked: int = 0
    first_broken_position: int | None = None
    head_position: int = 0
    head_hash: str = GENESIS


def verify(rows: Iterable[ChainRow], checks_content: callable = lambda row: True, start_hash: str = GENESIS) -> Verification:
    """Walks the chain in position order; stops at the first broken link. `checks_content` chooses which events'
    bytes are rehashed (all of them, or one partnership's); every link is checked either way."""
    result = Verification(head_hash=start_hash)
    expected_prev = start_hash
    for row in rows:
        content = checks_content(row)
        intact = (
            row.hash is not None and row.prev_hash == expected_prev and row.originator_id is not None
            and (not content or link(row.prev_hash, row.originator_id, row.version, row.topic, row.state) == row.hash)
        )
        if not intact:
            result.ok, result.first_broken_position = False, row.position
            return result
        result.events_checked += content
        expected_prev = row.hash
        result.head_position, result.head_hash = row.position, row.hash
    return result


def sign(key: bytes, body: dict) -> str:
    return hmac.new(key, json.dumps(body, sort_keys=True, separators=(",", ":")).encode(), hashlib.sha256).hexdigest()


def audit_key(secret: str) -> bytes:
    """A key of its own for checkpoints, derived from the service's signing secret."""
    return hashlib.sha256(b"send-records audit checkpoint\n" + secret.encode()).digest()


def walk(store: Any, after: int = 0, size: int = 20_000, until: int | None = None) -> Iterator[ChainRow]:
    """Every position after `after` (up to `until`, else the log's end) held by an event or a link, in order, read a
    range at a time."""
    end = store.chain_end() if until is None else until
    while after < end:
        yield from store.chain_rows(after, min(after + size, end))
        after += size


def verified_head(store: Any) -> tuple[int, str, int]:
    """The last position verified, its hash, and the number of events up to it (0, GENESIS, 0: none yet)."""
    rows = store.fetch_sync("SELECT position, hash, events FROM audit_verified", [])
    return (rows[0]["position"], rows[0]["hash"], rows[0]["events"]) if rows else (0, GENESIS, 0)


def advance_verified_head(store: Any, position: int, hash: str, events: int) -> None:
    """Move the verified head forward (never back: several processes may verify at once)."""
    with store.writer() as w:
        w.execute("INSERT INTO audit_verified (one, position, hash, events) VALUES (1, ?, ?, ?) ON CONFLICT (one) DO"
                  " UPDATE SET position = excluded.position, hash = excluded.hash, events = excluded.events"
                  " WHERE excluded.position > audit_verified.position", (position, hash, events))
