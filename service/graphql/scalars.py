"""The Date and DateTime scalars, with the specifications they follow and clear refusals of bad values.

SCALARS maps the Python types to them (the schema's `scalar_map`)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import strawberry

DateTime = strawberry.scalar(
    name="DateTime",
    description="An instant: ISO 8601 with a time and an offset, e.g. 2024-03-01T12:00:00Z (without an offset, UTC). "
                "A date alone is refused: what was true on a date is asked with asOf.",
    specified_by_url="https://scalars.graphql.org/andimarek/date-time",
    serialize=lambda value: value.isoformat(),
    parse_value=lambda value: parse_instant(value),
)

Date = strawberry.scalar(
    name="Date",
    description="A calendar date, ISO 8601 (2024-03-01).",
    specified_by_url="https://scalars.graphql.org/andimarek/local-date",
    serialize=lambda value: value.isoformat(),
    parse_value=lambda value: parse_date(value),
)


def parse_instant(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("a DateTime is ISO 8601 text, e.g. 2024-03-01T12:00:00Z")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 instant, e.g. 2024-03-01T12:00:00Z") from None
    if "T" not in value.upper() and " " not in value:
        raise ValueError(f"{value!r} is a date, not an instant: give a time and an offset (e.g. {value}T00:00:00Z); "
                         "what was true on a date is asked with asOf")
    parsed = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"{value!r} is out of range (it is not an instant between years 1 and 9999 in UTC)") from None


def parse_date(value: object) -> date:
    if not isinstance(value, str):
        raise ValueError("a Date is ISO 8601 text, e.g. 2024-03-01")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date, e.g. 2024-03-01") from None


SCALARS = {datetime: DateTime, date: Date}
