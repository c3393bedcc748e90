"""What mutations answer: the entity changed (as it stood just after the change), the event recorded, or why not.

Every payload has the same shape: the entity of its kind, the child the call added where it adds one (a finding,
a priority area), the event, and the userErrors; `payload` makes one per kind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from projections.temporal import NOW, View
from service.commands import Outcome
from service.graphql.context import Info
from service.graphql.ids import FirstAnswer
from service.graphql.types import (
    Action, EventRecord, Finding, ImprovementNotice, Inspection, Judgement, Meeting, Metric, Partnership, Plan,
    PriorityArea, UserError, Webhook,
)


def view_of(o: Outcome) -> View:
    """A retried mutation answers as the first one did: with the entity as it stood just after that change."""
    return FirstAnswer(as_at=datetime.fromisoformat(o.event["recordedAt"])) if o.replayed and o.event else NOW


async def entity(info: Info, o: Outcome, cls: type, entity_id: str | None) -> object | None:
    view = view_of(o)
    return cls.of(await info.context.reader.entity(entity_id, cls.__name__, view=view), view) if entity_id else None


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def payload(cls: type, child: type | None = None) -> type:
    """The payload of mutations on entities of this type; with a child type, the child the call added (named by
    the outcome's extra `<child>Id`)."""
    field, child_field = snake(cls.__name__), snake(child.__name__) if child else None

    async def of(payload_type: type, info: Info, o: Outcome) -> object:
        found = {field: await entity(info, o, cls, o.entity_id)}
        if child is not None:
            found[child_field] = await entity(info, o, child, o.extra.get(child.__name__[0].lower() + child.__name__[1:] + "Id"))
        return payload_type(**found, event=EventRecord.of(o.event),
                            user_errors=[UserError(code=e.code, message=e.message, field=e.field) for e in o.errors])

    words = field.replace("_", " ")
    annotations = {field: Optional[cls]}
    namespace: dict = {"of": classmethod(of), field: strawberry.field(
        description=f"The {words} changed, as it stood just after the change (a retry with the same idempotencyKey "
                    f"answers with it as it stood after the first call); null when the change was refused.")}
    if child is not None:
        annotations[child_field] = Optional[child]
        namespace[child_field] = strawberry.field(
            description=f"The {child_field.replace('_', ' ')} this call added, where it added one.")
    annotations.update(event=Optional[EventRecord], user_errors=list[UserError])
    namespace.update(event=strawberry.field(description="The event recorded; null when the change was refused."),
                     user_errors=strawberry.field(description="Why nothing was recorded; empty when the change was."))
    namespace["__annotations__"] = annotations
    return strawberry.type(type(f"{cls.__name__}Payload", (), namespace),
                           description=f"What a mutation of a {words} answers: the {words}, the event recorded, or "
                                       f"why not (userErrors).")


PartnershipPayload = payload(Partnership)
InspectionPayload = payload(Inspection, Finding)
PlanPayload = payload(Plan, PriorityArea)
ActionPayload = payload(Action)
JudgementPayload = payload(Judgement)
MetricPayload = payload(Metric)
MeetingPayload = payload(Meeting)
ImprovementNoticePayload = payload(ImprovementNotice)


# The changes that give a webhook a new secret: their answers show it.
SECRET_SHOWN = {"WebhookRegistered", "WebhookSecretRotated"}


@strawberry.type(description="What a webhook mutation answers: the webhook as it stood just after the change, its new "
                             "secret where the change made one, the event recorded, or why not.")
class WebhookPayload:
    webhook: Optional[Webhook] = strawberry.field(description="The webhook, as it stood just after the change.")
    secret: Optional[str] = strawberry.field(
        description="Its new Standard Webhooks secret (whsec_...), in the answers of registerWebhook and "
                    "rotateWebhookSecret only (and of their retries with the same idempotencyKey): it is stored "
                    "nowhere, so keep it. Null in other answers.")
    event: Optional[EventRecord] = strawberry.field(description="The event recorded.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was recorded, if it was not.")

    @classmethod
    async def of(cls, info: Info, o: Outcome) -> WebhookPayload:
        webhook = await entity(info, o, Webhook, o.entity_id)
        shows = webhook is not None and o.event is not None and o.event["type"] in SECRET_SHOWN
        return cls(webhook=webhook, secret=info.context.webhook_secrets.of(webhook.state.id, webhook.state.secret_id)
                   if shows else None, event=EventRecord.of(o.event),
                   user_errors=[UserError(code=e.code, message=e.message, field=e.field) for e in o.errors])
