"""An Ofsted/CQC inspection: recording it, its findings, and publishing its outcome."""

from __future__ import annotations

from datetime import date
from typing import Optional

import strawberry

from domain.inspection import Inspection
from domain.partnership import Partnership
from domain.vocabulary import FindingKind, InspectionFramework, InspectionKind, InspectionOutcome
from service.authorisation import INSPECTOR
from service.commands import Done, Key, Scope, Text, mutation
from service.graphql.payloads import InspectionPayload


@strawberry.input
class RecordInspectionInput:
    partnership_id: strawberry.ID
    framework: InspectionFramework
    kind: InspectionKind
    started_on: date
    ended_on: date
    revisit_of: Optional[strawberry.ID] = None
    idempotency_key: Optional[Key] = None


@mutation("recordInspection", InspectionPayload, roles={INSPECTOR}, dated_by="started_on",
          description="Record an inspection of a partnership's local area (a revisit names the inspection it revisits).")
def record_inspection(s: Scope, input: RecordInspectionInput) -> Done:
    partnership = s.load(Partnership, input.partnership_id, "partnership_id")
    s.authorise(partnership.partnership_id)
    revisited = s.load_optional(Inspection, input.revisit_of, "revisit_of")
    return Done(Inspection.record(partnership, input.framework, input.kind, input.started_on, input.ended_on, revisited))


@strawberry.input
class RecordFindingInput:
    inspection_id: strawberry.ID
    kind: FindingKind
    text: Text
    expected_version: Optional[int] = None
    effective_on: Optional[date] = None
    idempotency_key: Optional[Key] = None


@mutation("recordFinding", InspectionPayload, roles={INSPECTOR},
          description="Record a finding of an inspection that is not yet published.")
def record_finding(s: Scope, input: RecordFindingInput) -> Done:
    inspection = s.load(Inspection, input.inspection_id, "inspection_id")
    s.authorise(inspection.partnership_id, inspection)
    return Done(inspection, {"findingId": inspection.record_finding(input.kind, input.text)})


@strawberry.input
class PublishInspectionInput:
    inspection_id: strawberry.ID
    published_on: date
    outcome: InspectionOutcome
    expected_version: Optional[int] = None
    idempotency_key: Optional[Key] = None


@mutation("publishInspection", InspectionPayload, roles={INSPECTOR}, dated_by="published_on",
          description="Publish an inspection's report with its outcome (one of its framework's).")
def publish_inspection(s: Scope, input: PublishInspectionInput) -> Done:
    inspection = s.load(Inspection, input.inspection_id, "inspection_id")
    s.authorise(inspection.partnership_id, inspection)
    inspection.publish(input.published_on, input.outcome)
    return Done(inspection)
