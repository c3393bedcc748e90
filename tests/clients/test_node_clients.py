"""Apollo Client, urql, Graphcache, Relay, graphql-ws and GraphQL Code Generator, with their defaults, against a
running service; and graphql-schema-linter on the schema. The recipes in the README are copied from these scripts
(test_readme_recipes.py holds them to it)."""

import threading
import time

from tests.clients.conftest import ROOT


def same_plan_two_views(now: dict, then: dict, plan: str) -> None:
    """The plan now and as of AS_OF, told apart: different ids (cache keys), one entity."""
    assert (now["status"], then["status"]) == ("SUPERSEDED", "APPROVED")
    assert now["version"] == then["version"] + 1
    assert now["entityId"] == then["entityId"] == now["id"] == plan and then["id"] != plan


def test_apollo_keeps_the_plan_as_it_was_beside_the_plan_now(server, node_clients, then_and_now):
    result = node_clients.script("apollo.mjs", **then_and_now.env(server))
    same_plan_two_views(result["now"], result["then"], then_and_now.plan)
    # After the read as of the past date, the current read still answers SUPERSEDED from the cache alone.
    assert result["nowCached"] == result["now"] and result["thenCached"] == result["then"]
    assert sorted(result["cacheKeys"]) == sorted(f"Plan:{p['id']}" for p in (result["now"], result["then"]))
    assert result["requests"] == [{"method": "POST", "query": False}] * 2


def test_urql_with_its_defaults_queries_over_get(server, node_clients, then_and_now):
    result = node_clients.script("urql.mjs", **then_and_now.env(server))
    assert result["errors"] == [None, None]
    same_plan_two_views(result["now"], result["then"], then_and_now.plan)
    assert result["requests"] == [{"method": "GET", "query": True}] * 3
    assert result["refused"] == [{"message": "Cannot query field 'nope' on type 'Plan'.", "code": "GRAPHQL_VALIDATION_FAILED"}]


def test_graphcache_keeps_the_plan_as_it_was_beside_the_plan_now(server, node_clients, then_and_now):
    result = node_clients.script("graphcache.mjs", **then_and_now.env(server))
    assert result["errors"] == [None, None] and result["warnings"] == []
    now, then = result["now"], result["then"]
    same_plan_two_views(now, then, then_and_now.plan)
    assert (now["actions"]["totalCount"], then["actions"]["totalCount"]) == (3, 2)
    assert [e["node"]["entityId"] for e in then["actions"]["edges"]] == then_and_now.actions_then
    assert [e["node"]["status"] for e in then["actions"]["edges"]] == ["IN_PROGRESS", "NOT_STARTED"]
    assert {e["node"]["id"] for e in then["actions"]["edges"]}.isdisjoint(e["node"]["id"] for e in now["actions"]["edges"])
    assert result["nowCached"] == now and result["thenCached"] == then
    assert len(result["requests"]) == 2


def test_relay_compiles_a_connection_and_paginates_a_past_view_through_node(server, node_clients, then_and_now):
    node_clients.run(node_clients.bin("relay-compiler"), cwd="relay")
    result = node_clients.script("relay/relay.mjs", **then_and_now.env(server))
    now, first, then = result["now"], result["firstPage"], result["then"]
    same_plan_two_views(now, then, then_and_now.plan)
    assert (now["totalCount"], len(now["actions"]), now["hasNextPage"]) == (3, 1, True)
    assert (first["totalCount"], len(first["actions"]), first["hasNextPage"]) == (2, 1, True)
    # The second page came through node(id:) with the plan's id as read then: the actions as they were then.
    assert [a["entityId"] for a in then["actions"]] == then_and_now.actions_then
    assert [a["status"] for a in then["actions"]] == ["IN_PROGRESS", "NOT_STARTED"] and not then["hasNextPage"]
    assert now["actions"][0]["id"] not in {a["id"] for a in then["actions"]}
    assert {now["id"], then["id"]} <= set(result["records"])


def test_graphql_ws_resumes_across_forced_disconnects_with_no_gap_and_no_repeat(server, node_clients, then_and_now, tmp_path):
    """The events come in batches of five, each written once the client has cut the connection that brought the
    last: every batch but the first is written while the client is away or reconnecting, and it must resume after
    the last event it handled."""
    area, count, batch = then_and_now.area, 20, 5
    start = server.log_end(area.auditor)
    drops_file = tmp_path / "drops"
    drops_file.touch()
    written = []

    def write():
        for n in range(count):
            if n and n % batch == 0:
                deadline = time.monotonic() + 60
                while len(drops_file.read_text().splitlines()) < n // batch and time.monotonic() < deadline:
                    time.sleep(0.02)
            written.append(server.ok("reportActionProgress", {"actionId": area.action, "note": f"week {n}"},
                                     area.lead)["event"]["position"])

    writer = threading.Thread(target=write)
    writer.start()
    try:
        result = node_clients.script("graphql-ws.mjs", timeout=300, SERVICE_URL=server.url, TOKEN=area.lead,
                                     PARTNERSHIP_ID=area.partnership, START=start, COUNT=str(count),
                                     DROP_EVERY=str(batch), DROPS_FILE=str(drops_file))
    finally:
        writer.join(60)
    assert "error" not in result, result
    assert result["received"] == written, result
    assert (result["drops"], result["connections"]) == (count // batch - 1, count // batch), result


def test_codegen_types_every_scalar_strictly(node_clients):
    node_clients.run(node_clients.bin("graphql-codegen"), "--config", "codegen.ts")
    generated = (node_clients.folder / "codegen" / "generated" / "types.ts").read_text()
    assert "approvedOn: string | null, updatedAt: string" in generated  # a Date and a DateTime
    assert "recordedAt: string, effectiveOn: string | null, data: unknown" in generated
    node_clients.run(node_clients.bin("tsc"), "--noEmit", "--strict", "--skipLibCheck", "--module", "nodenext",
                     "--moduleResolution", "nodenext", "codegen/use.ts")


# graphql-schema-linter's rules, all of which run by default (every type, field, argument, enum value and input
# field described among them), less these:
NOT_LINTED = {
    # Fields are in the order that reads best (id first, relations after plain fields), not alphabetical.
    "enum-values-sorted-alphabetically": "order",
    "input-object-fields-sorted-alphabetically": "order",
    "interface-fields-sorted-alphabetically": "order",
    "type-fields-sorted-alphabetically": "order",
}


def test_the_schema_passes_graphql_schema_linter(node_clients):
    rules_folder = node_clients.folder / "node_modules" / "graphql-schema-linter" / "lib" / "rules"
    every = sorted(p.stem.replace("_", "-") for p in rules_folder.glob("*.js") if p.stem != "index")
    assert set(NOT_LINTED) < set(every)
    rules = [rule for rule in every if rule not in NOT_LINTED]
    assert "relay-page-info-spec" in rules and "relay-connection-types-spec" in rules
    node_clients.run(node_clients.bin("graphql-schema-linter"), "--rules", ",".join(rules), str(ROOT / "schema.graphql"))
