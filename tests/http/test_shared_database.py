"""Several `send-records serve` processes on one PostgreSQL database behave as one service."""

import os
import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import psycopg
import pytest

from projections.tables import SCHEMA_VERSION
from tests.conftest import new_database
from tests.support import BIN, Server, environment, new_area


@pytest.fixture
def database(postgres_server):
    return {"DATABASE_URL": new_database(postgres_server[1])}


@pytest.fixture
def pair(tmp_path, database):
    settings = {**database, "SEND_RECORDS_FEED_POLL_SECONDS": "60"}
    first = Server(tmp_path / "a", settings)
    second = Server(tmp_path / "b", settings)
    for server in (first, second):
        server.data_dir.mkdir()
        server.start()
    yield first, second
    first.stop()
    second.stop()


def test_a_write_acknowledged_by_one_is_read_at_once_by_the_other(pair):
    first, second = pair
    area = new_area(first)
    for n in range(20):
        written = first.ok("reportActionProgress", {"actionId": area.action, "note": f"update {n}"}, area.lead)
        read = second.query("query($id: ID!) { action(id: $id) { version latestNote } }", area.lead, id=area.action)["action"]
        assert read == {"version": written["event"]["version"], "latestNote": f"update {n}"}


def test_of_concurrent_writers_in_two_processes_exactly_one_wins_each_version(pair):
    first, second = pair
    area = new_area(first)
    for version in range(1, 6):
        def report(n):
            server = (first, second)[n % 2]
            return server.mutate("reportActionProgress", {"actionId": area.action, "note": f"writer {n}",
                                                          "expectedVersion": version}, area.lead)

        with ThreadPoolExecutor(8) as pool:
            payloads = list(pool.map(report, range(8)))
        assert sum(not p["userErrors"] for p in payloads) == 1
        assert {p["userErrors"][0]["code"] for p in payloads if p["userErrors"]} == {"CONFLICT"}
    history = first.query("query($id: ID!) { history(entityId: $id) { edges { node { version } } } }", area.auditor,
                          id=area.action)["history"]["edges"]
    assert [e["node"]["version"] for e in history] == [1, 2, 3, 4, 5, 6]


def test_an_idempotency_key_holds_across_processes(pair):
    first, second = pair
    area = new_area(first)
    input = {"partnershipId": area.partnership, "name": "Exclusions", "unit": "RATE", "polarity": "LOWER_IS_BETTER",
             "idempotencyKey": "scorecard-exclusions"}
    with ThreadPoolExecutor(6) as pool:
        payloads = list(pool.map(lambda n: (first, second)[n % 2].ok("defineMetric", input, area.lead, "metric { id }"),
                                 range(6)))
    assert len({p["metric"]["id"] for p in payloads}) == 1 and len({p["event"]["position"] for p in payloads}) == 1
    metrics = second.query("query($id: ID!) { partnership(id: $id) { metrics { id } } }", area.lead, id=area.partnership)
    assert len(metrics["partnership"]["metrics"]) == 1


def test_a_reader_following_the_log_never_skips_a_late_committing_event(pair):
    first, second = pair
    areas = [new_area(first) for _ in range(4)]
    auditor = areas[0].auditor
    start = first.log_end(auditor)
    done = threading.Event()
    seen = []

    def follow():
        cursor = start
        while True:
            finished = done.is_set()
            page = second.query("query($after: String) { events(first: 100, after: $after) { edges { cursor } } }",
                                auditor, after=cursor)["events"]["edges"]
            seen.extend(e["cursor"] for e in page)
            cursor = page[-1]["cursor"] if page else cursor
            if finished and not page:
                return

    def write(n):
        area = areas[n % 4]
        (first, second)[n % 2].ok("reportActionProgress", {"actionId": area.action, "note": f"n{n}"}, area.lead)

    reader = threading.Thread(target=follow)
    reader.start()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(160)))
    done.set()
    reader.join(60)
    everything = []
    cursor = start
    while page := first.query("query($after: String) { events(first: 100, after: $after) { edges { cursor } } }",
                              auditor, after=cursor)["events"]["edges"]:
        everything += [e["cursor"] for e in page]
        cursor = page[-1]["cursor"]
    assert len(everything) == 160
    assert seen == everything, "the follower skipped or repeated an event"


def test_processes_starting_at_once_create_the_tables_once(tmp_path, database):
    servers = [Server(tmp_path / str(n), database) for n in range(3)]
    for server in servers:
        server.data_dir.mkdir()
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda s: s.start(), servers))
    try:
        area = new_area(servers[2])
        assert servers[0].query("query($id: ID!) { plan(id: $id) { id } }", area.auditor, id=area.plan)["plan"]
        with psycopg.connect(database["DATABASE_URL"]) as connection:
            assert connection.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    finally:
        for server in servers:
            server.stop()


def test_a_completion_acknowledged_by_one_process_reaches_a_subscriber_of_the_other(pair):
    first, second = pair
    area = new_area(first)
    subscriber = second.subscribe(area.lead, "subscription($p: ID) { actionCompleted(partnershipId: $p) {"
                                             " position entityId } }", {"p": area.partnership})
    try:
        first.ok("startAction", {"actionId": area.action}, area.lead)
        done = first.ok("completeAction", {"actionId": area.action, "completedOn": date.today().isoformat(), "evidence": ["Minutes"]},
                        area.lead)
        received = subscriber.next(timeout=20)  # the safety poll is set to 60 s here: only NOTIFY can bring it
        assert received == {"position": done["event"]["position"], "entityId": area.action}
    finally:
        subscriber.close()


def test_a_process_whose_copy_of_a_record_is_out_of_date_decides_on_the_latest(pair):
    """Each process keeps the aggregates it has seen and first decides a change on its own copy, which the other
    process may have changed since: the answer must be the one the latest version gives."""
    first, second = pair
    area = new_area(first)  # the first process has seen everything
    second.ok("startAction", {"actionId": area.action}, area.lead)  # the first's copy of the action is now stale

    def report(server, **extra):
        return server.mutate("reportActionProgress", {"actionId": area.action, "note": "Update", **extra}, area.lead)

    assert report(first)["event"]["version"] == 3  # made on the latest (its stale copy's next version was taken)
    first.ok("completeAction", {"actionId": area.action, "completedOn": date.today().isoformat(), "evidence": ["Minutes"]}, area.lead)
    refused = report(second)  # its copy says IN_PROGRESS, but the action is completed
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID_TRANSITION"] and refused["event"] is None
    first.ok("reopenAction", {"actionId": area.action, "reason": "Evidence not accepted"}, area.lead)
    assert report(second)["event"]["version"] == 6  # its copy says COMPLETED, but the action was reopened
    first.ok("reportActionProgress", {"actionId": area.action, "note": "Update"}, area.lead)
    assert report(second, expectedVersion=7)["event"]["version"] == 8  # its copy is at version 6

    # A change counting on a copy of another aggregate than the one it changes: the plan, closed meanwhile.
    second.ok("addAction", {"planId": area.plan, "title": "Publish the local offer", "ownerAgencyId": area.council,
                            "dueOn": "2030-01-01"}, area.lead)
    first.ok("submitPlan", {"planId": area.plan, "on": "2018-03-01"}, area.lead)
    first.ok("approvePlan", {"planId": area.plan, "on": "2018-03-20"}, area.inspector)
    first.ok("closePlan", {"planId": area.plan, "on": "2020-03-20"}, area.lead)
    end = second.log_end(area.auditor)
    refused = second.mutate("addAction", {"planId": area.plan, "title": "Too late", "ownerAgencyId": area.council,
                                          "dueOn": "2030-01-01"}, area.lead)
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID_TRANSITION"]
    assert second.recorded_since(end, area.auditor) == []


def test_serve_with_two_worker_processes_is_one_service(tmp_path, database):
    server = Server(tmp_path / "w", {**database, "SEND_RECORDS_FEED_POLL_SECONDS": "60"})
    server.data_dir.mkdir()
    server.start("--workers", "2")
    try:
        area = new_area(server)
        subscriber = server.subscribe(area.lead, "subscription($p: ID) { actionCompleted(partnershipId: $p) {"
                                                 " position } }", {"p": area.partnership})
        try:
            server.ok("startAction", {"actionId": area.action}, area.lead)
            for n in range(10):  # each request on a new connection, taken by either process
                written = server.ok("reportActionProgress", {"actionId": area.action, "note": f"update {n}"}, area.lead)
                read = server.query("query($id: ID!) { action(id: $id) { version } }", area.lead, id=area.action)
                assert read["action"]["version"] == written["event"]["version"]
            done = server.ok("completeAction", {"actionId": area.action, "completedOn": date.today().isoformat(),
                                                "evidence": ["Minutes"]}, area.lead)
            assert subscriber.next(timeout=20) == {"position": done["event"]["position"]}
        finally:
            subscriber.close()
    finally:
        server.stop()
    started = {line for line in (server.data_dir / "server.log").read_text().splitlines()
               if "Started server process" in line}
    assert len(started) == 2


def sockets(pid: int, port: int, state: str) -> set[str]:
    """The TCP sockets on `port` in `state` (01 established, 0A listening) that process `pid` holds (from /proc)."""
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            held.add(os.readlink(fd))
        except OSError:  # closed meanwhile
            pass
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return {f"socket:[{row[9]}]" for row in rows if int(row[1].split(":")[1], 16) == port and row[3] == state} & held


def spread(server: Server, children: list[int], connections: int = 64) -> list[int]:
    """Each worker process's share of `connections` keep-alive connections, each answered once."""
    opened = [socket.socket() for _ in range(connections)]
    try:
        for connection in opened:
            connection.connect(("127.0.0.1", server.port))
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        for connection in opened:
            assert connection.recv(100).startswith(b"HTTP/1.1 200")
        return [len(sockets(child, server.port, "01")) for child in children]
    finally:
        for connection in opened:
            connection.close()


def worker_processes(server: Server, started: int) -> list[int]:
    """The server's processes listening on its port, once `started` of them in all have started."""
    parent = server.process.pid
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if (server.data_dir / "server.log").read_text().count("Application startup complete") >= started:
            children = [int(pid) for pid in Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
            return [child for child in children if sockets(child, server.port, "0A")]
        time.sleep(0.1)
    raise AssertionError("the worker processes did not start")


def test_worker_processes_each_take_a_share_of_the_connections_and_are_replaced(tmp_path, database):
    server = Server(tmp_path / "w", database)
    server.data_dir.mkdir()
    server.start("--workers", "2")
    process = server.process
    try:
        children = worker_processes(server, 2)
        # Each listens on a socket of its own (not one shared socket, which the process awake first empties).
        listening = [sockets(child, server.port, "0A") for child in children]
        assert len(children) == 2 and all(len(own) == 1 for own in listening) and listening[0] != listening[1]
        # Each of 64 connections lands on either process's socket by a hash: a share under 16 is a chance of 1 in
        # 41,000 each time (1 in 14,000 for the test's three).
        shares = spread(server, children)
        assert min(shares) >= 16, shares
        os.kill(children[0], signal.SIGKILL)
        replaced = worker_processes(server, 3)
        assert len(replaced) == 2 and children[1] in replaced and children[0] not in replaced
        shares = spread(server, replaced)
        assert min(shares) >= 16, shares
        os.kill(process.pid, signal.SIGHUP)  # every process replaced in turn
        renewed = worker_processes(server, 5)
        assert len(renewed) == 2 and not set(renewed) & set(replaced)
        shares = spread(server, renewed)
        assert min(shares) >= 16, shares
        # A second server on the port is refused, as with one process, rather than taking a share of it.
        second = subprocess.run([str(BIN), "serve", "--port", str(server.port), "--workers", "2"], capture_output=True,
                                env=environment(tmp_path / "w", database), timeout=60, text=True)
        assert second.returncode == 1 and "Address already in use" in second.stderr, second.stderr
    finally:
        server.stop()
    assert process.returncode == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in renewed)  # stopped with the server
