"""A server killed with SIGKILL under write load loses no acknowledged write and leaves nothing half-written."""

import signal
import threading
import time

import httpx

from projections.rebuild import rebuild
from service.bootstrap import bootstrap
from tests.support import Database, Server, environment, new_area


def test_after_sigkill_every_acknowledged_write_is_there_and_the_log_is_whole(tmp_path, new_store, monkeypatch):
    store = new_store()
    server = Server(tmp_path, store).start()
    area = new_area(server)
    acknowledged, stop = [], threading.Event()

    def write(writer: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            note = f"writer {writer} note {n}"
            try:
                response = server.post("mutation($i: ReportActionProgressInput!) { reportActionProgress(input: $i) {"
                                       " event { position } } }", {"i": {"actionId": area.action, "note": note}}, area.lead)
                if response.json()["data"]["reportActionProgress"]["event"]:
                    acknowledged.append(note)
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                return  # the server is gone

    writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in writers:
        thread.start()
    deadline = time.monotonic() + 60  # killed under load: once enough writes are acknowledged (a busy machine is slow)
    while len(acknowledged) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(10)
    stop.set()
    for thread in writers:
        thread.join(30)
    server.log.close()
    assert len(acknowledged) > 10

    server = Server(tmp_path, store).start()
    try:
        notes, after = [], None
        while page := server.query("query($id: ID!, $after: String) { history(entityId: $id, first: 100, after: $after) {"
                                   " edges { cursor node { version data } } } }", area.auditor, id=area.action,
                                   after=after)["history"]["edges"]:
            notes += [e["node"]["data"].get("note") for e in page]
            after = page[-1]["cursor"]
        assert set(acknowledged) <= set(notes), "an acknowledged write was lost"
        action = server.query("query($id: ID!) { action(id: $id) { version latestNote } }", area.auditor, id=area.action)
        assert action["action"]["version"] == len(notes), "the current state disagrees with the log"
        audit = server.query("{ verifyAuditTrail { ok eventsChecked } }", area.auditor)["verifyAuditTrail"]
        assert audit["ok"]
        ready = httpx.get(f"http://127.0.0.1:{server.port}/readyz", headers={"Authorization": f"Bearer {area.auditor}"}).json()
        assert ready["projectionLag"] == 0 and audit["eventsChecked"] > len(notes)
    finally:
        server.stop()
    for key, value in environment(tmp_path, store).items():
        monkeypatch.setenv(key, value)
    services = bootstrap()
    database = Database(services)
    live = database.snapshot()
    rebuild(services.store, services.commands.app.mapper)
    assert database.snapshot() == live, "the read models differ from a full rebuild of the log"
