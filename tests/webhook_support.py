"""Helpers for the webhook tests: a real receiver, and endpoints registered through the aggregate and the application.

`register` and `change` stand in for the registerWebhook, rotateWebhookSecret, disableWebhook, enableWebhook and
redeliverWebhook mutations until they are wired into GraphQL; they record the same events the mutations will.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from unittest.mock import patch
from uuid import UUID

from standardwebhooks import Webhook as Verifier

from domain.base import Actor, stamped
from domain.vocabulary import Role
from domain.webhook import Webhook
from service.bootstrap import Services, bootstrap
from service.webhooks.outbound import webhook_secret
from tests.support import SECRET, Server


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
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
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


def services_of(server: Server) -> Services:
    """The services of a running server's store, opened in the test process (as another process would)."""
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(SEND_RECORDS_DATA_DIR=str(server.data_dir), SEND_RECORDS_JWT_SECRET=SECRET)
    environment.update({k: v for k, v in server.store.items() if k == "DATABASE_URL"})
    with patch.dict(os.environ, environment, clear=True):
        return bootstrap(connections=2)


def register(services: Services, url: str, partnership_id: str | None, event_types: list[str] | None = None,
             owner_partnership_id: str | None = None) -> tuple[str, str]:
    """Register a webhook as its owner would (a lead names its partnership as owner_partnership_id; an admin none):
    its id and secret."""
    role = Role.PARTNERSHIP_LEAD if owner_partnership_id else Role.ADMIN
    with stamped(Actor(f"{role}-owner".lower(), role), date.today()):
        webhook = Webhook.register(partnership_id, url, event_types or [], "a test receiver", owner_partnership_id)
    services.commands.app.record(webhook)
    return str(webhook.id), webhook_secret(services.secret, str(webhook.id), webhook.secret_id)


def change(services: Services, webhook_id: str, how: Callable[[Webhook], None]) -> Webhook:
    """Change a webhook (rotate, disable, enable, redeliver) as an admin would."""
    webhook = services.commands.app.load(UUID(webhook_id))
    with stamped(Actor("admin", Role.ADMIN), date.today()):
        how(webhook)
    services.commands.app.record(webhook)
    return webhook
