"""What the clients rely on, over real HTTP and WebSocket: error codes, queries over GET, view-specific ids and
node(id:), Relay's PageInfo, and subscriptions refused with the protocol's `error` message."""

import json
import re
import time

import httpx
from websockets.sync.client import connect

from domain.vocabulary import Role
from service.graphql import cursors
from service.graphql.errors import CODES, Code
from tests.clients.conftest import AS_OF, ROOT
from tests.support import SECRET, new_area, token


def answer(server, query: str, variables: dict | None = None, bearer: str | None = None, **request) -> dict:
    response = server.post(query, variables, bearer) if not request else httpx.request(url=server.url, **request)
    assert "Traceback" not in response.text
    return {"status": response.status_code, **response.json()}


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


# Error codes (item 4)

DEEP = "{ partnerships { " + "plans { partnership { " * 6 + "id" + " } }" * 6 + " } }"  # deeper than 10

def test_request_errors_have_codes_and_no_data(server):
    auditor = token(Role.AUDITOR)
    for query, variables, code in [
        ("{ partnerships { id ", None, "GRAPHQL_PARSE_FAILED"),
        ("{ partnerships { nope } }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query($unused: Int) { partnerships { id } }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query($at: DateTime) { partnerships(asAt: $at) { id } }", {"at": "2024-03-01"}, "BAD_USER_INPUT"),
        ('{ partnerships(asAt: "2024-03-01") { id } }', None, "BAD_USER_INPUT"),
        (DEEP, None, "QUERY_TOO_COSTLY"),
        ("{ " + " ".join(f"a{n}: partnerships {{ id }}" for n in range(31)) + " }", None, "QUERY_TOO_COSTLY"),
        ("{ " + "__typename " * 5001 + "}", None, "QUERY_TOO_COSTLY"),
    ]:
        body = answer(server, query, variables, auditor)
        assert body["status"] == 200 and codes(body) == [code] * len(body["errors"]), (query[:60], body)
        assert "data" not in body, query[:60]  # refused before execution: the spec leaves data out
    # A date where an instant is asked is told clearly, whether a variable or a literal.
    literal = answer(server, '{ partnerships(asAt: "2024-03-01") { id } }', None, auditor)["errors"][0]["message"]
    assert "is a date, not an instant" in literal


def test_errors_during_execution_have_codes_and_data(server):
    area = new_area(server)
    body = answer(server, '{ events(after: "not-a-cursor") { edges { cursor } } }', None, area.auditor)
    assert codes(body) == ["BAD_USER_INPUT"] and body["data"] is None and body["errors"][0]["path"] == ["events"]
    body = answer(server, "{ events(first: 101) { edges { cursor } } }", None, area.auditor)
    assert codes(body) == ["BAD_USER_INPUT"] and "between 1 and 100" in body["errors"][0]["message"]
    body = answer(server, "query($p: ID) { verifyAuditTrail(partnershipId: $p) { ok } }", {"p": area.partnership},
                  token(Role.PARTNER, area.partnership, area.council))
    assert codes(body) == ["FORBIDDEN"] and body["data"] is None


def test_refusals_at_the_edge_have_codes(server):
    auditor = {"Authorization": f"Bearer {token(Role.AUDITOR)}"}
    query = {"query": "{ partnerships { id } }"}
    for request, status, code in [
        ({"method": "POST", "json": query}, 401, "UNAUTHENTICATED"),
        ({"method": "POST", "json": query, "headers": {"Authorization": "Bearer forged"}}, 401, "UNAUTHENTICATED"),
        ({"method": "POST", "content": b"[{", "headers": {**auditor, "Content-Type": "application/json"}}, 400, "BAD_REQUEST"),
        ({"method": "POST", "json": [query], "headers": auditor}, 400, "BAD_REQUEST"),
        ({"method": "POST", "json": {**query, "operationName": "Missing"}, "headers": auditor}, 400, "BAD_REQUEST"),
        ({"method": "POST", "json": {"query": "query A { a: __typename } query B { b: __typename }"}, "headers": auditor},
         400, "BAD_REQUEST"),  # several operations and no operationName
        ({"method": "POST", "json": {"query": "subscription { events { position } }"}, "headers": auditor}, 400,
         "BAD_REQUEST"),
        ({"method": "GET", "params": {"query": "subscription { events { position } }"}, "headers": auditor}, 400,
         "BAD_REQUEST"),
        ({"method": "POST", "content": b" " * 1_000_001, "headers": {**auditor, "Content-Type": "application/json"}}, 413,
         "REQUEST_TOO_LARGE"),
    ]:
        body = answer(server, "", **request)
        assert (body["status"], codes(body)) == (status, [code]) and "data" not in body, (request["method"], body)


def test_an_unexpected_failure_is_masked_as_internal(session):
    """A resolver failing unexpectedly (here, the reader of a request without a caller) says nothing of it."""
    from service.graphql.context import Context
    from service.graphql.schema import schema

    commands, loop = session
    result = loop.run(schema.execute("{ partnerships { id } }", context_value=Context(commands=commands)))
    assert [e.formatted for e in result.errors] == [{"message": "Unexpected error.", "locations": [{"line": 1, "column": 3}],
                                                     "path": ["partnerships"], "extensions": {"code": "INTERNAL"}}]


def test_the_codes_are_listed_in_the_schema_and_the_readme():
    from graphql import build_schema

    listed = build_schema((ROOT / "schema.graphql").read_text()).description
    assert re.findall(r"^- (\w+): ", listed, re.M) == [code.value for code in CODES]
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| `extensions.code` |"):]
    assert re.findall(r"^\| `(\w+)` \|", table[:table.index("\n\n")], re.M) == [code.value for code in CODES]
    assert set(CODES) == set(Code)


# Queries over GET (item 3)

def test_queries_over_get_answer_with_the_same_authorisation_and_limits(server):
    area = new_area(server)
    get = lambda query, bearer=None, **params: httpx.get(  # noqa: E731
        server.url, params={"query": query, **params}, headers={"Authorization": f"Bearer {bearer}"} if bearer else {})
    query = "query($id: ID!) { plan(id: $id) { title } }"
    assert get(query, area.lead, variables=json.dumps({"id": area.plan})).json() == {"data": {"plan": {"title": "WSoA"}}}
    refused = get(query, variables=json.dumps({"id": area.plan}))  # a cross-site GET carries no token
    assert refused.status_code == 401 and refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    other = token(Role.PARTNERSHIP_LEAD, new_area(server).partnership)
    assert get(query, other, variables=json.dumps({"id": area.plan})).json() == {"data": {"plan": None}}
    deep = get(DEEP, area.lead).json()
    assert deep["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    huge = get("{ partnerships { id } }" + " " * 40_000, area.lead)
    assert huge.status_code == 431 and huge.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


def test_mutations_over_get_are_refused_and_record_nothing(server):
    area = new_area(server)
    before = server.log_end(area.auditor)
    refused = httpx.get(server.url, params={"query": 'mutation { startAction(input: {actionId: "%s"}) { userErrors { code } } }'
                                                     % area.action}, headers={"Authorization": f"Bearer {area.lead}"})
    assert refused.status_code == 400
    assert refused.json() == {"errors": [{"message": "mutations are not allowed when using GET",
                                          "extensions": {"code": "BAD_REQUEST"}}]}
    assert server.log_end(area.auditor) == before


def test_a_browser_get_without_a_query_is_still_graphiql(server):
    page = httpx.get(server.url, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


# Ids at a view, node(id:), entityId (items 1 and 5)

PLAN = "query($id: ID!, $asOf: Date) { plan(id: $id, asOf: $asOf) { id entityId status version priorityAreas { id entityId } } }"


def test_an_entity_read_at_a_past_view_has_an_id_of_that_view_which_node_and_the_lookups_answer_there(server, then_and_now):
    auditor, plan = then_and_now.area.auditor, then_and_now.plan
    now = server.query(PLAN, auditor, id=plan)["plan"]
    then = server.query(PLAN, auditor, id=plan, asOf=AS_OF)["plan"]
    assert now["id"] == now["entityId"] == then["entityId"] == plan != then["id"]
    assert (now["status"], then["status"]) == ("SUPERSEDED", "APPROVED")
    assert then["priorityAreas"][0]["id"] != now["priorityAreas"][0]["id"] == now["priorityAreas"][0]["entityId"]
    # node(id:) and the lookup answer the view's id at its view; asAt/asOf may repeat it, not change it.
    node = "query($id: ID!) { node(id: $id) { id ... on Plan { status version } } }"
    assert server.query(node, auditor, id=then["id"])["node"] == {"id": then["id"], "status": "APPROVED",
                                                                 "version": then["version"]}
    assert server.query(PLAN, auditor, id=then["id"])["plan"] == then
    assert server.query(PLAN, auditor, id=then["id"], asOf=AS_OF)["plan"] == then
    refused = server.post(PLAN, {"id": then["id"], "asOf": "2021-01-01"}, auditor).json()
    assert refused["data"] == {"plan": None} and codes(refused) == ["BAD_USER_INPUT"]
    assert "entityId" in refused["errors"][0]["message"]
    # An argument naming an entity takes either id.
    actions = "query($p: ID, $asOf: Date) { actions(partnershipId: $p, asOf: $asOf) { totalCount } }"
    partnership = server.query("query($id: ID!, $asOf: Date) { partnership(id: $id, asOf: $asOf) { id } }", auditor,
                               id=then_and_now.area.partnership, asOf=AS_OF)["partnership"]["id"]
    assert server.query(actions, auditor, p=partnership, asOf=AS_OF)["actions"]["totalCount"] == 2
    history = "query($id: ID!) { history(entityId: $id) { edges { node { entityId } } } }"
    assert {e["node"]["entityId"] for e in server.query(history, auditor, id=then["id"])["history"]["edges"]} == {plan}


def test_every_entity_with_an_id_is_a_node(server):
    area = new_area(server)
    found = server.query("""query($p: ID!, $i: ID!, $pl: ID!) {
      partnership(id: $p) { agencies { id } } inspection(id: $i) { findings { id } } plan(id: $pl) { priorityAreas { id } } }""",
                         area.auditor, p=area.partnership, i=area.inspection, pl=area.plan)
    node = """query($id: ID!) { node(id: $id) { __typename id entityId
      ... on Agency { name } ... on Finding { kind } ... on PriorityArea { title } } }"""
    for kind, entity_id, detail in [("Agency", found["partnership"]["agencies"][0]["id"], "name"),
                                    ("Finding", found["inspection"]["findings"][0]["id"], "kind"),
                                    ("PriorityArea", found["plan"]["priorityAreas"][0]["id"], "title")]:
        answer = server.query(node, area.auditor, id=entity_id)["node"]
        assert (answer["__typename"], answer["id"], answer["entityId"]) == (kind, entity_id, entity_id) and answer[detail]
    assert server.query(node, area.auditor, id=area.council)["node"]["name"].endswith("Council")
    assert server.query(node, area.auditor, id=area.findings[0])["node"]["kind"] == "FUNDAMENTAL_FAILING"
    assert server.query(node, area.auditor, id=area.priority_area)["node"]["title"] == "Timely EHC plans"
    outsider = token(Role.PARTNERSHIP_LEAD, new_area(server).partnership)
    assert server.query(node, outsider, id=area.council)["node"] is None


def test_a_retried_mutation_shows_the_ids_the_first_answer_showed(server):
    area = new_area(server)
    change = {"actionId": area.action, "idempotencyKey": f"start-{area.action}"}
    first = server.ok("startAction", change, area.lead, "action { id entityId status plan { id } }")
    server.ok("reportActionProgress", {"actionId": area.action, "note": "Later"}, area.lead)
    again = server.ok("startAction", change, area.lead, "action { id entityId status plan { id } }")
    assert again["action"] == first["action"] == {"id": area.action, "entityId": area.action, "status": "IN_PROGRESS",
                                                  "plan": {"id": area.plan}}


# Relay's PageInfo (item 2)

def test_page_info_says_where_a_page_lies(server):
    area = new_area(server)
    for n in range(2):
        server.ok("addAction", {"planId": area.plan, "title": f"Action {n}", "ownerAgencyId": area.council,
                                "dueOn": "2031-01-01"}, area.lead)
    page = "query($id: ID!, $after: String) { plan(id: $id) { actions(first: 2, after: $after) {" \
           " edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"
    first = server.query(page, area.auditor, id=area.plan)["plan"]["actions"]
    assert first["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False, "startCursor": first["edges"][0]["cursor"],
                                 "endCursor": first["edges"][1]["cursor"]}
    second = server.query(page, area.auditor, id=area.plan, after=first["pageInfo"]["endCursor"])["plan"]["actions"]
    assert second["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True, "startCursor": second["edges"][0]["cursor"],
                                  "endCursor": second["edges"][0]["cursor"]}
    events = server.query("{ events(first: 1) { pageInfo { hasPreviousPage startCursor endCursor } } }", area.auditor)
    info = events["events"]["pageInfo"]
    assert info["hasPreviousPage"] is False and info["startCursor"] == info["endCursor"]


# Subscriptions refused with `error` (item 6)

class Connection:
    """A raw graphql-transport-ws connection, to see each message the service sends."""

    def __init__(self, ws, bearer: str):
        self.ws = ws
        self.ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {bearer}"}}))
        assert json.loads(self.ws.recv(timeout=10))["type"] == "connection_ack"

    def subscribe(self, id: str, payload: dict) -> dict:
        self.ws.send(json.dumps({"id": id, "type": "subscribe", "payload": payload}))
        return json.loads(self.ws.recv(timeout=10))


def test_a_subscription_refused_before_it_starts_ends_with_an_error_message(server):
    area = new_area(server)
    logged = (server.data_dir / "server.log").stat().st_size
    with connect(server.url.replace("http", "ws"), subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:
        connection = Connection(ws, area.lead)
        parse = connection.subscribe("1", {"query": "subscription { events { position "})
        assert (parse["id"], parse["type"], codes(parse | {"errors": parse["payload"]})) == ("1", "error", ["GRAPHQL_PARSE_FAILED"])
        named = connection.subscribe("2", {"query": "subscription Follow { events { position } }", "operationName": "Other"})
        assert named["type"] == "error" and named["payload"][0] == {"message": 'Unknown operation named "Other".',
                                                                    "extensions": {"code": "BAD_REQUEST"}}
        several = connection.subscribe("2", {"query": "subscription A { events { position } } subscription B { events { type } }"})
        assert several == {"id": "2", "type": "error", "payload": [{
            "message": "Must provide operation name if query contains multiple operations.", "extensions": {"code": "BAD_REQUEST"}}]}
        cursors.use_secret(SECRET)  # a cursor the service made, for a position it has not reached
        beyond = connection.subscribe("3", {"query": "subscription($after: String) { events(after: $after) { position } }",
                                            "variables": {"after": cursors.encode("e", 999_999_999)}})
        assert beyond["type"] == "error" and codes({"errors": beyond["payload"]}) == ["BAD_USER_INPUT"]
        assert "beyond the end of the log" in beyond["payload"][0]["message"]
        bad = connection.subscribe("4", {"query": "subscription($after: String) { events(after: $after) { position } }",
                                         "variables": {"after": "nonsense"}})
        assert bad["type"] == "error" and codes({"errors": bad["payload"]}) == ["BAD_USER_INPUT"]
        # The connection is still open: a good subscription on it delivers.
        connection.ws.send(json.dumps({"id": "5", "type": "subscribe", "payload": {
            "query": "subscription($p: ID) { events(partnershipId: $p) { type } }", "variables": {"p": area.partnership}}}))
        deadline = time.monotonic() + 10
        while server.subscribers() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.ok("startAction", {"actionId": area.action}, area.lead)
        assert json.loads(connection.ws.recv(timeout=10)) == {"id": "5", "type": "next",
                                                             "payload": {"data": {"events": {"type": "ActionStarted"}}}}
    time.sleep(0.3)
    with open(server.data_dir / "server.log") as log:
        log.seek(logged)
        assert "unexpected" not in log.read()  # no traceback, nor its trace


def test_resuming_from_the_last_position_of_the_log_is_accepted(server):
    area = new_area(server)
    last = server.log_end(area.auditor)
    subscriber = server.subscribe(area.lead, "subscription($after: String) { events(after: $after) { position } }",
                                  {"after": last})
    try:
        done = server.ok("startAction", {"actionId": area.action}, area.lead)
        assert subscriber.next()["position"] == done["event"]["position"]
    finally:
        subscriber.close()
