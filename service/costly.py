"""Costly reads, answered in a process of their own, so that no caller's costly query or audit verification can
hold up anyone else's requests (issue 14).

The service answers every request on one event loop, and commands in its worker threads. A query that walks
thousands of objects holds that loop for as long as its resolvers run, and a verification holds the interpreter
lock while it hashes: either way the mutations of every other caller wait. So a query whose cost is over
cost.INLINE_LIMIT, or that verifies the audit trail, is answered by another process on the same store (each
`send-records serve` process has one, started with its first costly read), which gives back the answer's JSON
text: the serving process only copies it to the client. A caller has at most PER_CALLER costly reads under way
at once; the others queue in that process's bounded pool (one process; its answers are limited in time too).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from graphql import ExecutionResult
from strawberry.http import process_result

from service.authorisation import Principal
from service.graphql.cost import took_too_long, too_costly

PER_CALLER = 2
NICENESS = 10  # the costly-read process's scheduling priority below the serving process's


@dataclass(frozen=True)
class Answered:
    """An answer's JSON text, as the costly-read process wrote it: it is sent as it is."""

    text: str


class CostlyReads:
    def __init__(self, seconds: float):
        self.seconds = seconds  # SEND_RECORDS_QUERY_SECONDS: an answer queued and made takes no longer
        self.pool = self.start()
        self.under_way: Counter[str] = Counter()  # costly reads by caller

    @staticmethod
    def start() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=start)

    async def answer(self, principal: Principal, query: str, variables: dict | None,
                     operation_name: str | None) -> ExecutionResult:
        caller = principal.scope
        if self.under_way[caller] >= PER_CALLER:
            return ExecutionResult(None, [too_costly(
                f"a caller may have at most {PER_CALLER} costly reads under way at once: wait for an answer first")])
        self.under_way[caller] += 1
        try:
            async with asyncio.timeout(self.seconds):
                text = await asyncio.get_running_loop().run_in_executor(self.pool, answer, principal, query, variables,
                                                                        operation_name)
            return ExecutionResult(Answered(text), None)
        except TimeoutError:
            return ExecutionResult(None, [took_too_long(self.seconds)])
        except BrokenProcessPool:  # the process died (out of memory, say): the next costly read starts another
            self.pool = self.start()
            raise
        finally:
            self.under_way[caller] -= 1
            if not self.under_way[caller]:
                del self.under_way[caller]

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
    return json.dumps(process_result(result), separators=(",", ":"))
