"""Concurrent commands are stored together (projections/group_commit.py): each is acknowledged only once stored,
with its own answer, and a change breaking a rule is refused alone."""

import threading
import time

import pytest

from projections import queries as q
from projections.group_commit import GroupCommit
from projections.rebuild import rebuild
from service.audit import verify_log
from service.bootstrap import bootstrap
from service.demo import load
from tests.support import Database
from tests.test_rebuild import ADMIN


@pytest.fixture
def services(store):
    services = bootstrap()
    load(services.commands)
    return services


def queued_behind_a_commit(services, calls: list[tuple[str, dict]]) -> tuple[list, list[int]]:
    """Runs the calls at once while another transaction holds the writers' lock, so that they all queue while the
    group commit waits for the lock; returns their outcomes and the number of changes each transaction tried."""
    commands = services.commands
    recorder = commands.app.recorder
    tried = []
    insert_all = recorder.insert_all

    def counted(take):
        def counting():
            changes = take()
            tried.append(len(changes))
            return changes

        return insert_all(counting)

    recorder.insert_all = counted
    outcomes = [None] * len(calls)

    def call(n):
        name, fields = calls[n]
        outcomes[n] = commands.run(ADMIN, name, **fields)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(len(calls))]
    group_commit = recorder.group_commit
    with services.store.writer(lock_writers=True):
        for thread in threads:
            thread.start()
        until(lambda: len(group_commit.queue) == len(calls))
    for thread in threads:
        thread.join(30)
    del recorder.insert_all
    return outcomes, tried


def until(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the changes did not queue"
        time.sleep(0.01)


def actions(services) -> list:
    """The demo's open actions."""
    return [a for a in services.commands.read_model.run(q.entities("Action", None, [], None))
            if a.status in ("NOT_STARTED", "IN_PROGRESS")]


def report(action, **extra) -> tuple[str, dict]:
    return "reportActionProgress", {"action_id": action.id, "note": "Termly update", "rag": "AMBER", **extra}


def test_changes_waiting_for_a_commit_are_stored_in_one_transaction(services):
    mine = actions(services)
    n = len(mine)
    assert n >= 6
    outcomes, tried = queued_behind_a_commit(services, [report(a) for a in mine])
    assert all(not o.errors for o in outcomes)
    assert tried == [n]  # all that queued while the commit waited for the lock, together
    assert len({o.event["position"] for o in outcomes}) == n
    for action, outcome in zip(mine, outcomes):
        assert outcome.event["entityId"] == action.id and outcome.event["version"] == action.version + 1
    assert verify_log(services.store).ok


def test_a_change_on_a_version_already_taken_is_refused_alone_and_the_rest_stored_together(services):
    mine = actions(services)
    n = len(mine)
    twice = report(mine[0], expected_version=mine[0].version)  # the same version of one action, twice
    outcomes, tried = queued_behind_a_commit(services, [report(a) for a in mine[1:]] + [twice, twice])
    conflicts = [o for o in outcomes if o.errors]
    assert [e.code for o in conflicts for e in o.errors] == ["CONFLICT"]
    assert tried == [n + 1]  # together: nothing was tried twice
    stored = [o for o in outcomes if not o.errors]
    assert len(stored) == n and len({o.event["position"] for o in stored}) == n
    assert_sound(services)


def test_a_copy_another_process_changed_is_found_out_in_the_batch_and_the_change_made_again(services):
    """Another process (another application on the same store) changed an action after this one last saw it: this
    process's change to it, decided on its copy, is refused in the batch without holding up the others, and made
    again on the latest version."""
    mine = actions(services)
    n = len(mine)
    name, fields = report(mine[0])
    assert not services.commands.run(ADMIN, name, **fields).errors  # this process's copy: the version after
    other = bootstrap()
    assert not other.commands.run(ADMIN, name, **{**fields, "note": "From the other process"}).errors
    outcomes, tried = queued_behind_a_commit(services, [report(a) for a in mine[1:]] + [report(mine[0])])
    assert all(not o.errors for o in outcomes)
    assert tried == [n, 1]  # together, then the stale one again on its own
    assert outcomes[-1].event["version"] == mine[0].version + 3
    assert_sound(services)


def test_a_batch_breaking_another_rule_is_tried_again_change_by_change(services):
    """Two changes with one idempotency key (and different inputs) in one batch: the key can be stored once, so the
    transaction fails; each change is then committed alone, and only the second is refused."""
    mine = actions(services)
    n = len(mine)
    keyed = [report(a, idempotency_key="termly-update-1") for a in mine[:2]]
    outcomes, tried = queued_behind_a_commit(services, [report(a) for a in mine[2:]] + keyed)
    refused = [o for o in outcomes if o.errors]
    assert [e.code for o in refused for e in o.errors] == ["INVALID"]  # the key was used with a different input
    assert tried == [n] + [1] * n  # together, then each alone
    assert_sound(services)


def assert_sound(services) -> None:
    """The log verifies, and the read models are what a rebuild from it makes."""
    assert verify_log(services.store).ok
    db = Database(services)
    live = db.snapshot()
    rebuild(services.store, services.commands.app.mapper)
    assert db.snapshot() == live


def held_group_commit(take_first: bool = True) -> tuple[GroupCommit, list[list[str]], threading.Event]:
    """A group commit whose commits wait until the event is set, having taken their items (or, as if waiting for the
    writers' lock, before they take them); it records each batch it takes."""
    batches: list[list[str]] = []
    release = threading.Event()

    def commit(take):
        items = take() if take_first else None
        release.wait(30)
        items = items or take()
        batches.append(list(items))
        if "broken" in items:
            raise OSError("the database is away")
        return [f"stored {item}" for item in items]

    return GroupCommit(commit), batches, release


def test_changes_queued_while_a_commit_waits_for_the_writers_lock_are_taken_with_it():
    group_commit, batches, release = held_group_commit(take_first=False)
    futures = [group_commit.submit("first")]
    until(lambda: group_commit.writing)
    futures += [group_commit.submit(item) for item in ("second", "third")]
    release.set()
    assert [f.result(30) for f in futures] == ["stored first", "stored second", "stored third"]
    assert batches == [["first", "second", "third"]]


def test_a_change_whose_caller_gave_up_before_its_batch_was_taken_is_not_stored():
    group_commit, batches, release = held_group_commit()
    first = group_commit.submit("first")
    until(lambda: group_commit.writing and not group_commit.queue)
    abandoned, kept = group_commit.submit("abandoned"), group_commit.submit("kept")
    assert abandoned.cancel()
    release.set()
    assert (first.result(30), kept.result(30)) == ("stored first", "stored kept")
    assert batches == [["first"], ["kept"]]


def test_a_batch_that_fails_fails_each_of_its_changes_and_the_next_batch_is_still_committed():
    group_commit, batches, release = held_group_commit()
    first = group_commit.submit("first")
    until(lambda: group_commit.writing and not group_commit.queue)
    failing = [group_commit.submit(item) for item in ("broken", "with it")]
    release.set()
    assert first.result(30) == "stored first"
    for future in failing:
        with pytest.raises(OSError):
            future.result(30)
    assert group_commit("later") == "stored later"
    assert batches == [["first"], ["broken", "with it"], ["later"]]


def test_a_commit_that_fails_before_it_takes_its_batch_fails_the_queued_changes_and_the_next_is_committed():
    """The database away when the writers' lock is asked for: the changes queued fail with it, none is left queued
    behind a writer that stopped, and a later change is committed."""
    away = threading.Event()
    away.set()

    def commit(take):
        if away.is_set():
            away.clear()
            raise OSError("the database is away")
        return [f"stored {item}" for item in take()]

    group_commit = GroupCommit(commit)
    with pytest.raises(OSError):
        group_commit("first")
    assert not group_commit.queue
    assert group_commit("later") == "stored later"
