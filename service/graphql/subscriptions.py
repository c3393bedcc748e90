"""Subscriptions to the log: every matching event after a cursor, then live, none missed or repeated.

The hand-over from the stored log to live delivery is explained in service/feed.py. The arguments are checked
before the subscription starts (`opened`), so that a refusal is the protocol's `error` message for the operation
rather than a result followed by `complete`, which a client takes for a normal end.
"""

from __future__ import annotations

import asyncio
import json
from contextvars import ContextVar
from dataclasses import dataclass
from inspect import isawaitable
from typing import Annotated, Any, AsyncGenerator, Optional

import strawberry
from graphql import parse
from starlette.websockets import WebSocketDisconnect

from projections import queries as q
from service.feed import BATCH, Subscriber, SubscriberTooSlow
from service.graphql import cursors, ids
from service.graphql.answers import json_text, size
from service.graphql.context import Info
from service.graphql.cost import LimitedExecution
from service.graphql.errors import refusal
from service.graphql.types import EventRecord

TOO_SLOW = 4008


async def opened(info: Info, partnership_id: str | None, types: list[str] | None,
                 after: str | None) -> AsyncGenerator[EventRecord, None]:
    """The subscription's records, once its arguments are found good. A cursor beyond the end of the log is refused:
    taken, it would wait for positions no event will reach before the log grows that far, delivering nothing."""
    last = cursors.decode("e", after) if after is not None else None
    context = info.context
    if last is not None and last > context.feed.position and last > await context.commands.read_model.ask(q.last_position()):
        raise refusal("`after` is beyond the end of the log: it is not a cursor of this record; resume with the "
                      "position of the last event received")
    return follow(info, ids.entity_of(partnership_id), types, last)


class SharedResults(LimitedExecution):
    """Runs a subscription's selection on a live event once for all subscribers with the same operation and
    variables, rather than once each: they are handed the same EventRecord, whose fields read nothing of the
    caller, so the result is the same for all. It is kept on the EventRecord while that is being delivered."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        results = getattr(self.root_value, "results", None)
        if results is None:
            return super().execute_operation(serially)
        key = (id(self.operation), repr(sorted(self.variable_values.coerced.items())))
        found = results.get(key)
        if found is not None and found[0] is self.operation:  # (the operation kept, so its id is not reused)
            return found[1]
        result = super().execute_operation(serially)
        if not isawaitable(result):
            results[key] = (self.operation, result)
        return result


@dataclass(frozen=True)
class Subscribing:
    """A graphql-transport-ws subscribe message, as the operation's task sees it (set by the connection's handler,
    service/app.py Session, in the context the task is created with)."""

    id: str
    query: str
    variables: dict | None
    operation_name: str | None
    response_bytes: int


SUBSCRIBING: ContextVar[Subscribing | None] = ContextVar("subscribing", default=None)
# The server's own `send` for a WebSocket connection, kept in its scope by the app's outermost layer (service/app.py
# RequestLog): a `next` frame goes straight to it, past the layers between (Starlette's WebSocket and error handling,
# the request log), none of which does anything with a frame's text but pass it on.
SERVER_SEND = "send_records.server_send"


class Frames:
    """Live events sent as `next` frames by the subscription itself. Strawberry would run the operation for each
    subscriber and event, and encode each answer: here each event's payload is run and encoded once for all
    subscribers asking the same operation with the same variables (they are handed the same EventRecord, whose
    fields read nothing of the caller), and each subscriber only puts its operation's id around it. An answer
    that holds errors, or is over the size limit, goes the usual way (None: the caller yields the event)."""

    def __init__(self, info: Info, subscribing: Subscribing):
        self.send = info.context.request.scope[SERVER_SEND]
        self.key = ("frame", subscribing.query, subscribing.operation_name, json.dumps(subscribing.variables, sort_keys=True))
        self.head = '{"id":' + json.dumps(subscribing.id) + ',"type":"next","payload":'
        self.limit = subscribing.response_bytes - len(self.head) - 1
        # (info.schema is strawberry's; graphql-core's is its _schema)
        self.executor = LimitedExecution.build(info.schema._schema, parse(subscribing.query), context_value=info.context,
                                            raw_variable_values=subscribing.variables,
                                            operation_name=subscribing.operation_name)

    @classmethod
    def of(cls, info: Info) -> Frames | None:
        subscribing = SUBSCRIBING.get()
        return cls(info, subscribing) if subscribing is not None else None

    async def payload(self, event: EventRecord) -> str | None:
        found = event.results.get(self.key)
        if found is None:
            result = self.executor.build_per_event_executor(event).execute_operation(False)
            result = await result if isawaitable(result) else result
            text = None if result.errors else json_text({"data": result.data})
            found = event.results[self.key] = (text if text is not None and size(text) <= self.limit else None,)
        return found[0]

    async def sent(self, event: EventRecord) -> bool:
        """Whether the event went as a frame (False: the caller yields it)."""
        text = await self.payload(event)
        if text is None:
            return False
        try:
            await self.send({"type": "websocket.send", "text": self.head + text + "}"})
        except OSError as gone:  # (as Starlette's WebSocket tells it)
            raise WebSocketDisconnect(1006) from gone
        return True


async def follow(info: Info, partnership_id: str | None, types: list[str] | None, last: int | None) -> AsyncGenerator[EventRecord, None]:
    context = info.context
    websocket = context.request

    def cut_off(subscriber: Subscriber) -> None:
        reason = f"subscriber too slow: more than {subscriber.limit} events behind; resume after your last cursor"
        asyncio.ensure_future(websocket.close(code=TOO_SLOW, reason=reason))

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
        frames = Frames.of(info)
        while True:
            position, event = await subscriber.next()
            if position > last:
                last = position
                if frames is None or not await frames.sent(event):
                    yield event
    except (SubscriberTooSlow, WebSocketDisconnect):
        return
    finally:
        context.feed.unsubscribe(subscriber)


Partnership = Annotated[Optional[strawberry.ID], strawberry.argument(
    description="Only this partnership's events (absent: those of every partnership the caller may read).")]
After = Annotated[Optional[str], strawberry.argument(
    description="Resume after this position (an event's `position`): every matching event since first, then live, "
                "none missed or repeated. Absent: live from the moment of subscribing.")]


@strawberry.type(description="Events as they are recorded, over WebSocket (graphql-transport-ws on /graphql, the bearer "
                             "token in connection_init's payload).")
class Subscription:
    @strawberry.subscription(description="Each ActionCompleted event, live; with `after`, first every one since that cursor, then live, none missed or repeated.")
    async def action_completed(
        self, info: Info, partnership_id: Partnership = None, after: After = None
    ) -> AsyncGenerator[EventRecord, None]:
        return await opened(info, partnership_id, ["ActionCompleted"], after)

    @strawberry.subscription(description="Every event (or those of the given types), with the same resume rule.")
    async def events(
        self,
        info: Info,
        partnership_id: Partnership = None,
        types: Annotated[Optional[list[str]], strawberry.argument(
            description="Only events of these types, e.g. [\"ActionCompleted\"] (absent or empty: every type).")] = None,
        after: After = None,
    ) -> AsyncGenerator[EventRecord, None]:
        return await opened(info, partnership_id, types, after)
