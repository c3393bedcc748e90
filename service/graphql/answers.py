"""An answer's JSON text, and its size on the wire. msgspec's encoder, faster than the standard library's; text
outside ASCII is written as UTF-8 rather than escaped, so an answer's size in bytes is counted as encoded. Text no
encoding can write (a lone surrogate, which a caller can send in JSON and an error may quote back) is escaped by the
standard library's encoder instead."""

from __future__ import annotations

import json
from typing import Any

import msgspec

_encode = msgspec.json.Encoder().encode


def json_text(data: Any) -> str:
    try:
        return _encode(data).decode()
    except UnicodeEncodeError:  # a lone surrogate (a caller's text quoted in an error): escaped, as JSON allows
        return json.dumps(data, separators=(",", ":"))


def size(text: str) -> int:
    """The text's size in UTF-8 bytes (its length, when it is all ASCII: which Python knows without a look)."""
    return len(text) if text.isascii() else len(text.encode())
