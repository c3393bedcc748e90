"""The rules of the domain, on the aggregates alone (no store, no GraphQL)."""

from datetime import date

import pytest

from domain.action import Action, is_overdue
from domain.base import InvalidError, InvalidTransitionError, stamped
from domain.inspection import Inspection
from domain.judgement import Judgement
from domain.metric import Metric, latest_measurement, rag_for
from domain.partnership import Partnership
from domain.plan import Plan
from domain.vocabulary import ActionStatus, PlanStatus, Polarity, Rag

D = date(2018, 6, 1)


@pytest.fixture(autouse=True)
def dated():
    """Changes take effect early in 2018 unless a test says otherwise: the dates the rules are given (D) come
    after it, as a change's own date comes after the record it changes came into being."""
    with stamped({"subject": "tester", "role": "ADMIN"}, date(2018, 1, 2)):
        yield


PARTNERSHIPS: dict[str, Partnership] = {}


def partnership() -> tuple[Partnership, str, str]:
    p = Partnership.register("Lancashire SEND Partnership", "Lancashire")
    PARTNERSHIPS[p.partnership_id] = p
    return p, p.add_agency("Lancashire County Council", "LOCAL_AUTHORITY"), p.add_agency("NHS", "HEALTH")


def inspection(p: Partnership, **kw) -> Inspection:
    return Inspection.record(p, "LOCAL_AREA_SEND_2016", kw.pop("kind", "FULL"), date(2017, 11, 13),
                             date(2017, 11, 17), **kw)


def plan_in(status: PlanStatus) -> Plan:
    p, _, _ = partnership()
    plan = Plan.draft(p, "WRITTEN_STATEMENT_OF_ACTION", "WSoA")
    path = {
        PlanStatus.DRAFT: [],
        PlanStatus.SUBMITTED: ["submit"],
        PlanStatus.RETURNED: ["submit", "return_"],
        PlanStatus.APPROVED: ["submit", "approve"],
        PlanStatus.CLOSED: ["submit", "approve", "close"],
        PlanStatus.SUPERSEDED: ["submit", "approve", "supersede"],
    }[status]
    for step in path:
        if step == "supersede":
            plan.supersede(Plan.draft(p, "IMPROVEMENT_PLAN", "Next"), D)
        else:
            getattr(plan, step)(D)
    assert plan.status == status
    return plan


def next_plan(plan: Plan) -> Plan:
    """Another plan of the same partnership."""
    return Plan.draft(PARTNERSHIPS[plan.partnership_id], "IMPROVEMENT_PLAN", "Next")


PLAN_MOVES = {
    "submit": ({PlanStatus.DRAFT, PlanStatus.RETURNED}, PlanStatus.SUBMITTED),
    "approve": ({PlanStatus.SUBMITTED}, PlanStatus.APPROVED),
    "return_": ({PlanStatus.SUBMITTED}, PlanStatus.RETURNED),
    "close": ({PlanStatus.APPROVED}, PlanStatus.CLOSED),
    "supersede": ({PlanStatus.APPROVED}, PlanStatus.SUPERSEDED),
}


@pytest.mark.parametrize("status", list(PlanStatus))
@pytest.mark.parametrize("move", list(PLAN_MOVES))
def test_plan_lifecycle(status, move):
    plan = plan_in(status)
    allowed, target = PLAN_MOVES[move]
    arguments = (next_plan(plan), D) if move == "supersede" else (D,)
    if status in allowed:
        getattr(plan, move)(*arguments)
        assert plan.status == target
    else:
        with pytest.raises(InvalidTransitionError):
            getattr(plan, move)(*arguments)
        assert plan.status == status


def test_a_plan_is_superseded_only_by_another_plan_of_its_partnership():
    plan = plan_in(PlanStatus.APPROVED)
    with pytest.raises(InvalidError):
        plan.supersede(plan, D)
    with pytest.raises(InvalidError):
        plan.supersede(Plan.draft(partnership()[0], "IMPROVEMENT_PLAN", "Theirs"), D)
    plan.supersede(next_plan(plan), D)


def test_approval_is_not_dated_before_submission():
    plan = plan_in(PlanStatus.SUBMITTED)
    with pytest.raises(InvalidError):
        plan.approve(date(2018, 5, 1))


def test_priority_areas_address_only_findings_of_the_plans_inspection():
    p, _, _ = partnership()
    ours, theirs = inspection(p), inspection(p)
    finding, other = ours.record_finding("FUNDAMENTAL_FAILING", "Local offer"), theirs.record_finding("STRENGTH", "x")
    plan = Plan.draft(p, "WRITTEN_STATEMENT_OF_ACTION", "WSoA", responds_to=ours)
    area = plan.add_priority_area("Local offer", [finding], ["Relaunched"], ours)
    assert plan.priority_areas[area].addresses == (finding,)
    with pytest.raises(InvalidError):
        plan.add_priority_area("Other", [other], [], ours)
    unanchored = Plan.draft(p, "IMPROVEMENT_PLAN", "Plan")
    with pytest.raises(InvalidError):
        unanchored.add_priority_area("Other", [finding], [], None)
    with pytest.raises(InvalidError):
        Plan.draft(partnership()[0], "WRITTEN_STATEMENT_OF_ACTION", "WSoA", responds_to=ours)


def action_in(status: ActionStatus) -> Action:
    p, council, _ = partnership()
    plan = Plan.draft(p, "WRITTEN_STATEMENT_OF_ACTION", "WSoA")
    action = Action.add(plan, p, "Recruit coordinators", council, date(2018, 10, 31))
    if status != ActionStatus.NOT_STARTED:
        action.cancel("Not needed") if status == ActionStatus.CANCELLED else action.start()
    if status == ActionStatus.COMPLETED:
        action.complete(D, ["Six in post"], None)
    assert action.status == status
    return action


def on(day: date):
    return stamped({"subject": "tester", "role": "ADMIN"}, day)


def test_nothing_takes_effect_before_the_record_it_changes():
    p, council, _ = partnership()  # (on 2018-01-02)
    with on(date(2018, 3, 1)):
        plan = Plan.draft(p, "WRITTEN_STATEMENT_OF_ACTION", "WSoA")
        action = Action.add(plan, p, "Recruit coordinators", council, date(2018, 10, 31))
    for change in (lambda: plan.submit(date(2018, 2, 1)), action.start, lambda: action.report_progress("x", None),
                   lambda: action.reschedule(date(2019, 1, 31), "later")):
        with on(date(2018, 2, 1)), pytest.raises(InvalidError) as refused:
            change()
        assert refused.value.field == "effective_on" and "before" in str(refused.value)
    assert (plan.status, action.status, plan.version, action.version) == (PlanStatus.DRAFT, ActionStatus.NOT_STARTED, 1, 1)
    with on(date(2018, 3, 1)):  # the same day is fine
        action.start()


def test_an_actions_steps_are_dated_in_their_order():
    p, council, _ = partnership()
    plan = Plan.draft(p, "WRITTEN_STATEMENT_OF_ACTION", "WSoA")
    action = Action.add(plan, p, "Recruit coordinators", council, date(2018, 10, 31))
    with on(date(2018, 5, 1)):
        action.start()
    with on(date(2018, 4, 30)), pytest.raises(InvalidError, match="became IN_PROGRESS on 2018-05-01"):
        action.complete(date(2018, 4, 30), ["Minutes"], None)
    with on(date(2018, 4, 30)):  # a note between its steps is not a step
        action.report_progress("Two in post", None)
    with on(date(2018, 6, 1)):
        action.complete(date(2018, 6, 1), ["Minutes"], None)
    with on(date(2018, 5, 31)), pytest.raises(InvalidError, match="became COMPLETED on 2018-06-01"):
        action.reopen("Two left")
    with on(date(2018, 6, 1)):
        action.reopen("Two left")
    assert action.status == ActionStatus.IN_PROGRESS


def test_a_plan_answers_an_inspection_begun_and_is_superseded_by_a_plan_drafted_by_then():
    p, _, _ = partnership()
    with on(date(2019, 10, 15)):
        revisit = inspection(p, kind="FULL")
    with on(date(2019, 1, 29)), pytest.raises(InvalidError, match="before the inspection"):
        Plan.draft(p, "IMPROVEMENT_PLAN", "Improvement Plan 2019-2020", responds_to=revisit)
    approved = plan_in(PlanStatus.APPROVED)
    with on(date(2020, 1, 10)):
        successor = next_plan(approved)
    with pytest.raises(InvalidError, match="superseded by one drafted by then"):
        approved.supersede(successor, date(2019, 12, 31))
    with on(date(2020, 1, 31)):
        approved.supersede(successor, date(2020, 1, 31))


def test_a_scorecard_takes_past_terms_figures_once_its_metric_is_defined():
    with on(date(2024, 9, 1)):
        metric = Metric.define(partnership()[0], "EHC plans within 20 weeks", "PERCENT", "HIGHER_IS_BETTER", 60.0)
    with on(date(2023, 12, 20)):
        metric.record_measurement("Autumn term 2023", date(2023, 12, 20), 38.0)
    assert metric.measurements["Autumn term 2023"].value == 38.0


ACTION_MOVES = {
    "start": ({ActionStatus.NOT_STARTED}, ActionStatus.IN_PROGRESS, ()),
    "complete": ({ActionStatus.IN_PROGRESS}, ActionStatus.COMPLETED, (D, ["Minutes"], None)),
    "reopen": ({ActionStatus.COMPLETED}, ActionStatus.IN_PROGRESS, ("Slipped",)),
    "cancel": ({ActionStatus.NOT_STARTED, ActionStatus.IN_PROGRESS}, ActionStatus.CANCELLED, ("Superseded",)),
    "reschedule": ({ActionStatus.NOT_STARTED, ActionStatus.IN_PROGRESS}, None, (date(2019, 1, 1), "Later")),
    "report_progress": ({ActionStatus.NOT_STARTED, ActionStatus.IN_PROGRESS}, None, ("Going well", "GREEN")),
}


@pytest.mark.parametrize("status", list(ActionStatus))
@pytest.mark.parametrize("move", list(ACTION_MOVES))
def test_action_lifecycle(status, move):
    action = action_in(status)
    allowed, target, arguments = ACTION_MOVES[move]
    if status in allowed:
        getattr(action, move)(*arguments)
        assert action.status == (target or status)
    else:
        with pytest.raises(InvalidTransitionError):
            getattr(action, move)(*arguments)
        assert action.status == status


def test_completing_needs_evidence_and_cancelling_rescheduling_reassigning_need_reasons():
    action = action_in(ActionStatus.IN_PROGRESS)
    p, council, health = partnership()
    for attempt in [lambda: action.complete(D, [], None), lambda: action.complete(D, ["  ", ""], None),
                    lambda: action.cancel(""), lambda: action.reschedule(D, " "),
                    lambda: action.reassign(p, health, None, "")]:
        with pytest.raises(InvalidError):
            attempt()
    assert action.status == ActionStatus.IN_PROGRESS and action.version == 2


def test_the_owner_agency_belongs_to_the_plans_partnership():
    p, council, _ = partnership()
    other, theirs, _ = partnership()
    plan = Plan.draft(p, "WRITTEN_STATEMENT_OF_ACTION", "WSoA")
    with pytest.raises(InvalidError):
        Action.add(plan, p, "x", theirs, D)
    action = Action.add(plan, p, "x", council, D)
    with pytest.raises(InvalidError):
        action.reassign(p, theirs, None, "Move it")


def test_finished_plans_take_no_actions():
    plan = plan_in(PlanStatus.CLOSED)
    p, council, _ = partnership()
    with pytest.raises(InvalidTransitionError):
        Action.add(plan, p, "x", council, D)


def test_overdue_means_due_before_the_day_and_still_open():
    assert is_overdue(ActionStatus.IN_PROGRESS, date(2020, 1, 1), date(2020, 1, 2))
    assert not is_overdue(ActionStatus.IN_PROGRESS, date(2020, 1, 2), date(2020, 1, 2))
    assert not is_overdue(ActionStatus.COMPLETED, date(2020, 1, 1), date(2020, 1, 2))
    assert not is_overdue(ActionStatus.CANCELLED, date(2020, 1, 1), date(2020, 1, 2))


def test_findings_only_before_publication_and_outcomes_of_the_framework():
    p, _, _ = partnership()
    i = inspection(p)
    with pytest.raises(InvalidError):
        i.publish(date(2018, 1, 30), "POSITIVE_EXPERIENCES")
    with pytest.raises(InvalidError):
        i.publish(date(2017, 11, 1), "WRITTEN_STATEMENT_REQUIRED")
    i.publish(date(2018, 1, 30), "WRITTEN_STATEMENT_REQUIRED")
    with pytest.raises(InvalidTransitionError):
        i.record_finding("STRENGTH", "Late")
    with pytest.raises(InvalidTransitionError):
        i.publish(date(2018, 2, 1), "WRITTEN_STATEMENT_REQUIRED")


def test_a_revisit_names_an_earlier_inspection_of_the_same_partnership():
    p, _, _ = partnership()
    other, _, _ = partnership()
    first = inspection(p)
    with pytest.raises(InvalidError):
        inspection(p, kind="REVISIT")
    with pytest.raises(InvalidError):
        inspection(other, kind="REVISIT", revisit_of=first)
    revisit = Inspection.record(p, "LOCAL_AREA_SEND_2016", "REVISIT", date(2019, 10, 15),
                                date(2019, 10, 17), first)
    assert revisit.revisit_of == str(first.id)


def test_a_judgement_gives_an_outcome_or_a_rag_and_a_rationale():
    with pytest.raises(InvalidError):
        Judgement.record("p", "s", "Plan", "DFE", D, "Slow")
    with pytest.raises(InvalidError):
        Judgement.record("p", "s", "Plan", "DFE", D, " ", rag="RED")
    with pytest.raises(InvalidError):
        Judgement.record("p", "s", "Metric", "DFE", D, "x", rag="RED")
    assert Judgement.record("p", "s", "Finding", "OFSTED_CQC", D, "x", outcome="SUFFICIENT_PROGRESS").outcome


@pytest.mark.parametrize(
    "value, target, polarity, rag",
    [(60, 60, Polarity.HIGHER_IS_BETTER, Rag.GREEN), (55, 60, Polarity.HIGHER_IS_BETTER, Rag.AMBER),
     (53.9, 60, Polarity.HIGHER_IS_BETTER, Rag.RED), (8, 8, Polarity.LOWER_IS_BETTER, Rag.GREEN),
     (8.8, 8, Polarity.LOWER_IS_BETTER, Rag.AMBER), (9, 8, Polarity.LOWER_IS_BETTER, Rag.RED),
     (5, None, Polarity.LOWER_IS_BETTER, None)],
)
def test_rag_follows_target_and_polarity(value, target, polarity, rag):
    assert rag_for(value, target, polarity) == rag


def test_measurements_keep_every_period_and_latest_is_by_period_end():
    metric = Metric.define(partnership()[0], "EHC plans within 20 weeks", "PERCENT", "HIGHER_IS_BETTER", 60.0)
    metric.record_measurement("Summer term 2020", date(2020, 7, 22), 63.2)
    metric.record_measurement("Autumn term 2019", date(2019, 12, 20), 38.0)
    assert set(metric.measurements) == {"Summer term 2020", "Autumn term 2019"}
    assert latest_measurement(metric.measurements.values()).period == "Summer term 2020"
    with pytest.raises(InvalidError):
        metric.record_measurement("Spring term 2020", date(2020, 4, 3), 140.0)
    with pytest.raises(InvalidError):
        metric.record_measurement("Spring term 2020", date(2020, 4, 3), float("nan"))
    count = Metric.define(partnership()[0], "Requests for an EHC needs assessment", "COUNT", "LOWER_IS_BETTER")
    for figure in (1e308, -1e308, 1e12 + 1):
        with pytest.raises(InvalidError, match="between -1,000,000,000,000 and 1,000,000,000,000"):
            count.record_measurement("Spring term 2020", date(2020, 4, 3), figure)
    count.record_measurement("Spring term 2020", date(2020, 4, 3), 1e12)


def test_every_event_names_its_actor_and_effective_date():
    with stamped({"subject": "sian.rees", "role": "PARTNERSHIP_LEAD"}, date(2019, 1, 29)):
        p, _, _ = partnership()
    events = p.collect_events()
    assert [type(e).__name__ for e in events] == ["PartnershipRegistered", "AgencyAdded", "AgencyAdded"]
    assert {e.effective_on for e in events} == {date(2019, 1, 29)}
    assert {e.actor["subject"] for e in events} == {"sian.rees"}
    assert [e.originator_version for e in events] == [1, 2, 3]
