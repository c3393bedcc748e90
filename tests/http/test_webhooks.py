"""Webhooks delivered by a real `send-records serve` to a real receiver that verifies them with `standardwebhooks`.

Each test runs on both stores. The retry schedule is shortened through SEND_RECORDS_WEBHOOK_RETRY_SECONDS, as an
operator could; webhooks are registered, changed and read through GraphQL (tests/webhook_support.py).
"""

import threading
import time

import pytest

from tests.conftest import new_database
from tests.support import Server, free_port, new_area
from tests.webhook_support import Answer, Receiver, change, deliveries, register

SCHEDULE = (0.2, 0.4, 0.8, 1.6)
SETTINGS = {
    "SEND_RECORDS_WEBHOOK_ALLOW_PRIVATE": "1",
    "SEND_RECORDS_WEBHOOK_RETRY_SECONDS": ",".join(map(str, SCHEDULE)),
    "SEND_RECORDS_WEBHOOK_PARK_SECONDS": "3",
    "SEND_RECORDS_WEBHOOK_TIMEOUT_SECONDS": "1",
}
EVENT = "position entityId entityType type version recordedAt effectiveOn actor { subject role agencyId } reason partnershipId data"


@pytest.fixture(scope="module")
def hooked(tmp_path_factory, new_store):
    """A server delivering webhooks."""
    server = Server(tmp_path_factory.mktemp("webhooks"), {**new_store(), **SETTINGS}).start()
    yield server
    server.stop()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.stop()


def report(server: Server, area, note: str) -> str:
    """Report progress on the area's action; the event's cursor."""
    return server.ok("reportActionProgress", {"actionId": area.action, "note": note}, area.lead)["event"]["position"]


def eventually(check, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)
    return found


def test_each_event_asked_for_arrives_signed_with_the_event_as_graphql_shows_it(hooked, receiver):
    server = hooked
    area = new_area(server)
    webhook_id, secret = register(server, area.lead, receiver.url(), area.partnership, ["ActionProgressReported"])
    server.ok("startAction", {"actionId": area.action}, area.lead)  # not asked for
    cursors = [report(server, area, "first"), report(server, area, "second")]
    got = receiver.wait_for("/hook", 2)
    assert [r.id for r in got] == cursors
    shown = server.query(f"query($p: ID) {{ events(partnershipId: $p, types: [\"ActionProgressReported\"]) {{"
                         f" edges {{ node {{ {EVENT} }} }} }} }}", area.auditor, p=area.partnership)["events"]["edges"]
    for request, edge in zip(got, shown[-2:], strict=True):
        body = request.verified(secret)
        assert body == {"type": "ActionProgressReported", "timestamp": edge["node"]["recordedAt"], "data": edge["node"]}
        assert request.headers["content-type"] == "application/json"
        assert abs(int(request.headers["webhook-timestamp"]) - request.at) < 5
    time.sleep(0.5)
    assert len(receiver.at("/hook")) == 2
    assert [(d["status"], d["attempts"], d["lastStatusCode"]) for d in deliveries(server, area.lead, webhook_id)] == \
        [("DELIVERED", 1, 200)] * 2


def test_a_receiver_down_then_up_gets_everything_under_the_same_ids(hooked):
    server = hooked
    area = new_area(server)
    port = free_port()
    _, secret = register(server, area.lead, f"http://127.0.0.1:{port}/hook", area.partnership, [])
    cursors = [report(server, area, f"while down {n}") for n in range(5)]
    time.sleep(1)  # every attempt meanwhile is refused a connection
    receiver = Receiver(port)
    try:
        got = eventually(lambda: len({r.id for r in receiver.at("/hook")}) == 5 and receiver.at("/hook"))
        assert sorted({r.id for r in got}) == sorted(cursors)  # in order, unless the outage parked the first
        assert all(r.verified(secret)["data"]["position"] == r.id for r in got)
    finally:
        receiver.stop()


def test_failures_are_retried_with_backoff_under_the_same_id(hooked, receiver):
    server = hooked
    area = new_area(server)
    webhook_id, secret = register(server, area.lead, receiver.url(), area.partnership, [])
    receiver.script("/hook", Answer(500), Answer(500), Answer(503))
    cursor = report(server, area, "retried")
    got = receiver.wait_for("/hook", 4)
    assert {r.id for r in got} == {cursor}
    waits = [later.at - earlier.at for earlier, later in zip(got, got[1:])]
    for waited, scheduled in zip(waits, SCHEDULE):
        assert waited >= scheduled * 0.8
    assert waits[2] > waits[0]
    assert got[-1].verified(secret)
    assert eventually(lambda: deliveries(server, area.lead, webhook_id, "DELIVERED")) == [
        {**deliveries(server, area.lead, webhook_id)[0], "status": "DELIVERED", "attempts": 4, "lastStatusCode": 200}]


def test_retry_after_is_honoured_and_redirects_are_not_followed(hooked, receiver):
    server = hooked
    area = new_area(server)
    register(server, area.lead, receiver.url(), area.partnership, [])
    receiver.script("/hook", Answer(429, headers={"Retry-After": "2"}),
                    Answer(307, headers={"Location": receiver.url("/elsewhere")}))
    cursor = report(server, area, "patience")
    got = receiver.wait_for("/hook", 3)
    assert {r.id for r in got} == {cursor}
    assert got[1].at - got[0].at >= 1.9  # not the schedule's 0.2 s
    assert receiver.at("/elsewhere") == []


def test_a_receiver_answering_410_disables_the_webhook_and_enabling_resumes_it(hooked, receiver):
    server = hooked
    area = new_area(server)
    webhook_id, _ = register(server, area.lead, receiver.url(), area.partnership, ["ActionProgressReported"])
    receiver.script("/hook", Answer(410))
    gone = report(server, area, "gone")
    disabled = eventually(lambda: server.query(
        f"query($p: ID) {{ events(partnershipId: $p, types: [\"WebhookDisabled\"]) {{ edges {{ node {{ {EVENT} }} }} }} }}",
        area.lead, p=area.partnership)["events"]["edges"])
    node = disabled[0]["node"]
    assert (node["entityId"], node["actor"]["subject"], node["actor"]["role"]) == (webhook_id, "system", "ADMIN")
    assert node["reason"] == "the receiver answered 410 Gone"
    shown = server.query("query($p: ID) { webhooks(partnershipId: $p) { id active disabledReason } }", area.auditor,
                         p=area.partnership)["webhooks"]
    assert shown == [{"id": webhook_id, "active": False, "disabledReason": "the receiver answered 410 Gone"}]
    later = report(server, area, "while disabled")
    time.sleep(1)
    assert len(receiver.at("/hook")) == 1
    change(server, area.lead, "enableWebhook", webhook_id, reason="the receiver is back")
    got = receiver.wait_for("/hook", 3)
    assert [r.id for r in got] == [gone, gone, later]


def test_a_slow_receiver_times_out_and_the_delivery_is_retried(hooked, receiver):
    server = hooked
    area = new_area(server)
    webhook_id, _ = register(server, area.lead, receiver.url(), area.partnership, [])
    receiver.script("/hook", Answer(delay=3))
    cursor = report(server, area, "slowly")
    got = receiver.wait_for("/hook", 2)
    assert [r.id for r in got] == [cursor, cursor]
    assert got[1].at - got[0].at < 3  # retried without waiting for the slow answer
    assert eventually(lambda: deliveries(server, area.lead, webhook_id, "DELIVERED"))[0]["attempts"] == 2


def test_an_event_that_keeps_failing_is_parked_so_later_ones_flow_then_given_up(hooked, receiver):
    server = hooked
    area = new_area(server)
    webhook_id, _ = register(server, area.lead, receiver.url(), area.partnership, [])
    receiver.always["/hook"] = lambda request: Answer(500 if b"poison" in request.body else 200)
    poison, *fine = [report(server, area, note) for note in ("poison", "fine 1", "fine 2")]
    got = eventually(lambda: (r := receiver.at("/hook")) and fine[-1] in {x.id for x in r} and r)
    first_fine = next(r for r in got if r.id == fine[0])
    held = [r.id for r in got if r.at < first_fine.at]  # it held its place until parked (or given up)
    assert held[0] == poison and set(held) == {poison} and len(held) >= 3
    assert [r.id for r in got if r.id != poison] == fine
    given_up = eventually(lambda: deliveries(server, area.lead, webhook_id, "GIVEN_UP"))
    assert [(d["position"], d["attempts"], d["lastStatusCode"]) for d in given_up] == \
        [(given_up[0]["position"], len(SCHEDULE) + 1, 500)]
    eventually(lambda: [d["status"] for d in deliveries(server, area.lead, webhook_id)] == ["GIVEN_UP", "DELIVERED", "DELIVERED"])


def test_both_secrets_sign_during_a_rotation_and_neither_is_logged(hooked, receiver):
    server = hooked
    area = new_area(server)
    webhook_id, old = register(server, area.lead, receiver.url(), area.partnership, [])
    new = change(server, area.lead, "rotateWebhookSecret", webhook_id)["secret"]
    assert new.startswith("whsec_") and new != old
    report(server, area, "rotated")
    request = receiver.wait_for("/hook", 2)[-1]  # the rotation's own event first
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert request.verified(old) == request.verified(new)
    log = (server.data_dir / "server.log").read_text()
    for secret in (old, new):
        assert secret[len("whsec_"):] not in log


def test_a_leads_webhook_never_receives_another_partnerships_events(hooked, receiver):
    server = hooked
    ours, theirs = new_area(server), new_area(server)
    register(server, ours.lead, receiver.url("/ours"), ours.partnership, [])
    register(server, ours.admin, receiver.url("/all"), None, ["ActionProgressReported"])
    mine = [report(server, ours, "ours"), report(server, theirs, "theirs"), report(server, ours, "ours again")]
    assert [r.id for r in receiver.wait_for("/all", 3)] == mine
    got = receiver.wait_for("/ours", 2)
    time.sleep(0.5)
    assert [r.id for r in receiver.at("/ours")] == [mine[0], mine[2]]
    assert not any(theirs.partnership.encode() in r.body for r in got)


def test_redelivery_replays_from_a_cursor_in_order(hooked, receiver):
    server = hooked
    area = new_area(server)
    webhook_id, _ = register(server, area.lead, receiver.url(), area.partnership, ["ActionProgressReported"])
    cursors = [report(server, area, f"n{n}") for n in range(3)]
    receiver.wait_for("/hook", 3)
    change(server, area.lead, "redeliverWebhook", webhook_id, after=cursors[0])
    assert [r.id for r in receiver.wait_for("/hook", 5)] == cursors + cursors[1:]


def test_private_addresses_are_refused_by_default(tmp_path, new_store, receiver):
    settings = {k: v for k, v in SETTINGS.items() if k != "SEND_RECORDS_WEBHOOK_ALLOW_PRIVATE"}
    server = Server(tmp_path, {**new_store(), **settings}).start()
    try:
        area = new_area(server)
        for url, says in [(receiver.url(), "loopback address"), (f"http://localhost:{receiver.port}/hook", "names this machine"),
                          ("http://169.254.169.254/latest/meta-data/", "link-local address"), ("http://0.0.0.0:80/", "")]:
            payload = server.mutate("registerWebhook", {"partnershipId": area.partnership, "url": url}, area.lead)
            assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["url"])], url
            assert says in payload["userErrors"][0]["message"] and payload["event"] is None
        private, _ = register(server, area.lead, "http://10.0.0.1/hook", area.partnership, [])  # (refused as it is called)
        report(server, area, "inside")
        failed = eventually(lambda: deliveries(server, area.lead, private, "FAILED"))
        assert "private or reserved address" in failed[0]["lastError"] and failed[0]["lastStatusCode"] is None
        assert receiver.received == []
    finally:
        server.stop()


def test_a_webhook_url_with_spaces_or_control_characters_is_refused(server):
    area = new_area(server)
    for url in ["https://example.org/x\r\nX-Injected: 1", "https://example.org/a b"]:
        payload = server.mutate("registerWebhook", {"partnershipId": area.partnership, "url": url}, area.lead)
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["url"])], url


def test_a_restart_mid_stream_resumes_where_it_stopped(tmp_path, new_store, receiver):
    server = Server(tmp_path, {**new_store(), **SETTINGS}).start()
    try:
        area = new_area(server)
        _, secret = register(server, area.lead, receiver.url(), area.partnership, ["ActionProgressReported"])
        receiver.always["/hook"] = lambda request: Answer(delay=0.3)
        cursors = [report(server, area, f"n{n}") for n in range(20)]
        receiver.wait_for("/hook", 3)
        server.stop()
        stopped_at = len(receiver.at("/hook"))
        assert stopped_at < 20
        server.start()
        got = eventually(lambda: len({r.id for r in receiver.at("/hook")}) == 20 and receiver.at("/hook"))
        assert list(dict.fromkeys(r.id for r in got)) == cursors
        assert len(got) <= 21  # at most the attempt under way at the stop is repeated
        assert all(r.verified(secret) for r in got)
    finally:
        server.stop()


def test_two_processes_on_postgresql_deliver_each_event_once_per_webhook(tmp_path, postgres_server, receiver):
    store = {"DATABASE_URL": new_database(postgres_server[1])}
    first, second = (Server(tmp_path / name, {**store, **SETTINGS}) for name in ("a", "b"))
    for server in (first, second):
        server.data_dir.mkdir()
        server.start()
    try:
        area = new_area(first)
        paths = [f"/hook{n}" for n in range(3)]
        for path in paths:
            register(first, area.lead, receiver.url(path), area.partnership, ["ActionProgressReported"])
        cursors: list[str] = []

        def write(server: Server, n: int) -> None:
            for k in range(20):
                cursors.append(report(server, area, f"{n}-{k}"))

        writers = [threading.Thread(target=write, args=(server, n)) for n, server in enumerate((first, second))]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        for path in paths:
            receiver.wait_for(path, 40)
        time.sleep(1)
        for path in paths:
            ids = [r.id for r in receiver.at(path)]
            assert sorted(ids) == sorted(cursors) and len(ids) == 40
    finally:
        first.stop()
        second.stop()


def test_webhooks_are_registered_and_read_through_graphql_by_whoever_reads_their_partnership(hooked):
    server = hooked
    area, other = new_area(server), new_area(server)
    hook = {"partnershipId": area.partnership, "url": "http://192.0.2.1/hook", "eventTypes": ["ActionCompleted"],
            "description": "Case management", "idempotencyKey": "register-1"}
    first = server.ok("registerWebhook", hook, area.lead, "webhook { id url eventTypes active } secret")
    webhook_id = first["webhook"]["id"]
    assert first["webhook"] == {"id": webhook_id, "url": hook["url"], "eventTypes": ["ActionCompleted"], "active": True}
    assert first["event"]["type"] == "WebhookRegistered" and first["secret"].startswith("whsec_")
    end = server.log_end(area.auditor)
    again = server.ok("registerWebhook", hook, area.lead, "webhook { id } secret")  # a retry: the same answer
    assert (again["webhook"]["id"], again["secret"]) == (webhook_id, first["secret"])
    assert server.recorded_since(end, area.auditor) == []
    for_all, _ = register(server, area.admin, "http://192.0.2.2/hook", None)

    def listed(who: str, partnership_id: str | None = None) -> list[str]:
        return [w["id"] for w in server.query("query($p: ID) { webhooks(partnershipId: $p) { id partnership { id } } }",
                                              who, p=partnership_id)["webhooks"]]

    assert webhook_id in listed(area.auditor) and for_all in listed(area.auditor)
    assert listed(area.auditor, area.partnership) == [webhook_id]
    assert listed(area.lead) == [webhook_id] and listed(other.lead) == []
    shown = server.query("query($id: ID!) { node(id: $id) { ... on Webhook { partnership { id } } } }", area.admin,
                         id=for_all)
    assert shown == {"node": {"partnership": None}}
    assert server.query("query($id: ID!) { node(id: $id) { id } }", area.lead, id=for_all) == {"node": None}

    def refused(mutation: str, input: dict, who: str) -> list[tuple]:
        return [(e["code"], e["field"]) for e in server.mutate(mutation, input, who)["userErrors"]]

    assert refused("registerWebhook", {"url": "http://192.0.2.1/"}, area.lead) == [("FORBIDDEN", ["partnershipId"])]
    assert refused("registerWebhook", {"partnershipId": area.partnership, "url": "http://192.0.2.1/"},
                   other.lead) == [("NOT_FOUND", ["partnershipId"])]
    assert refused("registerWebhook", {"partnershipId": area.partnership, "url": "ftp://192.0.2.1/"},
                   area.lead) == [("INVALID", ["url"])]
    assert refused("registerWebhook", {"partnershipId": area.partnership, "url": "http://192.0.2.1/",
                                       "eventTypes": ["ActionExploded"]}, area.lead) == [("INVALID", ["eventTypes"])]
    assert refused("rotateWebhookSecret", {"webhookId": for_all}, area.lead) == [("NOT_FOUND", ["webhookId"])]
    assert refused("redeliverWebhook", {"webhookId": webhook_id, "after": "nonsense"}, area.lead) == \
        [("INVALID", ["after"])]
    rotated = change(server, area.lead, "rotateWebhookSecret", webhook_id)["secret"]
    assert rotated.startswith("whsec_") and rotated != first["secret"]
    assert change(server, area.lead, "disableWebhook", webhook_id, reason="Retired")["secret"] is None
    assert refused("disableWebhook", {"webhookId": webhook_id, "reason": "Again"}, area.lead) == \
        [("INVALID_TRANSITION", None)]
    expires = server.query("query($id: ID!) { node(id: $id) { ... on Webhook { previousSecretExpiresAt } } }",
                           area.auditor, id=webhook_id)["node"]["previousSecretExpiresAt"]
    assert expires is not None
