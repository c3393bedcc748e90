"""Helpers for tests that drive a real `send-records serve` process over HTTP."""

from __future__ import annotations

import json
import os
import sqlite3
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from domain.vocabulary import Role
from service.authorisation import Principal
from service.commands import declared
from service.tokens import issue

SECRET = "test-secret-" + uuid.uuid4().hex
BIN = Path(sys.executable).parent / "send-records"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(data_dir: Path, store: dict | None = None) -> dict:
    """The service's environment: a data directory, the test secret, and the store's settings (none: SQLite)."""
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**base, "SEND_RECORDS_DATA_DIR": str(data_dir), "SEND_RECORDS_JWT_SECRET": SECRET, **(store or {})}


def token(role: Role | str, partnership: str | None = None, agency: str | None = None, subject: str | None = None) -> str:
    principal = Principal(subject or f"{role}-{uuid.uuid4().hex[:8]}".lower(), Role(role), partnership, agency)
    return issue(SECRET, principal)


FOUNDED = "2017-01-01"  # the effective date of each test partnership and its agencies


class GraphQLErrors(AssertionError):
    pass


@dataclass
class Server:
    data_dir: Path
    store: dict = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    last_cursor: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def start(self, *extra: str) -> Server:
        self.log = open(self.data_dir / "server.log", "ab")
        self.process = subprocess.Popen(
            [str(BIN), "serve", "--port", str(self.port), *extra],
            env=environment(self.data_dir, self.store), stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {(self.data_dir / 'server.log').read_text()}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.log.close()
            self.process = None

    def post(self, query: str, variables: dict | None = None, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.post(self.url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=30)

    def query(self, query: str, token: str, **variables) -> dict:
        """The data of a query that must succeed."""
        response = self.post(query, variables, token)
        assert response.status_code == 200, response.text
        body = response.json()
        if body.get("errors"):
            raise GraphQLErrors(body["errors"])
        return body["data"]

    def mutate(self, name: str, input: dict, token: str, selection: str = "") -> dict:
        """The payload of one mutation: its userErrors, event and the selection asked for."""
        input_type = MUTATION_INPUTS[name]
        data = self.query(
            f"mutation($input: {input_type}!) {{ {name}(input: $input) {{"
            f" userErrors {{ code message field }} event {{ position type version entityId effectiveOn reason"
            f" recordedAt actor {{ subject role agencyId }} partnershipId data }} {selection} }} }}",
            token, input=input,
        )
        return data[name]

    def ok(self, name: str, input: dict, token: str, selection: str = "") -> dict:
        payload = self.mutate(name, input, token, selection)
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload

    def log_end(self, token: str) -> str | None:
        """The cursor of the last event in the log (read on from the last one found, so it stays cheap)."""
        while True:
            page = self.recorded_since(self.last_cursor, token)
            if not page:
                return self.last_cursor
            self.last_cursor = page[-1]["cursor"]

    def subscribers(self) -> int:
        return httpx.get(f"http://127.0.0.1:{self.port}/readyz", headers={"Authorization": f"Bearer {token(Role.AUDITOR)}"}).json()["subscribers"]

    def subscribe(self, token: str | None, query: str, variables: dict | None = None, **options) -> "Subscribed":
        """A subscription that the server has registered before this returns."""
        before = self.subscribers()
        subscribed = Subscribed(self, token, query, variables, **options)
        deadline = time.monotonic() + 30
        while self.subscribers() <= before and time.monotonic() < deadline:
            time.sleep(0.02)
        return subscribed

    def recorded_since(self, cursor: str | None, token: str) -> list[dict]:
        return self.query("query($after: String) { events(first: 100, after: $after) { edges { cursor node { type } } } }",
                          token, after=cursor)["events"]["edges"]


# Each mutation's input type, from the declarations.
MUTATION_INPUTS = {name: m.input.__name__ for name, m in declared().items()}


@dataclass
class Area:
    """A freshly registered partnership with its agencies, an inspection with findings, and a plan with actions."""

    partnership: str
    council: str
    health: str
    inspection: str
    findings: list[str]
    plan: str
    priority_area: str
    action: str
    admin: str
    lead: str
    inspector: str
    monitor: str
    auditor: str


def new_area(server: Server, name: str | None = None) -> Area:
    admin = token(Role.ADMIN)
    name = name or f"Area {uuid.uuid4().hex[:6]}"
    partnership = server.ok("registerPartnership", {"name": f"{name} SEND Partnership", "localAuthority": f"{name} Council",
                                                    "effectiveOn": FOUNDED}, admin, "partnership { id }")["partnership"]["id"]
    lead, inspector = token(Role.PARTNERSHIP_LEAD, partnership), token(Role.INSPECTOR)
    agencies = [
        server.ok("addAgency", {"partnershipId": partnership, "name": agency, "kind": kind, "effectiveOn": FOUNDED},
                  lead)["event"]["data"]["agencyId"]
        for agency, kind in [(f"{name} Council", "LOCAL_AUTHORITY"), (f"{name} ICB", "HEALTH")]
    ]
    inspection = server.ok("recordInspection", {"partnershipId": partnership, "framework": "LOCAL_AREA_SEND_2016", "kind": "FULL",
                                                "startedOn": "2017-11-13", "endedOn": "2017-11-17"}, inspector,
                           "inspection { id }")["inspection"]["id"]
    findings = [
        server.ok("recordFinding", {"inspectionId": inspection, "kind": kind, "text": text, "effectiveOn": "2017-11-17"},
                  inspector, "finding { id }")["finding"]["id"]
        for kind, text in [("FUNDAMENTAL_FAILING", "The local offer is not fit for purpose"),
                           ("SIGNIFICANT_CONCERN", "EHC plans are late")]
    ]
    plan = server.ok("draftPlan", {"partnershipId": partnership, "kind": "WRITTEN_STATEMENT_OF_ACTION", "title": "WSoA",
                                   "respondsTo": inspection, "effectiveOn": "2018-03-01"}, lead, "plan { id }")["plan"]["id"]
    priority_area = server.ok("addPriorityArea", {"planId": plan, "title": "Timely EHC plans", "addresses": findings[1:],
                                                  "effectiveOn": "2018-03-15"}, lead, "priorityArea { id }")["priorityArea"]["id"]
    action = server.ok("addAction", {"planId": plan, "priorityAreaId": priority_area, "title": "Recruit EHC coordinators",
                                     "ownerAgencyId": agencies[0], "leadOfficer": "Head of SEND", "dueOn": "2030-10-31"},
                       lead, "action { id }")["action"]["id"]
    return Area(partnership, agencies[0], agencies[1], inspection, findings, plan, priority_area, action, admin, lead,
                inspector, token(Role.MONITOR), token(Role.AUDITOR))


def dated_action(server: Server, area: Area, effective_on: str) -> str:
    """Another action of the area's priority area, added on a past day, for a story whose changes are dated from then
    (the area's own action is added on the day the test runs: nothing of it takes effect before)."""
    return server.ok("addAction", {"planId": area.plan, "priorityAreaId": area.priority_area, "title": "Audit EHC plans",
                                   "ownerAgencyId": area.council, "dueOn": "2030-10-31", "effectiveOn": effective_on},
                     area.lead, "action { id }")["action"]["id"]


class Subscribed:
    """A real graphql-transport-ws client of one subscription."""

    def __init__(self, server: Server, token: str | None, query: str, variables: dict | None = None,
                 receive_buffer: int | None = None):
        import socket

        from websockets.sync.client import connect

        sock = None
        if receive_buffer is not None:  # a client that reads slowly, or not at all, with a small window
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            sock.connect(("127.0.0.1", server.port))
        # (a client that does not read cannot hear the answer to its own keepalive pings: it sends none)
        self.ws = connect(server.url.replace("http", "ws"), subprotocols=["graphql-transport-ws"], sock=sock, compression=None, legacy=True,
                          max_size=None, open_timeout=10, ping_interval=None if receive_buffer is not None else 20)
        self.ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"} if token else {}}))
        acknowledged = json.loads(self.ws.recv(timeout=10))
        assert acknowledged["type"] == "connection_ack", acknowledged
        self.ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables or {}}}))

    def next(self, timeout: float = 10) -> dict:
        message = json.loads(self.ws.recv(timeout=timeout))
        assert message["type"] == "next", message
        return next(iter(message["payload"]["data"].values()))

    def close(self) -> None:
        self.ws.close()


class Database:
    """Raw SQL on the store, as someone with database access would tamper with it."""

    def __init__(self, services):
        self.table = services.commands.app.recorder.events_table_name
        self.url = os.environ.get("DATABASE_URL")
        self.position = "notification_id" if self.url else "rowid"
        if self.url:
            import psycopg

            self.connection = psycopg.connect(self.url, autocommit=True)
            self.mark = "%s"
        else:
            self.connection = sqlite3.connect(Path(os.environ["SEND_RECORDS_DATA_DIR"]) / "records.sqlite",
                                              isolation_level=None)
            self.mark = "?"

    def run(self, statement: str, params=()):
        cursor = self.connection.execute(statement.replace("?", self.mark).format(events=self.table, position=self.position), params)
        return cursor.fetchall() if cursor.description else None

    def event(self, position: int):
        return self.run("SELECT originator_id, originator_version, topic, state FROM {events} WHERE {position} = ?", (position,))[0]

    def snapshot(self) -> dict[str, list]:
        """Every row of the read models, in order."""
        return {table: [tuple(row) for row in self.run(f"SELECT * FROM {table} ORDER BY 1, 2")]
                for table in ("records", "entities", "entity_versions")}
