"""Judgements of progress, by Ofsted/CQC, the DfE, NHS England or the improvement board."""

from __future__ import annotations

from datetime import date
from typing import Optional

import strawberry

from domain.inspection import Inspection
from domain.judgement import Judgement
from domain.vocabulary import JudgingBody, ProgressJudgement, Rag
from service.authorisation import JUDGES
from service.commands import Done, Key, Scope, Text, mutation
from service.graphql.payloads import JudgementPayload
from service.mutations.common import idempotency_key


@strawberry.input(
    description="A judgement of progress: by inspectors at a revisit or monitoring inspection, the DfE, NHS England "
                "or the improvement board.")
class RecordJudgementInput:
    subject_id: strawberry.ID = strawberry.field(
        description="What is judged: a finding (a weakness or an area for priority action), a plan, a priority area "
                    "or an action.")
    body: JudgingBody = strawberry.field(
        description="Who judges; what each may judge is in the roles table (docs/roles.md).")
    made_on: date = strawberry.field(description="The day the judgement was made: the event's effective date.")
    rationale: Text = strawberry.field(description="The reasons given for it, as minuted or reported.")
    outcome: Optional[ProgressJudgement] = strawberry.field(
        default=None, description="SUFFICIENT or INSUFFICIENT progress (a revisit's or monitoring inspection's "
                                  "judgement of a finding); a judgement gives an outcome, a RAG rating or both.")
    rag: Optional[Rag] = strawberry.field(
        default=None, description="A RAG rating (a monitoring body's or board's judgement of a plan, area or action).")
    inspection_id: Optional[strawberry.ID] = strawberry.field(
        default=None, description="The revisit or monitoring inspection the judgement was made at (inspectors' "
                                  "judgements).")
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("recordJudgement", JudgementPayload, roles=JUDGES, dated_by="made_on",
          description="Record a judgement of progress on a finding, plan, priority area or action: OFSTED_CQC by an "
                      "INSPECTOR, DFE and NHS_ENGLAND by a MONITOR, IMPROVEMENT_BOARD by the PARTNERSHIP_LEAD. One "
                      "made at an inspection (`inspectionId`) is made at a REVISIT or a MONITORING inspection, is "
                      "OFSTED_CQC's, and is about a finding of the inspection it follows up: at a MONITORING "
                      "inspection, an area for priority action (a PRIORITY_ACTION finding) (INVALID otherwise).")
def record_judgement(s: Scope, input: RecordJudgementInput) -> Done:
    subject_kind, subject = s.locate(input.subject_id, "subject_id")
    s.authorise(subject.partnership_id, by=JudgingBody(input.body))
    inspection = s.load_optional(Inspection, input.inspection_id, "inspection_id")
    followed = s.load_optional(Inspection, inspection.revisit_of if inspection is not None else None, "inspection_id")
    return Done(Judgement.record(subject.partnership_id, input.subject_id, subject_kind, input.body, input.made_on,
                                 input.rationale, input.outcome, input.rag, inspection, followed))
