"""Who may read and write what, from the claims of the caller's bearer token.

| role             | reads                   | writes                                                              |
|------------------|-------------------------|---------------------------------------------------------------------|
| ADMIN            | everything              | everything, including registerPartnership                           |
| PARTNERSHIP_LEAD | its partnership         | agencies, plans, priority areas, submit/supersede/close, all action |
|                  |                         | changes, metrics, measurements, IMPROVEMENT_BOARD judgements        |
| PARTNER          | its partnership         | start, report progress on and complete its own agency's actions     |
| INSPECTOR        | everything              | inspections, findings, publication, approve/return a WSoA,          |
|                  |                         | OFSTED_CQC judgements                                               |
| MONITOR          | everything              | approve/return other plans, DFE and NHS_ENGLAND judgements          |
| AUDITOR          | everything              | nothing                                                             |
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.base import Actor
from domain.vocabulary import JudgingBody, PlanKind, Role

ADMIN, LEAD, PARTNER = Role.ADMIN, Role.PARTNERSHIP_LEAD, Role.PARTNER
INSPECTOR, MONITOR = Role.INSPECTOR, Role.MONITOR
SCOPED_ROLES = {LEAD, PARTNER}

WRITERS: dict[str, set[Role]] = {
    "registerPartnership": set(),
    "addAgency": {LEAD},
    "recordInspection": {INSPECTOR},
    "recordFinding": {INSPECTOR},
    "publishInspection": {INSPECTOR},
    "draftPlan": {LEAD},
    "addPriorityArea": {LEAD},
    "submitPlan": {LEAD},
    "supersedePlan": {LEAD},
    "closePlan": {LEAD},
    "addAction": {LEAD},
    "startAction": {LEAD, PARTNER},
    "reportActionProgress": {LEAD, PARTNER},
    "completeAction": {LEAD, PARTNER},
    "rescheduleAction": {LEAD},
    "reassignAction": {LEAD},
    "reopenAction": {LEAD},
    "cancelAction": {LEAD},
    "defineMetric": {LEAD},
    "recordMeasurement": {LEAD},
}

# Ofsted/CQC approve a Written Statement of Action; the DfE and NHS England the other plans.
def plan_approvers(kind: PlanKind) -> set[Role]:
    return {INSPECTOR} if kind == PlanKind.WRITTEN_STATEMENT_OF_ACTION else {MONITOR}


JUDGES: dict[JudgingBody, set[Role]] = {
    JudgingBody.OFSTED_CQC: {INSPECTOR},
    JudgingBody.DFE: {MONITOR},
    JudgingBody.NHS_ENGLAND: {MONITOR},
    JudgingBody.IMPROVEMENT_BOARD: {LEAD},
}


@dataclass(frozen=True)
class Principal:
    """The caller, as its token names it."""

    subject: str
    role: Role
    partnership_id: str | None = None
    agency_id: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(subject=self.subject, role=self.role, agency_id=self.agency_id)

    @property
    def readable(self) -> list[str] | None:
        """The partnerships this caller may read, or None for all of them."""
        return [self.partnership_id or ""] if self.role in SCOPED_ROLES else None

    def can_read(self, partnership_id: str) -> bool:
        return self.readable is None or partnership_id in self.readable

    def may(self, roles: set[Role], partnership_id: str | None, owner_agency_id: str | None = None) -> bool:
        if self.role == ADMIN:
            return True
        if self.role not in roles:
            return False
        if self.role in SCOPED_ROLES and partnership_id != self.partnership_id:
            return False
        return self.role != PARTNER or (owner_agency_id is not None and owner_agency_id == self.agency_id)
