"""Helpers for the webhook tests and bench/webhooks.py: a real receiver, and webhooks registered, changed and read
through the service's GraphQL API."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from standardwebhooks import Webhook as Verifier

from tests.support import Server


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # when it arrived (time.time())

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    def verified(self, secret: str) -> dict:
        """The body, if the signature verifies with this secret (standardwebhooks raises otherwise)."""
        return Verifier(secret).verify(self.body, self.headers)


@dataclass
class Answer:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every request, answering each path as scripted (then 200)."""

    def __init__(self, port: int = 0):
        self.received: list[Received] = []
        self.scripts: dict[str, list[Answer]] = {}
        self.always: dict[str, Callable[[Received], Answer]] = {}
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                if len(body) < length:  # the sender stopped mid-request (a server stopping): nothing arrived
                    return
                request = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                with receiver.changed:
                    receiver.received.append(request)
                    script = receiver.scripts.get(self.path)
                    answer = script.pop(0) if script else receiver.always.get(self.path, lambda r: Answer())(request)
                    receiver.changed.notify_all()
                time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):  # the sender gave up waiting (a timeout)
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *answers: Answer) -> None:
        with self.changed:
            self.scripts[path] = list(answers)

    def at(self, path: str) -> list[Received]:
        with self.changed:
            return [r for r in self.received if r.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 30) -> list[Received]:
        """The requests to a path once there are at least `count` (AssertionError after the timeout)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(found := [r for r in self.received if r.path == path]) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(found)} of {count} requests to {path} within {timeout} s"
                self.changed.wait(left)
        return found

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def register(server: Server, token: str, url: str, partnership_id: str | None,
             event_types: list[str] | None = None) -> tuple[str, str]:
    """Register a webhook through registerWebhook: its id and secret."""
    payload = server.ok("registerWebhook", {"partnershipId": partnership_id, "url": url, "eventTypes": event_types or [],
                                            "description": "a test receiver"}, token, "webhook { id active } secret")
    assert payload["webhook"]["active"] and payload["secret"].startswith("whsec_")
    return payload["webhook"]["id"], payload["secret"]


def change(server: Server, token: str, mutation: str, webhook_id: str, **fields) -> dict:
    """One of rotateWebhookSecret, disableWebhook, enableWebhook, redeliverWebhook: its payload."""
    return server.ok(mutation, {"webhookId": webhook_id, **fields}, token, "webhook { id active } secret")


def deliveries(server: Server, token: str, webhook_id: str, status: str | None = None) -> list[dict]:
    """The webhook's deliveries, as Webhook.deliveries shows them."""
    found = server.query("""query($id: ID!, $status: WebhookDeliveryStatus) { node(id: $id) { ... on Webhook {
                               deliveries(first: 100, status: $status) { edges { cursor node {
                                 position status parked attempts lastStatusCode lastError firstAttemptAt
                                 lastAttemptAt nextAttemptAt event { position type } } } } } } }""",
                         token, id=webhook_id, status=status)
    return [edge["node"] for edge in found["node"]["deliveries"]["edges"]]
