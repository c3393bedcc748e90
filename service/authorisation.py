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

from domain.deadlines import PLAN_TERMS
from domain.vocabulary import JudgingBody, MeetingKind, PlanKind, Role

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


JUDGES = RolesBy("the judging body", {
    JudgingBody.OFSTED_CQC: frozenset({INSPECTOR}),
    JudgingBody.DFE: frozenset({MONITOR}),
    JudgingBody.NHS_ENGLAND: frozenset({MONITOR}),
    JudgingBody.IMPROVEMENT_BOARD: frozenset({LEAD}),
})


def _approvers(kind: PlanKind) -> frozenset[Role]:
    """The roles of the bodies that approve a plan of this kind (domain/deadlines.py's PLAN_TERMS), which is the
    same under every framework: Ofsted/CQC's statutory answers to an inspection, the DfE's and NHS England's others."""
    (bodies,) = {terms.approved_by for (_, k), terms in PLAN_TERMS.items() if k == kind}
    return frozenset().union(*(JUDGES.of(body) for body in bodies))


PLAN_APPROVERS = RolesBy("the plan's kind", {kind: _approvers(kind) for kind in PlanKind})

# Who records each kind of meeting: those who hold it.
MEETING_RECORDERS = RolesBy("the meeting's kind", {
    MeetingKind.ENGAGEMENT_MEETING: frozenset({INSPECTOR}),  # Ofsted/CQC's annual engagement meetings
    MeetingKind.STOCKTAKE: frozenset({MONITOR}),  # the DfE's and NHS England's
    MeetingKind.REVIEW_MEETING: frozenset({MONITOR}),
    MeetingKind.IMPROVEMENT_BOARD: frozenset({LEAD}),  # the partnership's own
    MeetingKind.SCRUTINY_COMMITTEE: frozenset({LEAD}),  # the council's, reported by the partnership
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
