"""Group commit: concurrent changes stored in one transaction.

Every transaction that stores events holds the events table's lock until its
commit is flushed to disk, so writers queue behind one another (other processes'
too). Here a change is queued and one thread, the group commit's own, stores
every change queued while the previous commit ran and while this one waited for
the lock (it takes them once it holds it), in one transaction (one lock, one
flush), and answers each with its own future. Positions are still given in
commit order, and a change is acknowledged only once its transaction has
committed. A thread waits for its future; the event loop awaits it, holding no
thread at all, and nothing is handed from thread to thread per change, only per
batch.

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
from typing import Any, Callable, Generic, Sequence, TypeVar

from eventsourcing.persistence import IntegrityError, Mapper

from projections.writes import Change, Committed, Stored

Item = TypeVar("Item")
Answer = TypeVar("Answer")


class GroupCommit(Generic[Item, Answer]):
    def __init__(self, commit: Callable[[Callable[[], list[Item]]], Sequence[Answer | Exception]]):
        # Given a function that takes the queued items, calls it once, when it is ready to store them (holding the
        # writers' lock: every item queued while it waited for the lock goes in too), stores them in one
        # transaction and answers each in order (or refuses it alone).
        self.commit = commit
        self.queue: list[tuple[Item, Future[Answer]]] = []
        self.lock = threading.Lock()
        self.writing = False  # the writer is committing until the queue is empty
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
                if not self.queue:
                    self.writing = False
                    return
            batch: list[tuple[Item, Future[Answer]]] = []

            def take() -> list[Item]:
                with self.lock:
                    queued, self.queue = self.queue, []
                batch.extend((item, future) for item, future in queued if future.set_running_or_notify_cancel())
                return [item for item, _ in batch]

            self._commit(take, batch)

    def _commit(self, take: Callable[[], list[Item]], batch: list[tuple[Item, Future[Answer]]]) -> None:
        """Commit what `take` takes into `batch`, and answer each."""
        try:
            answers = self.commit(take)
        except IntegrityError as error:
            if len(batch) == 1:
                batch[0][1].set_exception(error)
            else:
                for waiting in batch:
                    self._commit(lambda item=waiting[0]: [item], [waiting])
        except Exception as error:
            if not batch:
                take()  # it failed before it took them (the database away): they fail with it
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
    through the group commit; each commit is the recorder's `insert_all`, which takes the queued changes once it
    holds the writers' lock, then stamps, encodes and stores them with their read models in one transaction
    (projections/writes.py)."""

    insert_all: Callable[[Callable[[], Sequence[Change]]], Stored]
    mapper: Mapper  # encodes events once they are stamped; the application gives it

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.group_commit = GroupCommit(lambda take: self.insert_all(take).answers())

    def commit(self, change: Change) -> Future[Committed]:
        """A future of the change's positions and recorded instant, answered once it is committed (or refused)."""
        return self.group_commit.submit(change)
