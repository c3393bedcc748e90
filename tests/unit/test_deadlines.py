"""Working days, plan deadlines and the next inspection, against dates worked by hand (domain/deadlines.py).

In the comments, "n" beside a day is its number in the count; BH is a bank holiday, sub a substitute day.
"""

from datetime import date, timedelta

import pytest

from domain.deadlines import (
    PLAN_TERMS,
    ExpectedInspection,
    Window,
    add_working_days,
    approvers,
    expected_inspection,
    is_overdue,
    is_working_day,
    plan_deadlines,
)
from domain.vocabulary import InspectionFramework, InspectionKind, InspectionOutcome, JudgingBody, PlanKind

F2016, F2023 = InspectionFramework.LOCAL_AREA_SEND_2016, InspectionFramework.AREA_SEND_2023


# England's bank holidays on weekdays as gov.uk lists them, in the years with substitute days and one-off days.
GOV_UK_BANK_HOLIDAYS = {
    2020: ["01-01", "04-10", "04-13", "05-08", "05-25", "08-31", "12-25", "12-28"],  # early May moved to VE day
    2021: ["01-01", "04-02", "04-05", "05-03", "05-31", "08-30", "12-27", "12-28"],  # Christmas at a weekend
    # 2022: the spring bank holiday moved to 2 June beside the jubilee on the 3rd; the Queen's funeral on 19 September
    2022: ["01-03", "04-15", "04-18", "05-02", "06-02", "06-03", "08-29", "09-19", "12-26", "12-27"],
    2023: ["01-02", "04-07", "04-10", "05-01", "05-08", "05-29", "08-28", "12-25", "12-26"],  # coronation
}


@pytest.mark.parametrize("year", GOV_UK_BANK_HOLIDAYS)
def test_the_weekdays_off_are_gov_uk_s_bank_holidays(year):
    listed = {date.fromisoformat(f"{year}-{day}") for day in GOV_UK_BANK_HOLIDAYS[year]}
    days = (date(year, 1, 1) + timedelta(days=n) for n in range(366 if year % 4 == 0 else 365))
    weekdays_off = {day for day in days if day.weekday() < 5 and not is_working_day(day)}
    assert weekdays_off == listed


@pytest.mark.parametrize(
    "start, days, expected",
    [
        # Day 1 is the next working day, never the start: Thu 7 Nov 2024 -> Fri 8 Nov.
        (date(2024, 11, 7), 1, date(2024, 11, 8)),
        # Fri 8 Nov 2024: Sat, Sun skipped -> Mon 11 Nov 1.
        (date(2024, 11, 8), 1, date(2024, 11, 11)),
        (date(2024, 11, 9), 0, date(2024, 11, 9)),
        # Christmas on a Sunday, 2022: Fri 23 Dec; Sat 24, Sun 25, Mon 26 BH (Boxing Day), Tue 27 sub (Christmas);
        # Wed 28 1, Thu 29 2, Fri 30 3.
        (date(2022, 12, 23), 3, date(2022, 12, 30)),
        # ... and New Year on a Sunday: Sat 31, Sun 1 Jan 2023, Mon 2 sub (New Year); Tue 3 Jan 4.
        (date(2022, 12, 23), 4, date(2023, 1, 3)),
        # Christmas and Boxing Day both at a weekend, 2021: Fri 24 Dec (the start); Sat 25, Sun 26,
        # Mon 27 sub, Tue 28 sub; Wed 29 1.
        (date(2021, 12, 24), 1, date(2021, 12, 29)),
        # Boxing Day on a Saturday, 2020: Thu 24 Dec; Fri 25 BH, Sat 26, Sun 27, Mon 28 sub; Tue 29 1.
        (date(2020, 12, 24), 1, date(2020, 12, 29)),
        # Published on a Saturday, 2023: Sat 23 Dec; Sun 24, Mon 25 BH, Tue 26 BH; Wed 27 1.
        (date(2023, 12, 23), 1, date(2023, 12, 27)),
        # New Year on a Monday, 2024: Fri 29 Dec 2023; Mon 1 Jan BH; Tue 2 1.
        (date(2023, 12, 29), 1, date(2024, 1, 2)),
        # Easter 2024: Thu 28 Mar; Fri 29 Good Friday, Sat, Sun, Mon 1 Apr Easter Monday; Tue 2 Apr 1.
        (date(2024, 3, 28), 1, date(2024, 4, 2)),
        # Early May and the coronation, 2023: Fri 28 Apr; Mon 1 May BH; Tue 2 1, Wed 3 2, Thu 4 3, Fri 5 4;
        # Mon 8 BH (coronation); Tue 9 5.
        (date(2023, 4, 28), 5, date(2023, 5, 9)),
        # VE day, 2020: the early May bank holiday moved from Mon 4 May to Fri 8 May.
        # Fri 1 May; Mon 4 1.
        (date(2020, 5, 1), 1, date(2020, 5, 4)),
        # Thu 7 May; Fri 8 BH, Sat, Sun; Mon 11 1.
        (date(2020, 5, 7), 1, date(2020, 5, 11)),
        # Spring bank holiday, 2024: Fri 24 May; Mon 27 BH; Tue 28 1.
        (date(2024, 5, 24), 1, date(2024, 5, 28)),
        # Spring bank holiday moved for the jubilee, 2022: Wed 1 Jun; Thu 2 BH, Fri 3 BH (jubilee); Mon 6 1.
        (date(2022, 6, 1), 1, date(2022, 6, 6)),
        # The Queen's funeral, 2022: Fri 16 Sep; Mon 19 BH; Tue 20 1.
        (date(2022, 9, 16), 1, date(2022, 9, 20)),
    ],
)
def test_add_working_days(start, days, expected):
    assert add_working_days(start, days) == expected


def test_working_days_are_counted_forward_only():
    with pytest.raises(ValueError):
        add_working_days(date(2024, 1, 1), -1)


def test_a_priority_action_plan_across_christmas_and_new_year():
    # Report published Thu 16 Nov 2023 (2023 framework, widespread or systemic failings).
    # 35: Fri 17 Nov 1; 20-24 Nov 2-6; 27 Nov-1 Dec 7-11; 4-8 Dec 12-16; 11-15 Dec 17-21; 18-22 Dec 22-26;
    #     Mon 25, Tue 26 BH; Wed 27-Fri 29 Dec 27-29; Mon 1 Jan BH; Tue 2-Fri 5 Jan 30-33; Mon 8 34, Tue 9 Jan 35.
    # 70: Wed 10-Fri 12 Jan 36-38; 15-19 Jan 39-43; 22-26 44-48; 29 Jan-2 Feb 49-53; 5-9 Feb 54-58;
    #     12-16 Feb 59-63; 19-23 Feb 64-68; Mon 26 69, Tue 27 Feb 70.
    due = plan_deadlines(F2023, PlanKind.PRIORITY_ACTION_PLAN, date(2023, 11, 16))
    assert (due.submission_due, due.publication_due) == (date(2024, 1, 9), date(2024, 2, 27))


def test_a_priority_action_plan_across_easter_and_the_may_bank_holidays():
    # Report published Fri 1 Mar 2024.
    # 35: 4-8 Mar 1-5; 11-15 6-10; 18-22 11-15; Mon 25-Thu 28 Mar 16-19; Fri 29 Good Friday, Mon 1 Apr Easter
    #     Monday; Tue 2-Fri 5 Apr 20-23; 8-12 Apr 24-28; 15-19 29-33; Mon 22 34, Tue 23 Apr 35.
    # 70: Wed 24-Fri 26 Apr 36-38; Mon 29 Apr-Fri 3 May 39-43; Mon 6 May BH; Tue 7-Fri 10 44-47; 13-17 48-52;
    #     20-24 53-57; Mon 27 May BH; Tue 28-Fri 31 58-61; 3-7 Jun 62-66; Mon 10 67 ... Thu 13 Jun 70.
    due = plan_deadlines(F2023, PlanKind.PRIORITY_ACTION_PLAN, date(2024, 3, 1))
    assert (due.submission_due, due.publication_due) == (date(2024, 4, 23), date(2024, 6, 13))


def test_a_written_statement_of_action_across_a_weekend_christmas():
    # Report published Fri 15 Oct 2021 (2016 framework), 70 working days.
    # 18-22 Oct 1-5; 25-29 6-10; 1-5 Nov 11-15; 8-12 16-20; 15-19 21-25; 22-26 26-30; 29 Nov-3 Dec 31-35;
    # 6-10 Dec 36-40; 13-17 41-45; 20-24 Dec 46-50 (Fri 24 works: Christmas is a Saturday);
    # Mon 27, Tue 28 sub; Wed 29-Fri 31 51-53; Mon 3 Jan 2022 sub (New Year on a Saturday);
    # Tue 4-Fri 7 Jan 54-57; 10-14 58-62; 17-21 63-67; Mon 24 68, Tue 25 69, Wed 26 Jan 70.
    due = plan_deadlines(F2016, PlanKind.WRITTEN_STATEMENT_OF_ACTION, date(2021, 10, 15))
    assert (due.submission_due, due.publication_due) == (date(2022, 1, 26), None)


@pytest.mark.parametrize("framework", list(InspectionFramework))
@pytest.mark.parametrize("kind", list(PlanKind))
def test_every_plan_kind_has_terms_under_every_framework(framework, kind):
    terms = PLAN_TERMS[framework, kind]
    assert terms.approved_by
    due = plan_deadlines(framework, kind, date(2024, 3, 1))
    assert (due.submission_due is None) == (terms.submission_days is None)
    assert (due.publication_due is None) == (terms.publication_days is None)


def test_the_table_holds_only_the_frameworks_and_plan_kinds():
    assert set(PLAN_TERMS) == {(f, k) for f in InspectionFramework for k in PlanKind}


def test_only_the_frameworks_own_plans_get_derived_deadlines():
    derived = {key: (t.submission_days, t.publication_days) for key, t in PLAN_TERMS.items() if t.submission_days}
    assert derived == {
        (F2016, PlanKind.WRITTEN_STATEMENT_OF_ACTION): (70, None),
        (F2023, PlanKind.PRIORITY_ACTION_PLAN): (35, 70),
    }


@pytest.mark.parametrize("framework", [*InspectionFramework, None])
def test_ofsted_cqc_approve_the_statutory_plans_and_the_dfe_and_nhs_england_the_others(framework):
    ofsted_cqc, dfe_nhse = {JudgingBody.OFSTED_CQC}, {JudgingBody.DFE, JudgingBody.NHS_ENGLAND}
    assert approvers(PlanKind.WRITTEN_STATEMENT_OF_ACTION, framework) == ofsted_cqc
    assert approvers(PlanKind.PRIORITY_ACTION_PLAN, framework) == ofsted_cqc
    assert approvers(PlanKind.IMPROVEMENT_PLAN, framework) == dfe_nhse
    assert approvers(PlanKind.ACCELERATED_PROGRESS_PLAN, framework) == dfe_nhse


O = InspectionOutcome
FULL, MONITORING, REVISIT = InspectionKind.FULL, InspectionKind.MONITORING, InspectionKind.REVISIT


def expect(kind: InspectionKind, earliest: str, latest: str) -> ExpectedInspection:
    return ExpectedInspection(kind, Window(date.fromisoformat(earliest), date.fromisoformat(latest)))


@pytest.mark.parametrize(
    "outcome, published_on, facts, expected",
    [
        # Within about 5 years of Thu 29 Feb 2024: 2029 has no 29 February, so its 28th.
        (O.POSITIVE_EXPERIENCES, "2024-02-29", {}, expect(FULL, "2024-02-29", "2029-02-28")),
        (O.INCONSISTENT_EXPERIENCES, "2023-05-10", {}, expect(FULL, "2023-05-10", "2026-05-10")),
        # 18 months after 31 Aug 2023, three either side: +15 months is "31 Nov 2024", so 30 Nov; +21, 31 May 2025.
        (O.WIDESPREAD_SYSTEMIC_FAILINGS, "2023-08-31", {}, expect(MONITORING, "2024-11-30", "2025-05-31")),
        # Its monitoring inspection published: the full inspection within 3 years of the report.
        (O.WIDESPREAD_SYSTEMIC_FAILINGS, "2023-08-31", {"followed_up": True}, expect(FULL, "2023-08-31", "2026-08-31")),
        # 2016: the revisit's clock starts when the WSoA is accepted (15 Jun 2018): 15 Sep 2019 to 15 Mar 2020.
        (O.WRITTEN_STATEMENT_REQUIRED, "2018-01-24", {"wsoa_accepted_on": date(2018, 6, 15)},
         expect(REVISIT, "2019-09-15", "2020-03-15")),
        (O.WRITTEN_STATEMENT_REQUIRED, "2018-01-24", {}, ExpectedInspection(REVISIT, None)),
        (O.WRITTEN_STATEMENT_REQUIRED, "2018-01-24", {"wsoa_accepted_on": date(2018, 6, 15), "followed_up": True},
         None),
        (O.NO_WRITTEN_STATEMENT_REQUIRED, "2018-01-24", {}, None),
    ],
)
def test_expected_inspection(outcome, published_on, facts, expected):
    assert expected_inspection(outcome, date.fromisoformat(published_on), **facts) == expected


def test_an_inspection_is_overdue_only_after_its_window_closes():
    window = expected_inspection(O.INCONSISTENT_EXPERIENCES, date(2023, 5, 10)).window
    assert not is_overdue(window, date(2023, 5, 10))
    assert not is_overdue(window, date(2026, 5, 10))
    assert is_overdue(window, date(2026, 5, 11))
