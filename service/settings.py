"""The HTTP edge's settings, read from the environment once at start-up (bootstrap): a bad value stops the
command with a clear message instead of surfacing on the first request."""

from __future__ import annotations

import os
from dataclasses import dataclass

from strawberry.http.websocket_origin import normalize_origin


class ConfigurationError(Exception):
    pass


def switch(name: str, default: bool) -> bool:
    """An on/off setting."""
    value = (os.environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value in ("on", "true", "yes", "1"):
        return True
    if value in ("off", "false", "no", "0"):
        return False
    raise ConfigurationError(f"{name} must be on or off, not {value!r}")


def number(name: str, default: float, least: float = 1) -> float:
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    try:
        parsed = float(value)
    except ValueError:
        parsed = least - 1
    if parsed < least:
        raise ConfigurationError(f"{name} must be a number of at least {least:g}, not {value!r}")
    return parsed


def origins(name: str) -> tuple[str, ...]:
    """A comma-separated list of exact origins (scheme, host and port, as browsers send them)."""
    listed = [o.strip() for o in (os.environ.get(name) or "").split(",") if o.strip()]
    for origin in listed:
        if normalize_origin(origin) != origin:
            raise ConfigurationError(f"{name}: {origin!r} is not an exact origin such as https://portal.example.org "
                                     "(scheme and host, a port only when not the default, no path or slash)")
    return tuple(listed)


@dataclass(frozen=True)
class EdgeSettings:
    cors_origins: tuple[str, ...] = ()
    graphiql: bool = True
    introspection: bool = True
    local_tokens: bool = True
    sockets_per_token: int = 20
    header_seconds: float = 10
    body_seconds: float = 30
    query_seconds: float = 10
    response_bytes: int = 10_000_000
    ping_seconds: float = 20
    subscriber_buffer: int = 1000  # events a subscriber may fall behind before it is disconnected

    @classmethod
    def from_environment(cls) -> EdgeSettings:
        return cls(
            cors_origins=origins("SEND_RECORDS_CORS_ORIGINS"),
            graphiql=switch("SEND_RECORDS_GRAPHIQL", cls.graphiql),
            introspection=switch("SEND_RECORDS_INTROSPECTION", cls.introspection),
            local_tokens=switch("SEND_RECORDS_LOCAL_TOKENS", cls.local_tokens),
            sockets_per_token=int(number("SEND_RECORDS_SOCKETS_PER_TOKEN", cls.sockets_per_token)),
            header_seconds=number("SEND_RECORDS_HEADER_SECONDS", cls.header_seconds, least=0.1),
            body_seconds=number("SEND_RECORDS_BODY_SECONDS", cls.body_seconds, least=0.1),
            query_seconds=number("SEND_RECORDS_QUERY_SECONDS", cls.query_seconds, least=0.01),
            response_bytes=int(number("SEND_RECORDS_RESPONSE_BYTES", cls.response_bytes, least=1000)),
            ping_seconds=number("SEND_RECORDS_WS_PING_SECONDS", cls.ping_seconds, least=1),
            subscriber_buffer=int(number("SEND_RECORDS_SUBSCRIBER_BUFFER", cls.subscriber_buffer)),
        )
