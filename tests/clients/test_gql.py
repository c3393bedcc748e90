"""Python gql 4 (PyPI), over HTTP and over WebSocket (graphql-transport-ws), against a running service. The README's
recipes are copied from here (test_readme_recipes.py holds them to it)."""

import asyncio
from datetime import date

import pytest
from gql.transport.exceptions import TransportQueryError

from tests.clients.conftest import AS_OF


def test_gql_over_http_reads_a_plan_then_and_now(server, then_and_now):
    url, token, plan_id, as_of = server.url, then_and_now.area.auditor, then_and_now.plan, AS_OF

    # README: gql
    from gql import Client, GraphQLRequest
    from gql.transport.httpx import HTTPXTransport

    client = Client(transport=HTTPXTransport(url=url, headers={"Authorization": f"Bearer {token}"}))
    PLAN = "query Plan($id: ID!, $asOf: Date) { plan(id: $id, asOf: $asOf) { id entityId title status version } }"
    with client as session:
        now = session.execute(GraphQLRequest(PLAN, variable_values={"id": plan_id}))["plan"]
        then = session.execute(GraphQLRequest(PLAN, variable_values={"id": plan_id, "asOf": as_of}))["plan"]
    # README end

    assert (now["status"], then["status"]) == ("SUPERSEDED", "APPROVED") and now["entityId"] == then["entityId"]
    with client as session, pytest.raises(TransportQueryError) as refused:
        session.execute(GraphQLRequest('{ events(after: "nonsense") { edges { cursor } } }'))
    assert refused.value.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_gql_over_websocket_follows_the_log_from_a_position(server):
    from tests.support import new_area

    area = new_area(server)
    url, token, last = server.url, area.lead, server.log_end(area.auditor)
    server.ok("startAction", {"actionId": area.action}, area.lead)
    done = server.ok("completeAction", {"actionId": area.action, "completedOn": date.today().isoformat(), "evidence": ["Minutes"]},
                     area.lead)["event"]
    received = []

    class Enough(Exception):
        pass

    def handle(event: dict) -> None:
        received.append(event)
        raise Enough  # (the test stops at the first)

    async def follow(last: str | None) -> None:
        # README: gql-websocket
        from gql import Client, GraphQLRequest
        from gql.transport.websockets import WebsocketsTransport

        transport = WebsocketsTransport(url=url.replace("http", "ws", 1), init_payload={"Authorization": f"Bearer {token}"})
        COMPLETED = "subscription($after: String) { actionCompleted(after: $after) { position entityId data } }"
        async with Client(transport=transport) as session:
            async for result in session.subscribe(GraphQLRequest(COMPLETED, variable_values={"after": last})):
                handle(result["actionCompleted"])
                last = result["actionCompleted"]["position"]  # keep it: after a disconnect, subscribe again from it
        # README end

    with pytest.raises(Enough):
        asyncio.run(asyncio.wait_for(follow(last), 30))
    assert [(e["position"], e["entityId"], e["data"]["evidence"]) for e in received] == [(done["position"], area.action,
                                                                                          ["Minutes"])]


def test_gql_over_websocket_is_told_why_a_subscription_is_refused(server):
    from gql import Client, GraphQLRequest
    from gql.transport.websockets import WebsocketsTransport

    from tests.support import token
    from domain.vocabulary import Role

    async def subscribe() -> None:
        transport = WebsocketsTransport(url=server.url.replace("http", "ws", 1),
                                        init_payload={"Authorization": f"Bearer {token(Role.AUDITOR)}"})
        async with Client(transport=transport) as session:
            async for _ in session.subscribe(GraphQLRequest(
                    "subscription($after: String) { events(after: $after) { position } }",
                    variable_values={"after": "ZTo5OTk5OTk5OTk"})):
                pass

    with pytest.raises(TransportQueryError) as refused:
        asyncio.run(asyncio.wait_for(subscribe(), 30))
    assert refused.value.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
