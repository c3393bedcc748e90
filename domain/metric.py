"""A metric of the partnership's performance scorecard, its milestones and its termly measurements.

A metric has a baseline, a target, milestones (a target for a period on the way)
and an amber tolerance. A measurement is judged against the milestone of its
period (the same period label), else the first milestone due on or after its
period's end, else the metric's target; its direction compares it with the
measurement of the period before, by the metric's polarity. Both are worked out
from the metric as it stands, so a milestone set later judges measurements
already recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Iterable

from eventsourcing.domain import event

from domain.base import InvalidError, Record, effective_today, require_text
from domain.partnership import Partnership
from domain.plan import Plan
from domain.vocabulary import Direction, MetricUnit, Polarity, Rag

# A measurement short of its target by no more than this share of the target is AMBER, unless the metric sets
# its own tolerance.
AMBER_TOLERANCE = 0.10
LARGEST_FIGURE = 1e12


@dataclass(frozen=True)
class Measurement:
    period: str
    period_end: date
    value: float
    version: int  # the metric's version that recorded it (when it was recorded is the log's to say)
    england_average: float | None = None  # benchmarks for the same period
    statistical_neighbours: float | None = None


@dataclass(frozen=True)
class Milestone:
    period: str
    period_end: date
    target: float


class Metric(Record):
    @classmethod
    def define(
        cls,
        partnership: Partnership,
        name: str,
        unit: MetricUnit,
        polarity: Polarity,
        target: float | None = None,
        plan: Plan | None = None,
        priority_area_id: str | None = None,
        baseline: float | None = None,
        baseline_period: str | None = None,
        amber_tolerance: float | None = None,
    ) -> Metric:
        partnership.check_exists_on(effective_today(), "partnership")
        for value, field_name, in_unit in [(target, "target", unit), (baseline, "baseline", unit),
                                           (amber_tolerance, "amber_tolerance", None)]:
            if value is not None:
                check_figure(value, field_name, in_unit)
        if amber_tolerance is not None and not 0 <= amber_tolerance <= 1:
            raise InvalidError("the amber tolerance is a share of the target, between 0 and 1 (0.10 is 10%)",
                               "amber_tolerance")
        if priority_area_id is not None:
            if plan is None or plan.partnership_id != partnership.partnership_id:
                raise InvalidError(f"priority area {priority_area_id} is not in this partnership's plans", "priority_area_id")
            plan.check_has_priority_area(priority_area_id, "priority_area_id")
        return cls(
            partnership_id=partnership.partnership_id,
            name=require_text(name, "name"),
            unit=MetricUnit(unit),
            polarity=Polarity(polarity),
            target=target,
            priority_area_id=priority_area_id,
            baseline=baseline,
            baseline_period=require_text(baseline_period, "baseline_period") if baseline_period is not None else None,
            amber_tolerance=AMBER_TOLERANCE if amber_tolerance is None else amber_tolerance,
        )

    # The last three fields came with milestones: metrics defined before have no baseline and the default tolerance.
    @event("MetricDefined")
    def __init__(
        self,
        partnership_id: str,
        name: str,
        unit: MetricUnit,
        polarity: Polarity,
        target: float | None,
        priority_area_id: str | None,
        baseline: float | None = None,
        baseline_period: str | None = None,
        amber_tolerance: float = AMBER_TOLERANCE,
    ):
        self._partnership_id = partnership_id
        self.name = name
        self.unit = unit
        self.polarity = polarity
        self.target = target
        self.priority_area_id = priority_area_id
        self.baseline = baseline
        self.baseline_period = baseline_period
        self.amber_tolerance = amber_tolerance
        self.milestones: dict[str, Milestone] = {}
        self.measurements: dict[str, Measurement] = {}

    def set_milestone(self, period: str, period_end: date, target: float) -> None:
        """The target for a period on the way; setting one for the same period again replaces it."""
        self.check_exists_on(effective_today(), "metric")
        check_figure(target, "target", self.unit)
        self._milestone_set(period=require_text(period, "period"), period_end=period_end, target=target)

    @event("MilestoneSet")
    def _milestone_set(self, period: str, period_end: date, target: float) -> None:
        self.milestones[period] = Milestone(period, period_end, target)

    def record_measurement(self, period: str, period_end: date, value: float, england_average: float | None = None,
                           statistical_neighbours: float | None = None) -> None:
        period = require_text(period, "period")
        for figure, field_name in [(value, "value"), (england_average, "england_average"),
                                   (statistical_neighbours, "statistical_neighbours")]:
            if figure is not None:
                check_figure(figure, field_name, self.unit)
        self.trigger_event(self.MeasurementRecorded, period=period, period_end=period_end, value=value,
                           england_average=england_average, statistical_neighbours=statistical_neighbours)

    class MeasurementRecorded(Record.Event):
        # Dated by the end of the period it measures: a scorecard is filled in with past terms' figures once its
        # metric is defined.
        may_precede_record = True
        period: str
        period_end: date
        value: float
        # Benchmarks came later: measurements recorded before have none.
        england_average: float | None = None
        statistical_neighbours: float | None = None

        def apply(self, metric: Metric) -> None:
            # A period measured again is a correction: the later figure stands, the log keeps both.
            metric.measurements[self.period] = Measurement(self.period, self.period_end, self.value,
                                                           self.originator_version, self.england_average,
                                                           self.statistical_neighbours)

    def target_for(self, measurement: Measurement) -> float | None:
        """The milestone of the measurement's period, else the first one due on or after its end, else the
        metric's target."""
        if measurement.period in self.milestones:
            return self.milestones[measurement.period].target
        due = [m for m in self.milestones.values() if m.period_end >= measurement.period_end]
        if due:
            return min(due, key=lambda m: m.period_end).target
        return self.target

    def rag_of(self, measurement: Measurement) -> Rag | None:
        return rag_for(measurement.value, self.target_for(measurement), self.polarity, self.amber_tolerance)

    def direction_of(self, measurement: Measurement) -> Direction | None:
        """Against the measurement of the latest period ending before this one's; None for the first."""
        earlier = [m for m in self.measurements.values() if m.period_end < measurement.period_end]
        if not earlier:
            return None
        return direction(latest_measurement(earlier).value, measurement.value, self.polarity)


def direction(before: float, after: float, polarity: Polarity) -> Direction:
    if math.isclose(before, after, rel_tol=1e-9, abs_tol=1e-12):
        return Direction.STEADY
    return Direction.IMPROVING if (after > before) == (polarity == Polarity.HIGHER_IS_BETTER) else Direction.WORSENING


def rag_for(value: float, target: float | None, polarity: Polarity, amber_tolerance: float = AMBER_TOLERANCE) -> Rag | None:
    """GREEN on or beyond the target, AMBER within the tolerance (a share of the target) short of it, RED beyond."""
    if target is None:
        return None
    shortfall = target - value if polarity == Polarity.HIGHER_IS_BETTER else value - target
    if shortfall <= 0:
        return Rag.GREEN
    tolerance = amber_tolerance * abs(target)
    if shortfall <= tolerance or math.isclose(shortfall, tolerance):  # 8.8 against 8 is within 10%, whatever floats say
        return Rag.AMBER
    return Rag.RED


def latest_measurement(measurements: Iterable[Measurement]) -> Measurement | None:
    """The measurement with the latest period end."""
    return max(measurements, key=lambda m: m.period_end, default=None)


def check_figure(value: float, field_name: str, unit: MetricUnit | None) -> None:
    """A scorecard's figure is a finite number no larger than LARGEST_FIGURE either way (a count of children, days,
    a rate or a percentage: nothing near it, and charts and sums of figures beyond it overflow); a figure in a
    metric's unit (`unit`; None for a figure that is not, as a tolerance) that is a percentage lies between 0 and 100."""
    if not math.isfinite(value) or abs(value) > LARGEST_FIGURE:
        raise InvalidError(f"{field_name} must be a finite number between -{LARGEST_FIGURE:,.0f} and "
                           f"{LARGEST_FIGURE:,.0f}", field_name)
    if unit == MetricUnit.PERCENT and not 0 <= value <= 100:
        raise InvalidError("a percentage lies between 0 and 100", field_name)
