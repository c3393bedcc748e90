"""A local area SEND partnership and the agencies in it (council, health, education, the forum)."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.domain import event

from domain.base import InvalidError, Record, require_text
from domain.vocabulary import AgencyKind


class Partnership(Record):
    @classmethod
    def register(cls, name: str, local_authority: str) -> Partnership:
        return cls(name=require_text(name, "name"), local_authority=require_text(local_authority, "localAuthority"))

    @event("PartnershipRegistered")
    def __init__(self, name: str, local_authority: str):
        self.name = name
        self.local_authority = local_authority
        self.agencies: dict[str, dict] = {}

    @property
    def partnership_id(self) -> str:
        return str(self.id)

    def add_agency(self, name: str, kind: AgencyKind) -> str:
        name = require_text(name, "name")
        self.check_agency_name_is_new(name)
        agency_id = str(uuid4())
        self._agency_added(agency_id=agency_id, name=name, kind=AgencyKind(kind))
        return agency_id

    @event("AgencyAdded")
    def _agency_added(self, agency_id: str, name: str, kind: AgencyKind) -> None:
        self.agencies[agency_id] = {"id": agency_id, "name": name, "kind": kind}

    def check_agency_name_is_new(self, name: str) -> None:
        if any(a["name"].casefold() == name.casefold() for a in self.agencies.values()):
            raise InvalidError(f"the partnership already has an agency named {name!r}", "name")

    def check_has_agency(self, agency_id: str, field_name: str) -> None:
        if agency_id not in self.agencies:
            raise InvalidError(f"agency {agency_id} is not one of this partnership's agencies", field_name)
