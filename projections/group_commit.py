"""Group commit: concurrent changes stored in one transaction.

Every transaction that stores events holds the events table's lock until its
commit is flushed to disk, so writers queue behind one another. Here a change
is queued and one thread, the group commit's own, stores every change queued
while the previous commit ran, in one transaction (one lock, one flush), and
answers each with its own future. Positions are still given in commit order,
and a change is acknowledged only once its transaction has committed. A thread
waits for its future; the event loop awaits it, holding no thread at all, and
nothing is handed from thread to thread per change, only per batch.

A change made on a version of its aggregate already taken (another process had
changed the copy it was decided on) is found out before anything is written and
refused alone: the store answers it with a conflict, and the rest of the batch is
stored. When a batch breaks another uniqueness rule (an idempotency key used
twice), the whole transaction is rolled back and each of its changes is
committed alone, so that only the offending ones are refused. Any other failure
(the database away) is every change's failure: none of them was stored. A change
whose caller gave up (its future cancelled) before its batch was taken is not
stored.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, Callable, Generic, Sequence, TypeVar

from eventsourcing.persistence import IntegrityError, Mapper, RecordConflictError

from projections.writes import Change, Committed

Item = TypeVar("Item")
Answer = TypeVar("Answer")


class GroupCommit(Generic[Item, Answer]):
    def __init__(self, commit: Callable[[Sequence[Item]], Sequence[Answer | Exception]]):
        self.commit = commit  # stores items in one transaction, answering each in order (or refusing it alone)
        self.queue: list[tuple[Item, Future[Answer]]] = []
        self.lock = threading.Lock()
        self.writing = False  # the writer is taking batches until the queue is empty
        # (its idle thread ends when this group commit is collected)
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="group-commit")

    def submit(self, item: Item) -> Future[Answer]:
        """The item queued for the next commit: its future is answered once it is stored (or refused)."""
        future: Future[Answer] = Future()
        with self.lock:
            self.queue.append((item, future))
            if not self.writing:
                self.writing = True
                self.writer.submit(self._write)
        return future

    def __call__(self, item: Item) -> Answer:
        return self.submit(item).result()

    def _write(self) -> None:
        while True:
            with self.lock:
                batch, self.queue = self.queue, []
                if not batch:
                    self.writing = False
                    return
            self._commit([(item, future) for item, future in batch if future.set_running_or_notify_cancel()])

    def _commit(self, batch: list[tuple[Item, Future[Answer]]]) -> None:
        if not batch:
            return
        try:
            answers = self.commit([item for item, _ in batch])
        except IntegrityError as error:
            if len(batch) == 1:
                batch[0][1].set_exception(error)
            else:
                for waiting in batch:
                    self._commit([waiting])
        except Exception as error:
            for _, future in batch:
                future.set_exception(error)
        else:
            for (_, future), answer in zip(batch, answers, strict=True):
                if isinstance(answer, Exception):  # refused alone
                    future.set_exception(answer)
                else:
                    future.set_result(answer)


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

    def commit(self, change: Change) -> Future[Committed]:
        """The change's positions and recorded instant, once it is committed."""
        return self.group_commit.submit(change)

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
