"""Group commit: concurrent changes stored in one transaction.

Every transaction that stores events holds the events table's lock until its
commit is flushed to disk, so writers queue behind one another. Here a writer
that finds no commit under way becomes the leader: it commits its own change
together with every change queued while the previous commit ran, in one
transaction (one lock, one flush), and hands each waiting writer its own
answer. Positions are still given in commit order, and a change is acknowledged
only once its transaction has committed.

A change made on a version of its aggregate already taken (another process had
changed the copy it was decided on) is found out before anything is written and
refused alone: the store answers it with a conflict, and the rest of the batch is
stored. When a batch breaks another uniqueness rule (an idempotency key used
twice), the whole transaction is rolled back and each of its changes is
committed alone, so that only the offending ones are refused. Any other failure
(the database away) is every change's failure: none of them was stored.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Callable, Generic, Sequence, TypeVar

from eventsourcing.persistence import IntegrityError, Mapper, RecordConflictError

from projections.writes import Change, Committed

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
    def __init__(self, commit: Callable[[Sequence[Item]], Sequence[Answer | Exception]]):
        self.commit = commit  # stores items in one transaction, answering each in order (or refusing it alone)
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
                if isinstance(answer, Exception):  # refused alone
                    waiting.error = answer
                else:
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
    """Mixed into a store's recorder: a command's change (its aggregate's new events, its idempotency key) goes
    through the group commit; a batch goes to the recorder's `insert_all`, which stamps, encodes and stores the
    batch with its read models in one transaction (projections/writes.py) and answers the events' positions, the
    instant the batch was recorded at, and the changes it refused because their versions were taken."""

    insert_all: Callable[[Sequence[Change]], tuple[Sequence[int], datetime, set[int]]]
    mapper: Mapper  # encodes events once they are stamped; the application gives it

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.group_commit = GroupCommit(self._commit_batch)

    def commit(self, change: Change) -> Committed:
        """The change's positions and recorded instant, once it is committed."""
        return self.group_commit(change)

    def _commit_batch(self, changes: Sequence[Change]) -> list[Committed | RecordConflictError]:
        positions, recorded_at, refused = self.insert_all(changes)
        answers: list[Committed | RecordConflictError] = []
        at = 0
        for n, change in enumerate(changes):
            if n in refused:
                answers.append(RecordConflictError(f"version {change.events[0].originator_version} of "
                                                   f"{change.aggregate.id} is taken"))
                continue
            answers.append(Committed(positions[at:at + len(change.events)], recorded_at))
            at += len(change.events)
        return answers
