"""Meetings about a partnership's progress, and the DfE's improvement notices."""

from __future__ import annotations

from datetime import date
from typing import Optional

import strawberry

from domain.action import Action
from domain.improvement_notice import ImprovementNotice
from domain.meeting import Meeting
from domain.partnership import Partnership
from domain.plan import Plan
from domain.vocabulary import MeetingKind
from service.authorisation import MEETING_RECORDERS, MONITOR
from service.commands import Done, Item, Key, Name, Scope, Text, mutation
from service.graphql.payloads import ImprovementNoticePayload, MeetingPayload
from service.mutations.common import expected_version, idempotency_key


@strawberry.input(description="A meeting as held: who attended, what was discussed and decided.")
class RecordMeetingInput:
    partnership_id: strawberry.ID = strawberry.field(description="The partnership whose progress it examined.")
    kind: MeetingKind = strawberry.field(description="What kind of meeting it was; it decides who records it.")
    held_on: date = strawberry.field(description="The day it was held (the day the record takes effect).")
    summary: Text = strawberry.field(description="What was discussed and found (required).")
    attending_agency_ids: Optional[list[strawberry.ID]] = strawberry.field(
        default=None, description="The partnership's agencies that attended (agencies of the partnership that had "
                                  "joined it by `heldOn`, else INVALID).")
    other_attendees: Optional[list[Name]] = strawberry.field(
        default=None, description="Other bodies and people attending, by name (\"DfE SEND adviser\").")
    decisions: Optional[list[Item]] = strawberry.field(default=None, description="The decisions agreed, as minuted.")
    action_ids: Optional[list[strawberry.ID]] = strawberry.field(
        default=None, description="Actions discussed: the partnership's, in the record by `heldOn` (else INVALID).")
    plan_ids: Optional[list[strawberry.ID]] = strawberry.field(
        default=None, description="Plans discussed: the partnership's, in the record by `heldOn` (else INVALID).")
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("recordMeeting", MeetingPayload, roles=MEETING_RECORDERS, dated_by="held_on",
          description="Record a meeting about the partnership's progress (MeetingRecorded), by those who hold it: an "
                      "ENGAGEMENT_MEETING by an INSPECTOR; a STOCKTAKE or REVIEW_MEETING by a MONITOR; an "
                      "IMPROVEMENT_BOARD or SCRUTINY_COMMITTEE by the PARTNERSHIP_LEAD (FORBIDDEN otherwise).")
def record_meeting(s: Scope, input: RecordMeetingInput) -> Done:
    partnership = s.load(Partnership, input.partnership_id, "partnership_id")
    s.authorise(partnership.partnership_id, by=MeetingKind(input.kind))
    actions = [s.load(Action, action_id, "action_ids") for action_id in input.action_ids or []]
    plans = [s.load(Plan, plan_id, "plan_ids") for plan_id in input.plan_ids or []]
    return Done(Meeting.record(partnership, input.kind, input.held_on, input.summary, input.attending_agency_ids or [],
                               input.other_attendees or [], input.decisions or [], actions, plans))


@strawberry.input(description="An improvement notice as the DfE issued it.")
class IssueImprovementNoticeInput:
    partnership_id: strawberry.ID = strawberry.field(description="The partnership it was issued to.")
    issued_on: date = strawberry.field(description="The day it was issued (the day the record takes effect).")
    summary: Text = strawberry.field(description="What the notice requires of the partnership (required).")
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("issueImprovementNotice", ImprovementNoticePayload, roles={MONITOR}, dated_by="issued_on",
          description="Record an improvement notice the DfE issued to a partnership (MONITOR; "
                      "ImprovementNoticeIssued). It is in force until lifted.")
def issue_improvement_notice(s: Scope, input: IssueImprovementNoticeInput) -> Done:
    partnership = s.load(Partnership, input.partnership_id, "partnership_id")
    s.authorise(partnership.partnership_id)
    return Done(ImprovementNotice.issue(partnership, input.issued_on, input.summary))


@strawberry.input(description="The lifting of an improvement notice.")
class LiftImprovementNoticeInput:
    improvement_notice_id: strawberry.ID = strawberry.field(description="The notice to lift.")
    lifted_on: date = strawberry.field(description="The day it was lifted: on or after the day it was issued.")
    reason: Text = strawberry.field(description="Why it was lifted (required).")
    expected_version: Optional[int] = expected_version()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("liftImprovementNotice", ImprovementNoticePayload, roles={MONITOR}, dated_by="lifted_on",
          description="Lift an improvement notice in force (MONITOR; ImprovementNoticeLifted), with a reason; a notice "
                      "already lifted is INVALID_TRANSITION.")
def lift_improvement_notice(s: Scope, input: LiftImprovementNoticeInput) -> Done:
    notice = s.load(ImprovementNotice, input.improvement_notice_id, "improvement_notice_id")
    s.authorise(notice.partnership_id, notice)
    notice.lift(input.lifted_on, input.reason)
    return Done(notice)
