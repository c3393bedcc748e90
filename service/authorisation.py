"""Who may read and write what, from the claims of the caller's bearer token.

Reads: a PARTNERSHIP_LEAD or PARTNER token reads its own partnership only; every
other role reads every partnership. Writes: each mutation declares the roles
that may call it (service/mutations/, summarised in docs/roles.md, which
`send-records roles` prints); ADMIN may make every change, and a PARTNER only
changes to what its own agency owns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Mapping

from domain.vocabulary import JudgingBody, PlanKind, Role

ADMIN, LEAD, PARTNER = Role.ADMIN, Role.PARTNERSHIP_LEAD, Role.PARTNER
INSPECTOR, MONITOR, AUDITOR = Role.INSPECTOR, Role.MONITOR, Role.AUDITOR
SCOPED_ROLES = {LEAD, PARTNER}


@dataclass(frozen=True)
class RolesBy:
    """Roles that depend on something the change is about: a plan's kind, the body judging."""

    what: str
    roles: Mapping[Enum, frozenset[Role]]

    def of(self, key: Any) -> frozenset[Role]:
        return self.roles[key]


# Ofsted/CQC approve a Written Statement of Action; the DfE and NHS England the other plans.
PLAN_APPROVERS = RolesBy("the plan's kind", {kind: frozenset({INSPECTOR if kind == PlanKind.WRITTEN_STATEMENT_OF_ACTION
                                                              else MONITOR}) for kind in PlanKind})
JUDGES = RolesBy("the judging body", {
    JudgingBody.OFSTED_CQC: frozenset({INSPECTOR}),
    JudgingBody.DFE: frozenset({MONITOR}),
    JudgingBody.NHS_ENGLAND: frozenset({MONITOR}),
    JudgingBody.IMPROVEMENT_BOARD: frozenset({LEAD}),
})


def article(role: Role | str) -> str:
    """'an AUDITOR token', 'a PARTNER token'."""
    return f"{'an' if str(role)[0] in 'AEIOU' else 'a'} {role} token"


@dataclass(frozen=True)
class Principal:
    """The caller, as its token names it."""

    subject: str
    role: Role
    partnership_id: str | None = None
    agency_id: str | None = None

    @property
    def actor(self) -> dict:
        """Who made a change, as every event records it (the stored events' format: keep these keys)."""
        return {"subject": self.subject, "role": str(self.role), "agencyId": self.agency_id}

    @property
    def scope(self) -> str:
        """The whole of the caller's identity, which idempotency keys are kept under."""
        return "\n".join([self.subject, str(self.role), self.partnership_id or "", self.agency_id or ""])

    @property
    def readable(self) -> list[str] | None:
        """The partnerships this caller may read, or None for all of them."""
        return [self.partnership_id or ""] if self.role in SCOPED_ROLES else None

    def can_read(self, partnership_id: str) -> bool:
        return self.readable is None or partnership_id in self.readable

    def may(self, roles: frozenset[Role] | set[Role], partnership_id: str | None, owner_agency_id: str | None = None) -> bool:
        if self.role == ADMIN:
            return True
        if self.role not in roles:
            return False
        if self.role in SCOPED_ROLES and partnership_id != self.partnership_id:
            return False
        return self.role != PARTNER or (owner_agency_id is not None and owner_agency_id == self.agency_id)
