"""Property: every asAt/asOf answer, nested objects and lists included, equals a fold of the log's own records.

Random commands on a partnership's record (agencies, findings, priority areas,
actions and their changes, plan transitions, measurements and milestones,
judgements, meetings, improvement notices and their lifting), with
random effective dates (many backdated behind events already recorded), are
run through the real command path on a real store; then plan, action,
partnership, inspection and metric queries with nested selections are asked at
random (asAt, asOf) pairs through the GraphQL schema and compared with an
oracle that knows nothing of the domain code: it replays the EventRecords of
the `events` log with a few lines per event type, and answers every nested
object at the same view as its parent.
"""

from datetime import date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.vocabulary import Role
from service.authorisation import Principal
from service.graphql.context import Context
from service.graphql.schema import schema

ADMIN = Principal("admin", Role.ADMIN)
FOUNDED = date(2017, 1, 1)
DATES = st.dates(date(2018, 1, 1), date(2019, 12, 31))
DAYS = st.one_of(st.none(), DATES, DATES, DATES)  # mostly an effective date of its own, often behind earlier ones
# Weighted towards changes that usually apply, so that entities gather long, out-of-order histories.
COMMANDS = ["addAction"] * 2 + ["startAction"] * 3 + ["reportActionProgress"] * 3 + ["rescheduleAction"] * 3 + [
    "reassignAction", "completeAction", "completeAction", "reopenAction", "cancelAction", "submitPlan", "approvePlan",
    "returnPlan", "addAgency", "addPriorityArea", "recordFinding", "recordMeasurement", "recordMeasurement",
    "recordJudgement", "setMetricMilestone", "recordMeeting", "recordMeeting", "issueImprovementNotice",
    "liftImprovementNotice", "liftImprovementNotice"]
STEP = st.tuples(st.sampled_from(COMMANDS), st.integers(0, 7), DAYS, DATES, st.sampled_from(["RED", "AMBER", "GREEN", None]))
STEPS = st.tuples(st.lists(STEP.map(lambda s: ("addPriorityArea", *s[1:])), min_size=1, max_size=2),
                  st.lists(STEP.map(lambda s: ("addAction", *s[1:])), min_size=1, max_size=4),
                  st.lists(STEP, min_size=5, max_size=30)).map(lambda parts: parts[0] + parts[1] + parts[2])

ACTION_FIELDS = ("id: entityId status dueOn completedOn latestNote rag version overdue ownerAgency { id: entityId name } priorityArea { id: entityId }"
                 " originalDueOn rescheduleCount judgements { id: entityId }")
QUERIES = {
    "plan": f"""query($id: ID!, $asAt: DateTime, $asOf: Date) {{ plan(id: $id, asAt: $asAt, asOf: $asOf) {{
      status version submittedOn submissionOverdue submittedLate judgements {{ id: entityId }}
      partnership {{ id: entityId version agencies {{ id: entityId name }} }}
      respondsTo {{ id: entityId version findings {{ id: entityId kind }} }}
      priorityAreas {{ id: entityId title addresses {{ id: entityId }} actions {{ id: entityId status }} rag judgements {{ id: entityId }} }}
      progress {{ total notStarted inProgress completed cancelled overdue }}
      actions(first: 100) {{ totalCount edges {{ node {{ {ACTION_FIELDS} plan {{ id: entityId version status }} }} }} }} }} }}""",
    "action": f"""query($id: ID!, $asAt: DateTime, $asOf: Date) {{ action(id: $id, asAt: $asAt, asOf: $asOf) {{
      {ACTION_FIELDS} plan {{ id: entityId status version priorityAreas {{ id: entityId }} }} }} }}""",
    "partnership": """query($id: ID!, $asAt: DateTime, $asOf: Date) { partnership(id: $id, asAt: $asAt, asOf: $asOf) {
      version agencies { id: entityId name } plans { id: entityId status version } inspections { id: entityId version findings { id: entityId } }
      metrics { id: entityId version measurements { period value } latest { period } }
      meetings { id: entityId kind heldOn version actions { id: entityId status } plans { id: entityId status } attendingAgencies { id: entityId } }
      improvementNotices { id: entityId issuedOn liftedOn inForce version } } }""",
    "inspection": """query($id: ID!, $asAt: DateTime, $asOf: Date) { inspection(id: $id, asAt: $asAt, asOf: $asOf) {
      version partnership { id: entityId version } findings { id: entityId kind text latestJudgement { id: entityId rag } judgements { id: entityId }
      addressedBy { id: entityId } inspection { id: entityId version } } } }""",
    "metric": """query($id: ID!, $asAt: DateTime, $asOf: Date) { metric(id: $id, asAt: $asAt, asOf: $asOf) {
      version measurements { period periodEnd value target direction } latest { period }
      milestones { period periodEnd target } partnership { id: entityId version } } }""",
}




def run(commands, mutation, **fields):
    return commands.run(ADMIN, mutation, **fields)


class Area:
    """A partnership with two agencies, an inspection with a finding, a plan answering it and a metric."""

    def __init__(self, commands):
        self.partnership = run(commands, "registerPartnership", name="Property SEND Partnership",
                               local_authority="Anywhere", effective_on=FOUNDED).entity_id
        self.agencies = [self.agency(commands, name, FOUNDED) for name in ("Council", "ICB")]
        self.inspection = run(commands, "recordInspection", partnership_id=self.partnership, framework="LOCAL_AREA_SEND_2016",
                              kind="FULL", started_on=date(2017, 11, 13), ended_on=date(2017, 11, 17)).entity_id
        self.findings = [self.finding(commands, date(2017, 11, 17))]
        self.plan = run(commands, "draftPlan", partnership_id=self.partnership, kind="IMPROVEMENT_PLAN", title="Plan",
                        responds_to=self.inspection, submission_due=date(2018, 9, 1), effective_on=date(2018, 1, 1)).entity_id
        self.areas: list[str] = []
        self.metric = run(commands, "defineMetric", partnership_id=self.partnership, name="EHC plans in 20 weeks",
                          unit="PERCENT", polarity="HIGHER_IS_BETTER", target=60.0, effective_on=date(2018, 1, 1)).entity_id
        self.actions: list[str] = []
        self.notices: list[str] = []

    def agency(self, commands, name, effective):
        outcome = run(commands, "addAgency", partnership_id=self.partnership, name=name, kind="OTHER", effective_on=effective)
        return outcome.extra.get("agencyId")

    def finding(self, commands, effective):
        outcome = run(commands, "recordFinding", inspection_id=self.inspection, kind="SIGNIFICANT_WEAKNESS",
                      text=f"Finding {effective}", effective_on=effective)
        return outcome.extra.get("findingId")

    def apply(self, commands, step):
        name, target, effective, day, rag = step
        action = self.actions[target % len(self.actions)] if self.actions else None
        agency = self.agencies[target % len(self.agencies)]
        if name == "addAction":
            outcome = run(commands, name, plan_id=self.plan, title="An action", owner_agency_id=agency, due_on=day,
                          priority_area_id=self.areas[target % len(self.areas)] if self.areas and target % 3 else None,
                          effective_on=effective)
            if not outcome.errors:
                self.actions.append(outcome.entity_id)
        elif name in ("submitPlan", "approvePlan", "returnPlan"):
            run(commands, name, plan_id=self.plan, on=day)
        elif name == "addAgency":
            self.agencies += [a for a in [self.agency(commands, f"Agency {len(self.agencies)}", effective)] if a]
        elif name == "addPriorityArea":
            outcome = run(commands, name, plan_id=self.plan, title=f"Area {len(self.areas)}",
                          addresses=self.findings[target % len(self.findings):], effective_on=effective)
            self.areas += [outcome.extra["priorityAreaId"]] if not outcome.errors else []
        elif name == "recordFinding":
            self.findings += [f for f in [self.finding(commands, effective or day)] if f]
        elif name == "recordMeasurement":
            run(commands, name, metric_id=self.metric, period=f"Term {target % 3}", period_end=day, value=float(40 + target * 5))
        elif name == "recordJudgement":
            subjects = [self.plan, *self.findings, *self.areas, *self.actions]
            run(commands, name, subject_id=subjects[target % len(subjects)], body="IMPROVEMENT_BOARD", made_on=day,
                rag=rag or "AMBER", rationale="Board review")
        elif name == "setMetricMilestone":
            run(commands, name, metric_id=self.metric, period=f"Term {target % 4}", period_end=day,
                target=float(40 + target * 3), effective_on=effective)
        elif name == "recordMeeting":
            run(commands, name, partnership_id=self.partnership, kind=["STOCKTAKE", "IMPROVEMENT_BOARD"][target % 2],
                held_on=day, summary="Progress", attending_agency_ids=self.agencies[:1 + target % 2], plan_ids=[self.plan],
                action_ids=self.actions[:target % 3])
        elif name == "issueImprovementNotice":
            outcome = run(commands, name, partnership_id=self.partnership, issued_on=day, summary="Improve")
            self.notices += [outcome.entity_id] if not outcome.errors else []
        elif name == "liftImprovementNotice":
            if self.notices:
                notice = self.notices[target % len(self.notices)]
                run(commands, name, improvement_notice_id=notice, lifted_on=max(day, date(2019, 6, 1)), reason="Improved")
        elif action is None:
            return
        elif name in ("startAction", "reopenAction"):
            run(commands, name, action_id=action, effective_on=effective)
        elif name == "cancelAction":
            run(commands, name, action_id=action, reason="No longer needed", effective_on=effective)
        elif name == "reportActionProgress":
            run(commands, name, action_id=action, note=f"Note {day}", rag=rag, effective_on=effective)
        elif name == "rescheduleAction":
            run(commands, name, action_id=action, due_on=day, reason="Moved", effective_on=effective)
        elif name == "reassignAction":
            run(commands, name, action_id=action, owner_agency_id=agency, reason="Moved", effective_on=effective)
        elif name == "completeAction":
            run(commands, name, action_id=action, completed_on=day, evidence=["Evidence"])


STATUS = {"PlanDrafted": "DRAFT", "PlanSubmitted": "SUBMITTED", "PlanApproved": "APPROVED", "PlanReturned": "RETURNED",
          "ActionAdded": "NOT_STARTED", "ActionStarted": "IN_PROGRESS", "ActionCompleted": "COMPLETED",
          "ActionReopened": "IN_PROGRESS", "ActionCancelled": "CANCELLED"}


def fold(records, as_at, as_of):
    """Every entity of the log at the view, by id, in order of its first event (children within their owner)."""
    entities: dict[str, dict | None] = {}
    for position, r in enumerate(records):
        counts = (as_at is None or datetime.fromisoformat(r["recordedAt"]) <= as_at) and (
            as_of is None or date.fromisoformat(r["effectiveOn"]) <= as_of)
        kind, data, entity = r["type"], r["data"], entities.get(r["entityId"])
        if r["version"] == 1:
            entities[r["entityId"]] = entity = {"id": r["entityId"], "type": r["entityType"], "version": 0, **data,
                                                "status": None, "completedOn": None, "latestNote": None, "rag": data.get("rag"),
                                                "submittedOn": None, "firstSubmittedOn": None, "agencies": [], "findings": [],
                                                "priorityAreas": [], "measurements": {}, "milestones": {},
                                                "originalDueOn": data.get("dueOn"), "rescheduleCount": 0, "liftedOn": None,
                                                "position": position} if counts else None
        if entity is None or not counts:
            continue
        entity["version"] += 1
        entity["status"] = STATUS.get(kind, entity["status"])
        if kind == "AgencyAdded":
            entity["agencies"].append({"id": data["agencyId"], "name": data["name"]})
        elif kind == "FindingRecorded":
            entity["findings"].append({"id": data["findingId"], "kind": data["kind"], "text": data["text"]})
        elif kind == "PriorityAreaAdded":
            entity["priorityAreas"].append({"id": data["priorityAreaId"], "title": data["title"], "addresses": data["addresses"]})
        elif kind == "PlanSubmitted":
            entity["submittedOn"] = data["on"]
            entity["firstSubmittedOn"] = entity["firstSubmittedOn"] or data["on"]
        elif kind == "ActionRescheduled":
            entity["dueOn"] = data["dueOn"]
            entity["rescheduleCount"] += 1
        elif kind == "MilestoneSet":
            entity["milestones"][data["period"]] = {"period": data["period"], "periodEnd": data["periodEnd"],
                                                    "target": data["target"]}
        elif kind == "ImprovementNoticeLifted":
            entity["liftedOn"] = data["liftedOn"]
        elif kind == "ActionReassigned":
            entity["ownerAgencyId"] = data["ownerAgencyId"]
        elif kind == "ActionProgressReported":
            entity["latestNote"] = data["note"]
            entity["rag"] = data["rag"] or entity["rag"]
        elif kind == "ActionCompleted":
            entity["completedOn"] = data["completedOn"]
        elif kind == "ActionReopened":
            entity["completedOn"] = None
        elif kind == "MeasurementRecorded":
            entity["measurements"][data["period"]] = {"period": data["period"], "periodEnd": data["periodEnd"],
                                                      "value": data["value"]}
    return {i: e for i, e in entities.items() if e is not None}


class Oracle:
    """The answers to QUERIES at one view, from the folded log."""

    def __init__(self, records, as_at, as_of):
        self.e = fold(records, as_at, as_of)
        self.day = as_of or (as_at or datetime.now(timezone.utc)).date()

    def of(self, kind):
        return [e for e in self.e.values() if e["type"] == kind]

    def child(self, kind, child_id):
        return next((c for e in self.of(kind) for c in e[{"Partnership": "agencies", "Inspection": "findings",
                                                           "Plan": "priorityAreas"}[kind]] if c["id"] == child_id), None)

    def overdue(self, a):
        return a["status"] in ("NOT_STARTED", "IN_PROGRESS") and date.fromisoformat(a["dueOn"]) < self.day

    def judgements_of(self, subject_id):
        theirs = [j for j in self.of("Judgement") if j["subjectId"] == subject_id]
        return [{"id": j["id"]} for j in sorted(theirs, key=lambda j: (j["madeOn"], j["position"]))]

    def rag(self, actions):
        """A priority area's roll-up of its actions."""
        open_ = [a for a in actions if a["status"] in ("NOT_STARTED", "IN_PROGRESS")]
        live = [a for a in actions if a["status"] != "CANCELLED"]
        if any(a["rag"] == "RED" or self.overdue(a) for a in open_):
            return "RED"
        if any(a["rag"] == "AMBER" for a in open_):
            return "AMBER"
        return "GREEN" if live and all(a["status"] == "COMPLETED" or a["rag"] == "GREEN" for a in live) else None

    def action(self, a):
        agency = self.child("Partnership", a["ownerAgencyId"])
        return {"id": a["id"], "status": a["status"], "dueOn": a["dueOn"], "completedOn": a["completedOn"],
                "latestNote": a["latestNote"], "rag": a["rag"], "version": a["version"], "overdue": self.overdue(a),
                "ownerAgency": {"id": agency["id"], "name": agency["name"]},
                "priorityArea": {"id": a["priorityAreaId"]} if self.child("Plan", a["priorityAreaId"] or "") else None,
                "originalDueOn": a["originalDueOn"], "rescheduleCount": a["rescheduleCount"],
                "judgements": self.judgements_of(a["id"])}

    def actions_of(self, plan_id):
        return [a for a in self.of("Action") if a["planId"] == plan_id]

    def plan(self, plan_id):
        p = self.e.get(plan_id)
        if p is None:
            return None
        partnership, inspection = self.e[p["partnershipId"]], self.e.get(p["respondsTo"])
        actions = self.actions_of(plan_id)
        count = {s: sum(a["status"] == s for a in actions) for s in ("NOT_STARTED", "IN_PROGRESS", "COMPLETED", "CANCELLED")}
        found = {f["id"] for f in inspection["findings"]} if inspection else set()
        due, first = p["submissionDue"], p["firstSubmittedOn"]
        return {
            "status": p["status"], "version": p["version"], "submittedOn": p["submittedOn"],
            "submissionOverdue": p["status"] in ("DRAFT", "RETURNED") and date.fromisoformat(due) < self.day,
            "submittedLate": None if first is None else first > due, "judgements": self.judgements_of(plan_id),
            "partnership": {"id": partnership["id"], "version": partnership["version"], "agencies": partnership["agencies"]},
            "respondsTo": {"id": inspection["id"], "version": inspection["version"],
                           "findings": [{"id": f["id"], "kind": f["kind"]} for f in inspection["findings"]]} if inspection else None,
            "priorityAreas": [{"id": pa["id"], "title": pa["title"], "addresses": [{"id": f} for f in pa["addresses"] if f in found],
                               "actions": [{"id": a["id"], "status": a["status"]} for a in actions if a["priorityAreaId"] == pa["id"]],
                               "rag": self.rag([a for a in actions if a["priorityAreaId"] == pa["id"]]),
                               "judgements": self.judgements_of(pa["id"])}
                              for pa in p["priorityAreas"]],
            "progress": {"total": len(actions), "notStarted": count["NOT_STARTED"], "inProgress": count["IN_PROGRESS"],
                         "completed": count["COMPLETED"], "cancelled": count["CANCELLED"],
                         "overdue": sum(self.overdue(a) for a in actions)},
            "actions": {"totalCount": len(actions), "edges": [
                {"node": {**self.action(a), "plan": {"id": p["id"], "version": p["version"], "status": p["status"]}}}
                for a in actions]},
        }

    def action_alone(self, action_id):
        a = self.e.get(action_id)
        if a is None:
            return None
        p = self.e[a["planId"]]
        return {**self.action(a), "plan": {"id": p["id"], "status": p["status"], "version": p["version"],
                                           "priorityAreas": [{"id": pa["id"]} for pa in p["priorityAreas"]]}}

    def partnership(self, partnership_id):
        p = self.e.get(partnership_id)
        if p is None:
            return None
        return {"version": p["version"], "agencies": p["agencies"],
                "plans": [{"id": x["id"], "status": x["status"], "version": x["version"]} for x in self.of("Plan")],
                "inspections": [{"id": i["id"], "version": i["version"], "findings": [{"id": f["id"]} for f in i["findings"]]}
                                for i in self.of("Inspection")],
                "metrics": [{"id": m["id"], "version": m["version"],
                             "measurements": [{"period": x["period"], "value": x["value"]} for x in self.measured(m)],
                             "latest": self.latest(m)}
                            for m in self.of("Metric")],
                "meetings": [{"id": x["id"], "kind": x["kind"], "heldOn": x["heldOn"], "version": x["version"],
                              "actions": [{"id": a, "status": self.e[a]["status"]} for a in x["actionIds"] if a in self.e],
                              "plans": [{"id": a, "status": self.e[a]["status"]} for a in x["planIds"] if a in self.e],
                              "attendingAgencies": [{"id": a} for a in x["attendingAgencyIds"]
                                                    if any(g["id"] == a for g in p["agencies"])]}
                             for x in sorted(self.of("Meeting"), key=lambda x: (x["heldOn"], x["position"]))],
                "improvementNotices": [{"id": n["id"], "issuedOn": n["issuedOn"], "liftedOn": n["liftedOn"],
                                        "inForce": n["liftedOn"] is None or date.fromisoformat(n["liftedOn"]) > self.day,
                                        "version": n["version"]}
                                       for n in sorted(self.of("ImprovementNotice"), key=lambda n: (n["issuedOn"], n["position"]))]}

    def measured(self, m):
        return sorted(m["measurements"].values(), key=lambda x: x["periodEnd"])

    def latest(self, m):
        found = max(m["measurements"].values(), key=lambda x: x["periodEnd"], default=None)
        return {"period": found["period"]} if found else None

    def inspection(self, inspection_id):
        i = self.e.get(inspection_id)
        if i is None:
            return None
        partnership = self.e[i["partnershipId"]]
        judgements = self.of("Judgement")
        areas = [pa for plan in self.of("Plan") for pa in plan["priorityAreas"]]

        def latest(finding_id):
            theirs = [j for j in judgements if j["subjectId"] == finding_id]
            j = max(theirs, key=lambda j: (j["madeOn"], j["position"]), default=None)
            return {"id": j["id"], "rag": j["rag"]} if j else None

        return {"version": i["version"], "partnership": {"id": partnership["id"], "version": partnership["version"]},
                "findings": [{**f, "latestJudgement": latest(f["id"]), "judgements": self.judgements_of(f["id"]),
                              "addressedBy": [{"id": pa["id"]} for pa in areas if f["id"] in pa["addresses"]],
                              "inspection": {"id": i["id"], "version": i["version"]}} for f in i["findings"]]}

    def metric(self, metric_id):
        m = self.e.get(metric_id)
        if m is None:
            return None
        partnership = self.e[m["partnershipId"]]
        milestones = m["milestones"]

        def target(x):
            due = [t for t in milestones.values() if t["periodEnd"] >= x["periodEnd"]]
            if x["period"] in milestones:
                return milestones[x["period"]]["target"]
            return min(due, key=lambda t: t["periodEnd"])["target"] if due else m["target"]

        def direction(x):
            earlier = [y for y in m["measurements"].values() if y["periodEnd"] < x["periodEnd"]]
            if not earlier:
                return None
            before = max(earlier, key=lambda y: y["periodEnd"])["value"]
            return "STEADY" if before == x["value"] else "IMPROVING" if x["value"] > before else "WORSENING"

        return {"version": m["version"], "measurements": [{**x, "target": target(x), "direction": direction(x)}
                                                          for x in self.measured(m)],
                "latest": self.latest(m), "milestones": sorted(milestones.values(), key=lambda t: t["periodEnd"]),
                "partnership": {"id": partnership["id"], "version": partnership["version"]}}


def query(session, text, **variables):
    commands, loop = session
    result = loop.run(schema.execute(text, variable_values=variables, context_value=Context(commands=commands, principal=ADMIN)))
    assert result.errors is None, result.errors
    return result.data


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS, data=st.data())
def test_every_view_nested_equals_a_fold_of_the_log(session, steps, data):
    commands = session[0]
    area = Area(commands)
    for step in steps:
        area.apply(commands, step)
    records = [e["node"] for e in query(session, """query($p: ID!) { events(partnershipId: $p, first: 100) {
        edges { node { position entityId entityType type version recordedAt effectiveOn data } } } }""",
                                       p=area.partnership)["events"]["edges"]]
    instants = [datetime.fromisoformat(r["recordedAt"]) for r in records]
    moments = st.one_of(st.none(), st.sampled_from(instants).flatmap(
        lambda t: st.sampled_from([t, t - timedelta(microseconds=1), t + timedelta(microseconds=1)])))
    roots = {"plan": [area.plan], "action": area.actions, "partnership": [area.partnership],
             "inspection": [area.inspection], "metric": [area.metric]}
    for _ in range(6):
        as_at, as_of = data.draw(moments), data.draw(DAYS)
        oracle = Oracle(records, as_at, as_of)
        for root, ids in roots.items():
            entity_id = data.draw(st.sampled_from(ids))
            answer = query(session, QUERIES[root], id=entity_id, asAt=as_at.isoformat() if as_at else None,
                           asOf=as_of.isoformat() if as_of else None)[root]
            expected = getattr(oracle, "action_alone" if root == "action" else root)(entity_id)
            assert answer == expected, (root, as_at, as_of)
