"""The performance scorecard: metrics with targets, milestones and polarity, and their termly measurements."""

from __future__ import annotations

from datetime import date
from typing import Optional

import strawberry

from domain.base import with_article, words
from domain.metric import Metric
from domain.partnership import Partnership
from domain.plan import Plan
from domain.vocabulary import MetricUnit, Polarity
from service.authorisation import LEAD
from service.commands import Done, ErrorCode, Key, Name, Refused, Scope, mutation
from service.graphql.payloads import MetricPayload
from service.mutations.common import effective_on, expected_version, idempotency_key


@strawberry.input(
    description="A metric of the partnership's scorecard, e.g. the share of EHC plans issued within 20 weeks.")
class DefineMetricInput:
    partnership_id: strawberry.ID = strawberry.field(description="The partnership whose scorecard it is on.")
    name: Name = strawberry.field(description="The metric's name as the scorecard shows it.")
    unit: MetricUnit = strawberry.field(description="What its figures count.")
    polarity: Polarity = strawberry.field(
        description="Whether higher or lower figures are better: it decides the RAG of a measurement against the "
                    "target.")
    target: Optional[float] = strawberry.field(
        default=None, description="The figure to reach (absent: the metric is watched, not rated).")
    priority_area_id: Optional[strawberry.ID] = strawberry.field(
        default=None, description="The plan's priority area it measures.")
    effective_on: Optional[date] = effective_on()
    idempotency_key: Optional[Key] = idempotency_key()
    baseline: Optional[float] = strawberry.field(default=None, description="The figure the plan starts from.")
    baseline_period: Optional[Name] = strawberry.field(
        default=None, description="The period the baseline was measured in, e.g. \"2022-23\".")
    amber_tolerance: Optional[float] = strawberry.field(
        default=None, description="How far short of its target a measurement may be and still be AMBER, as a share "
                                  "of the target between 0 and 1 (default 0.10, 10%; INVALID outside).")


@mutation("defineMetric", MetricPayload, roles={LEAD},
          description="Define a metric of the partnership's scorecard (a baseline, a target, an amber tolerance), "
                      "optionally measuring a priority area.")
def define_metric(s: Scope, input: DefineMetricInput) -> Done:
    partnership = s.load(Partnership, input.partnership_id, "partnership_id")
    s.authorise(partnership.partnership_id)
    plan = None
    if input.priority_area_id is not None:
        kind, priority_area = s.locate(input.priority_area_id, "priority_area_id")
        if kind != "PriorityArea":
            raise Refused(ErrorCode.NOT_FOUND, f"no priority area has id {input.priority_area_id!r} (it names "
                                               f"{with_article(words(kind))})", "priority_area_id")
        plan = s.load(Plan, priority_area.plan_id, "priority_area_id")
    return Done(Metric.define(partnership, input.name, input.unit, input.polarity, input.target, plan,
                              input.priority_area_id, input.baseline, input.baseline_period, input.amber_tolerance))


@strawberry.input(description="A milestone: the target a metric should reach by the end of a period on the way.")
class SetMetricMilestoneInput:
    metric_id: strawberry.ID = strawberry.field(description="The metric of the scorecard.")
    period: Name = strawberry.field(description="The period's label, as measurements name it (\"Summer term 2025\").")
    period_end: date = strawberry.field(description="The last day of the period.")
    target: float = strawberry.field(description="The figure to reach by then.")
    expected_version: Optional[int] = expected_version()
    effective_on: Optional[date] = effective_on()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("setMetricMilestone", MetricPayload, roles={LEAD},
          description="Set a metric's milestone for a period (PARTNERSHIP_LEAD): setting one for the same period again "
                      "replaces it. Measurements of that period are judged against it; measurements of a period with "
                      "none, against the next milestone due.")
def set_metric_milestone(s: Scope, input: SetMetricMilestoneInput) -> Done:
    metric = s.load(Metric, input.metric_id, "metric_id")
    s.authorise(metric.partnership_id, metric)
    metric.set_milestone(input.period, input.period_end, input.target)
    return Done(metric)


@strawberry.input(description="A metric's figure for a period, e.g. a term.")
class RecordMeasurementInput:
    metric_id: strawberry.ID = strawberry.field(description="The metric.")
    period: Name = strawberry.field(description="The period's label, e.g. \"Autumn term 2019\" or \"2022-23\".")
    period_end: date = strawberry.field(description="The last day of the period: the measurement's effective date.")
    value: float = strawberry.field(description="The figure.")
    expected_version: Optional[int] = expected_version()
    idempotency_key: Optional[Key] = idempotency_key()
    england_average: Optional[float] = strawberry.field(
        default=None, description="The England average for the same period, to compare with.")
    statistical_neighbours: Optional[float] = strawberry.field(
        default=None, description="The average of the area's statistical neighbours for the same period.")


@mutation("recordMeasurement", MetricPayload, roles={LEAD}, dated_by="period_end",
          description="Record a metric's figure for a period, with benchmarks if known (measuring a period again "
                      "corrects it).")
def record_measurement(s: Scope, input: RecordMeasurementInput) -> Done:
    metric = s.load(Metric, input.metric_id, "metric_id")
    s.authorise(metric.partnership_id, metric)
    metric.record_measurement(input.period, input.period_end, input.value, input.england_average,
                              input.statistical_neighbours)
    return Done(metric)
