"""Subscriptions over WebSocket (graphql-transport-ws) with real clients against running servers."""

import json
import secrets
import threading
import time
from datetime import date

import pytest
from websockets.exceptions import ConnectionClosed

from domain.vocabulary import Role
from tests.support import Server, Subscribed, new_area, token

EVENTS = """subscription($p: ID, $after: String, $types: [String!]) { events(partnershipId: $p, after: $after, types: $types) {
  position type entityId version partnershipId data } }"""
COMPLETED = """subscription($p: ID, $after: String) { actionCompleted(partnershipId: $p, after: $after) {
  position type entityId effectiveOn actor { subject } data } }"""


def test_an_action_completed_reaches_a_live_subscriber(server):
    area = new_area(server)
    subscriber = server.subscribe(area.lead, COMPLETED, {"p": area.partnership})
    try:
        server.ok("startAction", {"actionId": area.action}, area.lead)
        done = server.ok("completeAction", {"actionId": area.action, "completedOn": date.today().isoformat(), "evidence": ["Minutes"]},
                         area.lead)
        received = subscriber.next()
        assert received["type"] == "ActionCompleted" and received["entityId"] == area.action
        assert received["position"] == done["event"]["position"] and received["data"]["evidence"] == ["Minutes"]
    finally:
        subscriber.close()


def test_a_client_offering_compression_follows_the_log_uncompressed(server):
    # (websockets' clients, the gql client's among them, and browsers offer permessage-deflate: the server declines)
    from websockets.sync.client import connect

    area, before = new_area(server), server.subscribers()
    with connect(server.url.replace("http", "ws"), subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:
        assert "permessage-deflate" in ws.request.headers["Sec-WebSocket-Extensions"]
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {area.lead}"}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS, "variables": {"p": area.partnership}}}))
        while server.subscribers() <= before:
            time.sleep(0.05)
        done = server.ok("reportActionProgress", {"actionId": area.action, "note": "uncompressed"}, area.lead)
        received = json.loads(ws.recv(timeout=10))
        assert received["type"] == "next" and received["payload"]["data"]["events"]["position"] == done["event"]["position"]


def test_resuming_after_a_cursor_while_writes_go_on_delivers_each_event_once_in_order(server):
    area = new_area(server)
    start = server.log_end(area.auditor)
    written = threading.Event()

    def write():
        for n in range(60):
            server.ok("reportActionProgress", {"actionId": area.action, "note": f"note {n}"}, area.lead)
            if n == 20:
                written.set()

    writer = threading.Thread(target=write)
    writer.start()
    written.wait(30)
    subscriber = Subscribed(server, area.lead, EVENTS, {"p": area.partnership, "after": start})
    try:
        received = [subscriber.next() for _ in range(60)]
    finally:
        writer.join(60)
        subscriber.close()
    log = server.query("query($p: ID!, $after: String) { events(partnershipId: $p, after: $after, first: 100) {"
                       " edges { node { position } } } }", area.auditor, p=area.partnership, after=start)["events"]["edges"]
    assert [r["position"] for r in received] == [e["node"]["position"] for e in log]
    assert [r["data"]["note"] for r in received] == [f"note {n}" for n in range(60)]


def test_subscribers_asking_differently_of_the_same_events_each_get_their_own_answer(server):
    area = new_area(server)
    some = """subscription($p: ID, $types: [String!], $withData: Boolean!) { events(partnershipId: $p, types: $types) {
      position type data @include(if: $withData) } }"""
    asks = {
        "everything": (EVENTS, {"p": area.partnership}),
        "everything, again": (EVENTS, {"p": area.partnership}),
        "other fields": ("subscription($p: ID) { e: events(partnershipId: $p) { at: recordedAt actor { subject } } }",
                         {"p": area.partnership}),
        "with data": (some, {"p": area.partnership, "withData": True}),
        "without data": (some, {"p": area.partnership, "withData": False}),
        "two types": (some, {"p": area.partnership, "types": ["ActionStarted", "ActionCompleted"], "withData": False}),
    }
    subscribers = {name: server.subscribe(area.lead, query, variables) for name, (query, variables) in asks.items()}
    try:
        started = server.ok("startAction", {"actionId": area.action}, area.lead)["event"]
        server.ok("reportActionProgress", {"actionId": area.action, "note": "On track"}, area.lead)
        server.ok("completeAction", {"actionId": area.action, "completedOn": date.today().isoformat(), "evidence": ["Minutes"]},
                  area.lead)
        got = {name: [subscriber.next() for _ in range(2 if name == "two types" else 3)]
               for name, subscriber in subscribers.items()}
    finally:
        for subscriber in subscribers.values():
            subscriber.close()
    assert [r["type"] for r in got["everything"]] == ["ActionStarted", "ActionProgressReported", "ActionCompleted"]
    assert set(got["everything"][0]) == {"position", "type", "entityId", "version", "partnershipId", "data"}
    assert got["everything, again"] == got["everything"]
    assert got["other fields"][0] == {"at": started["recordedAt"], "actor": {"subject": started["actor"]["subject"]}}
    assert [r["data"]["note"] for r in got["with data"][1:2]] == ["On track"]
    assert all(set(r) == {"position", "type"} for r in got["without data"])
    assert [r["type"] for r in got["two types"]] == ["ActionStarted", "ActionCompleted"]


def test_a_subscriber_receives_nothing_of_another_partnership(server):
    mine, theirs = new_area(server), new_area(server)
    subscriber = server.subscribe(mine.lead, EVENTS, {"p": None})
    foreign = server.subscribe(mine.lead, EVENTS, {"p": theirs.partnership})
    try:
        for n in range(5):
            server.ok("reportActionProgress", {"actionId": theirs.action, "note": f"theirs {n}"}, theirs.lead)
        server.ok("reportActionProgress", {"actionId": mine.action, "note": "mine"}, mine.lead)
        received = subscriber.next()
        assert received["partnershipId"] == mine.partnership and received["data"]["note"] == "mine"
        with pytest.raises(TimeoutError):
            foreign.next(timeout=1)
    finally:
        subscriber.close()
        foreign.close()


@pytest.mark.parametrize("credential", [None, "forged"])
def test_a_subscription_without_a_good_token_is_refused(server, credential):
    from service.authorisation import Principal
    from service.tokens import issue

    bad = issue("a-secret-nobody-shares-with-this-server", Principal("mallory", Role.ADMIN)) if credential else None
    with pytest.raises(ConnectionClosed) as closed:
        Subscribed(server, bad, EVENTS, {})
    assert closed.value.rcvd.code == 4403


def test_a_slow_subscriber_is_cut_off_without_delaying_a_fast_one(tmp_path, new_store):
    # (the server's keepalive would drop the connection of a client that reads nothing for 40 s, before the cut's
    # close frame is read: not this test's subject)
    server = Server(tmp_path, {**new_store(), "SEND_RECORDS_SUBSCRIBER_BUFFER": "20", "SEND_RECORDS_WS_PING_SECONDS": "600"}).start()
    try:
        area = new_area(server)
        start = server.log_end(area.auditor)
        slow = Subscribed(server, area.lead, EVENTS, {"p": area.partnership, "after": start}, receive_buffer=4096)
        fast = Subscribed(server, area.lead, EVENTS, {"p": area.partnership, "after": start})
        note = secrets.token_hex(4_990)  # large (notes are at most 10,000 characters), incompressible events fill
        received = []  # the slow client's path quickly
        for n in range(600):
            server.ok("reportActionProgress", {"actionId": area.action, "note": f"{n} {note}"}, area.lead)
            received += [fast.next()]
        assert [int(r["data"]["note"].split()[0]) for r in received] == list(range(600))
        count, code, reason = 0, None, ""
        try:
            while True:
                slow.next(timeout=10)
                count += 1
        except ConnectionClosed as closed:
            code, reason = closed.rcvd.code, closed.rcvd.reason
        assert count < 600 and code == 4008 and "too slow" in reason
    finally:
        server.stop()


def test_an_oversized_websocket_message_closes_the_connection(server):
    subscriber = Subscribed(server, token(Role.AUDITOR), EVENTS, {})
    with pytest.raises((ConnectionClosed, ConnectionError)) as closed:
        subscriber.ws.send("{" + " " * 2_000_000 + "}")
        subscriber.next(timeout=10)
    received = getattr(closed.value, "rcvd", None)
    assert received is None or received.code == 1009  # "message too big", unless the close met the send mid-way
    healthy = Subscribed(server, token(Role.AUDITOR), EVENTS, {})
    healthy.close()


@pytest.mark.parametrize("frame", ["[]", "42", '"subscribe"', '{"type": 1}',
                                   '{"id": 7, "type": "subscribe", "payload": {"query": "subscription { events { position } }"}}',
                                   '{"id": "2", "type": "subscribe", "payload": {"query": 5}}',
                                   '{"id": "2", "type": "subscribe", "payload": {"query": "{ partnerships { id } }", "variables": []}}',
                                   '{"id": "2", "type": "subscribe", "payload": []}', '{"id": 1, "type": "complete"}'])
def test_a_message_not_of_the_protocol_closes_the_connection_with_4400(server, frame):
    subscriber = Subscribed(server, token(Role.AUDITOR), EVENTS, {})
    with pytest.raises(ConnectionClosed) as closed:
        subscriber.ws.send(frame)
        subscriber.next(timeout=10)
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4400, "Invalid message received")
