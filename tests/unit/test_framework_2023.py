"""The rules of the 2023 framework and what came with it, on the aggregates alone (no store, no GraphQL):
finding kinds by framework, monitoring inspections, derived plan deadlines, meetings, improvement notices,
milestones and benchmarks, the roll-up of a priority area; and events recorded before these fields existed."""

import dataclasses
import json
from datetime import date

import pytest

from domain.action import Action, roll_up
from domain.base import InvalidError, InvalidTransitionError, stamped
from domain.improvement_notice import ImprovementNotice, in_force
from domain.inspection import Inspection
from domain.judgement import Judgement
from domain.meeting import Meeting
from domain.metric import Metric
from domain.partnership import Partnership
from domain.plan import Plan, submission_overdue, submitted_late
from domain.vocabulary import (
    FINDING_KINDS_OF_FRAMEWORK, ActionStatus, Direction, FindingKind, InspectionFramework, PlanStatus, Polarity, Rag,
)
from service.application import RecordsApplication

F2016, F2023 = InspectionFramework.LOCAL_AREA_SEND_2016, InspectionFramework.AREA_SEND_2023
ACTOR = {"subject": "test", "role": "ADMIN"}


def on(day: date):
    """Changes made inside take effect on this day."""
    return stamped(ACTOR, day)


def area() -> tuple[Partnership, str, str]:
    with on(date(2017, 1, 1)):
        p = Partnership.register("Northbridge SEND Partnership (fictional)", "Northbridge Council")
        return p, p.add_agency("Northbridge Council", "LOCAL_AUTHORITY"), p.add_agency("Northbridge ICB", "HEALTH")


def full_2023(p: Partnership, outcome: str | None = "WIDESPREAD_SYSTEMIC_FAILINGS", agencies=()) -> Inspection:
    """A 2023 full inspection with an area for priority action (naming the agencies) and an area for improvement,
    published on Thu 16 Nov 2023 with the outcome (None: not published)."""
    with on(date(2023, 10, 9)):
        i = Inspection.record(p, F2023, "FULL", date(2023, 10, 9), date(2023, 10, 13))
    with on(date(2023, 10, 13)):
        i.record_finding("PRIORITY_ACTION", "Leaders do not know the waiting times for assessment", list(agencies), False, p)
        i.record_finding("AREA_FOR_IMPROVEMENT", "The local offer is hard to find")
    if outcome is not None:
        i.publish(date(2023, 11, 16), outcome)
    return i


@pytest.mark.parametrize("framework", list(InspectionFramework))
@pytest.mark.parametrize("kind", list(FindingKind))
def test_each_framework_takes_its_own_finding_kinds(framework, kind):
    p, council, _ = area()
    with on(date(2023, 10, 9)):
        i = Inspection.record(p, framework, "FULL", date(2023, 10, 9), date(2023, 10, 13))
        agencies = [council] if kind == FindingKind.PRIORITY_ACTION else []
        if kind in FINDING_KINDS_OF_FRAMEWORK[framework]:
            i.record_finding(kind, "A finding", agencies, False, p)
            assert [f.kind for f in i.findings.values()] == [kind]
        else:
            with pytest.raises(InvalidError) as refused:
                i.record_finding(kind, "A finding", agencies, False, p)
            assert refused.value.field == "kind" and str(framework) in refused.value.message


def test_the_frameworks_findings_are_the_ones_their_reports_make():
    assert FINDING_KINDS_OF_FRAMEWORK[F2016] == {"SIGNIFICANT_WEAKNESS", "SIGNIFICANT_CONCERN", "FUNDAMENTAL_FAILING",
                                                 "STRENGTH"}
    assert FINDING_KINDS_OF_FRAMEWORK[F2023] == {"PRIORITY_ACTION", "AREA_FOR_IMPROVEMENT", "STRENGTH"}


def test_an_area_for_priority_action_names_agencies_of_the_partnership_and_nothing_else_does():
    p, council, health = area()
    other, theirs, _ = area()
    i = full_2023(p, None, [council])
    with on(date(2023, 10, 13)):
        for kind, agencies in [("PRIORITY_ACTION", []), ("PRIORITY_ACTION", [theirs]), ("AREA_FOR_IMPROVEMENT", [council]),
                               ("STRENGTH", [health])]:
            with pytest.raises(InvalidError) as refused:
                i.record_finding(kind, "x", agencies, False, p)
            assert refused.value.field == "responsible_agency_ids"
        finding = i.findings[i.record_finding("PRIORITY_ACTION", "Alternative provision is not tracked",
                                              [health, council, health], True, p)]
    assert finding.responsible_agency_ids == (health, council) and finding.about_alternative_provision
    assert [f.responsible_agency_ids for f in i.findings.values()][:2] == [(council,), ()]


def test_a_follow_up_names_the_inspection_it_follows_and_a_full_inspection_none():
    p, council, _ = area()
    first = full_2023(p, agencies=[council])
    with on(date(2025, 5, 12)):
        for kind, follows in [("MONITORING", None), ("REVISIT", None), ("FULL", first)]:
            with pytest.raises(InvalidError) as refused:
                Inspection.record(p, F2023, kind, date(2025, 5, 12), date(2025, 5, 14), follows)
            assert refused.value.field == "revisit_of"
        with pytest.raises(InvalidError) as refused:
            Inspection.record(p, F2016, "REVISIT", date(2025, 5, 12), date(2025, 5, 14), first)
        assert refused.value.field == "framework"
        monitoring = Inspection.record(p, F2023, "MONITORING", date(2025, 5, 12), date(2025, 5, 14), first)
    assert monitoring.revisit_of == str(first.id)
    with on(date(2025, 9, 1)), pytest.raises(InvalidError, match="follows up a full inspection") as refused:
        Inspection.record(p, F2023, "REVISIT", date(2025, 9, 1), date(2025, 9, 3), monitoring)  # (a follow-up's)
    assert refused.value.field == "revisit_of"


@pytest.mark.parametrize("outcome", [None, "INCONSISTENT_EXPERIENCES", "POSITIVE_EXPERIENCES"])
def test_a_monitoring_inspection_follows_only_a_published_full_inspection_with_widespread_failings(outcome):
    p, council, _ = area()
    followed = full_2023(p, outcome, [council])
    with on(date(2025, 5, 12)), pytest.raises(InvalidError) as refused:
        Inspection.record(p, F2023, "MONITORING", date(2025, 5, 12), date(2025, 5, 14), followed)
    assert refused.value.field == "revisit_of"


def test_a_monitoring_inspection_follows_a_2023_full_inspection_after_its_report():
    p, council, _ = area()
    with on(date(2017, 11, 13)):
        old = Inspection.record(p, F2016, "FULL", date(2017, 11, 13), date(2017, 11, 17))
        old.publish(date(2018, 1, 30), "WRITTEN_STATEMENT_REQUIRED")
    with on(date(2019, 10, 15)), pytest.raises(InvalidError):
        Inspection.record(p, F2016, "MONITORING", date(2019, 10, 15), date(2019, 10, 17), old)
    followed = full_2023(p, agencies=[council])
    with on(date(2023, 11, 1)), pytest.raises(InvalidError) as refused:  # before the report was published
        Inspection.record(p, F2023, "MONITORING", date(2023, 11, 1), date(2023, 11, 3), followed)
    assert refused.value.field == "started_on"


def test_a_full_inspection_is_published_with_an_outcome_a_monitoring_one_without_a_revisit_either_way():
    p, council, _ = area()
    first = full_2023(p, None, [council])
    with pytest.raises(InvalidError) as refused:
        first.publish(date(2023, 11, 16))
    assert refused.value.field == "outcome"
    first.publish(date(2023, 11, 16), "WIDESPREAD_SYSTEMIC_FAILINGS")
    with on(date(2025, 5, 12)):
        monitoring = Inspection.record(p, F2023, "MONITORING", date(2025, 5, 12), date(2025, 5, 14), first)
    with pytest.raises(InvalidError) as refused:
        monitoring.publish(date(2025, 6, 20), "POSITIVE_EXPERIENCES")
    assert refused.value.field == "outcome"
    monitoring.publish(date(2025, 6, 20))
    assert (monitoring.published_on, monitoring.outcome) == (date(2025, 6, 20), None)
    with on(date(2017, 11, 13)):
        old = Inspection.record(p, F2016, "FULL", date(2017, 11, 13), date(2017, 11, 17))
    old.publish(date(2018, 1, 30), "WRITTEN_STATEMENT_REQUIRED")
    for outcome in [None, "WRITTEN_STATEMENT_REQUIRED"]:
        with on(date(2019, 10, 15)):
            revisit = Inspection.record(p, F2016, "REVISIT", date(2019, 10, 15), date(2019, 10, 17), old)
        revisit.publish(date(2019, 12, 23), outcome)
        assert revisit.outcome == outcome


def test_a_monitoring_inspection_judges_the_areas_for_priority_action_of_the_inspection_it_follows():
    p, council, _ = area()
    followed = full_2023(p, agencies=[council])
    with on(date(2025, 5, 12)):
        monitoring = Inspection.record(p, F2023, "MONITORING", date(2025, 5, 12), date(2025, 5, 14), followed)
    priority, improvement = list(followed.findings)
    made = date(2025, 6, 20)

    def judge(subject, kind="Finding", body="OFSTED_CQC"):
        return Judgement.record(p.partnership_id, subject, kind, body, made, "Progress seen", "SUFFICIENT_PROGRESS",
                                inspection=monitoring, followed=followed)

    assert judge(priority).inspection_id == str(monitoring.id)
    for subject, kind, body, field in [(improvement, "Finding", "OFSTED_CQC", "subject_id"),
                                       (str(followed.id), "Plan", "OFSTED_CQC", "subject_id"),
                                       (priority, "Finding", "DFE", "body")]:
        with pytest.raises(InvalidError) as refused:
            judge(subject, kind, body)
        assert refused.value.field == field
    # A revisit's or an improvement board's judgements are not held to it.
    assert Judgement.record(p.partnership_id, improvement, "Finding", "IMPROVEMENT_BOARD", made, "x", rag="AMBER")


def test_a_revisit_judges_the_findings_of_the_inspection_it_revisits_and_a_full_inspection_judges_none():
    p, council, _ = area()
    with on(date(2017, 11, 17)):
        old = Inspection.record(p, F2016, "FULL", date(2017, 11, 13), date(2017, 11, 17))
        weakness = old.record_finding("SIGNIFICANT_CONCERN", "EHC plans are late")
    old.publish(date(2018, 1, 30), "WRITTEN_STATEMENT_REQUIRED")
    other = full_2023(p, agencies=[council])
    with on(date(2019, 10, 15)):
        revisit = Inspection.record(p, F2016, "REVISIT", date(2019, 10, 15), date(2019, 10, 17), old)
    made = date(2019, 12, 23)

    def judge(subject, at, body="OFSTED_CQC", followed=old):
        return Judgement.record(p.partnership_id, subject, "Finding", body, made, "Progress seen", "SUFFICIENT_PROGRESS",
                                inspection=at, followed=followed)

    assert judge(weakness, revisit).inspection_id == str(revisit.id)
    for subject, at, body, followed, field in [(next(iter(other.findings)), revisit, "OFSTED_CQC", old, "subject_id"),
                                               (weakness, revisit, "DFE", old, "body"),
                                               (weakness, old, "OFSTED_CQC", None, "inspection_id")]:
        with pytest.raises(InvalidError) as refused:
            judge(subject, at, body, followed)
        assert refused.value.field == field


def priority_action_plan(p: Partnership, inspection: Inspection, **kw) -> Plan:
    with on(date(2023, 11, 20)):
        return Plan.draft(p, "PRIORITY_ACTION_PLAN", "Priority action plan", responds_to=inspection, **kw)


def test_a_plan_answering_a_published_report_gets_the_frameworks_deadlines():
    p, council, _ = area()
    inspection = full_2023(p, agencies=[council])
    plan = priority_action_plan(p, inspection)
    # Worked by hand in tests/unit/test_deadlines.py: 35 and 70 working days from Thu 16 Nov 2023.
    assert (plan.submission_due, plan.publication_due, plan.submission_due_derived) == (date(2024, 1, 9),
                                                                                       date(2024, 2, 27), True)
    given = priority_action_plan(p, inspection, submission_due=date(2024, 1, 5))
    assert (given.submission_due, given.publication_due, given.submission_due_derived) == (date(2024, 1, 5),
                                                                                          date(2024, 2, 27), False)
    unpublished = priority_action_plan(p, full_2023(p, None, [council]))
    assert (unpublished.submission_due, unpublished.publication_due) == (None, None)
    with on(date(2023, 11, 20)):
        improvement = Plan.draft(p, "IMPROVEMENT_PLAN", "Improvement plan", responds_to=inspection)
    assert (improvement.submission_due, improvement.publication_due, improvement.submission_due_derived) == (None, None,
                                                                                                            False)


def test_a_priority_action_plan_is_submitted_once_it_addresses_every_area_for_priority_action():
    p, council, health = area()
    inspection = full_2023(p, None, [council])
    with on(date(2023, 10, 13)):
        second = inspection.record_finding("PRIORITY_ACTION", "Too many children wait for therapy", [health], False, p)
    inspection.publish(date(2023, 11, 16), "WIDESPREAD_SYSTEMIC_FAILINGS")
    first, improvement, _ = inspection.findings
    plan = priority_action_plan(p, inspection)
    with on(date(2023, 12, 1)):
        plan.add_priority_area("Waiting times", [first, improvement], [], inspection)
    with pytest.raises(InvalidError) as refused:
        plan.submit(date(2024, 1, 8), inspection=inspection)
    assert refused.value.field == "plan_id" and second in refused.value.message and first not in refused.value.message
    assert "Too many children wait for therapy" in refused.value.message and plan.status == PlanStatus.DRAFT
    with on(date(2023, 12, 1)):
        plan.add_priority_area("Therapies", [second], [], inspection)
    plan.submit(date(2024, 1, 8), inspection=inspection)
    assert plan.status == PlanStatus.SUBMITTED


def test_submission_overdue_and_late():
    due = date(2024, 1, 9)
    assert not submission_overdue(PlanStatus.DRAFT, due, due)
    assert submission_overdue(PlanStatus.DRAFT, due, date(2024, 1, 10))
    assert submission_overdue(PlanStatus.RETURNED, due, date(2024, 1, 10))
    assert not submission_overdue(PlanStatus.SUBMITTED, due, date(2024, 1, 10))
    assert not submission_overdue(PlanStatus.DRAFT, None, date(2030, 1, 1))
    assert submitted_late(None, due) is None
    assert submitted_late(due, due) is False and submitted_late(date(2024, 1, 10), due) is True
    assert submitted_late(date(2024, 1, 10), None) is False


def test_the_first_submission_is_the_one_kept():
    p, _, _ = area()
    with on(date(2023, 11, 20)):
        plan = Plan.draft(p, "IMPROVEMENT_PLAN", "Plan")
    plan.submit(date(2024, 1, 8))
    plan.return_(date(2024, 1, 20))
    plan.submit(date(2024, 2, 1))
    assert (plan.first_submitted_on, plan.submitted_on) == (date(2024, 1, 8), date(2024, 2, 1))


def test_a_meeting_names_the_partnerships_agencies_actions_and_plans_in_the_record_by_then():
    p, council, health = area()
    other, theirs, _ = area()
    with on(date(2023, 11, 20)):
        plan = Plan.draft(p, "IMPROVEMENT_PLAN", "Plan")
        action = Action.add(plan, p, "Recruit therapists", health, date(2024, 6, 30))
        their_plan = Plan.draft(other, "IMPROVEMENT_PLAN", "Theirs")
    held = date(2024, 2, 7)
    with on(held):
        meeting = Meeting.record(p, "STOCKTAKE", held, " Stocktake ", [council, health, council], ["DfE SEND adviser"],
                                 ["Report waiting times monthly"], [action], [plan])
        assert (meeting.attending_agency_ids, meeting.action_ids, meeting.plan_ids, meeting.summary) == (
            (council, health), (str(action.id),), (str(plan.id),), "Stocktake")
        for kwargs, field in [({"attending_agency_ids": [theirs]}, "attending_agency_ids"),
                              ({"plans": [their_plan]}, "plan_ids"), ({"other_attendees": [" "]}, "other_attendees"),
                              ({"decisions": [""]}, "decisions")]:
            with pytest.raises(InvalidError) as refused:
                Meeting.record(p, "STOCKTAKE", held, "Stocktake", **kwargs)
            assert refused.value.field == field
        with pytest.raises(InvalidError) as refused:
            Meeting.record(p, "STOCKTAKE", held, " ")
        assert refused.value.field == "summary"
    early = date(2023, 11, 1)
    with on(early), pytest.raises(InvalidError) as refused:
        Meeting.record(p, "IMPROVEMENT_BOARD", early, "Board", actions=[action])
    assert refused.value.field == "action_ids"


def test_an_improvement_notice_is_lifted_once_after_it_was_issued():
    p, _, _ = area()
    with on(date(2024, 3, 1)):
        notice = ImprovementNotice.issue(p, date(2024, 3, 1), "Improve EHC plan timeliness")
    for lifted, reason, error in [(date(2024, 2, 1), "Done", InvalidError), (date(2025, 3, 1), " ", InvalidError)]:
        with pytest.raises(error):
            notice.lift(lifted, reason)
    notice.lift(date(2025, 3, 1), "Sustained improvement")
    with pytest.raises(InvalidTransitionError):
        notice.lift(date(2025, 4, 1), "Again")
    assert (notice.lifted_on, notice.lift_reason) == (date(2025, 3, 1), "Sustained improvement")
    assert in_force(None, date(2030, 1, 1)) and in_force(date(2025, 3, 1), date(2025, 2, 28))
    assert not in_force(date(2025, 3, 1), date(2025, 3, 1))


def metric(**kw) -> Metric:
    with on(date(2023, 9, 1)):
        return Metric.define(area()[0], "EHC plans within 20 weeks", "PERCENT", "HIGHER_IS_BETTER", 60.0, **kw)


def test_a_metrics_amber_tolerance_is_a_share_between_0_and_1():
    assert metric().amber_tolerance == 0.10
    assert metric(amber_tolerance=0.0).amber_tolerance == 0.0
    for tolerance in [-0.1, 1.5, float("inf")]:
        with pytest.raises(InvalidError) as refused:
            metric(amber_tolerance=tolerance)
        assert refused.value.field == "amber_tolerance"
    with pytest.raises(InvalidError):
        metric(baseline_period=" ")
    m = metric(baseline=38.0, baseline_period="2022-23", amber_tolerance=0.2)
    assert (m.baseline, m.baseline_period) == (38.0, "2022-23")


def test_a_measurement_is_judged_against_the_milestone_of_its_period_else_the_next_due_else_the_target():
    m = metric(amber_tolerance=0.05)
    with on(date(2023, 9, 1)):
        m.set_milestone("Spring term 2024", date(2024, 3, 28), 40.0)
        m.set_milestone("Summer term 2024", date(2024, 7, 19), 50.0)
        m.set_milestone("Summer term 2024", date(2024, 7, 19), 45.0)  # replaced
    m.record_measurement("Autumn term 2023", date(2023, 12, 20), 39.0)  # the next due: spring, 40; within 5%
    m.record_measurement("Spring term 2024", date(2024, 3, 28), 37.0)  # its own, 40; 7.5% short
    m.record_measurement("Summer term 2024", date(2024, 7, 19), 45.0)  # its own, 45
    m.record_measurement("Autumn term 2024", date(2024, 12, 20), 58.0)  # none due: the target, 60; within 5%
    m.record_measurement("Summer term 2024 (provisional)", date(2024, 7, 19), 44.0)  # none of its label: summer's
    judged = {x.period: (m.target_for(x), m.rag_of(x)) for x in m.measurements.values()}
    assert judged == {"Autumn term 2023": (40.0, Rag.AMBER), "Spring term 2024": (40.0, Rag.RED),
                      "Summer term 2024": (45.0, Rag.GREEN), "Autumn term 2024": (60.0, Rag.AMBER),
                      "Summer term 2024 (provisional)": (45.0, Rag.AMBER)}
    assert [(x.period, x.target) for x in m.milestones.values()] == [("Spring term 2024", 40.0), ("Summer term 2024", 45.0)]


@pytest.mark.parametrize("polarity, values", [
    (Polarity.HIGHER_IS_BETTER, [38.0, 55.5, 55.5, 50.0]),
    (Polarity.LOWER_IS_BETTER, [11.4, 8.6, 8.6, 9.0]),
])
def test_direction_against_the_period_before_by_polarity(polarity, values):
    with on(date(2023, 9, 1)):
        m = Metric.define(area()[0], "A measure", "RATE", polarity)
    periods = [("Autumn term 2023", date(2023, 12, 20)), ("Spring term 2024", date(2024, 3, 28)),
               ("Summer term 2024", date(2024, 7, 19)), ("Autumn term 2024", date(2024, 12, 20))]
    for index in [2, 0, 3, 1]:  # recorded out of order: direction follows the periods' ends
        m.record_measurement(*periods[index], values[index])
    directions = [m.direction_of(m.measurements[period]) for period, _ in periods]
    assert directions == [None, Direction.IMPROVING, Direction.STEADY, Direction.WORSENING]


@pytest.mark.parametrize("field, value", [("target", 160.0), ("target", -0.5), ("baseline", -40.0), ("baseline", 100.5)])
def test_a_percentage_metrics_target_and_baseline_lie_between_0_and_100(field, value):
    with on(date(2023, 9, 1)):
        with pytest.raises(InvalidError) as refused:
            Metric.define(area()[0], "EHC plans within 20 weeks", "PERCENT", "HIGHER_IS_BETTER",
                          **{"target": 60.0, field: value})
        assert refused.value.field == field and "percentage" in str(refused.value)
        rate = Metric.define(area()[0], "Exclusions per 1,000 pupils", "RATE", "LOWER_IS_BETTER", **{field: value})
    assert getattr(rate, field) == value  # a rate is not a percentage


def test_benchmarks_are_kept_and_checked_as_the_figure_is():
    m = metric()
    m.record_measurement("Autumn term 2023", date(2023, 12, 20), 38.0, england_average=49.2, statistical_neighbours=45.1)
    x = m.measurements["Autumn term 2023"]
    assert (x.england_average, x.statistical_neighbours) == (49.2, 45.1)
    for field, value in [("england_average", 120.0), ("statistical_neighbours", float("nan"))]:
        with pytest.raises(InvalidError) as refused:
            m.record_measurement("Spring term 2024", date(2024, 3, 28), 40.0, **{field: value})
        assert refused.value.field == field


class A:
    def __init__(self, status, rag=None, due_on=date(2030, 1, 1)):
        self.status, self.rag, self.due_on = ActionStatus(status), Rag(rag) if rag else None, due_on


TODAY = date(2025, 1, 1)


@pytest.mark.parametrize("actions, rag", [
    ([], None),
    ([A("NOT_STARTED")], None),
    ([A("IN_PROGRESS", "GREEN"), A("IN_PROGRESS", "RED")], Rag.RED),
    ([A("IN_PROGRESS", "GREEN"), A("NOT_STARTED", None, date(2024, 12, 31))], Rag.RED),  # overdue
    ([A("COMPLETED", "RED"), A("IN_PROGRESS", "AMBER")], Rag.AMBER),  # a completed action's old rating is not read
    ([A("COMPLETED"), A("IN_PROGRESS", "GREEN"), A("CANCELLED", "RED")], Rag.GREEN),
    ([A("COMPLETED"), A("IN_PROGRESS")], None),  # an open action not yet rated
    ([A("CANCELLED"), A("CANCELLED")], None),
    ([A("COMPLETED", None, date(2020, 1, 1))], Rag.GREEN),  # completed, so never overdue
])
def test_a_priority_areas_rag_rolls_up_its_actions(actions, rag):
    assert roll_up(actions, TODAY) == rag


def test_an_action_keeps_its_original_due_date_and_counts_its_reschedules():
    p, council, _ = area()
    with on(date(2023, 11, 20)):
        action = Action.add(Plan.draft(p, "IMPROVEMENT_PLAN", "Plan"), p, "Recruit", council, date(2024, 6, 30))
        action.reschedule(date(2024, 9, 30), "Recruitment slipped")
        action.reschedule(date(2024, 12, 31), "Again")
    assert (action.original_due_on, action.due_on, action.reschedule_count) == (date(2024, 6, 30), date(2024, 12, 31), 2)


def decoded_without(event, *fields):
    """The event as the log kept it before these fields existed: stored, stripped of them, and read back."""
    mapper = RecordsApplication.offline_mapper()
    stored = mapper.to_stored_event(event)
    state = json.loads(stored.state)
    assert set(fields) <= set(state), fields
    for field in fields:
        del state[field]
    return mapper.to_domain_event(dataclasses.replace(stored, state=json.dumps(state).encode()))


def replayed(aggregate, old_fields: dict[str, tuple[str, ...]]):
    """The aggregate rebuilt from its events, those of the named types without the named fields."""
    rebuilt = None
    for event in aggregate.collect_events():
        fields = old_fields.get(type(event).__name__)
        event = decoded_without(event, *fields) if fields else event
        rebuilt = event.mutate(rebuilt)
    return rebuilt


def test_events_recorded_before_the_new_fields_existed_still_read():
    p, council, _ = area()
    with on(date(2017, 11, 13)):
        i = Inspection.record(p, F2016, "FULL", date(2017, 11, 13), date(2017, 11, 17))
        i.record_finding("SIGNIFICANT_WEAKNESS", "EHC plans are late")
    finding = replayed(i, {"FindingRecorded": ("responsible_agency_ids", "about_alternative_provision")}).findings
    assert [(f.responsible_agency_ids, f.about_alternative_provision) for f in finding.values()] == [((), False)]

    with on(date(2018, 3, 1)):
        plan = Plan.draft(p, "WRITTEN_STATEMENT_OF_ACTION", "WSoA", submission_due=date(2018, 5, 10))
    old = replayed(plan, {"PlanDrafted": ("publication_due", "submission_due_derived")})
    assert (old.submission_due, old.publication_due, old.submission_due_derived) == (date(2018, 5, 10), None, False)

    m = metric()
    m.record_measurement("Autumn term 2019", date(2019, 12, 20), 38.0, 49.0, 45.0)
    old = replayed(m, {"MetricDefined": ("baseline", "baseline_period", "amber_tolerance"),
                       "MeasurementRecorded": ("england_average", "statistical_neighbours")})
    x = old.measurements["Autumn term 2019"]
    assert (old.baseline, old.amber_tolerance, old.milestones, x.england_average, x.statistical_neighbours) == (
        None, 0.10, {}, None, None)
    assert old.rag_of(x) == Rag.RED


def test_a_revisit_is_a_2016_follow_up_only():
    p, council, _ = area()
    with on(date(2024, 5, 13)), pytest.raises(InvalidError) as refused:
        Inspection.record(p, F2023, "REVISIT", date(2024, 5, 13), date(2024, 5, 15), full_2023(p, agencies=[council]))
    assert refused.value.field == "kind"


def test_an_inspection_is_published_on_or_after_its_findings_and_judged_after_it_starts():
    """Findings dated after the publication would leave the published report without them at every date between."""
    p, _, _ = area()
    with on(date(2024, 11, 8)):
        inspection = Inspection.record(p, F2023, "FULL", date(2024, 11, 4), date(2024, 11, 8))
    with on(date(2025, 1, 10)):
        finding = inspection.record_finding("STRENGTH", "Leaders know their area well")
    with on(date(2024, 12, 20)), pytest.raises(InvalidError) as refused:
        inspection.publish(date(2024, 12, 20), "INCONSISTENT_EXPERIENCES")
    assert refused.value.field == "published_on"
    with on(date(2025, 1, 10)):
        inspection.publish(date(2025, 1, 10), "INCONSISTENT_EXPERIENCES")
    with pytest.raises(InvalidError) as refused:
        Judgement.record(p.partnership_id, finding, "Finding", "OFSTED_CQC", date(2024, 1, 2), "Too early",
                         "SUFFICIENT_PROGRESS", inspection=inspection)
    assert refused.value.field == "made_on"
