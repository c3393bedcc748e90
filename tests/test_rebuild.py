"""Rebuilding the read models from the event log gives what was written as the changes were made."""

import threading

import pytest

from domain.vocabulary import Role
from projections.rebuild import rebuild
from service.authorisation import Principal
from service.bootstrap import bootstrap, store_and_app
from service.demo import load
from tests.support import Database

ADMIN = Principal("rebuilder", Role.ADMIN)


@pytest.fixture
def services(store):
    services = bootstrap()
    services.ids = load(services.commands)
    return services


def test_a_rebuild_equals_the_read_models_written_as_changes_were_made(services):
    db = Database(services)
    live = db.snapshot()
    replayed = rebuild(services.store, services.commands.app.mapper)
    assert replayed == len(live["records"]) > 80
    assert db.snapshot() == live


def test_worker_processes_build_the_same_read_models(services):
    db = Database(services)
    live = db.snapshot()
    replayed = rebuild(services.store, services.commands.app.mapper, batch=7, workers=2, opener=store_and_app)
    assert replayed == len(live["records"])
    assert db.snapshot() == live


def test_an_interrupted_rebuild_resumes_where_it_stopped(services):
    db = Database(services)
    live = db.snapshot()

    def stop_after_first_batch(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rebuild(services.store, services.commands.app.mapper, stop_after_first_batch, batch=5)
    assert db.run("SELECT replayed_through FROM rebuild_progress")[0][0] > 0
    assert db.snapshot() == live, "the live read models are untouched until the rebuild finishes"
    rest = rebuild(services.store, services.commands.app.mapper, batch=5)
    assert 0 < rest < len(live["records"])
    assert db.snapshot() == live


def test_changes_made_during_a_rebuild_are_in_its_result(services):
    commands = services.commands
    action = commands.read_model.run(__import__("projections.store", fromlist=["q"]).entities(
        "plan_id", services.ids["lancashireImprovementPlan"], "Action", None))[0]["id"]
    stop = threading.Event()

    def write():
        n = 0
        while not stop.is_set():
            n += 1
            commands.execute(ADMIN, "reportActionProgress",
                             {"action_id": action, "note": f"during {n}", "rag": None, "expected_version": None})

    writer = threading.Thread(target=write)
    writer.start()
    try:
        rebuild(services.store, commands.app.mapper, batch=3)
    finally:
        stop.set()
        writer.join(30)
    db = Database(services)
    during = db.snapshot()
    rebuild(services.store, commands.app.mapper)
    assert db.snapshot() == during
    notes = [r for r in during["records"] if r[1] == action]
    assert len(notes) == len(db.run("SELECT 1 FROM {events} WHERE originator_id = ?",
                                    (action if db.url else action.replace("-", ""),)))
