"""Authentication and the limits that protect the service."""

import time
from datetime import timedelta

import httpx
import jwt
from domain.vocabulary import Role
from service.authorisation import Principal
from service.tokens import issue
from tests.support import SECRET, token


def test_requests_without_a_good_token_get_401_and_no_data(server):
    forged = issue("another-secret-of-32-bytes-or-longer", Principal("mallory", Role.ADMIN))
    expired = issue(SECRET, Principal("old", Role.ADMIN), ttl=timedelta(seconds=-10))
    unsigned = jwt.encode({"sub": "x", "role": "ADMIN", "exp": 9999999999}, key=None, algorithm="none")
    now = int(time.time())
    lead_without_partnership = jwt.encode({"sub": "x", "role": "PARTNERSHIP_LEAD", "iss": "send-records", "aud": "send-records",
                                           "iat": now, "exp": now + 600}, SECRET, algorithm="HS256")
    for bad in [None, "", "not-a-token", forged, expired, unsigned, lead_without_partnership]:
        response = server.post("{ partnerships { id name } }", token=bad)
        assert response.status_code == 401, bad
        if bad is lead_without_partnership:
            assert response.json()["errors"][0]["message"] == "a PARTNERSHIP_LEAD token names its partnership"
        assert "data" not in response.json()


def test_a_token_that_expires_between_requests_is_refused_after_it_expires(server):
    short = issue(SECRET, Principal("brief", Role.AUDITOR), ttl=timedelta(seconds=2))
    assert server.post("{ partnerships { id } }", token=short).status_code == 200
    time.sleep(2.5)
    refused = server.post("{ partnerships { id } }", token=short)
    assert refused.status_code == 401 and "expired" in refused.json()["errors"][0]["message"]


def test_graphiql_is_served_on_get(server):
    response = httpx.get(server.url, headers={"Accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()


def test_a_deep_query_is_refused(server):
    def nested(levels):  # (a chain of single objects: deep, but costing little)
        return '{ inspection(id: "b4a1c0de-0000-4000-8000-000000000000") { ' + "revisitOf { " * 2 * levels + "id" + " }" * 2 * levels + " } }"

    assert server.query(nested(4), token(Role.AUDITOR)) is not None
    body = server.post(nested(6), token=token(Role.AUDITOR)).json()
    assert body.get("data") is None and "exceeds maximum operation depth" in body["errors"][0]["message"]


def test_a_query_of_too_many_tokens_or_aliases_is_refused(server):
    many_fields = "{ partnerships { " + "id " * 6000 + "} }"
    body = server.post(many_fields, token=token(Role.AUDITOR)).json()
    assert body.get("data") is None and "token" in body["errors"][0]["message"].lower()
    many_aliases = "{ " + " ".join(f"a{n}: partnerships {{ id }}" for n in range(40)) + " }"
    body = server.post(many_aliases, token=token(Role.AUDITOR)).json()
    assert body.get("data") is None and "alias" in body["errors"][0]["message"].lower()


def test_page_sizes_are_capped(server):
    body = server.post("{ events(first: 1000) { edges { cursor } } }", token=token(Role.AUDITOR)).json()
    assert "first must be between 1 and 100" in body["errors"][0]["message"]


def test_a_bad_cursor_is_a_clear_error(server):
    body = server.post('{ events(after: "nonsense") { edges { cursor } } }', token=token(Role.AUDITOR)).json()
    assert "is not a cursor" in body["errors"][0]["message"]


def test_large_request_bodies_are_refused(server):
    response = httpx.post(server.url, content=b"{" + b" " * 2_000_000 + b"}",
                          headers={"Authorization": f"Bearer {token(Role.ADMIN)}", "Content-Type": "application/json"})
    assert response.status_code == 413

    def streamed():  # chunked: no Content-Length announces it
        yield b'{"query": "'
        for _ in range(200):
            yield b" " * 10_000
        yield b'"}'

    response = httpx.post(server.url, content=streamed(),
                          headers={"Authorization": f"Bearer {token(Role.ADMIN)}", "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


def test_no_stack_trace_reaches_a_client(server):
    body = server.post('{ node(id: "") { id } plan(id: "\\u0000") { id } }', token=token(Role.AUDITOR)).json()
    assert body == {"data": {"node": None, "plan": None}}
    text = server.post("{ partnerships { nope } }", token=token(Role.AUDITOR)).text
    assert "Traceback" not in text and "File \"" not in text


def test_control_characters_are_refused_as_invalid_text(server):
    from tests.support import new_area

    area = new_area(server)
    for title, held in [("Bad\u0000title", "U+0000"), ("Cut\u0007waits\u001b[2J", "U+0007"), ("X\u202eLIAM", "U+202E")]:
        payload = server.mutate("addAction", {"planId": area.plan, "title": title, "ownerAgencyId": area.council,
                                              "dueOn": "2030-01-01"}, area.lead)
        assert payload["userErrors"] == [{"code": "INVALID", "field": ["title"], "message": f"title must not contain "
                                          f"control characters (it holds {held}): tab and new lines are the only ones text may hold"}]
    for title in ["\u200b\u200b", " \u2060 "]:  # nothing visible
        payload = server.mutate("addAction", {"planId": area.plan, "title": title, "ownerAgencyId": area.council,
                                              "dueOn": "2030-01-01"}, area.lead)
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["title"])]
    server.ok("reportActionProgress", {"actionId": area.action, "note": "Two lines:\n\tboth kept"}, area.lead)
    payload = server.mutate("completeAction", {"actionId": area.action, "completedOn": "2030-01-01", "evidence": ["a\u0000"]},
                            area.lead)
    assert payload["userErrors"][0]["field"] == ["evidence"]


def test_who_may_verify_the_audit_trail(server):
    from tests.support import new_area

    area = new_area(server)
    query = "query($p: ID) { verifyAuditTrail(partnershipId: $p) { ok eventsChecked firstBrokenPosition } }"
    for who, partnership in [(token(Role.AUDITOR), None), (token(Role.MONITOR), area.partnership),
                             (token(Role.ADMIN), None), (area.lead, area.partnership)]:
        answer = server.query(query, who, p=partnership)["verifyAuditTrail"]
        assert answer["ok"] and answer["eventsChecked"] > 0 and answer["firstBrokenPosition"] is None
    for who, partnership in [(area.lead, None), (token(Role.PARTNER, area.partnership, area.council), area.partnership),
                             (token(Role.INSPECTOR), None)]:
        body = server.post(query, {"p": partnership}, who).json()
        assert body["data"] is None and "may not verify" in body["errors"][0]["message"]


def test_readiness_tells_the_store_and_the_lags(server):
    assert httpx.get(f"http://127.0.0.1:{server.port}/readyz").json() == {"ready": True}  # nothing more to anonymous callers
    body = httpx.get(f"http://127.0.0.1:{server.port}/readyz", headers={"Authorization": f"Bearer {token(Role.AUDITOR)}"}).json()
    assert body["ready"] is True and body["store"] == "reachable" and body["projectionLag"] == 0
    assert body["feedLag"] >= 0 and body["subscribers"] >= 0 and body["rebuild"] is None


def test_each_request_is_logged_as_one_line_without_token_or_body(server):
    import json

    secret_note = "a note only the request body carries"
    who = token(Role.ADMIN)
    server.post("mutation($i: RegisterPartnershipInput!) { registerPartnership(input: $i) { userErrors { code } } }",
                {"i": {"name": secret_note, "localAuthority": "x"}}, who)
    server.post("{ partnerships { id } }", token="a-forged-token")  # refused
    for _ in range(50):  # a request's line is written as it finishes, just after its answer
        log = (server.data_dir / "server.log").read_text()
        lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        if lines and lines[-1]["status"] == 401:
            break
        time.sleep(0.05)
    assert {"method": "POST", "path": "/graphql", "status": 200, "role": "ADMIN", "outcome": "ok"}.items() <= lines[-2].items()
    assert lines[-1]["status"] == 401 and lines[-1]["outcome"] == "refused" and lines[-1]["ms"] >= 0
    assert "a-forged-token" not in log
    assert who not in log and secret_note not in log


def test_a_request_that_fails_unexpectedly_is_masked_and_logged_as_failed(tmp_path):
    """An operator's mistake (a read model's row overwritten by hand under the running service) is the service
    failing: the caller is told INTERNAL and nothing more; the request's log line says it failed, not ok."""
    import json
    import sqlite3

    from tests.support import Server

    server = Server(tmp_path).start()
    try:
        server.ok("registerPartnership", {"name": "Lancashire SEND Partnership", "localAuthority": "Lancashire"},
                  token(Role.ADMIN))
        with sqlite3.connect(tmp_path / "records.sqlite") as database:
            database.execute("UPDATE entities SET state = 'not the state of a partnership'")
        body = server.post("{ partnerships { id } }", token=token(Role.AUDITOR)).json()
        assert body["errors"] == [{"message": "Unexpected error.", "locations": [{"line": 1, "column": 3}],
                                   "path": ["partnerships"], "extensions": {"code": "INTERNAL"}}]
        for _ in range(50):  # a request's line is written as it finishes, just after its answer
            lines = [line for line in (json.loads(text) for text in (tmp_path / "server.log").read_text().splitlines()
                                       if text.startswith("{"))
                     if line.get("path") == "/graphql"]  # (not the start's health checks)
            if len(lines) >= 2:
                break
            time.sleep(0.1)
        assert [(line["status"], line["outcome"]) for line in lines[-2:]] == [(200, "ok"), (200, "failed")]
    finally:
        server.stop()
