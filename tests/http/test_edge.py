"""The HTTP edge, against real servers: browsers on other origins, malformed bodies, slow or oversized requests,
security headers, logs without request text, expiring WebSocket sessions and the limits on them."""

import json
import logging
import socket
import time
from datetime import timedelta

import httpx
import jwt
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from domain.vocabulary import Role
from service.authorisation import Principal
from service.tokens import issue
from tests.support import SECRET, Server, new_area, token

PORTAL = "https://portal.council.example"
EVENTS = "subscription($p: ID) { events(partnershipId: $p) { position type } }"


@pytest.fixture(scope="module")
def edge(tmp_path_factory, new_store):
    """A server configured as a council would run it behind its portals, with short limits to test them by."""
    running = Server(tmp_path_factory.mktemp("edge"), {
        **new_store(), "SEND_RECORDS_CORS_ORIGINS": f"{PORTAL},https://board.council.example",
        "SEND_RECORDS_HEADER_SECONDS": "1", "SEND_RECORDS_BODY_SECONDS": "1", "SEND_RECORDS_SOCKETS_PER_TOKEN": "2",
    }).start()
    yield running
    running.stop()


def origin_of(server: Server) -> str:
    return f"http://127.0.0.1:{server.port}"


def socket_to(server: Server, origin: str | None = None):
    return connect(server.url.replace("http", "ws"), subprotocols=["graphql-transport-ws"], open_timeout=10, legacy=True,
                   additional_headers={"Origin": origin} if origin else None)


def initialised(server: Server, bearer: str, origin: str | None = None):
    """A graphql-transport-ws connection, acknowledged."""
    ws = socket_to(server, origin)
    ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {bearer}"}}))
    acknowledged = json.loads(ws.recv(timeout=10))
    assert acknowledged["type"] == "connection_ack", acknowledged
    return ws


def closed_with(ws, timeout: float = 10) -> tuple[int, str]:
    """The close code and reason the server ends the connection with (anything it sends first is skipped)."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=timeout)
    return closed.value.rcvd.code, closed.value.rcvd.reason


# CORS and origins

def test_a_listed_origin_gets_its_preflight_and_can_read_answers(edge):
    preflight = httpx.options(edge.url, headers={"Origin": PORTAL, "Access-Control-Request-Method": "POST",
                                                 "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == PORTAL
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert {"authorization", "content-type"} <= {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert "access-control-allow-credentials" not in preflight.headers  # tokens are headers, never cookies
    answer = httpx.post(edge.url, json={"query": "{ partnerships { id } }"},
                        headers={"Origin": PORTAL, "Authorization": f"Bearer {token(Role.AUDITOR)}"})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == PORTAL
    refused = httpx.post(edge.url, json={"query": "{ partnerships { id } }"}, headers={"Origin": PORTAL})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == PORTAL  # a portal can say why


def test_an_unlisted_origin_gets_no_preflight_and_no_cors_headers(edge):
    for origin in ["https://evil.example", "https://portal.council.example.evil.example", "null"]:
        preflight = httpx.options(edge.url, headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                                     "Access-Control-Request-Headers": "authorization"})
        assert preflight.status_code == 400, origin
        assert "access-control-allow-origin" not in preflight.headers
        answer = httpx.post(edge.url, json={"query": "{ partnerships { id } }"},
                            headers={"Origin": origin, "Authorization": f"Bearer {token(Role.AUDITOR)}"})
        assert "access-control-allow-origin" not in answer.headers


def test_websocket_upgrades_from_other_origins_are_refused(edge):
    who = token(Role.AUDITOR)
    for origin in [None, origin_of(edge), PORTAL]:  # no Origin (not a browser), the service's own, a listed one
        initialised(edge, who, origin).close()
    for origin in ["https://evil.example", "http://127.0.0.1:1"]:
        with pytest.raises(Exception) as refused:
            socket_to(edge, origin)
        assert "403" in str(refused.value), origin


def test_a_request_is_answered_alike_whichever_way_it_comes(edge):
    """A POST of one operation in JSON from a client with no Origin takes a shorter way through the service than
    a browser's (with an Origin: CORS and Starlette's routing) or a body strawberry must read itself (a batch,
    another content type): each gets the same answer, refusals included."""
    area, auditor = new_area(edge), token(Role.AUDITOR)
    query = "query($id: ID!) { plan(id: $id) { title actions(first: 1) { totalCount } } } "
    cases = [
        {"query": query, "variables": {"id": area.plan}},
        {"query": query, "variables": {"id": area.plan}, "operationName": None},
        {"query": "{ partnerships { id nope } }"},  # invalid: refused in `errors`
        {"query": "mutation { nothing }"},  # invalid too
        {"query": "{ a } { b }"},  # two anonymous operations: invalid
        {"query": "query A { partnerships { id } }", "operationName": "B"},  # no such operation: 400
        {"query": "subscription { events { position } }"},  # over WebSocket only: 400
        {"query": "query A { a: __typename } query B { b: __typename }"},  # which to run? 400
        {"query": "query A { a: __typename } query B { b: __typename }", "operationName": "B"},
        {"variables": {}},  # no query: 400
        {"query": query, "variables": "not an object"},  # 400
        [{"query": "{ partnerships { id } }"}],  # a batch: 400
    ]
    direct = []
    for body in cases:
        ways = {
            "direct": httpx.post(edge.url, json=body, headers={"Authorization": f"Bearer {auditor}"}),
            "browser": httpx.post(edge.url, json=body, headers={"Authorization": f"Bearer {auditor}", "Origin": PORTAL}),
            "charset": httpx.post(edge.url, content=json.dumps(body), headers={
                "Authorization": f"Bearer {auditor}", "Content-Type": "application/json; charset=utf-8"}),
            # (a JSON type that strawberry takes for JSON and the service does not: strawberry reads the request)
            "strawberry": httpx.post(edge.url, content=json.dumps(body), headers={
                "Authorization": f"Bearer {auditor}", "Content-Type": "application/json-patch+json"}),
        }
        answers = {way: (r.status_code, r.json()) for way, r in ways.items()}
        assert len({json.dumps(a, sort_keys=True) for a in answers.values()}) == 1, (body, answers)
        assert all(r.headers["x-content-type-options"] == "nosniff" for r in ways.values())
        assert "access-control-allow-origin" not in ways["direct"].headers
        assert ways["browser"].headers["access-control-allow-origin"] == PORTAL
        direct.append(answers["direct"])
    assert [status for status, _ in direct] == [200, 200, 200, 200, 200, 400, 400, 400, 200, 400, 400, 400], direct
    assert direct[8][1] == {"data": {"b": "Query"}}
    first = direct[0][1]
    assert "errors" not in first and first["data"]["plan"]["actions"]["totalCount"] >= 1


# Security headers and the switches

def test_every_response_carries_the_security_headers(edge):
    for response in [httpx.get(f"{origin_of(edge)}/"), httpx.get(edge.url, headers={"Accept": "text/html"}),
                     httpx.post(edge.url, json={"query": "{ partnerships { id } }"}),  # 401
                     httpx.post(edge.url, content=b" " * 1_000_001),  # 413
                     httpx.get(f"{origin_of(edge)}/nowhere")]:
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_graphiql_and_introspection_can_be_turned_off(tmp_path):
    introspect = "{ __schema { queryType { name } } }"
    (tmp_path / "on").mkdir(), (tmp_path / "off").mkdir()
    on = Server(tmp_path / "on").start()
    off = Server(tmp_path / "off", {"SEND_RECORDS_GRAPHIQL": "off", "SEND_RECORDS_INTROSPECTION": "off"}).start()
    try:
        who = token(Role.AUDITOR)
        assert on.query(introspect, who)["__schema"]["queryType"]["name"] == "Query"
        assert httpx.get(on.url, headers={"Accept": "text/html"}).status_code == 200
        body = off.post(introspect, token=who).json()
        assert body.get("data") is None and "introspection" in body["errors"][0]["message"].lower()
        assert off.query("{ partnerships { __typename } }", who) == {"partnerships": []}
        assert httpx.get(off.url, headers={"Accept": "text/html"}).status_code == 404
        assert httpx.get(f"http://127.0.0.1:{off.port}/static/graphiql/graphiql.min.js").status_code == 404
        assert "GraphiQL" not in httpx.get(f"http://127.0.0.1:{off.port}/").text
        assert httpx.get(f"http://127.0.0.1:{off.port}/schema.graphql").status_code == 200  # the SDL stays published
    finally:
        on.stop()
        off.stop()


# Pages

def test_the_landing_page_links_graphiql_the_schema_health_and_the_readme(server):
    base = f"http://127.0.0.1:{server.port}"
    page = httpx.get(f"{base}/").text
    for link in ['href="/graphql"', 'href="/schema.graphql"', 'href="/healthz"', 'href="/readyz"', 'href="/readme#set-up"',
                 'href="/readme#security"', 'href="/readme#environment"']:
        assert link in page, link
    readme = httpx.get(f"{base}/readme").text
    assert 'id="set-up"' in readme and 'id="security"' in readme
    with open("schema.graphql") as committed:
        assert httpx.get(f"{base}/schema.graphql").text == committed.read()


def test_readiness_shows_anonymous_callers_nothing_more(server):
    base = f"http://127.0.0.1:{server.port}/readyz"
    assert httpx.get(base).json() == {"ready": True}
    assert httpx.get(base, headers={"Authorization": "Bearer forged"}).json() == {"ready": True}
    # Service-wide facts reveal other partnerships' activity: a partnership's token is not told them (item 12).
    assert httpx.get(base, headers={"Authorization": f"Bearer {token(Role.PARTNER, 'p', 'a')}"}).json() == {"ready": True}
    detailed = httpx.get(base, headers={"Authorization": f"Bearer {token(Role.AUDITOR)}"}).json()
    assert {"store", "projectionLag", "feedLag", "subscribers", "rebuild"} <= set(detailed)


# Malformed bodies (issue 14, item 6)

@pytest.mark.parametrize("body, says", [
    (b"null", "must be a JSON object"), (b'"a string"', "must be a JSON object"), (b"42", "must be a JSON object"),
    (b"true", "must be a JSON object"), (b'{"query": "{ partnerships { id } }", "x": "\xff"}', "not valid UTF-8"),
    (b"\xff\xfe{", "not valid UTF-8"), (b"{", "JSON"),
])
def test_malformed_bodies_get_400_with_a_clear_message(server, body, says):
    response = httpx.post(server.url, content=body, headers={"Authorization": f"Bearer {token(Role.AUDITOR)}",
                                                            "Content-Type": "application/json"})
    assert response.status_code == 400 and says in response.text
    assert "Traceback" not in response.text and "Internal Server Error" not in response.text


# Request text never reaches the logs (issue 14, item 8)

def test_no_request_text_reaches_the_logs_on_error_paths(server):
    area = new_area(server)
    note = "NOTE-ONLY-THE-REQUEST-CARRIES"
    payloads = [  # each of these is refused, and the GraphQL library used to log it with what was sent
        ("mutation($i: RecordJudgementInput!) { recordJudgement(input: $i) { userErrors { code } } }",
         {"i": {"subjectId": area.plan, "body": "NOT_A_BODY", "madeOn": "2020-01-01", "rationale": note}}),
        ("mutation($i: ReportActionProgressInput!) { reportActionProgress(input: $i) { userErrors { code } } }",
         {"i": {"actionId": area.action, "note": note, "rag": "PURPLE"}}),
        (f"{{ partnerships {{ {note} }} }}", {}),
        (f'{{ events(after: "{note}") {{ edges {{ cursor }} }} }}', {}),
        (f"{{ partnerships {{ id }} {note}", {}),
    ]
    for query, variables in payloads:
        assert server.post(query, variables, area.lead).json()["errors"]
    for body in [f'{{"query": "{note}", "x": "\xff"}}'.encode("latin-1"), f"[{note}".encode()]:
        httpx.post(server.url, content=body, headers={"Authorization": f"Bearer {area.lead}", "Content-Type": "application/json"})
    httpx.get(f"http://127.0.0.1:{server.port}/{note}")
    httpx.post(server.url, json={"query": "{ partnerships { id } }"}, headers={"Authorization": f"Bearer {note}"})
    time.sleep(0.5)  # a request's line is written as it finishes, just after its answer
    log = (server.data_dir / "server.log").read_text()
    assert note not in log and area.lead not in log


def test_an_unexpected_error_is_logged_without_its_message(caplog):
    from graphql import GraphQLError
    from strawberry.utils.logging import StrawberryLogger

    from service.http import keep_request_text_out_of_logs

    keep_request_text_out_of_logs()
    note = "NOTE-ONLY-THE-REQUEST-CARRIES"
    try:
        raise ValueError(f"cannot store {note!r}")
    except ValueError as error:
        StrawberryLogger.error(GraphQLError(f"cannot store {note!r}", original_error=error))
        logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=error)
    StrawberryLogger.error(GraphQLError(f"Value {note!r} does not exist in 'Rag' enum."))  # the caller's mistake
    assert note not in caplog.text
    assert [r.getMessage().splitlines()[0] for r in caplog.records] == ["unexpected ValueError, at:"] * 2


# Slow clients and huge headers (issue 14, item 10)

def raw(server: Server, *parts: bytes, pause: float = 0) -> bytes:
    """What the server answers a raw HTTP client that sends these parts, pausing between them."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as s:
        try:
            for part in parts:
                s.sendall(part)
                time.sleep(pause)
        except OSError:
            pass  # the server may close before everything is sent
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return answer


def test_answers_on_one_connection_come_whole_and_in_order(edge):
    """Pipelined requests, a HEAD (a head and no body), a body sent only after `100 Continue`, and a last request
    that asks to close: each answer comes whole, in the order asked, and then the connection closes."""
    query = json.dumps({"query": "{ __typename }"}).encode()
    post = (b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\nAuthorization: Bearer %s\r\n\r\n" % (len(query), token(Role.AUDITOR).encode()))
    with socket.create_connection(("127.0.0.1", edge.port), timeout=15) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nHEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + post)
        answer = b""
        while b"HTTP/1.1 100 Continue\r\n\r\n" not in answer:
            answer += s.recv(65536)
        s.sendall(query + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        while chunk := s.recv(65536):
            answer += chunk
    heads = [part.split(b"\r\n")[0] for part in answer.split(b"HTTP/1.1 ")[1:]]
    assert heads == [b"200 OK", b"200 OK", b"100 Continue", b"200 OK", b"200 OK"], answer
    assert answer.count(b'{"status":"ok"}') == 2 and b'{"data":{"__typename":"Query"}}' in answer


def test_huge_headers_are_refused_with_431(edge):
    big = raw(edge, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8_000_000 + b"\r\n\r\n")
    assert big.startswith(b"HTTP/1.1 431") and b"limited to 32768 bytes" in big
    many = raw(edge, b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(150)) + b"\r\n")
    assert many.startswith(b"HTTP/1.1 431") and b"at most 100 headers" in many
    assert httpx.get(f"{origin_of(edge)}/healthz", headers={"X-Fine": "a" * 16_000}).status_code == 200


def logged_after(server: Server, offset: int, method: str, lines: int = 1) -> list[dict]:
    """The request log's lines for `method` written after `offset` of the server's log, once there are `lines`."""
    deadline = time.monotonic() + 10
    while True:
        with open(server.data_dir / "server.log") as log:
            log.seek(offset)
            found = [json.loads(line) for line in log if line.startswith(f'{{"method":"{method}"')]
        if len(found) >= lines or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


SLOW_BODY = (b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
             b"Authorization: Bearer " + token(Role.AUDITOR).encode() + b"\r\n\r\n{")


def test_clients_too_slow_to_send_a_request_are_cut_off_with_408(edge):
    started = time.monotonic()
    headers = raw(edge, b"GET /healthz HTTP/1.1\r\n", b"Host: x\r\n", pause=0.8)  # never finishes its headers
    assert headers.startswith(b"HTTP/1.1 408") and b"headers must arrive within 1 seconds" in headers
    offset = (edge.data_dir / "server.log").stat().st_size
    body = raw(edge, SLOW_BODY, b'"query"', pause=0.8)
    assert body.startswith(b"HTTP/1.1 408") and b"body must arrive within 1 seconds" in body
    assert time.monotonic() - started < 12  # neither was held for long
    assert httpx.get(f"{origin_of(edge)}/healthz").status_code == 200
    [line] = logged_after(edge, offset, "POST")  # the request log says what the client was answered
    assert (line["path"], line["status"], line["outcome"]) == ("/graphql", 408, "refused")


def test_a_client_gone_before_its_request_was_in_is_logged_as_gone(edge):
    offset = (edge.data_dir / "server.log").stat().st_size
    with socket.create_connection(("127.0.0.1", edge.port), timeout=15) as s:
        s.sendall(SLOW_BODY)
        time.sleep(0.3)  # (the server has the headers, and waits for the body)
    [line] = logged_after(edge, offset, "POST")
    assert (line["path"], line["status"], line["outcome"]) == ("/graphql", 499, "gone")


# WebSocket sessions (issue 14, item 1, and the cap per token)

def test_a_websocket_session_is_logged_with_the_close_code_of_the_side_that_closed_it(server):
    offset = (server.data_dir / "server.log").stat().st_size
    ws = initialised(server, token(Role.AUDITOR))
    ws.close()  # normal closure, by the client
    forged = socket_to(server)
    forged.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer forged"}}))
    assert closed_with(forged)[0] == 4403  # by the server
    lines = logged_after(server, offset, "WEBSOCKET", lines=2)
    assert sorted((line["status"], line["outcome"]) for line in lines) == [(1000, "ok"), (4403, "refused")]

def test_a_websocket_session_ends_when_its_token_expires(server):
    area = new_area(server)
    brief = issue(SECRET, Principal("brief", Role.PARTNERSHIP_LEAD, area.partnership), ttl=timedelta(seconds=3))
    ws = initialised(server, brief)
    ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS, "variables": {"p": area.partnership}}}))
    progress = {"id": "2", "type": "subscribe", "payload": {
        "query": "mutation($i: ReportActionProgressInput!) { reportActionProgress(input: $i) { userErrors { code } } }",
        "variables": {"i": {"actionId": area.action, "note": "before expiry"}}}}
    ws.send(json.dumps(progress))
    seen = [json.loads(ws.recv(timeout=10)) for _ in range(3)]  # the mutation's answer and completion, the event
    assert {m["type"] for m in seen} >= {"next", "complete"}
    assert closed_with(ws) == (4403, "the token has expired")
    notes = server.query("query($id: ID!) { action(id: $id) { latestNote } }", area.lead, id=area.action)
    assert notes["action"]["latestNote"] == "before expiry"


def test_an_operation_after_expiry_is_refused(server):
    area = new_area(server)
    brief = issue(SECRET, Principal("brief", Role.PARTNERSHIP_LEAD, area.partnership), ttl=timedelta(seconds=2))
    ws = initialised(server, brief)
    time.sleep(2.1)
    try:
        ws.send(json.dumps({"id": "9", "type": "subscribe", "payload": {
            "query": "mutation($i: ReportActionProgressInput!) { reportActionProgress(input: $i) { userErrors { code } } }",
            "variables": {"i": {"actionId": area.action, "note": "after expiry"}}}}))
    except ConnectionClosed:
        pass
    assert closed_with(ws) == (4403, "the token has expired")
    notes = server.query("query($id: ID!) { action(id: $id) { latestNote } }", area.lead, id=area.action)
    assert notes["action"]["latestNote"] != "after expiry"


def test_websocket_connections_per_token_are_capped(edge):
    who, other = token(Role.AUDITOR), token(Role.AUDITOR)
    first, second = initialised(edge, who), initialised(edge, who)
    third = socket_to(edge)
    third.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {who}"}}))
    code, reason = closed_with(third)
    assert code == 4429 and "at most 2 WebSocket connections" in reason
    initialised(edge, other).close()  # another token is not held back
    first.close()
    for _ in range(50):  # the server counts the closed connection out as it notices
        try:
            initialised(edge, who).close()
            break
        except AssertionError:
            time.sleep(0.1)
    else:
        raise AssertionError("a connection closed by its client still counted against its token")
    second.close()


def test_a_websocket_with_a_bad_token_is_told_why(server):
    ws = socket_to(server)
    ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer not-a-token"}}))
    assert closed_with(ws) == (4403, "malformed token")


# Locally minted tokens

def test_local_tokens_name_this_service_as_issuer_and_audience_and_live_at_most_a_day(server):
    minted = jwt.decode(token(Role.AUDITOR), SECRET, algorithms=["HS256"], audience="send-records")
    assert minted["iss"] == "send-records" and minted["aud"] == "send-records"
    now = int(time.time())
    base = {"sub": "x", "role": "AUDITOR", "iss": "send-records", "aud": "send-records", "iat": now, "exp": now + 600}
    for claims, says in [({**base, "iss": "someone-else"}, "issuer"), ({**base, "aud": "another-service"}, "audience"),
                         ({k: v for k, v in base.items() if k != "aud"}, "'aud'"),
                         ({**base, "exp": now + 25 * 3600}, "longer than 24 hours"),
                         ({**base, "role": "KING"}, "role is not one of")]:
        response = server.post("{ partnerships { id } }", token=jwt.encode(claims, SECRET, algorithm="HS256"))
        assert response.status_code == 401 and says in response.json()["errors"][0]["message"], claims
    with pytest.raises(Exception, match="at most 24 hours"):
        issue(SECRET, Principal("x", Role.AUDITOR), ttl=timedelta(hours=25))
    garbage = server.post("{ partnerships { id } }", token="garbage.token")
    assert garbage.json()["errors"][0]["message"] == "malformed token"
