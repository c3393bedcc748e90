"""The HTTP edge below the app: limits on what a client may send and how slowly, the security headers every
response carries, and logs that never hold what a client sent."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import traceback
from functools import lru_cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from projections.store import StoreUnavailable
from service.graphql import errors
from service.settings import EdgeSettings

MAX_HEADER_BYTES = 32 * 1024  # the request line and every header together
MAX_HEADERS = 100

# Pages may only use what the service itself serves; nothing may frame them.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                           "frame-ancestors 'none'")
POLICY = b"content-security-policy"
SECURITY_HEADERS = [
    (POLICY, CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


@lru_cache(maxsize=1)
def timeouts() -> tuple[float, float]:
    """How long a client may take to send a request's line and headers, and then its body."""
    settings = EdgeSettings.from_environment()  # (checked at start-up by bootstrap)
    return settings.header_seconds, settings.body_seconds


# The status the edge answered a request with itself while the app had it, kept in the request's scope for the
# request log (service/app.py RequestLog).
ANSWERED = "send_records.answered"


class EdgeProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, refusing oversized headers (431) and clients too slow to send a request (408)
    before they reach the app: httptools itself accepts headers of any size, and waits for a body forever."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.header_bytes = 0
        self.refusal: tuple[int, str] | None = None
        self.deadline: asyncio.TimerHandle | None = None
        self.header_seconds, self.body_seconds = timeouts()

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.answers = Coalesced(transport, self.loop)
        self.set_deadline(self.header_seconds, self.headers_too_slow)

    def connection_lost(self, exc) -> None:
        self.set_deadline(None)
        super().connection_lost(exc)

    def set_deadline(self, seconds: float | None, then=None) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
        self.deadline = None if seconds is None else self.loop.call_later(seconds, then)

    def headers_too_slow(self) -> None:
        self.refuse(408, f"a request's line and headers must arrive within {self.header_seconds:g} seconds")

    def body_too_slow(self) -> None:
        if self.cycle.response_started:  # the app answered without waiting for the rest of the body
            self.transport.close()
        else:
            self.cycle.scope[ANSWERED] = 408  # (the app, waiting for the body, is told the client went)
            self.refuse(408, f"a request's body must arrive within {self.body_seconds:g} seconds of its headers")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.header_bytes = 0
        self.set_deadline(self.header_seconds, self.headers_too_slow)

    def on_url(self, url: bytes) -> None:
        self.count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.count(len(name) + len(value))
        if len(self.headers) >= MAX_HEADERS:
            self.refusal = (431, f"a request may carry at most {MAX_HEADERS} headers")
            raise ValueError(self.refusal[1])  # stops the parser; send_400_response answers
        super().on_header(name, value)

    def count(self, size: int) -> None:
        self.header_bytes += size
        if self.header_bytes > MAX_HEADER_BYTES:
            self.refusal = (431, f"a request's line and headers are limited to {MAX_HEADER_BYTES} bytes")
            raise ValueError(self.refusal[1])

    def on_headers_complete(self) -> None:
        upgrading = self.parser.should_upgrade()
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.transport is self.transport:  # this request's (not an upgrade)
            self.cycle.transport = self.answers
        self.set_deadline(None if upgrading else self.body_seconds, self.body_too_slow)

    def on_message_complete(self) -> None:
        self.set_deadline(None)
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        status, message = self.refusal or (400, "the request is not valid HTTP/1.1")
        self.refuse(status, message)

    def refuse(self, status: int, message: str) -> None:
        """Answers without the app, then closes the connection."""
        if self.transport.is_closing():
            return
        body = json.dumps(errors.refusal_body(message, status)).encode()
        head = [f"HTTP/1.1 {status} {REASONS[status]}", "content-type: application/json", f"content-length: {len(body)}",
                "connection: close", *(f"{n.decode()}: {v.decode()}" for n, v in SECURITY_HEADERS)]
        self.transport.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        self.transport.close()


class Coalesced:
    """A connection's transport as its answers see it: a write is held until the next one, and the two go out in
    one write system call (or it goes alone as this turn of the event loop ends). uvicorn writes an answer's head
    and its body apart, and for a small read the two were 9% of the serving process's samples
    (bench/profile_read.py)."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self.transport, self.loop = transport, loop
        self.held = b""

    def write(self, data: bytes) -> None:
        if self.held:
            data, self.held = self.held + data, b""
            self.transport.write(data)
        else:
            self.held = data
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        data, self.held = self.held, b""
        if data and not self.transport.is_closing():  # (the client may have gone meanwhile)
            self.transport.write(data)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str):  # is_closing, get_extra_info, ...: the transport's own
        return getattr(self.transport, name)


REASONS = {400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large"}


STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def policy_for_styled(page: str) -> str:
    """The policy for a self-contained page (the termly report's HTML, which must read the same saved to a file):
    its own `<style>` elements, by their hashes, and style attributes (its inline SVG charts use them); still no
    script, nothing fetched from elsewhere, and nothing may frame it."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"
                      for style in STYLE.findall(page))
    return f"{CONTENT_SECURITY_POLICY}; style-src-elem {hashes}; style-src-attr 'unsafe-inline'"


class SecurityHeaders:
    """Adds the security headers to every HTTP response (a response with a policy of its own keeps it)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                own = any(name == POLICY for name, _ in headers)
                message["headers"] = [*headers, *(h for h in SECURITY_HEADERS if not (own and h[0] == POLICY))]
            await send(message)

        await self.app(scope, receive, with_headers)


class WithoutRequestText(logging.Filter):
    """Keeps what a client sent out of the logs of the libraries the service runs on. GraphQL's errors quote the
    request (an invalid value is repeated in the message, with the rest of the input around it), and an
    exception's message may too: a caller's mistakes are not logged (the client has its answer), and an
    unexpected error is logged as its type and where it happened, without its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.msg
        if record.name == "strawberry.execution":
            # the caller's mistakes and what was told on purpose are not logged; the store being away is
            if not (errors.is_unexpected(error) or isinstance(getattr(error, "original_error", None), StoreUnavailable)):
                return False
        elif record.name == "strawberry.ws":
            record.msg, record.args = "refused a WebSocket handshake from an origin not allowed", ()
        if record.exc_info:
            record.msg, record.args = "%s", (unexpected(record.exc_info[1]),)
            record.exc_info = record.exc_text = record.stack_info = None
        return True


def unexpected(error: BaseException) -> str:
    """An unexpected error as the logs tell it: its type and where it happened, not its message."""
    place = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__))).rstrip()
    return f"unexpected {type(error).__name__}, at:\n{place}"


LIBRARY_LOGGERS = ["strawberry.execution", "strawberry.ws", "strawberry.ws.task", "uvicorn.error", "asyncio"]


def keep_request_text_out_of_logs() -> None:
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).addFilter(WITHOUT_REQUEST_TEXT)


WITHOUT_REQUEST_TEXT = WithoutRequestText()
