"""What mutations answer: the entity changed (as it stood just after the change), the event recorded, or why not."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from projections.temporal import NOW, View
from service.commands import Outcome
from service.graphql.context import Info
from service.graphql.types import (
    Action, EventRecord, Finding, Inspection, Judgement, Metric, Partnership, Plan, PriorityArea, UserError,
)


def errors(outcome: Outcome) -> list[UserError]:
    return [UserError(code=e.code, message=e.message, field=e.field) for e in outcome.errors]


def view_of(o: Outcome) -> View:
    """A retried mutation answers as the first one did: with the entity as it stood just after that change."""
    return View(as_at=datetime.fromisoformat(o.event["recordedAt"])) if o.replayed and o.event else NOW


async def entity(info: Info, o: Outcome, cls: type, extra: str | None = None) -> object | None:
    """The entity changed (or the child it added, named in extra), as the GraphQL type `cls`."""
    entity_id = o.extra.get(extra) if extra else o.entity_id
    if entity_id is None:
        return None
    view = view_of(o)
    return cls.of(await info.context.reader.entity(entity_id, cls.__name__, view=view), view)


@strawberry.type
class PartnershipPayload:
    partnership: Optional[Partnership]
    event: Optional[EventRecord]
    user_errors: list[UserError]

    @classmethod
    async def of(cls, info: Info, o: Outcome) -> PartnershipPayload:
        return cls(partnership=await entity(info, o, Partnership), event=EventRecord.of(o.event), user_errors=errors(o))


@strawberry.type
class InspectionPayload:
    inspection: Optional[Inspection]
    finding: Optional[Finding] = strawberry.field(description="The finding this call recorded, where it recorded one.")
    event: Optional[EventRecord]
    user_errors: list[UserError]

    @classmethod
    async def of(cls, info: Info, o: Outcome) -> InspectionPayload:
        return cls(inspection=await entity(info, o, Inspection), finding=await entity(info, o, Finding, "findingId"),
                   event=EventRecord.of(o.event), user_errors=errors(o))


@strawberry.type
class PlanPayload:
    plan: Optional[Plan]
    priority_area: Optional[PriorityArea] = strawberry.field(description="The priority area this call added, where it added one.")
    event: Optional[EventRecord]
    user_errors: list[UserError]

    @classmethod
    async def of(cls, info: Info, o: Outcome) -> PlanPayload:
        return cls(plan=await entity(info, o, Plan), priority_area=await entity(info, o, PriorityArea, "priorityAreaId"),
                   event=EventRecord.of(o.event), user_errors=errors(o))


@strawberry.type
class ActionPayload:
    action: Optional[Action]
    event: Optional[EventRecord]
    user_errors: list[UserError]

    @classmethod
    async def of(cls, info: Info, o: Outcome) -> ActionPayload:
        return cls(action=await entity(info, o, Action), event=EventRecord.of(o.event), user_errors=errors(o))


@strawberry.type
class JudgementPayload:
    judgement: Optional[Judgement]
    event: Optional[EventRecord]
    user_errors: list[UserError]

    @classmethod
    async def of(cls, info: Info, o: Outcome) -> JudgementPayload:
        return cls(judgement=await entity(info, o, Judgement), event=EventRecord.of(o.event), user_errors=errors(o))


@strawberry.type
class MetricPayload:
    metric: Optional[Metric]
    event: Optional[EventRecord]
    user_errors: list[UserError]

    @classmethod
    async def of(cls, info: Info, o: Outcome) -> MetricPayload:
        return cls(metric=await entity(info, o, Metric), event=EventRecord.of(o.event), user_errors=errors(o))
