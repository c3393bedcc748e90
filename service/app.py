"""The Starlette ASGI app: GraphQL over HTTP and WebSocket at /graphql, with authentication and limits, and the
pages beside it (service/pages.py)."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from typing import Any, AsyncIterator
from urllib.parse import parse_qs

from anyio import to_thread

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types.unset import UNSET

from projections import queries as q
from projections.store import StoreUnavailable
from service import pages, reports
from service.bootstrap import Services, bootstrap
from service.costly import Answered, CostlyReads, Refused
from service.feed import Feed
from service.graphql.answers import json_text, size
from service.graphql.context import Context
from service.graphql.cost import TOO_COSTLY
from service.graphql.errors import Code, refusal_body
from service.graphql.scalars import parse_instant
from service.graphql.schema import operation_refused, schema
from service.graphql.types import EventRecord
from service.graphql.subscriptions import SERVER_SEND, SUBSCRIBING, Subscribing
from service.http import ANSWERED, SecurityHeaders, keep_request_text_out_of_logs, policy_for_styled, unexpected
from service.sign_in import sign_in
from service.tokens import Identity, TokenError, bearer
from service.webhooks.engine import DeliveryEngine
from service.webhooks.outbound import Secrets

MAX_BODY_BYTES = 1_000_000
# Commands that must read the store (service/commands.py, `perform`) run in worker threads, at most this many at
# once; most of them wait in the group commit (projections/group_commit.py) with the others, and few hold a
# database connection at once.
COMMAND_THREADS = 32


access = logging.getLogger("send_records.access")
errors = logging.getLogger("send_records.errors")
FORBIDDEN, TOO_MANY = 4403, 4429  # WebSocket close codes: no valid token; too many connections with one token
GONE = 499  # the request log's status for a client that went before its request was in (nginx's)


class Session(BaseGraphQLTransportWSHandler):
    """One graphql-transport-ws connection. connection_init must carry a valid token, and at most
    SEND_RECORDS_SOCKETS_PER_TOKEN connections may be open with one token; the connection is closed with 4403 when
    its token expires, and every operation checks the expiry first."""

    view: RecordsGraphQL
    token: str | None = None
    identity: Identity | None = None
    expiry: asyncio.Task | None = None

    async def handle_message(self, message: Any) -> None:
        """A message not of the protocol's shape closes the connection with 4400, as graphql-ws's own server does
        (strawberry would fail on some, dropping the connection without a close code, and take others)."""
        if not well_formed(message):
            await self.handle_invalid_message("Invalid message received")
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: Any) -> None:
        if not self.connection_init_received and isinstance(message.get("payload", {}), dict):
            refusal = await self.admit(message.get("payload") or {})
            if refusal is not None:
                await self.websocket.close(*refusal)
                return
        await super().handle_connection_init(message)

    async def admit(self, params: dict) -> tuple[int, str] | None:
        """Why the connection may not go on, or None once the caller is known."""
        header, token = params.get("Authorization") or params.get("authorization"), params.get("token")
        try:
            token = token if isinstance(token, str) and token else bearer(header if isinstance(header, str) else None)
            identity = await self.view.services.tokens.identify(token)
        except TokenError as error:
            return FORBIDDEN, str(error)
        limit = self.view.services.edge.sockets_per_token
        if self.view.sockets[token] >= limit:
            return TOO_MANY, f"at most {limit} WebSocket connections may be open at once with one token"
        self.view.sockets[token] += 1
        self.token, self.identity, self.context.principal = token, identity, identity.principal
        self.expiry = asyncio.create_task(self.close_at_expiry())
        return None

    async def close_at_expiry(self) -> None:
        await asyncio.sleep(max(0.0, self.identity.expires - time.time()))
        with suppress(Exception):  # the client may have gone meanwhile
            await self.websocket.close(FORBIDDEN, "the token has expired")

    async def handle_subscribe(self, message: Any) -> None:
        if self.identity is not None and time.time() >= self.identity.expires:
            await self.websocket.close(FORBIDDEN, "the token has expired")
            return
        payload = message["payload"]
        refused = operation_refused(payload["query"], payload.get("operationName"), over_http=False)
        if refused is not None:  # (as strawberry answers an operationName the document does not hold)
            await self.send_message({"id": message["id"], "type": "error",
                                     "payload": refusal_body(refused, 400)["errors"]})
            return
        # (the operation's task, created next, starts with a copy of this context)
        SUBSCRIBING.set(Subscribing(message["id"], payload["query"], payload.get("variables"),
                                    payload.get("operationName"), self.view.services.edge.response_bytes))
        await super().handle_subscribe(message)

    @staticmethod
    def _get_pre_execution_close_reason(error: Any) -> None:
        """A subscribe message whose document does not parse, or names an operation it does not hold, is answered
        with an `error` message for that operation, as the protocol says of errors before execution; strawberry
        would close the whole connection (4400), ending the caller's other operations on it."""
        return None

    async def shutdown(self) -> None:
        if self.expiry is not None:
            self.expiry.cancel()
        if self.token is not None:
            self.view.sockets[self.token] -= 1
            if not self.view.sockets[self.token]:
                del self.view.sockets[self.token]
        await super().shutdown()


def well_formed(message: Any) -> bool:
    """A graphql-transport-ws message: an object with a type; a subscribe's or complete's id is text; a subscribe's
    payload has a query (text), and variables (an object) and an operationName (text) if any."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return False
    if message["type"] in ("subscribe", "complete") and not isinstance(message.get("id"), str):
        return False
    if message["type"] != "subscribe":
        return True
    payload = message.get("payload")
    return (isinstance(payload, dict) and isinstance(payload.get("query"), str)
            and isinstance(payload.get("variables", {}), (dict, type(None)))
            and isinstance(payload.get("operationName", ""), (str, type(None))))


class RecordsGraphQL(GraphQL):
    def __init__(self, services: Services):
        super().__init__(
            schema,
            graphql_ide="graphiql" if services.edge.graphiql else None,
            allow_queries_via_get=True,  # never mutations: strawberry refuses them over GET
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            allowed_origins=services.edge.cors_origins,  # WebSocket handshakes from other origins are refused
        )
        self.services = services
        self.command_threads: ThreadPoolExecutor | None = None
        self.feed: Feed | None = None
        self.costly: CostlyReads | None = None
        self.sockets: Counter[str] = Counter()  # open WebSocket connections by token
        self.webhook_secrets = Secrets(services.secret)

    graphql_transport_ws_handler_class = Session

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        # Over HTTP the caller was authenticated on the way in; over WebSocket, at connection_init.
        principal = request.scope.get("state", {}).get("principal")
        return Context(commands=self.services.commands, principal=principal, command_threads=self.command_threads,
                       feed=self.feed, request=request, response=response, introspection=self.services.edge.introspection,
                       webhook_secrets=self.webhook_secrets, query_seconds=self.services.edge.query_seconds,
                       costly=self.costly)

    def encode_json(self, data: Any) -> str:
        """An answer's JSON, unless it is larger than SEND_RECORDS_RESPONSE_BYTES. A costly read's answer comes as
        JSON already: it is sent as it is (over WebSocket, where costly queries are rare, it is put in its message)."""
        payload = data.get("payload") if isinstance(data, dict) else None
        if isinstance(payload, dict) and isinstance(payload.get("data"), Answered):
            data = {**data, "payload": json.loads(payload["data"].text)}
        answered = data.get("data") if isinstance(data, dict) else None
        text = answered.text if isinstance(answered, Answered) else json_text(data)
        limit = self.services.edge.response_bytes
        if size(text) <= limit:
            return text
        refusal = {"message": f"the answer is larger than {limit:,} bytes, the most one may be: ask for less at once",
                   "extensions": TOO_COSTLY}
        if "payload" in data:  # a message of a WebSocket operation
            return json_text({**data, "payload": {"data": None, "errors": [refusal]}})
        return json_text({"data": None, "errors": [refusal]})

    async def render_graphql_ide(self, request: Request) -> Response:
        return pages.graphiql_page()

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            if isinstance(request, Request) and plain_post(request):
                answered = await self.answer_plain(request)
                if answered is not None:
                    return answered
            return await super().run(request, context, root_value)
        except HTTPException as error:
            if error.status_code != 400:
                raise
            return JSONResponse(refusal_body(error.reason, 400), status_code=400)

    async def answer_plain(self, request: Request) -> Response | None:
        """One operation in a JSON body (nearly every request), answered by strawberry's own steps without its
        generic reading of the request: the content type parsed by the standard library's e-mail parser, the
        Accept header searched for a streaming transport, a batch, an upload or the IDE looked for. None for any
        other body, which strawberry then reads (the request keeps it) and answers or refuses as it would have."""
        try:
            data = self.parse_json(await request.body())
        except (HTTPException, ValueError):
            return None
        if not (isinstance(data, dict) and isinstance(data.get("query"), str) and data.get("extensions") is None
                and isinstance(data.get("variables"), (dict, type(None)))
                and isinstance(data.get("operationName"), (str, type(None)))):
            return None
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, response=sub_response)
        operation = GraphQLRequestData(query=data["query"], variables=data.get("variables"),
                                       operation_name=data.get("operationName"), extensions=None)
        result = await self.execute_single(request, self.request_adapter_class(request), sub_response, context, None,
                                           operation)
        return self.create_response(await self.process_result(request, result), sub_response)

    async def execute_single(self, request: Any, request_adapter: Any, sub_response: Any, context: Any, root_value: Any,
                             request_data: GraphQLRequestData) -> Any:
        """Refuses with 400, as strawberry refuses an operationName the document does not hold or a mutation over
        GET, an operation that cannot be run over HTTP (service/graphql/schema.py `operation_refused`)."""
        refused = operation_refused(request_data.query, request_data.operation_name, over_http=True)
        if refused is not None:
            raise HTTPException(400, refused)
        return await super().execute_single(request, request_adapter, sub_response, context, root_value, request_data)

    async def process_result(self, request: Request, result: Any) -> dict:
        """A request refused before execution (no error names a path in the result) has no `data` at all, as the
        GraphQL specification says; `data: null` means execution began and a non-null field failed."""
        answer = await super().process_result(request, result)
        if answer.get("data") is None and all(error.path is None for error in result.errors or ()):
            answer.pop("data", None)
        return answer

    def parse_json(self, data: str | bytes) -> Any:
        """A request body is a JSON object in UTF-8 (or a list of them, which is refused as a batch)."""
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                raise HTTPException(400, "the request body is not valid UTF-8") from None
        try:
            document = super().parse_json(data)
        except RecursionError:
            raise HTTPException(400, "the request body is nested too deeply") from None
        if not isinstance(document, (dict, list)):
            raise HTTPException(400, 'the request body must be a JSON object: {"query": "...", "variables": {...}}')
        return document


class Unauthenticated:
    """Answers 401 to a GraphQL request over HTTP whose bearer token is missing, forged or expired (503 when the
    identity provider's keys cannot be fetched)."""

    def __init__(self, app: ASGIApp, services: Services):
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["method"] == "POST" or asks_query(scope)):
            request = Request(scope)
            try:
                identity = await self.services.tokens.identify(bearer(request.headers.get("authorization")))
            except TokenError as error:
                headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
                response = JSONResponse(refusal_body(str(error), error.status), status_code=error.status, headers=headers)
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = identity.principal
        await self.app(scope, receive, send)


def plain_post(request: Request) -> bool:
    """A POST of JSON that does not ask for a streamed (multipart) answer."""
    headers = request.headers
    return (request.method == "POST" and "multipart" not in headers.get("accept", "")
            and headers.get("content-type", "").partition(";")[0].strip().lower() == "application/json")


def asks_query(scope: Scope) -> bool:
    """A GET asking a query (its query string names one); without one, a GET is for GraphiQL."""
    return scope["method"] == "GET" and "query" in parse_qs(scope.get("query_string", b"").decode("latin-1"))


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
        received, refused = 0, False

        async def limited() -> Message:
            """The body as it comes; past the limit, a 413 is sent and the app is told the client went."""
            nonlocal received, refused
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit and not refused:
                refused = True
                await too_large(scope, receive, send, self.limit)
            return {"type": "http.disconnect"} if refused else message

        async def unless_refused(message: Message) -> None:
            if not refused:  # (the app's answer to a client that went, e.g. Starlette's 500)
                await send(message)

        await self.app(scope, limited, unless_refused)


async def too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = JSONResponse(refusal_body(f"request bodies are limited to {limit} bytes", 413), status_code=413)
    await response(scope, receive, send)


class RequestLog:
    """One JSON line per request: method, path, status, duration and caller's role; never a token, a body or a
    path the service does not serve. An exception is logged as its type and where it happened (its message may
    quote the request), and never reaches the server's own error log. The status is the one the client was
    answered with: the edge's 408 for a body sent too slowly, 499 (as nginx logs it) when the client went before
    its request was in; for a WebSocket session, the close code of whichever side closed it first."""

    def __init__(self, app: ASGIApp, paths: set[str], routes: list[Route]):
        self.app = app
        self.paths = paths
        self.patterns = [(route.path, route.path_regex) for route in routes if "{" in route.path]  # logged as patterns

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), None
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send  # for subscriptions' frames, which this log has no need to see

            async def heard() -> Message:
                nonlocal status
                message = await receive()
                if message["type"] == "websocket.disconnect" and status is None:  # the client closed first
                    status = message.get("code", 1005)
                return message

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "websocket.close" and status is None:
                status = message.get("code", 1000)
            await send(message)

        try:
            await self.app(scope, heard if scope["type"] == "websocket" else receive, observed)
        except ClientDisconnect:  # the client went (or was cut off for sending too slowly) before its request was in
            status = status or scope.get(ANSWERED, GONE)
        except Exception as error:
            errors.error("%s", unexpected(error))
            if status is None and scope["type"] == "http":
                await JSONResponse(refusal_body("internal error", 500), status_code=500)(scope, receive, send)
                status = 500
        finally:
            state = scope.get("state", {})
            principal = state.get("principal")
            path = scope["path"] if scope["path"] in self.paths else next(
                (pattern for pattern, regex in self.patterns if regex.match(scope["path"])), "(not served)")
            access.info(json_text({
                "method": scope.get("method", "WEBSOCKET"), "path": path, "status": status or 500,
                "ms": round((time.perf_counter() - started) * 1000, 2),
                "role": str(principal.role) if principal else None,
                "outcome": outcome(status, scope["type"], state.get("failed")),
            }))


def outcome(status: int | None, kind: str, failed: bool) -> str:
    """A request log line's outcome: `failed` (a 500, or an answer holding an INTERNAL error), `gone` (the client
    went before its request was in), `refused` (any other status from 400; for a WebSocket session, a 44xx close
    code, as graphql-ws gives its refusals), else `ok`."""
    if failed or status is None or status == 500:
        return "failed"
    if status == GONE:
        return "gone"
    if kind == "websocket":
        return "refused" if 4400 <= status < 4500 else "ok"
    return "ok" if status < 400 else "refused"


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


def readyz(services: Services, view: RecordsGraphQL) -> Any:
    async def ready(request: Request) -> JSONResponse:
        """Readiness: the store answers. With the token of a role that reads every partnership, also whether the
        read models are caught up with the log, the live feed's lag and its subscribers, and any rebuild under way
        (service-wide facts that a partnership's token is not told: they would reveal others' activity)."""
        try:
            identity = await services.tokens.identify(bearer(request.headers.get("authorization")))
            detailed = identity.principal.readable is None
        except TokenError:
            detailed = False
        read_model = services.commands.read_model
        try:
            last_record = await read_model.ask(q.last_position())
            last_event = await to_thread.run_sync(services.store.chain_end)
            rebuilding = await read_model.ask(q.rebuild_under_way())
        except StoreUnavailable:
            return JSONResponse({"ready": False, **({"store": "unavailable"} if detailed else {})}, status_code=503)
        if not detailed:
            return JSONResponse({"ready": True})
        feed = view.feed  # with nobody subscribed it does not follow the log: nothing lags
        return JSONResponse({"ready": True, "store": "reachable", "projectionLag": max(0, last_event - last_record),
                             "feedLag": max(0, last_record - feed.position) if feed.subscribers else 0,
                             "subscribers": len(feed.subscribers), "rebuild": rebuilding})

    return ready


def report(services: Services, view: RecordsGraphQL) -> Any:
    async def answer(request: Request) -> Response:
        """The termly report on a plan, for whoever may read the plan (404 for anyone else, as for no plan)."""
        try:
            principal = (await services.tokens.identify(bearer(request.headers.get("authorization")))).principal
        except TokenError as error:
            return JSONResponse(refusal_body(str(error), error.status), status_code=error.status,
                                headers={"WWW-Authenticate": "Bearer"} if error.status == 401 else {})
        query = request.query_params
        form = query.get("format", "pdf")
        try:
            if form not in reports.FORMATS:
                raise ValueError(f"format is one of {', '.join(reports.FORMATS)}")
            as_at, since = (parse_instant(query[name]) if query.get(name) else None for name in ("asAt", "since"))
        except ValueError as error:  # (a value refused, as GraphQL refuses a bad DateTime)
            return JSONResponse(refusal_body(str(error), 400, Code.BAD_USER_INPUT), status_code=400)
        try:
            body, media_type, name = await view.costly.report(principal, request.path_params["plan_id"], as_at,
                                                              since, form)
        except Refused as refused:
            return JSONResponse(refusal_body(refused.error.message, refused.status, Code.QUERY_TOO_COSTLY),
                                status_code=refused.status)
        except reports.ReportNotFound:
            return JSONResponse(refusal_body("no such plan for this reader", 404), status_code=404)
        except StoreUnavailable as error:
            return JSONResponse(refusal_body(str(error), 503, Code.STORE_UNAVAILABLE), status_code=503)
        shown = "inline" if form in ("html", "pdf") else "attachment"  # read in the browser; opened in a spreadsheet
        headers = {"Content-Disposition": f'{shown}; filename="{name}"'}
        if form == "html":
            headers["Content-Security-Policy"] = policy_for_styled(body.decode())
        return Response(body, media_type=media_type, headers=headers)

    return answer


def serving_app() -> ASGIApp:
    """The app of one `send-records serve` process, on the store the environment names (uvicorn calls this in
    each worker process)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # A log line is its message alone: the caller's frame, thread and process are not looked up for each (the
    # logging HOWTO's "Optimization").
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    app = create_app(bootstrap())
    # A thousand subscriptions are some 300,000 long-lived objects, and a full pass of the cyclic garbage
    # collector over them stops every delivery for 200 ms. What is built at start-up lives as long as the
    # process (frozen: never scanned); young objects are collected 50,000 at a time (not 700), so the full
    # passes that the many short-lived objects of each delivery would trigger become rare.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    return app


def create_app(services: Services) -> ASGIApp:
    keep_request_text_out_of_logs()
    view = RecordsGraphQL(services)
    graphql = Unauthenticated(view, services)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        view.command_threads = ThreadPoolExecutor(COMMAND_THREADS, thread_name_prefix="command")
        view.costly = CostlyReads(services.edge.query_seconds)
        await services.store.start()
        view.feed = Feed(services.commands.read_model, services.edge.subscriber_buffer, EventRecord.of)
        services.commands.listeners.append(view.feed.wake)
        await view.feed.start()
        webhooks = DeliveryEngine(services.commands, view.webhook_secrets)
        await webhooks.start()
        # The feed and the webhooks are woken by every commit: this process's through the commands, other
        # processes' through NOTIFY.
        await services.store.listen(lambda: [wake() for wake in services.commands.listeners])
        try:
            yield
        finally:
            await webhooks.close()
            await view.feed.close()
            view.costly.close()
            services.commands.listeners.remove(view.feed.wake)
            await asyncio.to_thread(view.command_threads.shutdown)  # (commands under way are finished first)
            await services.store.close()

    where_to_sign_in, redeem_sign_in = sign_in(services.tokens)
    routes = [
        Route("/", lambda request: pages.landing(services.edge.graphiql)),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz(services, view)),
        Route("/schema.graphql", pages.sdl),
        Route("/readme", pages.readme),
        Route("/reports/plans/{plan_id}", report(services, view)),
        Route("/static/pages.css", pages.stylesheet),
        Route("/app", pages.viewer),
        Route("/app/sign-in", where_to_sign_in, methods=["GET"]),
        Route("/app/sign-in", redeem_sign_in, methods=["POST"]),
        Mount("/static/app", StaticFiles(directory=pages.STATIC / "app")),
    ]
    if services.edge.graphiql:
        routes.append(Mount("/static/graphiql", StaticFiles(directory=pages.STATIC / "graphiql")))
    served = {route.path for route in routes} | set(pages.assets("app")) | set(pages.assets("graphiql") if services.edge.graphiql else ())
    starlette = CORSMiddleware(Starlette(routes=routes, lifespan=lifespan), allow_origins=services.edge.cors_origins,
                               allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"], max_age=600)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        """A POST to /graphql from a client that is not a browser (no Origin header: browsers send one with every
        POST), nearly every request, goes straight to GraphQL: CORS is for browsers, and Starlette's routing and
        error middleware add nothing to it (RequestLog answers what fails) but their cost to every request."""
        if (scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/graphql"
                and not any(name == b"origin" for name, _ in scope["headers"])):
            await graphql(scope, receive, send)
        else:
            await starlette(scope, receive, send)

    return RequestLog(SecurityHeaders(BodyLimit(app)), served, [r for r in routes if isinstance(r, Route)])
