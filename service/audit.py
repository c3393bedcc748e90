"""Audit operations on the hash chain (projections/audit.py): verify, checkpoint, export and recheck bundles."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from projections import queries as q
from projections.audit import (Verification, advance_verified_head, audit_key, link, sign, verified_head, verify,
                               walk)
from projections.views import event_record, instant

BUNDLE_FORMAT = "send-records audit bundle 1"
CHECKPOINT_FORMAT = "send-records checkpoint 1"
HASHING = "hash = sha256(prev_hash '\\n' originator_id '\\n' version '\\n' topic '\\n' state); state is base64 here"


class AuditError(Exception):
    pass


def verify_log(store: Any, partnership_id: str | None = None, checkpoint: dict | None = None,
               progress: Callable[[int, int], None] | None = None, until: int | None = None) -> Verification:
    """Walk the whole chain (or up to a position: the head at an instant). With a partnership, rehash only its events'
    bytes (every link is checked). With a checkpoint, the chain must still hold the checkpoint's hash at its
    position: the log since only grew."""
    end = store.chain_end() if until is None else until
    checks = (lambda row: True) if partnership_id is None else (lambda row: row.partnership_id == partnership_id)
    result = verify(stream_with_checkpoint(walk(store, until=end), checkpoint, progress, end), checks)
    if progress is not None:
        progress(end, end)
    if result.ok and checkpoint is not None and checkpoint["position"] > result.head_position:
        result.ok, result.first_broken_position = False, result.head_position  # the log shrank below the checkpoint
    return result


VERIFYING = threading.Lock()  # one walk at a time in a process: the next one finds the head where it ended
CHUNK = 20_000  # positions read, verified and recorded as verified at a time


def verify_since_head(store: Any, partnership_id: str | None = None) -> Verification:
    """The chain from the verified head to the log's end, every event rehashed and every link checked, the head
    moved forward as verification proceeds (a verification cut short keeps what it did), so that verifying again
    costs only the events recorded since. The head's own link must still be the one verified, which finds a
    chain rewritten from before it; an event edited before the head without rewriting the chain is found only by
    walking the whole log (`send-records verify`, verify_log). Events checked: all events up to the end, or the
    partnership's."""
    with VERIFYING:
        position, hash, events = verified_head(store)
        result = Verification(head_position=position, head_hash=hash)
        if position and [row.hash for row in store.chain_rows(position - 1, position)] != [hash]:
            result.ok, result.first_broken_position = False, position
            return result
        end = store.chain_end()
        while position < end:
            until = min(position + CHUNK, end)
            part = verify(store.chain_rows(position, until), start_hash=hash)
            if not part.ok:
                result.ok, result.first_broken_position = False, part.first_broken_position
                return result
            if part.events_checked:
                hash, events = part.head_hash, events + part.events_checked
                advance_verified_head(store, part.head_position, hash, events)
                result.head_position, result.head_hash = part.head_position, hash
            position = until
    result.events_checked = events if partnership_id is None else store.fetch_sync(
        "SELECT COUNT(*) AS n FROM records WHERE partnership_id = ? AND position <= ?",
        [partnership_id, result.head_position])[0]["n"]
    return result


def stream_with_checkpoint(rows, checkpoint: dict | None, progress, end: int):
    """The chain's rows; a row at the checkpoint's position whose hash differs from the checkpoint's is
    passed on without its link, so verification stops there (history before the checkpoint was rewritten)."""
    for row in rows:
        if progress is not None and row.position % 10_000 == 0:
            progress(row.position, end)
        if checkpoint is not None and row.position == checkpoint["position"] and row.hash != checkpoint["hash"]:
            yield replace(row, hash=None)
            return
        yield row


def make_checkpoint(store: Any, secret: str) -> dict:
    result = verify(walk(store), lambda row: False)  # links only: a checkpoint records the head as it stands
    if not result.ok:
        raise AuditError(f"the chain is broken at position {result.first_broken_position}; no checkpoint made")
    body = {"format": CHECKPOINT_FORMAT, "position": result.head_position, "hash": result.head_hash,
            "madeAt": instant(datetime.now(timezone.utc))}
    return {**body, "signature": sign(audit_key(secret), body)}


def check_checkpoint(checkpoint: dict, secret: str) -> dict:
    body = {k: v for k, v in checkpoint.items() if k != "signature"}
    if body.get("format") != CHECKPOINT_FORMAT or checkpoint.get("signature") != sign(audit_key(secret), body):
        raise AuditError("the checkpoint's signature does not match: it was not made by this service or was changed")
    return checkpoint


def export_history(commands: Any, plan_id: str, as_at: datetime | None) -> dict:
    """The plan's events with those of its actions, priority areas and judgements, as recorded by as_at,
    with each one's stored bytes and links, in a self-contained bundle."""
    read_model = commands.read_model
    found = read_model.run(q.entity(plan_id))
    if found is None or found[0] != "Plan":
        raise AuditError(f"no plan has id {plan_id!r}")
    plan = found[1]
    actions = read_model.run(q.entities("Action", "plan_id", [plan_id], None))
    subjects = [plan_id, *(a.id for a in actions), *(p.id for p in plan.priority_areas)]
    judgements = read_model.run(q.entities("Judgement", "subject_id", subjects, None))
    events = []
    entity_ids = [plan_id, *(a.id for a in actions), *(j.id for j in judgements)]
    for stored, position, prev_hash, hash in read_model.store.stored_with_links(entity_ids):
        domain_event = commands.app.mapper.to_domain_event(stored)
        if as_at is not None and domain_event.timestamp > as_at:
            continue
        events.append({
            "position": position,
            "record": event_record(domain_event, plan.partnership_id),
            "stored": {"originatorId": str(stored.originator_id), "version": stored.originator_version,
                       "topic": stored.topic, "state": base64.b64encode(stored.state).decode()},
            "prevHash": prev_hash,
            "hash": hash,
        })
    events.sort(key=lambda e: e["position"])
    body = {"format": BUNDLE_FORMAT, "plan": plan_id, "asAt": instant(as_at) if as_at else None,
            "exportedAt": instant(datetime.now(timezone.utc)), "hashing": HASHING, "events": events}
    return {**body, "digest": digest(body)}


def canonical(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(body: dict) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def verify_bundle(text: bytes, mapper: Any) -> int:
    """Recheck a bundle offline: its bytes, every event's hash from its stored bytes, and that what each event
    reads as is what its stored bytes say. Returns the number of events; raises AuditError at the first fault."""
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise AuditError("the bundle is not the JSON this service writes") from None
    if not isinstance(document, dict) or canonical(document) != text or document.get("format") != BUNDLE_FORMAT:
        raise AuditError("the bundle's bytes are not as exported")
    body = {k: v for k, v in document.items() if k != "digest"}
    if document.get("digest") != digest(body):
        raise AuditError("the bundle's digest does not match its contents")
    for event in document["events"]:
        stored = event["stored"]
        state = base64.b64decode(stored["state"])
        if link(event["prevHash"], stored["originatorId"], stored["version"], stored["topic"], state) != event["hash"]:
            raise AuditError(f"the event at position {event['position']} does not match its hash")
        decoded = mapper.to_domain_event(StoredEvent(UUID(stored["originatorId"]), stored["version"], stored["topic"], state))
        shown = {k: v for k, v in event["record"].items() if k != "about"}  # (bundles of version 2 and before had it)
        if event_record(decoded, event["record"]["partnershipId"]) != shown:
            raise AuditError(f"the event at position {event['position']} does not read as its stored bytes say")
    return len(document["events"])

