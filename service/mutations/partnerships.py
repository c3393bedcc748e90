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
from service.mutations.common import effective_on, expected_version, idempotency_key


@strawberry.input(description="A new local area SEND partnership.")
class RegisterPartnershipInput:
    name: Name = strawberry.field(description="The partnership's name, e.g. \"Lancashire SEND Partnership\".")
    local_authority: Name = strawberry.field(
        description="The council whose area it covers, e.g. \"Lancashire County Council\".")
    effective_on: Optional[date] = effective_on()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("registerPartnership", PartnershipPayload, roles=set(),
          description="Register a local area SEND partnership (ADMIN only).")
def register_partnership(s: Scope, input: RegisterPartnershipInput) -> Done:
    s.authorise(None)
    return Done(Partnership.register(input.name, input.local_authority))


@strawberry.input(
    description="An agency joining a partnership: the council, a health body (ICB or CCG), education, the parent "
                "carer forum.")
class AddAgencyInput:
    partnership_id: strawberry.ID = strawberry.field(description="The partnership it joins.")
    name: Name = strawberry.field(description="The agency's name, e.g. \"Lancashire and South Cumbria ICB\".")
    kind: AgencyKind = strawberry.field(description="What sort of body it is.")
    expected_version: Optional[int] = expected_version()
    effective_on: Optional[date] = effective_on()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("addAgency", PartnershipPayload, roles={LEAD},
          description="Add an agency (the council, health, education, the parent carer forum) to a partnership.")
def add_agency(s: Scope, input: AddAgencyInput) -> Done:
    partnership = s.load(Partnership, input.partnership_id, "partnership_id")
    s.authorise(partnership.partnership_id, partnership)
    return Done(partnership, {"agencyId": partnership.add_agency(input.name, input.kind)})
