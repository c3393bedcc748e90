"""A judgement of progress on a finding, plan, priority area or action, by one judging body.

Ofsted/CQC judge weaknesses at a revisit (sufficient or insufficient progress); the
DfE and NHS England judge plans at monitoring visits; the improvement board rates.
"""

from __future__ import annotations

from datetime import date

from eventsourcing.domain import event

from domain.base import InvalidError, Record, require_text
from domain.inspection import Inspection
from domain.vocabulary import JudgingBody, ProgressJudgement, Rag

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
    ) -> Judgement:
        if subject_kind not in SUBJECT_KINDS:
            raise InvalidError("a judgement's subject is a finding, plan, priority area or action", "subject_id")
        if outcome is None and rag is None:
            raise InvalidError("a judgement gives an outcome, a RAG rating or both", "outcome")
        if inspection is not None and inspection.partnership_id != partnership_id:
            raise InvalidError("the inspection belongs to another partnership", "inspection_id")
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
