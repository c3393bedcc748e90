"""Rebuilding the read models from the event log gives what was written as the changes were made."""

import threading
from datetime import date

import pytest

from domain.vocabulary import Role
from projections import queries as q
from projections.rebuild import rebuild
from projections.tables import SCHEMA_VERSION
from service.authorisation import Principal
from service.bootstrap import bootstrap, bring_up_to_date, store_and_app
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


def monitor_for_two_years(services) -> int:
    """Forty actions added to Lancashire's Improvement Plan and monitored month by month, through the commands,
    as a partnership's record grows: progress reports, reschedules, reassignments, completions, cancellations,
    and a termly scorecard. Returns the number of commands."""
    commands, ids = services.commands, services.ids
    lead = Principal("sian.rees@lancashire.gov.uk", Role.PARTNERSHIP_LEAD, ids["lancashire"])
    made = 0

    def run(mutation, **arguments):
        nonlocal made
        outcome = commands.run(lead, mutation, **arguments)
        assert not outcome.errors, (mutation, outcome.errors)
        made += 1
        return outcome

    council = ids["lancashireCouncilAgency"]
    actions = [run("addAction", plan_id=ids["lancashireImprovementPlan"], priority_area_id=None, title=f"Action {n + 1}",
                   description=None, owner_agency_id=council, lead_officer="Head of SEND", due_on=date(2021, 7, 31),
                   effective_on=date(2020, 2, 3)).entity_id for n in range(40)]
    metric = run("defineMetric", partnership_id=ids["lancashire"], name="EHC needs assessments completed in 20 weeks",
                 unit="PERCENT", polarity="HIGHER_IS_BETTER", target=60.0, priority_area_id=None,
                 effective_on=date(2020, 2, 3)).entity_id
    open_actions = dict(enumerate(actions))
    for n, action in open_actions.items():
        run("startAction", action_id=action, reason=None, expected_version=None, effective_on=date(2020, 2, 10))
    for month in range(1, 25):
        on = date(2020 + (month + 1) // 12, (month + 1) % 12 + 1, 1)
        for n, action in list(open_actions.items()):
            change = {"action_id": action, "expected_version": None, "effective_on": on}
            if n % 7 == month % 7:
                run("rescheduleAction", **change, due_on=date(2022, 3, 31), reason="Slipped with the audit cycle")
            if month == 4 and n % 5 == 0:
                run("reassignAction", **change, owner_agency_id=council, lead_officer="Inclusion Lead",
                    reason="The inclusion service leads it now")
            if n % 4 < 2 and month == 3 + n % 20:
                run("completeAction", action_id=action, completed_on=on, evidence=[f"Board minutes {on:%B %Y}"])
                del open_actions[n]
            elif n % 4 == 3 and month == 6:
                run("cancelAction", **change, reason="Merged into the new inclusion strategy")
                del open_actions[n]
            else:
                run("reportActionProgress", **change, note=f"Update for {on:%B %Y}", rag="AMBER")
        if month % 4 == 0:
            run("recordMeasurement", metric_id=metric, period=f"Term {month // 4}", period_end=on,
                value=40.0 + month, expected_version=None)
    return made


def test_a_rebuild_of_a_log_of_realistic_size_equals_the_live_read_models(services):
    made = monitor_for_two_years(services)
    db = Database(services)
    live = db.snapshot()
    assert made > 600 and len(live["records"]) > made
    replayed = rebuild(services.store, services.commands.app.mapper, workers=2, opener=store_and_app)
    assert replayed == len(live["records"])
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
    action = commands.read_model.run(q.entities("Action", "plan_id", [services.ids["lancashireImprovementPlan"]],
                                                None))[0].id
    stop = threading.Event()

    def write():
        n = 0
        while not stop.is_set():
            n += 1
            commands.run(ADMIN, "reportActionProgress", action_id=action, note=f"during {n}")

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


def test_a_database_of_schema_version_1_is_brought_up_to_date_and_rebuilds(services):
    db = Database(services)
    bigint = services.store.bigint
    db.run("DROP TABLE rebuild_progress")
    db.run(f"CREATE TABLE rebuild_progress (started_position {bigint} NOT NULL, last_aggregate TEXT)")
    db.run("UPDATE schema_version SET version = 1")
    live = db.snapshot()
    again = bootstrap()
    assert db.run("SELECT version FROM schema_version") == [(SCHEMA_VERSION,)] and SCHEMA_VERSION == 3
    assert db.run("SELECT COUNT(*) FROM entities") == [(0,)], "version 3 empties the read models of older shapes"
    assert bring_up_to_date(again) and not bring_up_to_date(again)
    assert db.snapshot() == live
