"""Group commit: concurrent changes stored in one transaction.

Every transaction that stores events holds the events table's lock until its
commit is flushed to disk, so writers queue behind one another. Here a writer
that finds no commit under way becomes the leader: it commits its own change
together with every change queued while the previous commit ran, in one
transaction (one lock, one flush), and hands each waiting writer its own
answer. Positions are still given in commit order, and a change is acknowledged
only once its transaction has committed.

When a batch breaks a uniqueness rule (a stale version, an idempotency key used
twice), the whole transaction is rolled back and each of its changes is
committed alone, so that only the offending ones are refused. Any other failure
(the database away) is every change's failure: none of them was stored.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Generic, Sequence, TypeVar

from eventsourcing.persistence import IntegrityError, StoredEvent

from projections.store import Change

Item = TypeVar("Item")
Answer = TypeVar("Answer")


class _Waiting(Generic[Item, Answer]):
    __slots__ = ("item", "answer", "error", "done")

    def __init__(self, item: Item):
        self.item = item
        self.answer: Answer | None = None
        self.error: Exception | None = None
        self.done = False


class GroupCommit(Generic[Item, Answer]):
    def __init__(self, commit: Callable[[Sequence[Item]], Sequence[Answer]]):
        self.commit = commit  # stores items in one transaction, answering each in order
        self.queue: list[_Waiting[Item, Answer]] = []
        self.leading = False
        self.turn = threading.Condition()

    def __call__(self, item: Item) -> Answer:
        waiting: _Waiting[Item, Answer] = _Waiting(item)
        with self.turn:
            self.queue.append(waiting)
            while self.leading and not waiting.done:
                self.turn.wait()
            lead = not waiting.done  # no commit under way: lead one, of everything queued (this change with it)
            if lead:
                self.leading = True
                batch, self.queue = self.queue, []
        if lead:
            try:
                self._commit(batch)
            finally:
                with self.turn:
                    self.leading = False
                    self.turn.notify_all()
        if waiting.error is not None:
            raise waiting.error
        return waiting.answer  # type: ignore[return-value]

    def _commit(self, batch: list[_Waiting[Item, Answer]]) -> None:
        try:
            for waiting, answer in zip(batch, self.commit([w.item for w in batch]), strict=True):
                waiting.answer = answer
        except IntegrityError as error:
            if len(batch) == 1:
                batch[0].error = error
            else:
                for waiting in batch:
                    self._commit([waiting])
        except Exception as error:
            for waiting in batch:
                waiting.error = error
        finally:
            for waiting in batch:
                waiting.done = True


class GroupCommitRecorder:
    """Mixed into a store's recorder: a command's events and its change (read models, idempotency key) go
    through the group commit; a batch goes to the recorder's `insert_all`, which stores them in one transaction
    and answers their positions."""

    insert_all: Callable[..., Sequence[int]]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.group_commit = GroupCommit(self._insert_changes)

    def insert_events(self, stored_events: Sequence[StoredEvent], *, change: Change, **_: Any) -> Sequence[int]:
        """The events' positions, once they and the change are committed."""
        return self.group_commit((stored_events, change))

    def _insert_changes(self, batch: Sequence[tuple[Sequence[StoredEvent], Change]]) -> list[Sequence[int]]:
        events = [event for stored_events, _ in batch for event in stored_events]
        positions = self.insert_all(events, changes=[change for _, change in batch])
        answers, at = [], 0
        for stored_events, _ in batch:
            answers.append(positions[at:at + len(stored_events)])
            at += len(stored_events)
        return answers
