"""Registering a partnership and adding its agencies."""

from __future__ import annotations

from datetime import date
from typing import Optional

import strawberry

from domain.partnership import Partnership
from domain.vocabulary import AgencyKind
from service.authorisation import LEAD
from service.commands import Done, Key, Name, Scope, mutation
from service.graphql.payloads import PartnershipPayload


@strawberry.input
class RegisterPartnershipInput:
    name: Name
    local_authority: Name
    effective_on: Optional[date] = None
    idempotency_key: Optional[Key] = None


@mutation("registerPartnership", PartnershipPayload, roles=set(),
          description="Register a local area SEND partnership (ADMIN only).")
def register_partnership(s: Scope, input: RegisterPartnershipInput) -> Done:
    s.authorise(None)
    return Done(Partnership.register(input.name, input.local_authority))


@strawberry.input
class AddAgencyInput:
    partnership_id: strawberry.ID
    name: Name
    kind: AgencyKind
    expected_version: Optional[int] = None
    effective_on: Optional[date] = None
    idempotency_key: Optional[Key] = None


@mutation("addAgency", PartnershipPayload, roles={LEAD},
          description="Add an agency (the council, health, education, the parent carer forum) to a partnership.")
def add_agency(s: Scope, input: AddAgencyInput) -> Done:
    partnership = s.load(Partnership, input.partnership_id, "partnership_id")
    s.authorise(partnership.partnership_id, partnership)
    return Done(partnership, {"agencyId": partnership.add_agency(input.name, input.kind)})
