"""Webhooks: registering an integration's endpoint, rotating its secret, disabling, enabling, and replaying the log
to it. The deliveries themselves are service/webhooks/'s."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import strawberry
from graphql import GraphQLError

from domain.base import InvalidError
from domain.partnership import Partnership
from domain.webhook import MAX_URL, Webhook
from service.authorisation import LEAD
from service.commands import Done, ErrorCode, Key, Limit, Name, Refused, Scope, Text, mutation
from service.graphql import cursors
from service.graphql.payloads import WebhookPayload
from service.webhooks.outbound import host_refusal, private_allowed

Url = Annotated[str, Limit(MAX_URL)]


def idempotency_key() -> Any:
    return strawberry.field(default=None, description="A retry with the same key and input records nothing new and "
                                                      "answers as the first call did.")


def expected_version() -> Any:
    return strawberry.field(default=None, description="The webhook's version the change is meant for; a webhook "
                                                      "that has moved on refuses it (CONFLICT).")


def webhook_id() -> Any:
    return strawberry.field(description="The webhook to change.")


def webhook_of(s: Scope, webhook_id: str) -> Webhook:
    """The webhook, once the caller is found to be allowed to change it."""
    webhook = s.load(Webhook, webhook_id, "webhook_id")
    s.authorise(webhook.partnership_id, webhook)
    return webhook


@strawberry.input(description="An endpoint to register: where to POST, which partnership's events, which types.")
class RegisterWebhookInput:
    partnership_id: Optional[strawberry.ID] = strawberry.field(
        default=None, description="The partnership whose events it receives; null: every partnership (ADMIN only).")
    url: Url = strawberry.field(description="An absolute http or https URL, without credentials (every reader of the "
                                            "webhook sees it); it must resolve to public addresses.")
    event_types: Optional[list[Name]] = strawberry.field(
        default=None, description="The event types it receives (e.g. ActionCompleted); null or empty: every event.")
    description: Optional[Text] = strawberry.field(default=None, description="What it is for, for its readers.")
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("registerWebhook", WebhookPayload, roles={LEAD},
          description="Register a webhook: the events it asks for are POSTed to its URL, signed (Standard Webhooks "
                      "1.0), from now on. The answer holds its secret, which is shown only here (and to a retry with "
                      "the same idempotencyKey).")
def register_webhook(s: Scope, input: RegisterWebhookInput) -> Done:
    partnership = s.load_optional(Partnership, input.partnership_id, "partnership_id")
    if partnership is None and s.principal.role == LEAD:
        raise Refused(ErrorCode.FORBIDDEN, "only an ADMIN token may register a webhook for every partnership; "
                                           "name your partnership", "partnership_id")
    partnership_id = partnership.partnership_id if partnership is not None else None
    s.authorise(partnership_id)
    owner_reads = s.principal.partnership_id if s.principal.readable is not None else None
    webhook = Webhook.register(partnership_id, input.url, input.event_types or [], input.description, owner_reads)
    if (refused := host_refusal(webhook.url, private_allowed())) is not None:
        raise Refused(ErrorCode.INVALID, f"url: {refused}; webhooks are delivered to public addresses only", "url")
    return Done(webhook)


@strawberry.input(description="A webhook whose secret is to be replaced.")
class RotateWebhookSecretInput:
    webhook_id: strawberry.ID = webhook_id()
    expected_version: Optional[int] = expected_version()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("rotateWebhookSecret", WebhookPayload, roles={LEAD},
          description="Give a webhook a new secret, shown only in the answer; the old one goes on signing beside it "
                      "(a second signature) for 24 hours, while the receiver changes over.")
def rotate_webhook_secret(s: Scope, input: RotateWebhookSecretInput) -> Done:
    webhook = webhook_of(s, input.webhook_id)
    webhook.rotate_secret()
    return Done(webhook)


@strawberry.input(description="A webhook to stop, and why.")
class DisableWebhookInput:
    webhook_id: strawberry.ID = webhook_id()
    reason: Text = strawberry.field(description="Why it is stopped.")
    expected_version: Optional[int] = expected_version()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("disableWebhook", WebhookPayload, roles={LEAD},
          description="Stop delivering to a webhook (the service does so itself, as the system, when the receiver "
                      "answers 410 Gone); enabled again, it resumes where it stopped.")
def disable_webhook(s: Scope, input: DisableWebhookInput) -> Done:
    webhook = webhook_of(s, input.webhook_id)
    webhook.disable(input.reason)
    return Done(webhook)


@strawberry.input(description="A disabled webhook to start again.")
class EnableWebhookInput:
    webhook_id: strawberry.ID = webhook_id()
    reason: Optional[Text] = strawberry.field(default=None, description="Why it is started again.")
    expected_version: Optional[int] = expected_version()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("enableWebhook", WebhookPayload, roles={LEAD},
          description="Start delivering to a disabled webhook again, from the first event it had not received.")
def enable_webhook(s: Scope, input: EnableWebhookInput) -> Done:
    webhook = webhook_of(s, input.webhook_id)
    webhook.enable(input.reason)
    return Done(webhook)


@strawberry.input(description="A webhook, and the cursor of the log to deliver again from.")
class RedeliverWebhookInput:
    webhook_id: strawberry.ID = webhook_id()
    after: Optional[str] = strawberry.field(
        default=None, description="An event's position cursor (as `events` and the webhook-id header give it): every "
                                  "event the webhook asks for after it is delivered again; null: from the log's start.")
    expected_version: Optional[int] = expected_version()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("redeliverWebhook", WebhookPayload, roles={LEAD},
          description="Deliver again, in log order, every event the webhook asks for after a cursor (those not yet "
                      "delivered keep their place); a disabled webhook does so once enabled.")
def redeliver_webhook(s: Scope, input: RedeliverWebhookInput) -> Done:
    webhook = webhook_of(s, input.webhook_id)
    try:
        after = cursors.decode("e", input.after)
    except GraphQLError:
        raise InvalidError("after is not a cursor of the log (an event's position)", "after") from None
    webhook.redeliver(after)
    return Done(webhook)
