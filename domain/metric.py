"""A metric of the partnership's performance scorecard and its termly measurements."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Iterable

from eventsourcing.domain import event

from domain.base import InvalidError, Record, effective_today, require_text
from domain.partnership import Partnership
from domain.plan import Plan
from domain.vocabulary import MetricUnit, Polarity, Rag

# A measurement short of its target by no more than this share of the target is AMBER.
AMBER_TOLERANCE = 0.10


@dataclass(frozen=True)
class Measurement:
    period: str
    period_end: date
    value: float
    rag: Rag | None
    version: int  # the metric's version that recorded it (when it was recorded is the log's to say)


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
    ) -> Metric:
        partnership.check_exists_on(effective_today(), "partnership")
        if target is not None:
            check_finite(target, "target")
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
        )

    @event("MetricDefined")
    def __init__(
        self,
        partnership_id: str,
        name: str,
        unit: MetricUnit,
        polarity: Polarity,
        target: float | None,
        priority_area_id: str | None,
    ):
        self._partnership_id = partnership_id
        self.name = name
        self.unit = unit
        self.polarity = polarity
        self.target = target
        self.priority_area_id = priority_area_id
        self.measurements: dict[str, Measurement] = {}

    def record_measurement(self, period: str, period_end: date, value: float) -> None:
        period = require_text(period, "period")
        check_finite(value, "value")
        if self.unit == MetricUnit.PERCENT and not 0 <= value <= 100:
            raise InvalidError("a percentage lies between 0 and 100", "value")
        self.trigger_event(self.MeasurementRecorded, period=period, period_end=period_end, value=value)

    class MeasurementRecorded(Record.Event):
        period: str
        period_end: date
        value: float

        def apply(self, metric: Metric) -> None:
            # A period measured again is a correction: the later figure stands, the log keeps both.
            metric.measurements[self.period] = Measurement(self.period, self.period_end, self.value,
                                                           rag_for(self.value, metric.target, metric.polarity),
                                                           self.originator_version)


def rag_for(value: float, target: float | None, polarity: Polarity) -> Rag | None:
    """GREEN on or beyond the target, AMBER within the tolerance short of it, RED beyond."""
    if target is None:
        return None
    shortfall = target - value if polarity == Polarity.HIGHER_IS_BETTER else value - target
    if shortfall <= 0:
        return Rag.GREEN
    tolerance = AMBER_TOLERANCE * abs(target)
    if shortfall <= tolerance or math.isclose(shortfall, tolerance):  # 8.8 against 8 is within 10%, whatever floats say
        return Rag.AMBER
    return Rag.RED


def latest_measurement(measurements: Iterable[Measurement]) -> Measurement | None:
    """The measurement with the latest period end."""
    return max(measurements, key=lambda m: m.period_end, default=None)


def check_finite(value: float, field_name: str) -> None:
    if not math.isfinite(value):
        raise InvalidError(f"{field_name} must be a finite number", field_name)
