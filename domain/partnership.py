"""A local area SEND partnership and the agencies in it (council, health, education, the forum)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import uuid4

from eventsourcing.domain import event

from domain.base import InvalidError, Record, effective_today, require_text
from domain.vocabulary import AgencyKind


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    kind: AgencyKind
    effective_from: date  # when it joined the partnership, as the record says


class Partnership(Record):
    @classmethod
    def register(cls, name: str, local_authority: str) -> Partnership:
        return cls(name=require_text(name, "name"), local_authority=require_text(local_authority, "local_authority"))

    @event("PartnershipRegistered")
    def __init__(self, name: str, local_authority: str):
        self.name = name
        self.local_authority = local_authority
        self.agencies: dict[str, Agency] = {}

    @property
    def partnership_id(self) -> str:
        return str(self.id)

    def add_agency(self, name: str, kind: AgencyKind) -> str:
        name = require_text(name, "name")
        self.check_exists_on(effective_today(), "partnership")
        self.check_agency_name_is_new(name)
        agency_id = str(uuid4())
        self._agency_added(agency_id=agency_id, name=name, kind=AgencyKind(kind))
        return agency_id

    class AgencyAdded(Record.Event):
        agency_id: str
        name: str
        kind: AgencyKind

        def apply(self, partnership: Partnership) -> None:
            partnership.agencies[self.agency_id] = Agency(self.agency_id, self.name, self.kind, self.effective_on)

    def _agency_added(self, agency_id: str, name: str, kind: AgencyKind) -> None:
        self.trigger_event(self.AgencyAdded, agency_id=agency_id, name=name, kind=kind)

    def check_agency_name_is_new(self, name: str) -> None:
        if any(a.name.casefold() == name.casefold() for a in self.agencies.values()):
            raise InvalidError(f"the partnership already has an agency named {name!r}", "name")

    def check_has_agency(self, agency_id: str, field_name: str) -> None:
        """The agency is one of this partnership's, and had joined it by the date the change takes effect."""
        agency = self.agencies.get(agency_id)
        if agency is None:
            raise InvalidError(f"agency {agency_id} is not one of this partnership's agencies", field_name)
        if effective_today() < agency.effective_from:
            raise InvalidError(f"{agency.name} joined the partnership on {agency.effective_from}, after this would "
                               f"take effect ({effective_today()})", field_name)
