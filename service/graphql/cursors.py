"""Opaque cursors and page sizes for the connections."""

from __future__ import annotations

import base64

from service.graphql.errors import refusal

DEFAULT_PAGE = 50
MAX_PAGE = 100


def encode(kind: str, number: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{number}".encode()).decode().rstrip("=")


def decode(kind: str, cursor: str | None) -> int:
    """The number in a cursor of this kind; 0 (the start) for no cursor."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found_kind, number = text.split(":")
        if found_kind == kind and int(number) >= 0:
            return int(number)
    except (ValueError, UnicodeDecodeError):
        pass
    raise refusal(f"{cursor!r} is not a cursor of this list")


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if not 0 < first <= MAX_PAGE:
        raise refusal(f"first must be between 1 and {MAX_PAGE}")
    return first
