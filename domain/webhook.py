"""A webhook: an integration's HTTP endpoint that receives the log's events as signed POSTs.

Lifecycle: registered active; disabled (by a user, or by the system because the receiver answered 410 Gone) and
enabled again. A webhook follows one partnership, or every partnership (`partnership_id` None: it then belongs to
no partnership, and only the roles that read every partnership read it); it never follows a partnership its owner
could not read.

Its signing secret is never in the record. The record keeps a random secret id; the secret itself is derived from
that id, the webhook's id and the service's signing secret (service/webhooks/outbound.py), so every process sharing
the database can sign, nothing secret is stored anywhere, and the log still rebuilds everything. A rotation names a
new secret id; the previous one goes on signing beside it until `previous_secret_expires_at`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from urllib.parse import urlsplit
from uuid import uuid4

from eventsourcing.domain import event

from domain import action, inspection, judgement, metric, partnership, plan  # noqa: F401 (their events are the log's)
from domain.base import InvalidError, InvalidTransitionError, Record, require_text

OVERLAP = timedelta(hours=24)  # how long a rotated-out secret keeps signing
MAX_URL = 2048


class Webhook(Record):
    @classmethod
    def register(
        cls,
        partnership_id: str | None,
        url: str,
        event_types: list[str],
        description: str | None,
        owner_partnership_id: str | None,
    ) -> Webhook:
        """`owner_partnership_id` is the one partnership the owner may read, None if it reads them all.
        An empty `event_types` asks for every event."""
        if owner_partnership_id is not None and partnership_id != owner_partnership_id:
            raise InvalidError("a webhook may only follow a partnership its owner can read", "partnership_id")
        return cls(
            partnership_id=partnership_id,
            url=check_url(url),
            event_types=check_event_types(event_types),
            description=description.strip() if description and description.strip() else None,
            owner_partnership_id=owner_partnership_id,
            secret_id=uuid4().hex,
        )

    @event("WebhookRegistered")
    def __init__(
        self,
        partnership_id: str | None,
        url: str,
        event_types: list[str],
        description: str | None,
        owner_partnership_id: str | None,
        secret_id: str,
    ):
        self._partnership_id = partnership_id
        self.url = url
        self.event_types = event_types
        self.description = description
        self.owner_partnership_id = owner_partnership_id
        self.secret_id = secret_id
        self.previous_secret_id: str | None = None
        self.previous_secret_expires_at: datetime | None = None
        self.active = True
        self.disabled_reason: str | None = None
        self.redeliveries = 0
        self.redeliver_after: int | None = None

    def rotate_secret(self) -> None:
        self.check_active("rotate its secret")
        self._secret_rotated(secret_id=uuid4().hex, previous_secret_expires_at=datetime.now(timezone.utc) + OVERLAP)

    @event("WebhookSecretRotated")
    def _secret_rotated(self, secret_id: str, previous_secret_expires_at: datetime) -> None:
        self.previous_secret_id = self.secret_id
        self.previous_secret_expires_at = previous_secret_expires_at
        self.secret_id = secret_id

    def disable(self, reason: str | None) -> None:
        self.check_active("disable it")
        self._disabled(reason=require_text(reason, "reason"))

    @event("WebhookDisabled")
    def _disabled(self, reason: str) -> None:
        self.active = False
        self.disabled_reason = reason

    def enable(self, reason: str | None = None) -> None:
        if self.active:
            raise InvalidTransitionError("the webhook is active: cannot enable it")
        self._enabled(reason=reason)

    @event("WebhookEnabled")
    def _enabled(self, reason: str | None) -> None:
        self.active = True
        self.disabled_reason = None

    def redeliver(self, after: int) -> None:
        """Deliver again every event it asks for after this log position, in order (once it is active)."""
        if after < 0:
            raise InvalidError("a log position is not negative", "after")
        self._redelivery_requested(after=after)

    @event("WebhookRedeliveryRequested")
    def _redelivery_requested(self, after: int) -> None:
        self.redeliveries += 1
        self.redeliver_after = after

    def check_active(self, doing: str) -> None:
        if not self.active:
            raise InvalidTransitionError(f"the webhook is disabled: cannot {doing}")


def check_url(url: str | None) -> str:
    """An absolute http(s) URL with a host and no credentials (the URL is in the record, for its readers to see).
    Where it points is checked when delivering, on the addresses it resolves to."""
    url = require_text(url, "url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise InvalidError("url is not a URL", "url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidError("url must be an http or https URL with a host", "url")
    if parts.username is not None or parts.password is not None:
        raise InvalidError("url must not hold credentials: the record shows it to every reader of the webhook", "url")
    if len(url) > MAX_URL:
        raise InvalidError(f"url is longer than {MAX_URL} characters", "url")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise InvalidError("url must not contain spaces or control characters (encode them: %20)", "url")
    return url


def check_event_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - event_types_of_the_log())
    if unknown:
        raise InvalidError(f"no event is named {', '.join(unknown)}", "event_types")
    return list(dict.fromkeys(event_types))


@lru_cache(maxsize=1)
def event_types_of_the_log() -> frozenset[str]:
    """The name of every event the log can hold: the event classes of every aggregate of the record."""
    aggregates, found = [Record], set()
    while aggregates:
        aggregate = aggregates.pop()
        aggregates.extend(aggregate.__subclasses__())
        found.update(name for name, value in vars(aggregate).items()
                     if isinstance(value, type) and issubclass(value, Record.Event) and name not in ("Event", "Created"))
    return frozenset(found)
