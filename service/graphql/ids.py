"""The ids clients see: an entity read now is shown with its own id; read at a past view (asAt, asOf), with an
id of that view alone.

Normalised caches (Apollo's InMemoryCache, urql's Graphcache, Relay's store) keep one record per `__typename`
and `id`. If a plan read as of 2019 and the same plan read now shared an id, whichever was read last would
overwrite the other, and a page showing "then" beside "now" would show one of them twice. So an id names an
entity at a view: `node(id:)` and the lookups answer such an id at its view, and `entityId` is the entity's own id,
the same at every view, which mutations and the events name. Ids stay opaque strings (the core contract):
a view's id is the entity's id and the view, base64url-encoded as cursors are.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime

from projections.temporal import View
from service.commands import is_id
from service.graphql.errors import refusal
from service.graphql.scalars import parse_instant


@dataclass(frozen=True)
class FirstAnswer(View):
    """The view a retried mutation answers at: as at just after the first call's change, with the ids the first
    answer showed (it was the present then), since a retry returns the first answer."""


def at_view(entity_id: str, view: View) -> str:
    """The id an entity is shown with at a view."""
    if view.current or isinstance(view, FirstAnswer):
        return entity_id
    text = f"{entity_id}|{view.as_at_text or ''}|{view.as_of.isoformat() if view.as_of else ''}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def named(node_id: str) -> tuple[str, View | None]:
    """The entity an id names, and the view it was read at (None for an entity's own id, which names no view).
    Anything else is returned as it is, and names nothing."""
    if is_id(node_id):
        return node_id, None
    try:
        entity_id, as_at, as_of = base64.urlsafe_b64decode(node_id + "=" * (-len(node_id) % 4)).decode().split("|")
        view = View(parse_instant(as_at) if as_at else None, date.fromisoformat(as_of) if as_of else None)
    except ValueError:  # (binascii.Error and UnicodeDecodeError are ValueErrors)
        return node_id, None
    return (entity_id, view) if is_id(entity_id) and not view.current else (node_id, None)


def entity_of(node_id: str | None) -> str | None:
    """The entity's own id, from either kind of id (an argument naming an entity takes both)."""
    return named(node_id)[0] if node_id is not None else None


def asked(node_id: str, as_at: datetime | None, as_of: date | None) -> tuple[str, View]:
    """The entity and view a lookup asks for: an id read at a past view names that view, which asAt and asOf may
    repeat but not change (the entity's own id, `entityId`, is asked at any view)."""
    entity_id, view = named(node_id)
    given = View(as_at, as_of)
    if view is not None and not given.current and given != view:
        raise refusal("this id names the entity as it was read at another view: ask for it with its entityId and "
                      "the asAt and asOf you want, or without asAt and asOf")
    return entity_id, view or given
