"""Live delivery of the log to subscribers: one follower per process, many subscribers.

The follower reads each new record once, in log order, and offers it to every
subscriber whose filters and token admit it, as one object for all of them
(with no subscribers it reads nothing, so that writes cost it nothing, and the
first subscriber to come finds the log's end itself). It is woken by this
process's own commits, by PostgreSQL's NOTIFY when another process commits, and
by a slow poll as a safety net, so a wake-up lost (a dropped LISTEN connection,
say) only delays delivery.

A subscriber resuming after a cursor is registered first and told the follower's
position P at that moment; it replays the stored log from its cursor up to P,
then takes live records (all after P) from its queue: no gap and no repeat at
the hand-over. Each subscriber's queue is bounded; one that falls further behind
is disconnected with a clear reason (it can resume with its last cursor), so a
slow or stuck subscriber never delays the others or grows memory without bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from projections import queries as q
from projections.store import ReadModel
from service.authorisation import Principal
from service.settings import number

log = logging.getLogger("send_records.feed")
BATCH = 500


def poll_seconds() -> float:
    """How often the follower reads the log when nothing woke it (SEND_RECORDS_FEED_POLL_SECONDS, default 1; the
    CLI's `serve` checks it before it starts, through the webhooks' settings, which poll as often)."""
    return number("SEND_RECORDS_FEED_POLL_SECONDS", 1.0, least=0.01)


class SubscriberTooSlow(Exception):
    pass


@dataclass(eq=False)
class Subscriber:
    principal: Principal
    partnership_id: str | None
    types: list[str] | None
    start: int
    limit: int
    on_overflow: Callable[[Subscriber], None]
    pending: deque = field(default_factory=deque)  # (position, shown) of the live records not yet taken
    waiting: asyncio.Future | None = None  # set while the subscriber waits for a record
    overflowed: bool = False

    def admits(self, record: dict) -> bool:
        return (
            self.principal.can_read(record["partnershipId"])
            and (self.partnership_id is None or record["partnershipId"] == self.partnership_id)
            and (not self.types or record["type"] in self.types)
        )

    def offer(self, record: dict, shown: Any) -> None:
        if self.overflowed or not self.admits(record):
            return
        if len(self.pending) >= self.limit:
            self.overflowed = True
            self.on_overflow(self)
        else:
            self.pending.append((record["position"], shown))
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_result(None)  # (it finds it has been cut off, if it has)

    async def next(self) -> tuple[int, Any]:
        """The next live record's position, and the record as the feed shows it. (A deque and one future rather
        than an asyncio.Queue: with a thousand subscribers, the queue's own bookkeeping was a tenth of a delivery.)"""
        while not self.pending and not self.overflowed:
            self.waiting = asyncio.get_running_loop().create_future()
            await self.waiting
        if self.overflowed:
            raise SubscriberTooSlow(f"more than {self.limit} events behind")
        return self.pending.popleft()


class Feed:
    def __init__(self, read_model: ReadModel, limit: int, show: Callable[[dict], Any]):
        self.read_model = read_model
        self.limit = limit
        self.show = show  # how subscribers receive a record: made once per record, for all of them
        self.subscribers: set[Subscriber] = set()
        self.position = 0
        self.woken = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task | None = None
        self.poll = poll_seconds()

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.position = await self.read_model.ask(q.last_position())
        self.task = asyncio.create_task(self.follow())

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def wake(self, *_: Any) -> None:
        """Safe to call from any thread: a change was committed somewhere."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.woken.set)

    async def subscribe(self, principal: Principal, partnership_id: str | None, types: list[str] | None,
                        on_overflow: Callable[[Subscriber], None]) -> Subscriber:
        if not self.subscribers:  # the follower has not kept up with every write while nobody listened
            last = await self.read_model.ask(q.last_position())
            if not self.subscribers:  # (one who came meanwhile is owed the records after its start)
                self.position = max(self.position, last)
        subscriber = Subscriber(principal, partnership_id, types, self.position, self.limit, on_overflow)
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    async def follow(self) -> None:
        while True:
            try:  # (not wait_for: on Python 3.11 it can lose a cancellation that comes as the wait ends)
                async with asyncio.timeout(self.poll):
                    await self.woken.wait()
            except TimeoutError:
                pass
            self.woken.clear()
            if not self.subscribers:  # nobody to hand records to
                continue
            try:
                while records := await self.read_model.ask(q.records(self.position, BATCH)):
                    for record in records:
                        self.position = record["position"]
                        shown = self.show(record)
                        for subscriber in list(self.subscribers):
                            subscriber.offer(record, shown)
            except Exception:  # the store away for a moment: the next wake-up or poll reads on from here
                log.warning("the feed could not read the log; it will try again", exc_info=True)
                await asyncio.sleep(self.poll)
