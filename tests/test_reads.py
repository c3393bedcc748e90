"""Reads through the schema in-process: what `history`, `events` and the DateTime scalar answer at their edges."""

import asyncio
import gc
from datetime import date, datetime, timezone

import pytest

from domain.vocabulary import Role
from projections.store import StoreUnavailable
from service.authorisation import Principal
from service.graphql.context import Context
from service.graphql.execution import PlainFields
from service.graphql.schema import schema

ADMIN = Principal("admin@example.org", Role.ADMIN)


@pytest.fixture
def ask(session):
    commands, loop = session

    def ask(query, **variables):
        return loop.run(schema.execute(query, variable_values=variables,
                                       context_value=Context(commands=commands, principal=ADMIN)))

    ask.commands = commands
    ask.loop = loop
    return ask


def plan_with_an_action_in_a_priority_area(commands):
    run = lambda mutation, **fields: commands.run(ADMIN, mutation, **fields)  # noqa: E731
    partnership = run("registerPartnership", name="P", local_authority="L", effective_on=date(2017, 1, 1)).entity_id
    agency = run("addAgency", partnership_id=partnership, name="Council", kind="LOCAL_AUTHORITY",
                 effective_on=date(2017, 1, 1)).extra["agencyId"]
    plan = run("draftPlan", partnership_id=partnership, kind="IMPROVEMENT_PLAN", title="Plan", effective_on=date(2018, 1, 1)).entity_id
    area = run("addPriorityArea", plan_id=plan, title="Timely EHC plans").extra["priorityAreaId"]
    action = run("addAction", plan_id=plan, title="Audit", owner_agency_id=agency, due_on=date(2030, 1, 1),
                 priority_area_id=area).entity_id
    run("startAction", action_id=action)
    return partnership, area, action


def test_a_read_leaves_nothing_for_the_cyclic_garbage_collector(ask):
    """What a read builds (its context, reader, DataLoaders and graphql-core's executor) is freed by reference
    counting once it is answered. None of it is left in a reference cycle for the cyclic collector, which took a
    tenth of the serving process's time under reads when it was."""
    _, _, action = plan_with_an_action_in_a_priority_area(ask.commands)
    query = "query($id: ID!) { action(id: $id) { id title plan { title actions(first: 5) { edges { node { id } } } } } }"
    assert ask(query, id=action).errors is None  # (what the first read keeps, the parsed document, is not garbage)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # the collector keeps what it finds, to be looked at
    try:
        for _ in range(3):
            assert ask(query, id=action).errors is None
        gc.collect()
        left = sorted({type(thing).__qualname__ for thing in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []


def test_a_priority_areas_history_is_its_own_event(ask):
    _, area, _ = plan_with_an_action_in_a_priority_area(ask.commands)
    result = ask("query($id: ID!) { history(entityId: $id) { edges { node { type entityType data } } } }", id=area)
    assert [e["node"]["type"] for e in result.data["history"]["edges"]] == ["PriorityAreaAdded"]


def test_an_empty_list_of_types_is_no_events_and_a_long_one_is_refused(ask):
    partnership, _, _ = plan_with_an_action_in_a_priority_area(ask.commands)
    none = ask("query($p: ID!) { events(partnershipId: $p, types: []) { edges { cursor } } }", p=partnership)
    assert none.errors is None and none.data["events"]["edges"] == []
    some = ask("query($p: ID!) { events(partnershipId: $p, types: [\"ActionStarted\"]) { edges { node { type } } } }",
               p=partnership)
    assert [e["node"]["type"] for e in some.data["events"]["edges"]] == ["ActionStarted"]
    refused = ask("query($t: [String!]) { events(types: $t) { edges { cursor } } }", t=["ActionStarted"] * 30_000)
    assert refused.data is None and "at most 100" in refused.errors[0].message


@pytest.mark.parametrize("instant, says", [
    ("2024-03-01", "is a date, not an instant"),
    ("9999-12-31T23:59:59-14:00", "out of range"),
    ("0001-01-01T00:00:00+14:00", "out of range"),
    ("yesterday", "not an ISO 8601 instant"),
])
def test_an_as_at_that_is_no_instant_is_refused_clearly(ask, instant, says):
    result = ask("query($asAt: DateTime) { partnerships(asAt: $asAt) { id } }", asAt=instant)
    assert result.data is None and says in result.errors[0].message


def test_an_instant_after_the_request_is_answered_as_at_the_request_and_says_so(ask):
    plan_with_an_action_in_a_priority_area(ask.commands)
    asked = "2999-01-01T00:00:00+00:00"
    result = ask("query($asAt: DateTime) { partnerships(asAt: $asAt) { id } }", asAt=asked)
    answered = datetime.fromisoformat(result.extensions["answeredAsAt"][asked])
    assert result.errors is None and result.data["partnerships"]
    assert answered <= datetime.now(timezone.utc)


def test_answers_are_the_same_whether_plain_leaves_are_completed_in_one_step_or_field_by_field(ask, monkeypatch):
    """The schema's executor completes a selection set of plain leaves in one step (service/graphql/execution.py):
    a read of every kind of leaf (ids, text, enums, dates, instants, nulls, lists of text, aliases, __typename),
    in objects, lists and connections, answers exactly as graphql-core's field-by-field way."""
    _, area, action = plan_with_an_action_in_a_priority_area(ask.commands)
    ask.commands.run(ADMIN, "reportActionProgress", action_id=action, note="Audit under way", rag="AMBER")
    query = """query($id: ID!) { action(id: $id) {
        __typename id entityId title description leadOfficer dueOn status rag completedOn evidence latestNote
        version updatedAt originalDueOn rescheduleCount overdue again: title
        priorityArea { __typename id title }
        plan { id kind title status periodStart submissionDue version updatedAt
               actions(first: 5) { edges { cursor node { id title status dueOn rag } } pageInfo { hasNextPage } } } } }"""
    planned = ask(query, id=action)
    monkeypatch.setattr(PlainFields, "plan", lambda *_: None)
    field_by_field = ask(query, id=action)
    assert planned.errors is None and field_by_field.errors is None
    assert planned.data == field_by_field.data
    assert planned.data["action"]["rag"] == "AMBER" and planned.data["action"]["priorityArea"]["__typename"] == "PriorityArea"


def test_plans_kept_for_later_requests_answer_each_requests_own_fields(ask, monkeypatch):
    """A document's plans are kept for later requests (service/graphql/execution.py), where the fields collected
    for a selection set cannot change: a document with directives is planned for each request (its variables
    include or skip fields), and a selection set's plan is kept by every node collected into it (one fragment's
    fields merged with others' are another set)."""
    _, _, action = plan_with_an_action_in_a_priority_area(ask.commands)
    built = []
    planned = PlainFields.planned
    monkeypatch.setattr(PlainFields, "planned", lambda self, *a: built.append(a[0].name) or planned(self, *a))
    query = f'{{ action(id: "{action}") {{ id title plan {{ title status }} }} }}'  # (a text no other test asks)
    first = ask(query)
    kept = len(built)
    assert ask(query).data == first.data and len(built) == kept and "Plan" in built  # none built again

    # (a connection's edges and their nodes are plain fields, planned with the connection's set: the nested sets
    # below differ while the connection's own set is the same)
    included = """query($id: ID!, $with: Boolean!) { action(id: $id) { plan { actions(first: 5) {
        edges { node { id title @include(if: $with) } } } } } }"""
    for with_ in (True, False, True):
        node = ask(included, id=action, **{"with": with_}).data["action"]["plan"]["actions"]["edges"][0]["node"]
        assert node == ({"id": action, "title": "Audit"} if with_ else {"id": action})

    merged = """query($id: ID!) { action(id: $id) { plan {
        a: actions(first: 5) { ...F } b: actions(first: 5) { ...F edges { node { title } } } } } }
        fragment F on ActionConnection { edges { node { id } } }"""
    for _ in range(2):
        plan = ask(merged, id=action).data["action"]["plan"]
        assert plan == {"a": {"edges": [{"node": {"id": action}}]}, "b": {"edges": [{"node": {"id": action, "title": "Audit"}}]}}


def test_a_page_of_actions_decodes_only_its_own_and_the_pages_hold_every_action_once_in_order(ask):
    """Listed actions come as stored, each decoded when first read (projections/shapes.py Stored): a page of a long
    list reads its own actions, and a few more to find where it starts. Followed by their cursors, with or without a
    filter, the pages hold every action admitted once, in the order added, and say where they lie."""
    from projections import queries as q
    from service.graphql.types import ActionConnection, ActionFilter

    _, _, first = plan_with_an_action_in_a_priority_area(ask.commands)
    plan = ask.commands.read_model.run(q.entity(first))[1].plan_id
    owner = ask.commands.read_model.run(q.entity(first))[1].owner_agency_id
    for n in range(39):
        ask.commands.run(ADMIN, "addAction", plan_id=plan, title=f"Action {n}", owner_agency_id=owner,
                         due_on=date(2020 + n % 2 * 20, 1, 1))
    listed = lambda: ask.commands.read_model.run(q.entities("Action", "plan_id", [plan], None))  # noqa: E731

    stored = listed()
    page = ActionConnection.of(stored, None, 5, None)
    assert [e.node.title for e in page.edges] == ["Audit", "Action 0", "Action 1", "Action 2", "Action 3"]
    assert 5 <= sum(state is not None for state in stored.states) <= 5 + 7  # the page, and a binary search's reads

    for filter in (None, ActionFilter(overdue=True)):
        admitted = [a.id for a in listed() if filter is None or filter.admits(a, date.today())]
        pages, after = [], None
        while not pages or pages[-1].page_info.has_next_page:
            pages.append(ActionConnection.of(listed(), filter, 7, after))
            after = pages[-1].page_info.end_cursor
        assert [e.node.entity_id for page in pages for e in page.edges] == admitted
        assert [len(page.edges) for page in pages[:-1]] == [7] * (len(pages) - 1) and 0 < len(pages[-1].edges) <= 7
        assert [page.page_info.has_previous_page for page in pages] == [False] + [True] * (len(pages) - 1)
        assert {page.total_count for page in pages} == {len(admitted)}


def test_concurrent_requests_share_one_store_query_and_each_sees_only_its_partnership(ask, monkeypatch):
    """Lookups by id, and lists, that concurrent requests ask for in one turn of the event loop are read by one
    store query for all of them; each request is answered only what it asked and may see."""
    commands = ask.commands
    first, _, first_action = plan_with_an_action_in_a_priority_area(commands)
    second, _, second_action = plan_with_an_action_in_a_priority_area(commands)
    store = commands.read_model.store
    asked = []
    fetch = store.fetch

    async def counted(sql, params):
        asked.append(sql)
        return await fetch(sql, params)

    monkeypatch.setattr(store, "fetch", counted)
    query = """query($a: ID!, $b: ID!) { a: action(id: $a) { id plan { actions(first: 5) { edges { node { id } } } } }
                                          b: action(id: $b) { id } }"""
    callers = [Principal("one", Role.PARTNER, first), Principal("two", Role.PARTNER, second), ADMIN]

    async def together():
        return await asyncio.gather(*(
            schema.execute(query, variable_values={"a": first_action, "b": second_action},
                           context_value=Context(commands=commands, principal=caller)) for caller in callers))

    one, two, admin = ask.loop.run(together())
    assert [r.errors for r in (one, two, admin)] == [None] * 3
    nodes = lambda found: [e["node"]["id"] for e in found["plan"]["actions"]["edges"]]  # noqa: E731
    assert one.data["a"]["id"] == first_action and nodes(one.data["a"]) == [first_action] and one.data["b"] is None
    assert two.data == {"a": None, "b": {"id": second_action}}
    assert admin.data["a"]["id"] == first_action and admin.data["b"] == {"id": second_action}
    lookups = [sql for sql in asked if sql.startswith("SELECT type, seq, state FROM entities WHERE id IN")]
    lists = [sql for sql in asked if sql.startswith("SELECT seq, state, plan_id AS listed_by FROM entities")]
    # Three requests: one lookup of both actions, then one of the plan; then a list of the plan's actions for
    # each set of partnerships that may be read (the first partner's, the administrator's: the second partner
    # does not see the action), not one a request and level.
    assert len(lookups) == 2 and len(lists) == 2, asked


def test_a_gathered_lookup_answers_each_request_that_is_still_waiting_and_a_failure_reaches_each(ask, monkeypatch):
    """A request that went (cancelled: its deadline, its client gone) does not keep the others of its gathering
    from their answers; a store that cannot be reached is each one's StoreUnavailable."""
    commands = ask.commands
    _, _, action = plan_with_an_action_in_a_priority_area(commands)
    read_model = commands.read_model

    async def one_gone():
        going, staying = read_model.current([action]), read_model.current([action, "no-such-id"])
        going.cancel()
        return await asyncio.wait_for(staying, 10)

    found = ask.loop.run(one_gone())
    assert list(found) == [action] and found[action][0] == "Action"

    async def unreachable(sql, params):
        raise read_model.store.unavailable[0]("the store went")

    monkeypatch.setattr(read_model.store, "fetch", unreachable)

    async def both():
        return await asyncio.wait_for(asyncio.gather(
            read_model.current([action]), read_model.listed("Action", "plan_id", ["p"], None),
            read_model.current(["other"]), return_exceptions=True), 10)

    assert [type(error) for error in ask.loop.run(both())] == [StoreUnavailable] * 3
