"""A read as at an instant that a commit under way was stamped before waits for that commit, so the answer is final."""

import threading
import time
from datetime import date, datetime, timezone


from domain.vocabulary import Role
from projections import postgres, sqlite
from service.authorisation import Principal
from service.graphql.context import Context
from service.graphql.schema import schema

ADMIN = Principal("admin@example.org", Role.ADMIN)
ACTION = "query($id: ID!, $asAt: DateTime) { action(id: $id, asAt: $asAt) { version latestNote } }"




def test_a_read_as_at_an_instant_after_a_stamped_commit_waits_for_it(session, monkeypatch):
    commands, loop = session
    run = lambda mutation, **fields: commands.run(ADMIN, mutation, **fields)  # noqa: E731
    partnership = run("registerPartnership", name="P", local_authority="L", effective_on=date(2017, 1, 1)).entity_id
    agency = run("addAgency", partnership_id=partnership, name="Council", kind="LOCAL_AUTHORITY",
                 effective_on=date(2017, 1, 1)).extra["agencyId"]
    plan = run("draftPlan", partnership_id=partnership, kind="IMPROVEMENT_PLAN", title="Plan", effective_on=date(2018, 1, 1)).entity_id
    action = run("addAction", plan_id=plan, title="An action", owner_agency_id=agency, due_on=date(2030, 1, 1)).entity_id

    stamped, lingering = threading.Event(), 0.5
    for module in (sqlite, postgres):  # each store's recorder calls it inside its commit, after stamping the batch
        original = module.write_changes

        def slow(*arguments, original=original):
            original(*arguments)
            stamped.set()
            time.sleep(lingering)  # the commit under way, holding the writers' lock, for a while

        monkeypatch.setattr(module, "write_changes", slow)
    writer = threading.Thread(target=run, args=("reportActionProgress",), kwargs={"action_id": action, "note": "late"})
    writer.start()
    assert stamped.wait(30)
    instant = datetime.now(timezone.utc).isoformat()  # after the commit's instant, before its commit

    def ask():
        result = loop.run(schema.execute(ACTION, variable_values={"id": action, "asAt": instant},
                                         context_value=Context(commands=commands, principal=ADMIN)))
        assert result.errors is None, result.errors
        return result.data["action"]

    started = time.monotonic()
    first = ask()
    waited = time.monotonic() - started
    writer.join(30)
    assert first == ask() == {"version": 2, "latestNote": "late"}
    assert waited > lingering / 2, "the read did not wait for the commit under way"
