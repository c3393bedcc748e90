"""Subscriptions to the log: every matching event after a cursor, then live.

The log is read in position order, and positions are assigned in commit order,
so following it from a cursor neither skips nor repeats an event.
"""

from __future__ import annotations

import asyncio
from typing import AsyncGenerator, Optional

import strawberry

from projections import store as q
from service.graphql import cursors
from service.graphql.context import Info
from service.graphql.types import EventRecord

POLL_SECONDS = 0.05
BATCH = 100


async def follow(info: Info, partnership_id: str | None, types: list[str] | None, after: str | None) -> AsyncGenerator[EventRecord, None]:
    reader = info.context.reader
    position = cursors.decode("e", after) if after is not None else await reader.read_model.ask(q.last_position())
    while True:
        records = await reader.records(position, BATCH, partnership_id, types=types)
        for record in records:
            position = record["position"]
            yield EventRecord.of(record)
        if len(records) < BATCH:
            await asyncio.sleep(POLL_SECONDS)


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
