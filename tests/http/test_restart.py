"""Stopping the service and starting it again on the same data directory loses nothing."""

from tests.support import Server, new_area


def test_everything_is_still_there_after_a_restart(tmp_path, new_store):
    store = new_store()
    server = Server(tmp_path, store).start()
    try:
        area = new_area(server)
        server.ok("startAction", {"actionId": area.action, "idempotencyKey": "start-once"}, area.lead)
        before = server.query("query($p: ID!) { plan(id: $p) { version actions { edges { node { status version } } } }"
                              " events(first: 100) { edges { cursor node { type } } } }", area.auditor, p=area.plan)
    finally:
        server.stop()
    server = Server(tmp_path, store).start()
    try:
        after = server.query("query($p: ID!) { plan(id: $p) { version actions { edges { node { status version } } } }"
                             " events(first: 100) { edges { cursor node { type } } } }", area.auditor, p=area.plan)
        assert after == before and before["plan"]["actions"]["edges"][0]["node"]["status"] == "IN_PROGRESS"
        replay = server.ok("startAction", {"actionId": area.action, "idempotencyKey": "start-once"}, area.lead)
        assert replay["event"]["position"] == before["events"]["edges"][-1]["cursor"]
        server.ok("reportActionProgress", {"actionId": area.action, "note": "after restart", "expectedVersion": 2}, area.lead)
    finally:
        server.stop()
