"""The performance scorecard: metrics with targets and polarity, and their termly measurements."""

from __future__ import annotations

from datetime import date
from typing import Optional

import strawberry

from domain.metric import Metric
from domain.partnership import Partnership
from domain.plan import Plan
from domain.vocabulary import MetricUnit, Polarity
from service.authorisation import LEAD
from service.commands import Done, Key, Name, Scope, mutation
from service.graphql.payloads import MetricPayload


@strawberry.input
class DefineMetricInput:
    partnership_id: strawberry.ID
    name: Name
    unit: MetricUnit
    polarity: Polarity
    target: Optional[float] = None
    priority_area_id: Optional[strawberry.ID] = None
    effective_on: Optional[date] = None
    idempotency_key: Optional[Key] = None


@mutation("defineMetric", MetricPayload, roles={LEAD},
          description="Define a metric of the partnership's scorecard, optionally measuring a priority area.")
def define_metric(s: Scope, input: DefineMetricInput) -> Done:
    partnership = s.load(Partnership, input.partnership_id, "partnership_id")
    s.authorise(partnership.partnership_id)
    plan = None
    if input.priority_area_id is not None:
        _, priority_area = s.locate(input.priority_area_id, "priority_area_id")
        plan = s.load(Plan, getattr(priority_area, "plan_id", None), "priority_area_id")
    return Done(Metric.define(partnership, input.name, input.unit, input.polarity, input.target, plan,
                              input.priority_area_id))


@strawberry.input
class RecordMeasurementInput:
    metric_id: strawberry.ID
    period: Name
    period_end: date
    value: float
    expected_version: Optional[int] = None
    idempotency_key: Optional[Key] = None


@mutation("recordMeasurement", MetricPayload, roles={LEAD}, dated_by="period_end",
          description="Record a metric's figure for a period (measuring a period again corrects it).")
def record_measurement(s: Scope, input: RecordMeasurementInput) -> Done:
    metric = s.load(Metric, input.metric_id, "metric_id")
    s.authorise(metric.partnership_id, metric)
    metric.record_measurement(input.period, input.period_end, input.value)
    return Done(metric)
