"""The Starlette ASGI app: GraphQL over HTTP and WebSocket at /graphql, with authentication and limits."""

from __future__ import annotations

import gc
import json
import logging
import os
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from anyio import CapacityLimiter, to_thread

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from projections import store as q
from projections.store import StoreUnavailable
from service.bootstrap import Services, bootstrap
from service.feed import Feed
from service.graphql.context import Context
from service.graphql.schema import schema
from service.graphql.types import EventRecord
from service.tokens import TokenError, bearer, verify
from service.webhooks.engine import DeliveryEngine

MAX_BODY_BYTES = 1_000_000
# Commands run in worker threads, at most this many at once. Most of them wait in the group commit
# (projections/group_commit.py) for one transaction to store them all, so more threads make larger batches; few
# hold a database connection at once.
COMMAND_THREADS = 32


def subscriber_buffer() -> int:
    """How many events a subscriber may fall behind before it is disconnected (SEND_RECORDS_SUBSCRIBER_BUFFER)."""
    return int(os.environ.get("SEND_RECORDS_SUBSCRIBER_BUFFER") or 1000)
access = logging.getLogger("send_records.access")


class RecordsGraphQL(GraphQL):
    def __init__(self, services: Services):
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.services = services
        self.limiter: CapacityLimiter | None = None
        self.feed: Feed | None = None

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        # Over HTTP the caller was authenticated on the way in; over WebSocket, at connection_init.
        principal = request.scope.get("state", {}).get("principal")
        return Context(commands=self.services.commands, principal=principal, limiter=self.limiter, feed=self.feed,
                       request=request, response=response)

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        token = params.get("token")
        try:
            context.principal = verify(self.services.secret, token if token else bearer(header))
        except TokenError:
            raise ConnectionRejectionError({"message": "a valid bearer token is required"}) from None
        return None


class Unauthenticated:
    """Answers 401 to a GraphQL request over HTTP whose bearer token is missing, forged or expired."""

    def __init__(self, app: ASGIApp, services: Services):
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            request = Request(scope)
            try:
                principal = verify(self.services.secret, bearer(request.headers.get("authorization")))
            except TokenError as error:
                response = JSONResponse({"errors": [{"message": str(error)}]}, status_code=401,
                                        headers={"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuses request bodies over the limit with 413, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await too_large(scope, receive, send, self.limit)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge:
            await too_large(scope, receive, send, self.limit)


class BodyTooLarge(Exception):
    pass


async def too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = JSONResponse({"errors": [{"message": f"request bodies are limited to {limit} bytes"}]}, status_code=413)
    await response(scope, receive, send)


class RequestLog:
    """One JSON line per request: method, path, status, duration and caller's role; never a token or a body."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), None

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "websocket.close" and status is None:
                status = message.get("code", 1000)
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            principal = scope.get("state", {}).get("principal")
            access.info(json.dumps({
                "method": scope.get("method", "WEBSOCKET"), "path": scope["path"], "status": status or 500,
                "ms": round((time.perf_counter() - started) * 1000, 2),
                "role": str(principal.role) if principal else None,
                "outcome": "ok" if status and status < 400 or scope["type"] == "websocket" else "refused",
            }))


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


def readyz(services: Services, view: RecordsGraphQL) -> Any:
    async def ready(request: Request) -> JSONResponse:
        """Readiness: the store answers, the read models are caught up with the log, the live feed's lag and
        its subscribers."""
        read_model = services.commands.read_model
        try:
            last_record = await read_model.ask(q.last_position())
            last_event = await to_thread.run_sync(services.store.chain_end)
            rebuilding = await read_model.ask(q.rebuild_under_way())
        except StoreUnavailable:
            return JSONResponse({"ready": False, "store": "unavailable"}, status_code=503)
        feed = view.feed  # with nobody subscribed it does not follow the log: nothing lags
        return JSONResponse({"ready": True, "store": "reachable", "projectionLag": max(0, last_event - last_record),
                             "feedLag": max(0, last_record - feed.position) if feed.subscribers else 0,
                             "subscribers": len(feed.subscribers), "rebuild": rebuilding})

    return ready


def serving_app() -> ASGIApp:
    """The app of one `send-records serve` process, on the store the environment names (uvicorn calls this in
    each worker process)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    app = create_app(bootstrap())
    # A thousand subscriptions are some 300,000 long-lived objects, and a full pass of the cyclic garbage
    # collector over them stops every delivery for 200 ms. What is built at start-up lives as long as the
    # process (frozen: never scanned); young objects are collected 50,000 at a time (not 700), so the full
    # passes that the many short-lived objects of each delivery would trigger become rare.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    return app


def create_app(services: Services) -> Starlette:
    view = RecordsGraphQL(services)
    graphql = Unauthenticated(view, services)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        view.limiter = CapacityLimiter(COMMAND_THREADS)
        await services.store.start()
        view.feed = Feed(services.commands.read_model, subscriber_buffer(), EventRecord.of)
        services.commands.listeners.append(view.feed.wake)
        await view.feed.start()
        webhooks = DeliveryEngine(services.commands, services.secret)
        await webhooks.start()
        # Both are woken by every commit: this process's through the commands, other processes' through NOTIFY.
        await services.store.listen(lambda: [wake() for wake in services.commands.listeners])
        try:
            yield
        finally:
            await webhooks.close()
            await view.feed.close()
            services.commands.listeners.remove(view.feed.wake)
            await services.store.close()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz(services, view)),
        ],
        lifespan=lifespan,
    )
    return RequestLog(BodyLimit(app))
