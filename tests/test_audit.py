"""The audit trail detects tampering done directly in the database, on both stores."""

import os
import random
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest

from domain.vocabulary import Role
from projections.audit import link
from service.application import RecordsApplication
from service.authorisation import Principal
from service.audit import AuditError, canonical, check_checkpoint, export_history, make_checkpoint, verify_bundle, verify_log
from service.bootstrap import bootstrap
from service.demo import load
from tests.support import Database


@pytest.fixture
def services(store):
    services = bootstrap()
    services.ids = load(services.commands)
    return services


def tamper_edit(db: Database) -> int:
    state = bytearray(db.event(10)[3])
    state[len(state) // 2] ^= 0x01
    db.run("UPDATE {events} SET state = ? WHERE {position} = ?", (bytes(state), 10))
    return 10


def tamper_delete(db: Database) -> int:
    db.run("DELETE FROM {events} WHERE {position} = ?", (20,))
    return 20


def tamper_swap(db: Database) -> int:
    first, second = db.event(30), db.event(31)
    db.run("DELETE FROM {events} WHERE {position} IN (?, ?)", (30, 31))
    columns = "({position}, originator_id, originator_version, topic, state)"
    db.run("INSERT INTO {events} " + columns + " VALUES (?, ?, ?, ?, ?)", (30, *second))
    db.run("INSERT INTO {events} " + columns + " VALUES (?, ?, ?, ?, ?)", (31, *first))
    return 30


def tamper_insert(db: Database) -> int:
    originator, version, topic, state = db.event(40)
    end = db.run("SELECT MAX({position}) FROM {events}")[0][0]
    db.run("INSERT INTO {events} ({position}, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)",
           (end + 1, originator, 999, topic, state))
    return end + 1


def test_an_intact_log_verifies(services):
    result = verify_log(services.store)
    assert result.ok and result.first_broken_position is None
    assert result.events_checked == services.store.chain_end() > 80
    lancashire = verify_log(services.store, services.ids["lancashire"])
    assert lancashire.ok and 0 < lancashire.events_checked < result.events_checked


@pytest.mark.parametrize("tamper", [tamper_edit, tamper_delete, tamper_swap, tamper_insert])
def test_tampering_through_sql_is_found_at_its_position(services, tamper):
    broken_at = tamper(Database(services))
    result = verify_log(services.store)
    assert not result.ok and result.first_broken_position == broken_at
    assert result.events_checked == broken_at - 1


def forge(db: Database) -> None:
    """What a careful forger would do: edit an event, then recompute every link after it."""
    position = tamper_edit(db)
    rows = db.run("SELECT {position}, originator_id, originator_version, topic, state FROM {events}"
                  " WHERE {position} >= ? ORDER BY {position}", (position,))
    prev = db.run("SELECT hash FROM audit_chain WHERE position = ?", (position - 1,))[0][0]
    for pos, originator, version, topic, state in rows:
        new = link(prev, str(UUID(str(originator))), version, topic, bytes(state))
        db.run("UPDATE audit_chain SET prev_hash = ?, hash = ? WHERE position = ?", (prev, new, pos))
        prev = new


def test_a_checkpoint_proves_the_log_only_grew(services):
    checkpoint = make_checkpoint(services.store, services.secret)
    admin = Principal("auditor-test", Role.ADMIN)
    services.commands.run(admin, "registerPartnership", name="Dorset SEND Partnership", local_authority="Dorset")
    assert verify_log(services.store, checkpoint=check_checkpoint(checkpoint, services.secret)).ok
    forge(Database(services))
    assert verify_log(services.store).ok, "a rewritten chain is consistent in itself"
    against = verify_log(services.store, checkpoint=checkpoint)
    assert not against.ok and against.first_broken_position == checkpoint["position"]
    with pytest.raises(AuditError):
        check_checkpoint({**checkpoint, "hash": "0" * 64}, services.secret)


def test_a_bundle_verifies_offline_and_fails_after_any_byte_changes(services):
    bundle = canonical(export_history(services.commands, services.ids["lancashireWsoa"], None))
    mapper = RecordsApplication.offline_mapper()
    assert verify_bundle(bundle, mapper) > 20
    rng = random.Random(7)
    for offset in rng.sample(range(len(bundle)), 40):
        changed = bytearray(bundle)
        changed[offset] = (changed[offset] + rng.randrange(1, 256)) % 256
        with pytest.raises(AuditError):
            verify_bundle(bytes(changed), mapper)


def test_the_cli_verifies_and_exits_with_the_verdict(services, tmp_path):
    binary = Path(sys.executable).parent / "send-records"
    env = dict(os.environ)
    intact = subprocess.run([str(binary), "verify"], env=env, capture_output=True, text=True, timeout=120)
    assert intact.returncode == 0 and intact.stdout.startswith("intact:")
    bundle = tmp_path / "bundle.json"
    made = subprocess.run([str(binary), "export-history", "--plan", services.ids["lancashireWsoa"], "--out", str(bundle)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert subprocess.run([str(binary), "verify-bundle", str(bundle)], capture_output=True, timeout=60).returncode == 0
    tamper_delete(Database(services))
    broken = subprocess.run([str(binary), "verify"], env=env, capture_output=True, text=True, timeout=120)
    assert broken.returncode == 1 and "first broken position 20;" in broken.stdout
