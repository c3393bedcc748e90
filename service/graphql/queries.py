"""The queries: current state or state at a view, one entity's history, and the global log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Optional

import strawberry
from anyio import to_thread

from domain.base import words
from domain.vocabulary import Role
from service.audit import verify_since_head
from service.graphql import cursors, ids
from service.graphql.context import Info
from service.graphql.errors import Code, refusal
from service.graphql.types import (
    TYPES, Action, ActionConnection, ActionFilter, After, First, AuditVerification, EventConnection, Inspection, Metric, Node,
    Partnership, Plan, Webhook,
)

MAX_TYPES = 100  # event types one query may name

# The arguments many queries share.
AsAt = Annotated[Optional[datetime], strawberry.argument(
    description="What the record showed at this instant (transaction time): built only from events recorded at or "
                "before it; nested fields answer at the same instant. Absent: now.")]
AsOf = Annotated[Optional[date], strawberry.argument(
    description="What the record (now, or as at asAt) says was true on this date (valid time): only events whose "
                "effectiveOn is on or before it count; nested fields answer at the same date.")]
EntityId = Annotated[strawberry.ID, strawberry.argument(
    description="The entity's id (its own, or an id read at a past view, which is answered at that view).")]
PartnershipId = Annotated[Optional[strawberry.ID], strawberry.argument(
    description="Only this partnership's (absent: every partnership the caller may read).")]


def lookup(cls: type) -> object:
    """A query for one entity of this type by id, now or at a past view (asAt, asOf, or the view of an id read at
    one: service/graphql/ids.py)."""

    async def resolve(info: Info, id: EntityId, as_at: AsAt = None,
                      as_of: AsOf = None) -> Optional[cls]:  # type: ignore[valid-type]
        reader = info.context.reader
        entity_id, asked = ids.asked(id, as_at, as_of)
        view = await reader.view(asked.as_at, asked.as_of)
        return cls.of(await reader.entity(entity_id, cls.__name__, view=view), view)

    resolve.__annotations__ = {"info": Info, "id": EntityId, "as_at": AsAt, "as_of": AsOf, "return": Optional[cls]}
    return strawberry.field(resolver=resolve, description=f"One {words(cls.__name__)} by id, now or at a past view; null "
                                                          f"if there is none the caller may read at that view.")


@strawberry.type(description="What the record holds, now or at a past view, and its log.")
class Query:
    @strawberry.field(description="The partnerships the caller may read (a lead or partner: its own), now or at a past "
                                  "view, oldest first.")
    async def partnerships(self, info: Info, as_at: AsAt = None, as_of: AsOf = None) -> list[Partnership]:
        reader = info.context.reader
        view = await reader.view(as_at, as_of)
        return [Partnership.of(s, view) for s in await reader.entities("Partnership", view=view)]

    partnership = lookup(Partnership)
    inspection = lookup(Inspection)
    plan = lookup(Plan)
    action = lookup(Action)

    @strawberry.field(description="Actions across plans (those the caller may read), a page at a time, filtered.")
    async def actions(
        self,
        info: Info,
        partnership_id: PartnershipId = None,
        filter: Annotated[Optional[ActionFilter], strawberry.argument(description="Which actions to keep.")] = None,
        as_at: AsAt = None,
        as_of: AsOf = None,
        first: First = None,
        after: After = None,
    ) -> ActionConnection:
        reader = info.context.reader
        view = await reader.view(as_at, as_of)
        column = "partnership_id" if partnership_id is not None else None
        return ActionConnection.of(await reader.entities("Action", column, ids.entity_of(partnership_id), view=view),
                                   filter, first, after, view)

    metric = lookup(Metric)

    @strawberry.field(description="The entity's own events, oldest first: for a finding, priority area or agency, the "
                                  "event that added it to its inspection, plan or partnership.")
    async def history(self, info: Info, entity_id: EntityId, first: First = None, after: After = None) -> EventConnection:
        size = cursors.page_size(first)
        return EventConnection.of(await info.context.reader.records(cursors.decode("e", after), size + 1, entity_id=ids.entity_of(entity_id)), size)

    @strawberry.field(description=f"The global log, oldest first, from after the given cursor; with `types`, only events "
                                  f"of those types (an empty list: none; at most {MAX_TYPES}).")
    async def events(
        self,
        info: Info,
        after: After = None,
        first: First = None,
        partnership_id: PartnershipId = None,
        types: Annotated[Optional[list[str]], strawberry.argument(
            description=f"Only events of these types, e.g. [\"ActionCompleted\"] (an empty list: none; at most {MAX_TYPES}).")] = None,
    ) -> EventConnection:
        size = cursors.page_size(first)
        if types is not None and (len(types) > MAX_TYPES or any("\x00" in t for t in types)):
            raise refusal(f"types are at most {MAX_TYPES} names of events, such as ActionCompleted")
        records = await info.context.reader.records(cursors.decode("e", after), size + 1, ids.entity_of(partnership_id),
                                                    types=types)
        return EventConnection.of(records, size)

    @strawberry.field(description="The webhooks the caller may read (those of partnerships it reads; a webhook for "
                                  "every partnership, if it reads them all), oldest first.")
    async def webhooks(
        self,
        info: Info,
        partnership_id: Annotated[Optional[strawberry.ID], strawberry.argument(
            description="Only the webhooks of this partnership; null: every one the caller may read.")] = None,
    ) -> list[Webhook]:
        column = "partnership_id" if partnership_id is not None else None
        return [Webhook.of(s) for s in await info.context.reader.entities("Webhook", column, ids.entity_of(partnership_id))]

    @strawberry.field(description="The entity with this id, of any kind: now, or at the view an id read at a past "
                                  "view names.")
    async def node(self, info: Info, id: EntityId) -> Optional[Node]:
        reader = info.context.reader
        entity_id, asked = ids.asked(id, None, None)
        view = await reader.view(asked.as_at, asked.as_of)
        found = await reader.locate(entity_id, view)
        return TYPES[found[0]].of(found[1], view) if found is not None else None

    @strawberry.field(description="Rechecks the audit trail's hash chain from where it was last verified to the log's "
                                  "end, rehashing every event since (`send-records verify` walks the whole log). "
                                  "eventsChecked: the events up to the end, or the partnership's.")
    async def verify_audit_trail(self, info: Info, partnership_id: Annotated[Optional[strawberry.ID], strawberry.argument(
            description="Rehash only this partnership's events (every link is still checked); absent: all of them "
                        "(AUDITOR, MONITOR, ADMIN; a lead for its own partnership).")] = None) -> AuditVerification:
        principal, partnership_id = info.context.principal, ids.entity_of(partnership_id)
        if not principal.may({Role.AUDITOR, Role.MONITOR}, partnership_id) and not (
            principal.role == Role.PARTNERSHIP_LEAD and partnership_id == principal.partnership_id
        ):
            raise refusal("a token of this role may not verify this audit trail", Code.FORBIDDEN)
        store = info.context.commands.read_model.store
        # In a thread of its own, not one of the commands' (and, over HTTP, in the costly-read process: a costly
        # read, service/costly.py); if the query's time runs out, it carries on, and the head keeps its progress.
        result = await to_thread.run_sync(verify_since_head, store, partnership_id, abandon_on_cancel=True)
        broken = result.first_broken_position
        return AuditVerification(ok=result.ok, events_checked=result.events_checked,
                                 first_broken_position=cursors.encode("e", broken) if broken is not None else None)
