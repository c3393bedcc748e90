"""Subscriptions to the log: every matching event after a cursor, then live, none missed or repeated.

The hand-over from the stored log to live delivery is explained in service/feed.py.
"""

from __future__ import annotations

import asyncio
from typing import AsyncGenerator, Optional

import strawberry

from service.feed import BATCH, Subscriber, SubscriberTooSlow
from service.graphql import cursors
from service.graphql.context import Info
from service.graphql.types import EventRecord

TOO_SLOW = 4008


async def follow(info: Info, partnership_id: str | None, types: list[str] | None, after: str | None) -> AsyncGenerator[EventRecord, None]:
    context = info.context
    websocket = context.request

    def cut_off(subscriber: Subscriber) -> None:
        reason = f"subscriber too slow: more than {subscriber.limit} events behind; resume after your last cursor"
        asyncio.ensure_future(websocket.close(code=TOO_SLOW, reason=reason))

    last = cursors.decode("e", after) if after is not None else None
    subscriber = await context.feed.subscribe(context.principal, partnership_id, types, cut_off)
    try:
        # Replay the stored log up to where the live feed took over.
        while last is not None and last < subscriber.start:
            records = [r for r in await context.reader.records(last, BATCH, partnership_id, types=types)
                       if r["position"] <= subscriber.start]
            if not records:
                break
            for record in records:
                last = record["position"]
                yield EventRecord.of(record)
        last = max(last or 0, subscriber.start)
        while True:
            position, event = await subscriber.next()
            if position > last:
                last = position
                yield event
    except SubscriberTooSlow:
        return
    finally:
        context.feed.unsubscribe(subscriber)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Each ActionCompleted event, live; with `after`, first every one since that cursor, then live, none missed or repeated.")
    async def action_completed(
        self, info: Info, partnership_id: Optional[strawberry.ID] = None, after: Optional[str] = None
    ) -> AsyncGenerator[EventRecord, None]:
        async for record in follow(info, partnership_id, ["ActionCompleted"], after):
            yield record

    @strawberry.subscription(description="Every event (or those of the given types), with the same resume rule.")
    async def events(
        self,
        info: Info,
        partnership_id: Optional[strawberry.ID] = None,
        types: Optional[list[str]] = None,
        after: Optional[str] = None,
    ) -> AsyncGenerator[EventRecord, None]:
        async for record in follow(info, partnership_id, types, after):
            yield record
