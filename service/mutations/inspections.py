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
from service.mutations.common import effective_on, expected_version, idempotency_key


@strawberry.input(description="An Ofsted/CQC inspection of the partnership's area, from its first day on site.")
class RecordInspectionInput:
    partnership_id: strawberry.ID = strawberry.field(description="The partnership inspected.")
    framework: InspectionFramework = strawberry.field(
        description="The framework it is held under: LOCAL_AREA_SEND_2016 or AREA_SEND_2023.")
    kind: InspectionKind = strawberry.field(description="FULL, REVISIT (2016) or MONITORING (2023).")
    started_on: date = strawberry.field(description="The first day of the inspection.")
    ended_on: date = strawberry.field(description="The last day of the inspection (on or after startedOn).")
    revisit_of: Optional[strawberry.ID] = strawberry.field(
        default=None, description="The inspection a REVISIT or MONITORING inspection follows up: required for both, "
                                  "refused for a FULL one. Same partnership and framework; a MONITORING inspection "
                                  "follows a published AREA_SEND_2023 FULL inspection whose outcome is "
                                  "WIDESPREAD_SYSTEMIC_FAILINGS, and starts after its report (INVALID otherwise).")
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("recordInspection", InspectionPayload, roles={INSPECTOR}, dated_by="started_on",
          description="Record an inspection of a partnership's local area: a FULL inspection, a REVISIT (2016) or a "
                      "MONITORING inspection (2023), the last two naming the inspection they follow up in `revisitOf`.")
def record_inspection(s: Scope, input: RecordInspectionInput) -> Done:
    partnership = s.load(Partnership, input.partnership_id, "partnership_id")
    s.authorise(partnership.partnership_id)
    revisited = s.load_optional(Inspection, input.revisit_of, "revisit_of")
    return Done(Inspection.record(partnership, input.framework, input.kind, input.started_on, input.ended_on, revisited))


@strawberry.input(description="A finding of an inspection, as its report words it.")
class RecordFindingInput:
    inspection_id: strawberry.ID = strawberry.field(description="The inspection that found it.")
    kind: FindingKind = strawberry.field(
        description="What the report calls it; the kinds depend on the inspection's framework (INVALID otherwise).")
    text: Text = strawberry.field(description="The finding as the report states it.")
    expected_version: Optional[int] = expected_version()
    effective_on: Optional[date] = effective_on()
    idempotency_key: Optional[Key] = idempotency_key()
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


@strawberry.input(description="The publication of an inspection's report.")
class PublishInspectionInput:
    inspection_id: strawberry.ID = strawberry.field(description="The inspection whose report is published.")
    published_on: date = strawberry.field(
        description="The day the report was published: deadlines of plans that respond to it count from it.")
    outcome: Optional[InspectionOutcome] = strawberry.field(
        default=None, description="One of the framework's outcomes: required for a FULL inspection, refused for a "
                                  "MONITORING one (published without an overall outcome), optional for a REVISIT.")
    expected_version: Optional[int] = expected_version()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("publishInspection", InspectionPayload, roles={INSPECTOR}, dated_by="published_on",
          description="Publish an inspection's report: a FULL inspection with its outcome (one of its framework's), a "
                      "MONITORING inspection without one, a REVISIT with one or without.")
def publish_inspection(s: Scope, input: PublishInspectionInput) -> Done:
    inspection = s.load(Inspection, input.inspection_id, "inspection_id")
    s.authorise(inspection.partnership_id, inspection)
    inspection.publish(input.published_on, input.outcome)
    return Done(inspection)
