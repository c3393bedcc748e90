"""A judgement of progress on a finding, plan, priority area or action, by one judging body.

Ofsted/CQC judge weaknesses at a revisit (sufficient or insufficient progress); the
DfE and NHS England judge plans at monitoring visits; the improvement board rates.
"""

from __future__ import annotations

from datetime import date

from eventsourcing.domain import event

from domain.base import InvalidError, Record, check_order, require_text
from domain.inspection import FOLLOW_UPS, Inspection, words
from domain.vocabulary import FindingKind, InspectionKind, JudgingBody, ProgressJudgement, Rag

SUBJECT_KINDS = ("Finding", "Plan", "PriorityArea", "Action")


class Judgement(Record):
    @classmethod
    def record(
        cls,
        partnership_id: str,
        subject_id: str,
        subject_kind: str,
        body: JudgingBody,
        made_on: date,
        rationale: str,
        outcome: ProgressJudgement | None = None,
        rag: Rag | None = None,
        inspection: Inspection | None = None,
        followed: Inspection | None = None,
    ) -> Judgement:
        """`followed`: for a monitoring inspection, the inspection it follows up."""
        if subject_kind not in SUBJECT_KINDS:
            raise InvalidError("a judgement's subject is a finding, plan, priority area or action", "subject_id")
        if outcome is None and rag is None:
            raise InvalidError("a judgement gives an outcome, a RAG rating or both", "outcome")
        if inspection is not None and inspection.partnership_id != partnership_id:
            raise InvalidError("the inspection belongs to another partnership", "inspection_id")
        if inspection is not None:
            check_order(inspection.started_on, made_on, "made_on",
                        "a judgement made at an inspection is made on or after the day the inspection starts")
        if inspection is not None:
            cls.check_follow_up_judgement(JudgingBody(body), subject_id, inspection, followed)
        return cls(
            partnership_id=partnership_id,
            subject_id=subject_id,
            subject_kind=subject_kind,
            body=JudgingBody(body),
            outcome=ProgressJudgement(outcome) if outcome else None,
            rag=Rag(rag) if rag else None,
            made_on=made_on,
            rationale=require_text(rationale, "rationale"),
            inspection_id=str(inspection.id) if inspection is not None else None,
        )

    @staticmethod
    def check_follow_up_judgement(body: JudgingBody, subject_id: str, inspection: Inspection,
                                  followed: Inspection | None) -> None:
        """Judgements made at an inspection are the inspectors' at a revisit or a monitoring inspection, on the
        inspection it follows up: a revisit judges progress on its findings, a monitoring inspection on each of its
        areas for priority action."""
        kind = words(inspection.kind)
        if inspection.kind not in FOLLOW_UPS:
            raise InvalidError(f"judgements are made at a revisit or a monitoring inspection, and this is a {kind} "
                               "inspection", "inspection_id")
        if body != JudgingBody.OFSTED_CQC:
            raise InvalidError(f"a {kind} inspection's judgements are Ofsted/CQC's (OFSTED_CQC)", "body")
        finding = followed.findings.get(subject_id) if followed is not None else None
        if inspection.kind == InspectionKind.REVISIT and finding is None:
            raise InvalidError("a revisit judges the findings of the inspection it revisits, and this is not one of "
                               "them", "subject_id")
        priority_action = finding is not None and finding.kind == FindingKind.PRIORITY_ACTION
        if inspection.kind == InspectionKind.MONITORING and not priority_action:
            raise InvalidError("a monitoring inspection judges the areas for priority action (PRIORITY_ACTION findings) "
                               "of the inspection it follows up, and this is not one of them", "subject_id")

    @event("JudgementRecorded")
    def __init__(
        self,
        partnership_id: str,
        subject_id: str,
        subject_kind: str,
        body: JudgingBody,
        outcome: ProgressJudgement | None,
        rag: Rag | None,
        made_on: date,
        rationale: str,
        inspection_id: str | None,
    ):
        self._partnership_id = partnership_id
        self.subject_id = subject_id
        self.subject_kind = subject_kind
        self.body = body
        self.outcome = outcome
        self.rag = rag
        self.made_on = made_on
        self.rationale = rationale
        self.inspection_id = inspection_id
