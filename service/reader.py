"""The read side of one request: what the caller may see of the record, now or at a past view.

Lookups of another partnership's entities answer None and lists skip them, so a
caller never learns of data outside its partnership. Answers at a view (asAt,
asOf) come from projections.temporal; see its docstring for how they are built.
What a request has read is kept for the rest of it, so nested fields read each
row once.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from projections import store as q
from projections.store import ReadModel
from projections.temporal import NOW, View, state_at
from projections.views import EntityRow
from service.authorisation import Principal

# Entities kept inside an aggregate: their kind, the key naming their owner, the owner's kind and list.
CHILDREN = {"Finding": ("inspectionId", "Inspection", "findings"), "PriorityArea": ("planId", "Plan", "priorityAreas")}


def is_id(text: str | None) -> bool:
    """Every entity's id is a UUID; anything else names nothing (and is never sent to the store)."""
    try:
        UUID(text or "")
    except ValueError:
        return False
    return True


class Reader:
    def __init__(self, read_model: ReadModel, principal: Principal, mapper: Any):
        self.read_model = read_model
        self.principal = principal
        self.mapper = mapper
        self._seen: dict[tuple[str, View], tuple[str, dict] | None] = {}
        self._lists: dict[tuple, list[dict]] = {}

    async def entity(self, entity_id: str | None, *kinds: str, view: View = NOW) -> dict | None:
        """The state of the entity with this id at the view, if it is one of these kinds and the caller may read it."""
        if not is_id(entity_id):
            return None
        if (entity_id, view) not in self._seen:
            self._seen[(entity_id, view)] = await self._find(entity_id, view)
        found = self._seen[(entity_id, view)]
        if found is None or (kinds and found[0] not in kinds):
            return None
        return found[1]

    async def _find(self, entity_id: str, view: View) -> tuple[str, dict] | None:
        found = await self.read_model.ask(q.entity(entity_id))
        if found is None or not self.principal.can_read(found[1]["partnershipId"]):
            return None
        kind, state = found
        if view.current:
            return found
        at_view = await self._at_view(kind, [state], view)
        return (kind, at_view[0]) if at_view else None

    async def kind_of(self, entity_id: str, view: View = NOW) -> str | None:
        return self._seen[(entity_id, view)][0] if await self.entity(entity_id, view=view) is not None else None

    async def entities(self, kind: str, column: str | None = None, value: str | None = None, view: View = NOW) -> list[dict]:
        """Entities of a kind (where column = value) the caller may read, at the view, oldest first."""
        key = (kind, column, value, view)
        if key not in self._lists:
            current = await self.read_model.ask(q.entities(column, value, kind, self.principal.readable))
            self._lists[key] = current if view.current else await self._at_view(kind, current, view)
        return self._lists[key]

    async def _at_view(self, kind: str, states: list[dict], view: View) -> list[dict]:
        if kind in CHILDREN:
            owner_key, owner_kind, members = CHILDREN[kind]
            owners = {o["id"]: o for o in await self._at_view(owner_kind, await self._owners(states, owner_key), view)}
            answers = []
            for state in states:
                owner = owners.get(state[owner_key])
                child = next((c for c in owner[members] if c["id"] == state["id"]), None) if owner else None
                if child is not None:
                    answers.append({**child, owner_key: owner["id"], "partnershipId": owner["partnershipId"], "seq": state.get("seq")})
            return answers
        if view.as_of is None:
            at = await self.read_model.ask(q.states_at([s["id"] for s in states], view.as_at_text)) if states else {}
            return [{**at[s["id"]], "seq": s.get("seq")} for s in states if s["id"] in at]
        answers = []
        for s in states:
            events = map(self.mapper.to_domain_event, await self.read_model.stored_events(s["id"]))
            folded = state_at(events, view)
            if folded is not None:
                answers.append({**folded, "seq": s.get("seq")})
        return answers

    async def _owners(self, states: list[dict], owner_key: str) -> list[dict]:
        owners = [await self.read_model.ask(q.entity(i)) for i in dict.fromkeys(s[owner_key] for s in states)]
        return [found[1] for found in owners if found is not None]

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

    def forget(self, written: list[EntityRow]) -> None:
        """Drop what this request has read, after a mutation has changed the record; what the mutation wrote is
        known without reading it back."""
        self._seen.clear()
        self._lists.clear()
        for row in written:
            self._seen[(row.id, NOW)] = (row.type, json.loads(row.state)) if self.principal.can_read(row.partnership_id) else None
