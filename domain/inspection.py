"""An Ofsted/CQC inspection of the local area: its findings and published outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import uuid4

from eventsourcing.domain import event

from domain.base import InvalidError, InvalidTransitionError, Record, check_order, effective_today, require_text
from domain.partnership import Partnership
from domain.vocabulary import (
    FINDING_KINDS_OF_FRAMEWORK, OUTCOMES_OF_FRAMEWORK, FindingKind, InspectionFramework, InspectionKind, InspectionOutcome,
)

FOLLOW_UPS = {InspectionKind.REVISIT, InspectionKind.MONITORING}  # the kinds that follow up an earlier inspection


@dataclass(frozen=True)
class Finding:
    id: str
    kind: FindingKind
    text: str
    responsible_agency_ids: tuple[str, ...] = ()  # an area for priority action names the partners responsible
    about_alternative_provision: bool = False


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
        kind, framework = InspectionKind(kind), InspectionFramework(framework)
        if kind in FOLLOW_UPS and revisit_of is None:
            raise InvalidError(f"a {words(kind)} inspection must name the inspection it follows up", "revisit_of")
        if kind not in FOLLOW_UPS and revisit_of is not None:
            raise InvalidError("a full inspection follows up no other inspection: only a revisit or a monitoring "
                               "inspection names one", "revisit_of")
        if revisit_of is not None:
            cls.check_revisit_target(partnership.partnership_id, revisit_of, framework, started_on)
        if kind == InspectionKind.REVISIT and framework != InspectionFramework.LOCAL_AREA_SEND_2016:
            raise InvalidError("a revisit is a follow-up of the LOCAL_AREA_SEND_2016 framework; under AREA_SEND_2023 "
                               "the follow-up is a MONITORING inspection", "kind")
        if kind == InspectionKind.MONITORING:
            cls.check_monitoring_target(revisit_of, started_on)
        return cls(
            partnership_id=partnership.partnership_id,
            framework=framework,
            kind=kind,
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
        self.findings_on: date | None = None  # the latest day a finding took effect
        self.published_on: date | None = None
        self.outcome: InspectionOutcome | None = None

    def record_finding(self, kind: FindingKind, text: str, responsible_agency_ids: list[str] | None = None,
                       about_alternative_provision: bool = False, partnership: Partnership | None = None) -> str:
        """A finding of one of the framework's kinds; an area for priority action names the agencies of the
        partnership responsible for it (`partnership` is needed to check them), and no other finding does."""
        self.check_not_published("record a finding")
        self.check_exists_on(effective_today(), "inspection")
        kind = FindingKind(kind)
        self.check_finding_kind(kind)
        agencies = list(dict.fromkeys(responsible_agency_ids or []))
        if kind == FindingKind.PRIORITY_ACTION and not agencies:
            raise InvalidError("an area for priority action names the agencies responsible for it",
                               "responsible_agency_ids")
        if kind != FindingKind.PRIORITY_ACTION and agencies:
            raise InvalidError(f"only an area for priority action names responsible agencies, not a {words(kind)}",
                               "responsible_agency_ids")
        for agency_id in agencies:
            assert partnership is not None and partnership.partnership_id == self.partnership_id
            partnership.check_has_agency(agency_id, "responsible_agency_ids")
        finding_id = str(uuid4())
        self._finding_recorded(finding_id=finding_id, kind=kind, text=require_text(text, "text"),
                               responsible_agency_ids=agencies, about_alternative_provision=about_alternative_provision)
        return finding_id

    # The last two fields came with the 2023 framework: findings recorded before have their defaults.
    @event("FindingRecorded")
    def _finding_recorded(self, finding_id: str, kind: FindingKind, text: str, responsible_agency_ids: list | None = None,
                          about_alternative_provision: bool = False) -> None:
        self.findings[finding_id] = Finding(finding_id, kind, text, tuple(responsible_agency_ids or ()),
                                            about_alternative_provision)
        self.findings_on = max(self.findings_on or self.changed_on, self.changed_on)

    def check_finding_kind(self, kind: FindingKind) -> None:
        allowed = FINDING_KINDS_OF_FRAMEWORK[self.framework]
        if kind not in allowed:
            raise InvalidError(f"{kind} is not a finding of the {self.framework} framework, whose findings are "
                               f"{', '.join(sorted(allowed))}", "kind")

    def publish(self, published_on: date, outcome: InspectionOutcome | None = None) -> None:
        """A full inspection is published with an outcome of its framework; a monitoring inspection without one (it
        judges each area for priority action instead); a revisit with one or without."""
        self.check_not_published("publish it again")
        check_order(self.ended_on, published_on, "published_on", "an inspection is published after it ends")
        check_order(self.findings_on, published_on, "published_on",
                    "an inspection is published on or after the day its findings take effect (recordFinding's "
                    "effectiveOn, else the day it was recorded)")
        if self.kind == InspectionKind.MONITORING and outcome is not None:
            raise InvalidError("a monitoring inspection is published without an overall outcome: it judges progress "
                               "on each area for priority action", "outcome")
        if self.kind == InspectionKind.FULL and outcome is None:
            raise InvalidError("a full inspection is published with its outcome", "outcome")
        if outcome is not None and InspectionOutcome(outcome) not in OUTCOMES_OF_FRAMEWORK[self.framework]:
            raise InvalidError(f"{outcome} is not an outcome of the {self.framework} framework", "outcome")
        self._published(published_on=published_on, outcome=InspectionOutcome(outcome) if outcome is not None else None)

    @event("InspectionPublished")
    def _published(self, published_on: date, outcome: InspectionOutcome | None) -> None:
        self.published_on = published_on
        self.outcome = outcome

    def check_not_published(self, doing: str) -> None:
        if self.published_on is not None:
            raise InvalidTransitionError(f"the inspection was published on {self.published_on}: cannot {doing}")

    def check_has_finding(self, finding_id: str, field_name: str) -> None:
        if finding_id not in self.findings:
            raise InvalidError(f"finding {finding_id} is not a finding of inspection {self.id}", field_name)

    def priority_actions(self) -> list[Finding]:
        """The areas for priority action the report names, in the order they were recorded."""
        return [f for f in self.findings.values() if f.kind == FindingKind.PRIORITY_ACTION]

    @staticmethod
    def check_revisit_target(partnership_id: str, revisited: Inspection, framework: InspectionFramework,
                             started_on: date) -> None:
        if revisited.partnership_id != partnership_id:
            raise InvalidError("a follow-up inspection must name an inspection of the same partnership", "revisit_of")
        if revisited.kind != InspectionKind.FULL:
            raise InvalidError(f"a follow-up inspection follows up a full inspection, and this is a "
                               f"{words(revisited.kind)} inspection", "revisit_of")
        if revisited.framework != framework:
            raise InvalidError(f"a follow-up is under the framework of the inspection it follows up "
                               f"({revisited.framework})", "framework")
        check_order(revisited.ended_on, started_on, "started_on",
                    "a follow-up inspection starts after the inspection it follows up ends")

    @staticmethod
    def check_monitoring_target(followed: Inspection, started_on: date) -> None:
        """A monitoring inspection follows a published 2023 full inspection that found widespread or systemic
        failings, after its report."""
        if not (followed.kind == InspectionKind.FULL and followed.framework == InspectionFramework.AREA_SEND_2023
                and followed.outcome == InspectionOutcome.WIDESPREAD_SYSTEMIC_FAILINGS):
            raise InvalidError("a monitoring inspection follows a published AREA_SEND_2023 full inspection whose "
                               "outcome is WIDESPREAD_SYSTEMIC_FAILINGS", "revisit_of")
        check_order(followed.published_on, started_on, "started_on",
                    "a monitoring inspection starts after the report it follows up is published")


def words(name: str) -> str:
    """'PRIORITY_ACTION' -> 'priority action'."""
    return name.replace("_", " ").lower()
