"""Queries' time limits (service/graphql/cost.py Deadlines): one timer for the queries of an event loop, set for
the earliest deadline. A query past its deadline is stopped and told so; a query cancelled by anything else (its
client went) is not taken for one that ran out of time; and each query is stopped at its own deadline."""

import asyncio

import pytest

from service.graphql.cost import Deadlines


async def query(deadlines: Deadlines, seconds: float, takes: float, log: list) -> str:
    """A query as the executor runs one (LimitedExecution.finishing)."""
    task = asyncio.current_task()
    deadlines.watch(task, seconds)
    try:
        await asyncio.sleep(takes)
        return "answered"
    except asyncio.CancelledError:
        if deadlines.expired(task):
            log.append((seconds, asyncio.get_running_loop().time()))
            return "took too long"
        raise
    finally:
        deadlines.forget(task)


def test_each_query_is_stopped_at_its_own_deadline_and_the_others_answer():
    async def run():
        loop, log = asyncio.get_running_loop(), []
        deadlines, started = Deadlines.of(loop), loop.time()
        answers = await asyncio.gather(query(deadlines, 0.3, 0.05, log), query(deadlines, 0.1, 5, log),
                                       query(deadlines, 0.2, 5, log), query(deadlines, 0.3, 0.25, log))
        return answers, [(seconds, at - started) for seconds, at in log], deadlines

    answers, stopped, deadlines = asyncio.run(run())
    assert answers == ["answered", "took too long", "took too long", "answered"]
    assert [seconds for seconds, _ in stopped] == [0.1, 0.2]
    assert all(seconds <= at < seconds + 0.08 for seconds, at in stopped)
    assert deadlines.deadlines == {} and deadlines.cancelled == set()


def test_a_query_cancelled_by_anything_else_is_cancelled_not_stopped_for_its_time():
    async def run():
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(query(Deadlines.of(loop), 5, 5, []))
        await asyncio.sleep(0.05)
        task.cancel()  # its client went
        return await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(run())


def test_a_query_cancelled_as_its_time_runs_out_is_cancelled_too():
    async def run():
        loop = asyncio.get_running_loop()
        deadlines = Deadlines.of(loop)
        task = asyncio.create_task(query(deadlines, 0, 5, []))
        await asyncio.sleep(0)  # it starts, and its deadline is already past
        deadlines.expire()  # its deadline cancels it, and in the same turn of the loop its client goes
        task.cancel()
        return await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(run())
