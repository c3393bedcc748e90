"""The queries: current state or state at a view, one entity's history, and the global log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import strawberry
from anyio import to_thread
from graphql import GraphQLError

from domain.vocabulary import Role
from service.audit import verify_since_head
from service.graphql import cursors
from service.graphql.context import Info
from service.graphql.types import (
    TYPES, Action, ActionConnection, ActionFilter, AuditVerification, EventConnection, Inspection, Metric, Node,
    Partnership, Plan,
)

MAX_TYPES = 100  # event types one query may name


def lookup(cls: type) -> object:
    """A query for one entity of this type by id, now or at a past view (asAt, asOf)."""

    async def resolve(info: Info, id: strawberry.ID, as_at: Optional[datetime] = None,
                      as_of: Optional[date] = None) -> Optional[cls]:  # type: ignore[valid-type]
        reader = info.context.reader
        view = await reader.view(as_at, as_of)
        return cls.of(await reader.entity(id, cls.__name__, view=view), view)

    resolve.__annotations__ = {"info": Info, "id": strawberry.ID, "as_at": Optional[datetime],
                               "as_of": Optional[date], "return": Optional[cls]}
    return strawberry.field(resolver=resolve)


@strawberry.type
class Query:
    @strawberry.field
    async def partnerships(self, info: Info, as_at: Optional[datetime] = None, as_of: Optional[date] = None) -> list[Partnership]:
        reader = info.context.reader
        view = await reader.view(as_at, as_of)
        return [Partnership.of(s, view) for s in await reader.entities("Partnership", view=view)]

    partnership = lookup(Partnership)
    inspection = lookup(Inspection)
    plan = lookup(Plan)
    action = lookup(Action)

    @strawberry.field
    async def actions(
        self,
        info: Info,
        partnership_id: Optional[strawberry.ID] = None,
        filter: Optional[ActionFilter] = None,
        as_at: Optional[datetime] = None,
        as_of: Optional[date] = None,
        first: Optional[int] = None,
        after: Optional[str] = None,
    ) -> ActionConnection:
        reader = info.context.reader
        view = await reader.view(as_at, as_of)
        column = "partnership_id" if partnership_id is not None else None
        return ActionConnection.of(await reader.entities("Action", column, partnership_id, view=view), filter, first,
                                   after, view)

    metric = lookup(Metric)

    @strawberry.field(description="The entity's own events, oldest first: for a finding, priority area or agency, the "
                                  "event that added it to its inspection, plan or partnership.")
    async def history(self, info: Info, entity_id: strawberry.ID, first: Optional[int] = None, after: Optional[str] = None) -> EventConnection:
        size = cursors.page_size(first)
        return EventConnection.of(await info.context.reader.records(cursors.decode("e", after), size + 1, entity_id=entity_id), size)

    @strawberry.field(description=f"The global log, oldest first, from after the given cursor; with `types`, only events "
                                  f"of those types (an empty list: none; at most {MAX_TYPES}).")
    async def events(
        self,
        info: Info,
        after: Optional[str] = None,
        first: Optional[int] = None,
        partnership_id: Optional[strawberry.ID] = None,
        types: Optional[list[str]] = None,
    ) -> EventConnection:
        size = cursors.page_size(first)
        if types is not None and (len(types) > MAX_TYPES or any("\x00" in t for t in types)):
            raise GraphQLError(f"types are at most {MAX_TYPES} names of events, such as ActionCompleted")
        records = await info.context.reader.records(cursors.decode("e", after), size + 1, partnership_id, types=types)
        return EventConnection.of(records, size)

    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Optional[Node]:
        found = await info.context.reader.locate(id)
        return TYPES[found[0]].of(found[1]) if found is not None else None

    @strawberry.field(description="Rechecks the audit trail's hash chain from where it was last verified to the log's "
                                  "end, rehashing every event since (`send-records verify` walks the whole log). "
                                  "eventsChecked: the events up to the end, or the partnership's.")
    async def verify_audit_trail(self, info: Info, partnership_id: Optional[strawberry.ID] = None) -> AuditVerification:
        principal = info.context.principal
        if not principal.may({Role.AUDITOR, Role.MONITOR}, partnership_id) and not (
            principal.role == Role.PARTNERSHIP_LEAD and partnership_id == principal.partnership_id
        ):
            raise GraphQLError("a token of this role may not verify this audit trail (FORBIDDEN)")
        store = info.context.commands.read_model.store
        # In a thread of its own, not one of the commands' (and, over HTTP, in the costly-read process: a costly
        # read, service/costly.py); if the query's time runs out, it carries on, and the head keeps its progress.
        result = await to_thread.run_sync(verify_since_head, store, partnership_id, abandon_on_cancel=True)
        broken = result.first_broken_position
        return AuditVerification(ok=result.ok, events_checked=result.events_checked,
                                 first_broken_position=cursors.encode("e", broken) if broken is not None else None)
