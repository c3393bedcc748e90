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
    revisit_of: Optional[strawberry.ID] = strawberry.field(
        default=None, description="The inspection a REVISIT or MONITORING inspection follows up: required for both, "
                                  "refused for a FULL one. Same partnership and framework; a MONITORING inspection "
                                  "follows a published AREA_SEND_2023 FULL inspection whose outcome is "
                                  "WIDESPREAD_SYSTEMIC_FAILINGS, and starts after its report (INVALID otherwise).")
    idempotency_key: Optional[Key] = None


@mutation("recordInspection", InspectionPayload, roles={INSPECTOR}, dated_by="started_on",
          description="Record an inspection of a partnership's local area: a FULL inspection, a REVISIT (2016) or a "
                      "MONITORING inspection (2023), the last two naming the inspection they follow up in `revisitOf`.")
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
    responsible_agency_ids: Optional[list[strawberry.ID]] = strawberry.field(
        default=None, description="The agencies of the partnership the report names as responsible for an area for "
                                  "priority action: required and non-empty for PRIORITY_ACTION, refused for other kinds "
                                  "(INVALID).")
    about_alternative_provision: Optional[bool] = strawberry.field(
        default=False, description="The finding is about alternative provision (education arranged outside "
                                   "mainstream and special schools).")


@mutation("recordFinding", InspectionPayload, roles={INSPECTOR},
          description="Record a finding of an inspection that is not yet published: a kind its framework's reports "
                      "make (2016: SIGNIFICANT_WEAKNESS, SIGNIFICANT_CONCERN, FUNDAMENTAL_FAILING, STRENGTH; 2023: "
                      "PRIORITY_ACTION, AREA_FOR_IMPROVEMENT, STRENGTH), else INVALID on `kind`.")
def record_finding(s: Scope, input: RecordFindingInput) -> Done:
    inspection = s.load(Inspection, input.inspection_id, "inspection_id")
    s.authorise(inspection.partnership_id, inspection)
    partnership = s.load(Partnership, inspection.partnership_id, "inspection_id") if input.responsible_agency_ids else None
    return Done(inspection, {"findingId": inspection.record_finding(input.kind, input.text, input.responsible_agency_ids,
                                                                    bool(input.about_alternative_provision), partnership)})


@strawberry.input
class PublishInspectionInput:
    inspection_id: strawberry.ID
    published_on: date
    outcome: Optional[InspectionOutcome] = strawberry.field(
        default=None, description="One of the framework's outcomes: required for a FULL inspection, refused for a "
                                  "MONITORING one (published without an overall outcome), optional for a REVISIT.")
    expected_version: Optional[int] = None
    idempotency_key: Optional[Key] = None


@mutation("publishInspection", InspectionPayload, roles={INSPECTOR}, dated_by="published_on",
          description="Publish an inspection's report: a FULL inspection with its outcome (one of its framework's), a "
                      "MONITORING inspection without one, a REVISIT with one or without.")
def publish_inspection(s: Scope, input: PublishInspectionInput) -> Done:
    inspection = s.load(Inspection, input.inspection_id, "inspection_id")
    s.authorise(inspection.partnership_id, inspection)
    inspection.publish(input.published_on, input.outcome)
    return Done(inspection)
