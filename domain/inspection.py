"""An Ofsted/CQC inspection of the local area: its findings and published outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import uuid4

from eventsourcing.domain import event

from domain.base import InvalidError, InvalidTransitionError, Record, check_order, effective_today, require_text
from domain.partnership import Partnership
from domain.vocabulary import OUTCOMES_OF_FRAMEWORK, FindingKind, InspectionFramework, InspectionKind, InspectionOutcome


@dataclass(frozen=True)
class Finding:
    id: str
    kind: FindingKind
    text: str


class Inspection(Record):
    @classmethod
    def record(
        cls,
        partnership: Partnership,
        framework: InspectionFramework,
        kind: InspectionKind,
        started_on: date,
        ended_on: date,
        revisit_of: Inspection | None = None,
    ) -> Inspection:
        partnership.check_exists_on(effective_today(), "partnership")
        check_order(started_on, ended_on, "ended_on", "an inspection ends on or after the day it starts")
        if kind == InspectionKind.REVISIT and revisit_of is None:
            raise InvalidError("a revisit must name the inspection it revisits", "revisit_of")
        if revisit_of is not None:
            cls.check_revisit_target(partnership.partnership_id, revisit_of, started_on)
        return cls(
            partnership_id=partnership.partnership_id,
            framework=InspectionFramework(framework),
            kind=InspectionKind(kind),
            started_on=started_on,
            ended_on=ended_on,
            revisit_of=str(revisit_of.id) if revisit_of is not None else None,
        )

    @event("InspectionRecorded")
    def __init__(
        self,
        partnership_id: str,
        framework: InspectionFramework,
        kind: InspectionKind,
        started_on: date,
        ended_on: date,
        revisit_of: str | None,
    ):
        self._partnership_id = partnership_id
        self.framework = framework
        self.kind = kind
        self.started_on = started_on
        self.ended_on = ended_on
        self.revisit_of = revisit_of
        self.findings: dict[str, Finding] = {}
        self.published_on: date | None = None
        self.outcome: InspectionOutcome | None = None

    def record_finding(self, kind: FindingKind, text: str) -> str:
        self.check_not_published("record a finding")
        self.check_exists_on(effective_today(), "inspection")
        finding_id = str(uuid4())
        self._finding_recorded(finding_id=finding_id, kind=FindingKind(kind), text=require_text(text, "text"))
        return finding_id

    @event("FindingRecorded")
    def _finding_recorded(self, finding_id: str, kind: FindingKind, text: str) -> None:
        self.findings[finding_id] = Finding(finding_id, kind, text)

    def publish(self, published_on: date, outcome: InspectionOutcome) -> None:
        self.check_not_published("publish it again")
        check_order(self.ended_on, published_on, "published_on", "an inspection is published after it ends")
        if InspectionOutcome(outcome) not in OUTCOMES_OF_FRAMEWORK[self.framework]:
            raise InvalidError(f"{outcome} is not an outcome of the {self.framework} framework", "outcome")
        self._published(published_on=published_on, outcome=InspectionOutcome(outcome))

    @event("InspectionPublished")
    def _published(self, published_on: date, outcome: InspectionOutcome) -> None:
        self.published_on = published_on
        self.outcome = outcome

    def check_not_published(self, doing: str) -> None:
        if self.published_on is not None:
            raise InvalidTransitionError(f"the inspection was published on {self.published_on}: cannot {doing}")

    def check_has_finding(self, finding_id: str, field_name: str) -> None:
        if finding_id not in self.findings:
            raise InvalidError(f"finding {finding_id} is not a finding of inspection {self.id}", field_name)

    @staticmethod
    def check_revisit_target(partnership_id: str, revisited: Inspection, started_on: date) -> None:
        if revisited.partnership_id != partnership_id:
            raise InvalidError("a revisit must name an inspection of the same partnership", "revisit_of")
        check_order(revisited.ended_on, started_on, "started_on", "a revisit starts after the inspection it revisits ends")
