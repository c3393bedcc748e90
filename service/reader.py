"""The read side of one request: what the caller may see of the read model.

Lookups of another partnership's entities answer None and lists skip them, so
a caller never learns of data outside its partnership. Entities read within a
request are kept for the rest of it, so nested fields do not read one row twice.
"""

from __future__ import annotations

from typing import Any

from service.authorisation import Principal


class Reader:
    def __init__(self, read_model: Any, principal: Principal):
        self.read_model = read_model
        self.principal = principal
        self._seen: dict[str, tuple[str, dict] | None] = {}

    def entity(self, entity_id: str, *kinds: str) -> dict | None:
        """The state of the entity with this id, if it is one of these kinds and the caller may read it."""
        if entity_id not in self._seen:
            found = self.read_model.entity(entity_id)
            if found is not None and not self.principal.can_read(found[1]["partnershipId"]):
                found = None
            self._seen[entity_id] = found
        found = self._seen[entity_id]
        if found is None or (kinds and found[0] not in kinds):
            return None
        return found[1]

    def kind_of(self, entity_id: str) -> str | None:
        return self._seen[entity_id][0] if self.entity(entity_id) is not None else None

    def entities(self, kind: str, column: str | None = None, value: str | None = None) -> list[dict]:
        return self.read_model.entities(column, value, kind, self.principal.readable)

    def records(self, after: int, limit: int, partnership_id: str | None = None, **filters: Any) -> list[dict]:
        """Event records after a position, in log order, of the partnerships the caller may read."""
        if partnership_id is None:
            return self.read_model.records(after, limit, partnership_ids=self.principal.readable, **filters)
        if not self.principal.can_read(partnership_id):
            return []
        return self.read_model.records(after, limit, partnership_ids=[partnership_id], **filters)

    def forget(self) -> None:
        """Drop what this request has read, after a mutation has changed the record."""
        self._seen.clear()
