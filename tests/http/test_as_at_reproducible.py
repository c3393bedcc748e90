"""An answer as at an instant never changes once given, however close to a write the instant was."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from tests.support import new_area

PLAN = """query($id: ID!, $asAt: DateTime) { plan(id: $id, asAt: $asAt) { version progress { total inProgress }
  actions { edges { node { id version latestNote } } } } }"""


def test_answers_as_at_now_while_writers_commit_are_the_same_when_asked_again(server):
    area = new_area(server)
    actions = [area.action] + [server.ok("addAction", {"planId": area.plan, "title": f"Action {n}", "ownerAgencyId": area.council,
                                                       "dueOn": "2030-01-01"}, area.lead, "action { id }")["action"]["id"]
                               for n in range(3)]
    stop = threading.Event()

    def write(action):
        n = 0
        while not stop.is_set():
            n += 1
            server.ok("reportActionProgress", {"actionId": action, "note": f"update {n}"}, area.lead)

    def read(_):
        samples = []
        for _ in range(40):
            instant = datetime.now(timezone.utc).isoformat()
            samples.append((instant, server.query(PLAN, area.auditor, id=area.plan, asAt=instant)["plan"]))
        return samples

    with ThreadPoolExecutor(len(actions)) as writers:
        running = [writers.submit(write, action) for action in actions]
        with ThreadPoolExecutor(3) as readers:
            samples = [s for found in readers.map(read, range(3)) for s in found]
        stop.set()
        for writer in running:
            writer.result()
    changed = [instant for instant, answer in samples
               if server.query(PLAN, area.auditor, id=area.plan, asAt=instant)["plan"] != answer]
    assert changed == [], f"{len(changed)} of {len(samples)} answers changed after the writers stopped"
    assert len({answer["version"] for _, answer in samples}) > 1 or len(
        {tuple(e["node"]["version"] for e in answer["actions"]["edges"]) for _, answer in samples}) > 1, \
        "the readers saw the record change while they read"
