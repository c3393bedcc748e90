"""Dates the frameworks derive from a published inspection: a plan's deadlines and the next inspection.

Working days are Monday to Friday except England's bank holidays, taken from the `holidays` package
(country GB, subdivision ENG). Its rules compute any year from data shipped with the package, substitute days
and the one-off days included (the 2020 VE day move, the 2022 jubilee and Queen's funeral, the 2023
coronation), so nothing is fetched at run time and no year runs out; a new one-off bank holiday arrives with
a new release of the package.

A plan's deadlines count working days from the report's publication (`PLAN_TERMS`):

| framework | plan kind | submissionDue | publicationDue | approved by |
|---|---|---|---|---|
| 2016 | Written Statement of Action | 70 | none | Ofsted/CQC |
| 2016 | Priority Action Plan | none | none | Ofsted/CQC |
| 2016 | Improvement Plan | none | none | DfE, NHS England |
| 2016 | Accelerated Progress Plan | none | none | DfE, NHS England |
| 2023 | Written Statement of Action | none | none | Ofsted/CQC |
| 2023 | Priority Action Plan | 35 | 70 | Ofsted/CQC |
| 2023 | Improvement Plan | none | none | DfE, NHS England |
| 2023 | Accelerated Progress Plan | none | none | DfE, NHS England |

- The 2016 framework asks for a WSoA within 70 working days of the report (the minutes: "signed and submitted
  to Ofsted/CQC within 70 days"); it is published once accepted, on no set day.
- The 2023 framework, after widespread or systemic failings, asks for a priority action plan submitted
  within 35 working days of the final report and published within 70.
- Neither framework sets a day for an Improvement Plan (the 2023 "strategic plan updated" after inconsistent
  experiences has none; the DfE and NHS England set their own dates for the plans they ask for) nor for an
  Accelerated Progress Plan (asked for after a revisit finds insufficient progress, on a date the DfE sets),
  nor for a plan kind the framework does not name (a WSoA under 2023, a priority action plan under 2016): no
  derived deadline; a date given by hand stands alone.
- Who approves a plan follows its kind, and is the same under both frameworks: Ofsted/CQC judge the
  statutory answers to an inspection (WSoA, priority action plan), the DfE and NHS England the others.

The next inspection (`expected_inspection`), from the last full inspection's published outcome:

| outcome | next | window |
|---|---|---|
| 2023 positive experiences | full | from the report to 5 years after it |
| 2023 inconsistent experiences | full | from the report to 3 years after it |
| 2023 widespread or systemic failings | monitoring | 15 to 21 months after the report |
| the same, its monitoring inspection published | full | from the report to 3 years after it |
| 2016 WSoA required, WSoA accepted | revisit | 15 to 21 months after the WSoA's acceptance |
| 2016 WSoA required, WSoA not yet accepted | revisit | not yet known |
| 2016 WSoA required, revisit published; 2016 no WSoA required | none derived (the 2016 cycle ended there) | |

"Within about N years" sets only a latest date: inspectors may come at any time before it, so the window
opens on the report's publication. "About 18 months" is read as three months either side. Months are
calendar months, a day missing from the month landing on its last day (31 August + 18 months = 28 or 29
February).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays

from domain.vocabulary import InspectionFramework, InspectionKind, InspectionOutcome, JudgingBody, PlanKind

# --- working days ---


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not one of England's bank holidays."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The day that is working day number `days` after `start`.

    Day 1 is the first working day after `start`, never `start` itself: a report published on Thursday
    16 November 2023 has Friday 17 November as day 1, as Ofsted counts "within 35 working days of the
    report's publication". `start` may itself be a weekend or bank holiday; 0 days gives `start`.
    """
    if days < 0:
        raise ValueError(f"working days are counted forward, not {days}")
    day = start
    while days:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


# --- the plan a published inspection asks for ---


OFSTED_CQC = frozenset({JudgingBody.OFSTED_CQC})
DFE_NHS_ENGLAND = frozenset({JudgingBody.DFE, JudgingBody.NHS_ENGLAND})


@dataclass(frozen=True)
class PlanTerms:
    """What a framework asks of a plan of one kind answering one of its inspections."""

    submission_days: int | None  # working days from the report's publication to submissionDue; None: not set
    publication_days: int | None  # the same to publicationDue
    approved_by: frozenset[JudgingBody]  # who may approve (or return) it


_F2016, _F2023 = InspectionFramework.LOCAL_AREA_SEND_2016, InspectionFramework.AREA_SEND_2023

# The table of the module's docstring.
PLAN_TERMS: dict[tuple[InspectionFramework, PlanKind], PlanTerms] = {
    (_F2016, PlanKind.WRITTEN_STATEMENT_OF_ACTION): PlanTerms(70, None, OFSTED_CQC),
    (_F2016, PlanKind.PRIORITY_ACTION_PLAN): PlanTerms(None, None, OFSTED_CQC),
    (_F2016, PlanKind.IMPROVEMENT_PLAN): PlanTerms(None, None, DFE_NHS_ENGLAND),
    (_F2016, PlanKind.ACCELERATED_PROGRESS_PLAN): PlanTerms(None, None, DFE_NHS_ENGLAND),
    (_F2023, PlanKind.WRITTEN_STATEMENT_OF_ACTION): PlanTerms(None, None, OFSTED_CQC),
    (_F2023, PlanKind.PRIORITY_ACTION_PLAN): PlanTerms(35, 70, OFSTED_CQC),
    (_F2023, PlanKind.IMPROVEMENT_PLAN): PlanTerms(None, None, DFE_NHS_ENGLAND),
    (_F2023, PlanKind.ACCELERATED_PROGRESS_PLAN): PlanTerms(None, None, DFE_NHS_ENGLAND),
}

# A plan answering no inspection is approved as its kind is under the framework in force.
FRAMEWORK_IN_FORCE = _F2023


def approvers(kind: PlanKind, framework: InspectionFramework | None = None) -> frozenset[JudgingBody]:
    """Who approves or returns a plan of this kind answering an inspection of this framework (or none)."""
    return PLAN_TERMS[framework or FRAMEWORK_IN_FORCE, kind].approved_by


@dataclass(frozen=True)
class PlanDeadlines:
    submission_due: date | None
    publication_due: date | None


def plan_deadlines(framework: InspectionFramework, kind: PlanKind, report_published_on: date) -> PlanDeadlines:
    """The deadlines the framework derives for a plan of this kind answering a report published that day."""
    terms = PLAN_TERMS[framework, kind]
    return PlanDeadlines(
        submission_due=_working_days_or_none(report_published_on, terms.submission_days),
        publication_due=_working_days_or_none(report_published_on, terms.publication_days),
    )


def _working_days_or_none(start: date, days: int | None) -> date | None:
    return None if days is None else add_working_days(start, days)


# --- the next inspection ---


@dataclass(frozen=True)
class Window:
    earliest: date
    latest: date


@dataclass(frozen=True)
class ExpectedInspection:
    kind: InspectionKind
    window: Window | None  # None: expected, but its clock has not started (a WSoA not yet accepted)


def expected_inspection(
    outcome: InspectionOutcome,
    published_on: date,
    *,
    followed_up: bool = False,
    wsoa_accepted_on: date | None = None,
) -> ExpectedInspection | None:
    """The inspection expected after the last full inspection, from its outcome and publication (see above).

    `followed_up`: the monitoring inspection or revisit that this outcome leads to has been published.
    `wsoa_accepted_on`: under 2016, the day the WSoA was approved, which starts the revisit's clock.
    None when the frameworks expect nothing more.
    """
    match outcome:
        case InspectionOutcome.POSITIVE_EXPERIENCES:
            return ExpectedInspection(InspectionKind.FULL, _within_years(published_on, 5))
        case InspectionOutcome.INCONSISTENT_EXPERIENCES:
            return ExpectedInspection(InspectionKind.FULL, _within_years(published_on, 3))
        case InspectionOutcome.WIDESPREAD_SYSTEMIC_FAILINGS if followed_up:
            return ExpectedInspection(InspectionKind.FULL, _within_years(published_on, 3))
        case InspectionOutcome.WIDESPREAD_SYSTEMIC_FAILINGS:
            return ExpectedInspection(InspectionKind.MONITORING, _about_18_months(published_on))
        case InspectionOutcome.WRITTEN_STATEMENT_REQUIRED if not followed_up:
            window = _about_18_months(wsoa_accepted_on) if wsoa_accepted_on is not None else None
            return ExpectedInspection(InspectionKind.REVISIT, window)
    return None


def is_overdue(window: Window, on: date) -> bool:
    """The window closed before `on` (the caller knows no inspection of the kind was published since)."""
    return on > window.latest


def _within_years(start: date, years: int) -> Window:
    return Window(earliest=start, latest=_months_after(start, 12 * years))


def _about_18_months(start: date) -> Window:
    return Window(earliest=_months_after(start, 15), latest=_months_after(start, 21))


def _months_after(day: date, months: int) -> date:
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))
