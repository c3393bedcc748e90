"""Costly reads, answered in a process of their own, so that no caller's costly query or audit verification can
hold up anyone else's requests (issue 14).

The service answers every request on one event loop, and commands in its worker threads. A query that walks
thousands of objects holds that loop for as long as its resolvers run, and a verification holds the interpreter
lock while it hashes: either way the mutations of every other caller wait. So a query whose cost is over
cost.INLINE_LIMIT, or that verifies the audit trail, and every termly report (a PDF is a second of the
interpreter), is answered by another process on the same store (each `send-records serve` process has one, started
with its first costly read), which gives back the answer's JSON text or the report's bytes: the serving process
only copies them to the client. A caller has at most PER_CALLER costly reads under way
at once; the others queue in that process's bounded pool (one process; its answers are limited in time too).

Queries within cost.INLINE_LIMIT are answered in the serving process, but one caller sending them back to back
would still hold its event loop much of the time, and every other caller's requests would wait behind its
queries. So each caller has a bucket of objects (BURST, filling at RATE a second): a query of more than SMALL
objects answered in the serving process takes its cost (service/graphql/cost.py) from it, and once it is empty
the caller's further such queries are answered here too (at most QUEUED of them under way at once, queued, not
refused), until the bucket has filled to half. Cost, not time, so that the share is the same however busy the
machine or however many of the caller's queries run at once. Small queries (a record, a short list) hold the
loop for a millisecond or two, which no one waits long behind, so they are always answered in the serving
process, however many a caller sends. A portal's page of a few queries never empties the bucket.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import get_context
from typing import Any

from graphql import ExecutionResult, GraphQLError
from strawberry.http import process_result

from service.authorisation import Principal
from service.graphql.answers import json_text
from service.graphql.cost import took_too_long, too_costly

logger = logging.getLogger(__name__)
PER_CALLER = 2
NICENESS = 10  # the costly-read process's scheduling priority below the serving process's
BURST = 2_000  # objects one caller's queries may ask for in the serving process at once (some 0.4 s of it here)
RATE = 100  # objects a second a caller's bucket fills at: what its queries may ask of the serving process, sustained
QUEUED = 16  # queries of a caller over its share under way at once in the costly-read process
SMALL = 50  # objects: a query of at most this many is always answered in the serving process, and takes nothing


class Refused(Exception):
    """A read not answered apart: its GraphQL error, and the HTTP status a request outside GraphQL is refused with
    (429: too many under way; 503: it took too long)."""

    def __init__(self, error: GraphQLError, status: int):
        super().__init__(error.message)
        self.error, self.status = error, status


@dataclass(frozen=True)
class Answered:
    """An answer's JSON text, as the costly-read process wrote it: it is sent as it is."""

    text: str


class CostlyReads:
    def __init__(self, seconds: float):
        self.seconds = seconds  # SEND_RECORDS_QUERY_SECONDS: an answer queued and made takes no longer
        self.pool = self.start()
        self.under_way: Counter[tuple[str, bool]] = Counter()  # reads answered here by caller, and whether costly
        self.buckets: dict[str, tuple[float, float]] = {}  # by caller: the objects left in its bucket, as of when
        self.apart: set[str] = set()  # the callers whose bucket was empty, until it fills to half

    @staticmethod
    def start() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=start)

    async def answer(self, principal: Principal, query: str, variables: dict | None, operation_name: str | None,
                     costly: bool) -> ExecutionResult:
        """The answer to a costly query, or to a query of a caller over its share of the serving process."""
        try:
            text = await self.run(principal, costly, answer, principal, query, variables, operation_name)
        except Refused as refused:
            return ExecutionResult(None, [refused.error])
        return ExecutionResult(Answered(text), None)

    async def report(self, principal: Principal, plan_id: str, as_at: datetime | None, since: datetime | None,
                     form: str) -> tuple[bytes, str, str]:
        """A termly report (service/reports), made apart as a costly read: a PDF is a second of the interpreter."""
        return await self.run(principal, True, report, principal, plan_id, as_at, since, form)

    async def run(self, principal: Principal, costly: bool, function: Any, *arguments: Any) -> Any:
        """function(*arguments) as run in the costly-read process; Refused if the caller has as many reads of the
        kind under way as it may, or if the answer takes longer than the query time."""
        key = (principal.scope, costly)
        if self.under_way[key] >= (PER_CALLER if costly else QUEUED):
            what = (f"a caller may have at most {PER_CALLER} costly reads under way at once (reports included)"
                    if costly else f"a caller over its share of the serving process may have at most {QUEUED} "
                    "queries under way at once")
            raise Refused(too_costly(f"{what}: wait for an answer first"), 429)
        self.under_way[key] += 1
        try:
            async with asyncio.timeout(self.seconds):
                return await asyncio.get_running_loop().run_in_executor(self.pool, function, *arguments)
        except TimeoutError:
            raise Refused(took_too_long(self.seconds), 503) from None
        except BrokenProcessPool:  # the process died (out of memory, say): the next costly read starts another
            self.pool = self.start()
            raise
        finally:
            self.under_way[key] -= 1
            if not self.under_way[key]:
                del self.under_way[key]

    def left(self, caller: str, now: float) -> float:
        """The objects left in a caller's bucket (a caller not seen lately has a full one)."""
        objects, at = self.buckets.get(caller, (BURST, now))
        return min(BURST, objects + (now - at) * RATE)

    def inline(self, principal: Principal, cost: int) -> bool:
        """Whether a caller's query of this cost is answered in the serving process: a small one always; a larger
        one takes its cost from the caller's bucket, and is not once the bucket is empty, until it has filled to
        half. The log says when a caller goes over its share, and when it is back within it."""
        if cost <= SMALL:
            return True
        caller, now = principal.scope, time.monotonic()
        left = self.left(caller, now)
        over = left < (BURST / 2 if caller in self.apart else 0)
        if over != (caller in self.apart):
            (self.apart.add if over else self.apart.discard)(caller)
            logger.info("%s (%s%s) %s", principal.subject, principal.role, f" of {principal.partnership_id}"
                        if principal.partnership_id else "", "is over its share of the serving process: its queries "
                        "are answered in the costly-read process" if over else "is back within its share")
        if over:
            return False
        self.buckets[caller] = (left - cost, now)
        if len(self.buckets) > 10_000:  # full buckets are forgotten
            self.buckets = {kept: bucket for kept, bucket in self.buckets.items() if self.left(kept, now) < BURST}
            self.apart &= self.buckets.keys()
        return True

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


# In the costly-read process: the services on the store the environment names, and an event loop of its own.
opened: tuple[Any, asyncio.AbstractEventLoop] | None = None


def start() -> None:
    global opened
    from service.bootstrap import bootstrap
    from service.http import keep_request_text_out_of_logs

    threading.Thread(target=outlive_not, args=(os.getppid(),), daemon=True).start()
    os.nice(NICENESS)  # on a busy machine, the serving process (every other caller's requests) comes first
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    keep_request_text_out_of_logs()
    services = bootstrap(connections=2)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(services.store.start())
    opened = services, loop


def outlive_not(parent: int) -> None:
    """Ends this process once the serving process is gone (killed, say, before it could shut its pool down): it
    would otherwise live on, holding its store connections, for nothing."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def answer(principal: Principal, query: str, variables: dict | None, operation_name: str | None) -> str:
    from service.graphql.context import Context
    from service.graphql.schema import schema

    services, loop = opened
    context = Context(commands=services.commands, principal=principal, introspection=services.edge.introspection,
                      query_seconds=services.edge.query_seconds)
    result = loop.run_until_complete(schema.execute(query, variable_values=variables, context_value=context,
                                                    operation_name=operation_name))
    return json_text(process_result(result))


def report(principal: Principal, plan_id: str, as_at: datetime | None, since: datetime | None,
           form: str) -> tuple[bytes, str, str]:
    """The renderers (ReportLab, openpyxl with numpy, Jinja2), the largest libraries the service uses, are loaded
    here with the first report, never by a serving process."""
    from service.reports import make_report

    services, loop = opened
    return loop.run_until_complete(make_report(services.commands, principal, plan_id, as_at, since, form))
