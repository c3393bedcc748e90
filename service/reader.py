"""The read side of one request: what the caller may see of the record, now or at a past view.

Lookups of another partnership's entities answer None and lists skip them, so a
caller never learns of data outside its partnership. The current states that
requests look up by id, or list by a column, in one turn of the event loop (a
level of one query, and those of concurrent requests) are read by one query
for all of them (projections/store.py `ReadModel.current` and `listed`); each
request then keeps only what its caller may see. Reads at a past view are
batched with DataLoaders keyed by (id, view) and (kind, column, value, view):
every lookup or list asked for while a level of the query is resolved is
answered by one store query per kind and view (projections/queries.py),
whatever the number of entities, and is folded at the view by
projections/temporal.py. What a request has read is kept for the rest of it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Mapping, Sequence

from strawberry.dataloader import DataLoader

from projections import queries as q
from projections.shapes import KINDS, State
from projections.store import ReadModel
from projections.temporal import NOW, View, aggregates_at, settled
from service.authorisation import Principal
from service.commands import is_id

BATCH = 100  # ids in one store query
Located = tuple[str, State]  # an entity's kind and state
ListKey = tuple[str, str | None, str | None, View]  # kind, column, value, view


class Reader:
    def __init__(self, read_model: ReadModel, principal: Principal, mapper: Any):
        self.read_model = read_model
        self.principal = principal
        batches = Batches(read_model, principal, mapper)  # (the loaders hold it, not the reader: see Batches)
        self.located = DataLoader(batches.locate, max_batch_size=BATCH)  # at past views
        self.lists = DataLoader(batches.lists, max_batch_size=BATCH)  # at past views
        self.recorded = DataLoader(batches.recorded, max_batch_size=BATCH)
        # the current view's answers this request has asked for: by id, and by (kind, column, value)
        self.current: dict[str, Awaitable[Mapping[str, Located]]] = {}
        self.listed: dict[tuple[str, str | None, str | None], Awaitable[Mapping[str | None, Sequence[State]]]] = {}
        self.answered_as_at: dict[str, str] = {}  # asAt asked -> the instant answered, where they differ

    async def view(self, as_at: datetime | None = None, as_of: Any = None) -> View:
        """The view a query asks for, made final (projections/temporal.py): an instant later than the moment of the
        request is answered as at that moment, and noted."""
        asked = View(as_at, as_of)
        view = await settled(self.read_model, asked)
        if view.as_at != asked.as_at:
            self.answered_as_at[asked.as_at.isoformat()] = view.as_at.isoformat()
        return view

    async def locate(self, entity_id: str | None, view: View = NOW) -> Located | None:
        """The kind and state of the entity with this id at the view, if the caller may read it."""
        if not is_id(entity_id):
            return None
        if not view.current:
            return await self.located.load((entity_id, view))
        asked = self.current.get(entity_id)
        if asked is None:
            asked = self.current[entity_id] = self.read_model.current([entity_id])
        found = (await asked).get(entity_id)
        return found if found is not None and self.principal.can_read(found[1].partnership_id) else None

    async def entity(self, entity_id: str | None, *kinds: str, view: View = NOW) -> State | None:
        """The state of the entity with this id at the view, if it is one of these kinds and the caller may read it."""
        found = await self.locate(entity_id, view)
        return found[1] if found is not None and (not kinds or found[0] in kinds) else None

    async def entities(self, kind: str, column: str | None = None, value: str | None = None, view: View = NOW) -> Sequence[State]:
        """Entities of a kind (where column = value) the caller may read, at the view, oldest first."""
        if not view.current:
            return await self.lists.load((kind, column, value, view))
        asked = self.listed.get((kind, column, value))
        if asked is None:
            asked = self.listed[kind, column, value] = self.read_model.listed(kind, column, [value], self.principal.readable)
        return (await asked).get(value, [])

    async def recorded_at(self, entity_id: str, version: int) -> datetime:
        """When one version of an aggregate was recorded (the log's word for it)."""
        return (await self.recorded.load(entity_id))[version]

    async def records(self, after: int, limit: int, partnership_id: str | None = None, **filters: Any) -> list[dict]:
        """Event records after a position, in log order, of the partnerships the caller may read."""
        if filters.get("entity_id") is not None and not is_id(filters["entity_id"]):
            return []
        if partnership_id is None:
            partnership_ids = self.principal.readable
        elif self.principal.can_read(partnership_id):
            partnership_ids = [partnership_id]
        else:
            return []
        return await self.read_model.ask(q.records(after, limit, partnership_ids, **filters))

    def forget(self, written: dict[str, Located]) -> None:
        """Drop what this request has read, after a mutation has changed the record; what the mutation wrote is
        known without reading it back."""
        for loader in (self.located, self.lists, self.recorded):
            loader.clear_all()
        self.current.clear()
        self.listed.clear()
        loop = asyncio.get_running_loop()
        for entity_id, located in written.items():
            self.current[entity_id] = known = loop.create_future()
            known.set_result({entity_id: located})


@dataclass(frozen=True)
class Batches:
    """The store queries behind a request's DataLoaders. They are apart from the Reader so that nothing the request
    built is in a reference cycle (reader -> loader -> bound method -> reader): everything is freed as soon as the
    request ends, by reference counting, rather than left for the cyclic garbage collector (a tenth of a read's time
    when it was)."""

    read_model: ReadModel
    principal: Principal
    mapper: Any

    async def locate(self, keys: list[tuple[str, View]]) -> list[Located | None]:
        """At past views."""
        by_view: dict[View, list[str]] = defaultdict(list)
        for entity_id, view in keys:
            by_view[view].append(entity_id)
        found: dict[tuple[str, View], Located] = {}
        for view, ids in by_view.items():
            current = await self.read_model.current(list(dict.fromkeys(ids)))
            readable = [(kind, state) for kind, state in current.values() if self.principal.can_read(state.partnership_id)]
            for kind, state in await self._at_view(readable, view):
                found[(state.id, view)] = (kind, state)
        return [found.get(key) for key in keys]

    async def lists(self, keys: list[ListKey]) -> list[Sequence[State]]:
        """At past views: the current lists' entities, each folded at the view (and kept if it exists there)."""
        groups: dict[tuple[str, str | None, View], list[str | None]] = defaultdict(list)
        for kind, column, value, view in keys:
            groups[(kind, column, view)].append(value)
        found: dict[ListKey, Sequence[State]] = defaultdict(list)
        for (kind, column, view), values in groups.items():
            parts = await self.read_model.listed(kind, column, list(dict.fromkeys(values)), self.principal.readable)
            for _, state in await self._at_view([(kind, s) for part in parts.values() for s in part], view):
                found[(kind, column, getattr(state, column) if column else None, view)].append(state)
        return [found[key] for key in keys]

    async def _at_view(self, located: list[Located], view: View) -> list[Located]:
        """These entities' states at the (past) view, for those that exist there, in the order given (each keeps its
        seq)."""
        by_kind: dict[str, list[State]] = defaultdict(list)
        for kind, state in located:
            by_kind[kind].append(state)
        answers: dict[str, State] = {}
        for kind, states in by_kind.items():
            answers.update(await self._kind_at_view(kind, states, view))
        return [(kind, answers[state.id]) for kind, state in located if state.id in answers]

    async def _kind_at_view(self, kind: str, states: list[State], view: View) -> dict[str, State]:
        entity_kind = KINDS[kind]
        if entity_kind.owner is None:
            found = await aggregates_at(self.read_model, self.mapper, kind, [s.id for s in states], view)
            return {s.id: _with_seq(found[s.id], s.seq) for s in states if s.id in found}
        # A child at a view is as its owner's state at that view holds it.
        owners = await aggregates_at(self.read_model, self.mapper, entity_kind.owner,
                                     list(dict.fromkeys(getattr(s, entity_kind.owner_key) for s in states)), view)
        field = next(f for f, child in KINDS[entity_kind.owner].children if child == kind)
        held = {c.id: c for owner in owners.values() for c in getattr(owner, field)}
        return {s.id: _with_seq(held[s.id], s.seq) for s in states if s.id in held}

    async def recorded(self, entity_ids: list[str]) -> list[dict[int, datetime]]:
        records = await self.read_model.ask(q.records_of(entity_ids, "MeasurementRecorded"))
        found: dict[str, dict[int, datetime]] = defaultdict(dict)
        for r in records:
            found[r["entityId"]][r["version"]] = datetime.fromisoformat(r["recordedAt"])
        return [found[i] for i in entity_ids]


def _with_seq(state: State, seq: int) -> State:
    state.seq = seq
    return state
