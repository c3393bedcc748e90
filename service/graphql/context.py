"""The typed context every resolver gets: the caller, the reader of its request and the commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from strawberry.types import Info as StrawberryInfo

from service.authorisation import Principal
from service.commands import Commands
from service.reader import Reader


@dataclass
class Context:
    commands: Commands
    principal: Principal | None = None
    command_threads: Any = None  # where commands run (None: the event loop's default executor)
    feed: Any = None
    request: Any = None
    response: Any = None
    connection_params: dict = field(default_factory=dict)
    introspection: bool = True  # SEND_RECORDS_INTROSPECTION
    webhook_secrets: Any = None  # service/webhooks/outbound.py's Secrets: a webhook's new secret is shown once
    query_seconds: float | None = None  # SEND_RECORDS_QUERY_SECONDS
    costly: Any = None  # where costly reads are answered apart (service/costly.py)

    @cached_property
    def reader(self) -> Reader:
        assert self.principal is not None, "the caller is authenticated before anything is read"
        return Reader(self.commands.read_model, self.principal, self.commands.app.mapper)


Info = StrawberryInfo[Context, None]
