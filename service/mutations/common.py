"""The fields many mutations' inputs share, described once (service/commands.py reads them by these names)."""

from __future__ import annotations

from typing import Any

import strawberry


def idempotency_key() -> Any:
    return strawberry.field(default=None, description="A key of the caller's choosing: a retry with the same key and "
                                                      "input answers as the first call did and records nothing more.")


def expected_version() -> Any:
    return strawberry.field(default=None, description="The version the caller last read: if the record has moved on, "
                                                      "the change is refused with CONFLICT.")


def effective_on() -> Any:
    return strawberry.field(default=None, description="The day the change took effect in the world (default: today).")
