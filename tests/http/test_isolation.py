"""A caller never sees another partnership's data: lists skip it, lookups are null, the log omits it."""

import uuid

from domain.vocabulary import Role
from tests.support import new_area, token


def test_a_partnership_sees_only_itself(server):
    mine, theirs = new_area(server), new_area(server)
    for who in [mine.lead, token(Role.PARTNER, mine.partnership, mine.council)]:
        listed = server.query("{ partnerships { id } actions(first: 100) { edges { node { id } } } }", who)
        assert listed["partnerships"] == [{"id": mine.partnership}]
        assert {e["node"]["id"] for e in listed["actions"]["edges"]} == {mine.action}
        looked_up = server.query(
            """query($p: ID!, $i: ID!, $plan: ID!, $a: ID!) { partnership(id: $p) { id } inspection(id: $i) { id }
                 plan(id: $plan) { id } action(id: $a) { id } node(id: $a) { id }
                 actions(partnershipId: $p) { totalCount } history(entityId: $a) { edges { cursor } }
                 events(partnershipId: $p) { edges { cursor } } }""",
            who, p=theirs.partnership, i=theirs.inspection, plan=theirs.plan, a=theirs.action)
        assert looked_up == {"partnership": None, "inspection": None, "plan": None, "action": None, "node": None,
                             "actions": {"totalCount": 0}, "history": {"edges": []}, "events": {"edges": []}}
        log = server.query("{ events(first: 100) { edges { node { partnershipId } } } }", who)["events"]["edges"]
        assert log and {e["node"]["partnershipId"] for e in log} == {mine.partnership}


def test_a_write_into_another_partnership_is_refused_as_if_it_did_not_exist(server):
    mine, theirs = new_area(server), new_area(server)
    unknown = str(uuid.uuid4())
    refusals = [server.mutate("startAction", {"actionId": action}, mine.lead, "action { id }")
                for action in (theirs.action, unknown)]
    assert all(p["action"] is None and p["event"] is None for p in refusals)
    theirs_refused, unknown_refused = (p["userErrors"] for p in refusals)
    assert theirs_refused == [{**unknown_refused[0], "message": unknown_refused[0]["message"].replace(unknown, theirs.action)}]
    assert theirs_refused[0]["code"] == "NOT_FOUND"


def test_readers_of_every_partnership_see_both(server):
    mine, theirs = new_area(server), new_area(server)
    for role in (Role.AUDITOR, Role.INSPECTOR, Role.MONITOR, Role.ADMIN):
        ids = {p["id"] for p in server.query("{ partnerships { id } }", token(role))["partnerships"]}
        assert {mine.partnership, theirs.partnership} <= ids


def test_the_events_feed_pages_without_gaps_or_repeats(server):
    area = new_area(server)
    for n in range(7):
        server.ok("reportActionProgress", {"actionId": area.action, "note": f"note {n}"}, area.lead)
    everything = server.query("query($p: ID!) { events(partnershipId: $p, first: 100) { edges { cursor node { position type } } } }",
                              area.auditor, p=area.partnership)["events"]["edges"]
    paged, after = [], None
    while True:
        page = server.query("query($p: ID!, $after: String) { events(partnershipId: $p, first: 3, after: $after) {"
                            " edges { cursor } pageInfo { hasNextPage endCursor } } }",
                            area.auditor, p=area.partnership, after=after)["events"]
        paged += [e["cursor"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == [e["cursor"] for e in everything]
    assert [e["node"]["position"] for e in everything] == [e["cursor"] for e in everything]
    progress = server.query("query($p: ID!) { events(partnershipId: $p, types: [\"ActionProgressReported\"]) { edges { node { type } } } }",
                            area.auditor, p=area.partnership)["events"]["edges"]
    assert len(progress) == 7 and {e["node"]["type"] for e in progress} == {"ActionProgressReported"}


def test_actions_connection_filters_and_pages(server):
    area = new_area(server)
    for n, due in enumerate(["2019-01-01", "2019-02-01", "2031-01-01"]):
        server.ok("addAction", {"planId": area.plan, "title": f"Action {n}", "ownerAgencyId": area.health, "dueOn": due},
                  area.lead)
    query = """query($p: ID!, $f: ActionFilter, $after: String) { plan(id: $p) { progress { total notStarted overdue }
                 actions(filter: $f, first: 2, after: $after) { totalCount edges { node { title overdue } } pageInfo { hasNextPage endCursor } } } }"""
    plan = server.query(query, area.auditor, p=area.plan, f={"ownerAgencyId": area.health})["plan"]
    assert plan["progress"] == {"total": 4, "notStarted": 4, "overdue": 2}
    assert plan["actions"]["totalCount"] == 3 and plan["actions"]["pageInfo"]["hasNextPage"]
    rest = server.query(query, area.auditor, p=area.plan, f={"ownerAgencyId": area.health},
                        after=plan["actions"]["pageInfo"]["endCursor"])["plan"]["actions"]
    assert [e["node"]["title"] for e in plan["actions"]["edges"] + rest["edges"]] == ["Action 0", "Action 1", "Action 2"]
    overdue = server.query(query, area.auditor, p=area.plan, f={"overdue": True})["plan"]["actions"]
    assert overdue["totalCount"] == 2 and all(e["node"]["overdue"] for e in overdue["edges"])
