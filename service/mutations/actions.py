"""An action of a plan: adding it, and every change to it through its lifecycle."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Optional

import strawberry

from domain.action import Action
from domain.partnership import Partnership
from domain.plan import Plan
from domain.vocabulary import Rag
from service.authorisation import LEAD, PARTNER
from service.commands import Done, Item, Key, Limit, Name, Scope, Text, mutation
from service.graphql.payloads import ActionPayload
from service.mutations.common import effective_on, expected_version, idempotency_key


def action_of(s: Scope, action_id: str) -> Action:
    """The action, once the caller is found to be allowed to change it (a PARTNER only its own agency's)."""
    action = s.load(Action, action_id, "action_id")
    s.authorise(action.partnership_id, action, action.owner_agency_id)
    return action


@strawberry.input(description="A new action of a plan, owned by one agency of the partnership.")
class AddActionInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan the action belongs to.")
    title: Name = strawberry.field(description="What is to be done, in a line.")
    owner_agency_id: strawberry.ID = strawberry.field(description="The agency of the partnership that owns it.")
    due_on: date = strawberry.field(description="The day it is due: it is overdue after this day while open.")
    priority_area_id: Optional[strawberry.ID] = strawberry.field(
        default=None, description="The plan's priority area it serves.")
    description: Optional[Text] = strawberry.field(default=None, description="More about what is to be done and how.")
    lead_officer: Optional[Name] = strawberry.field(
        default=None, description="The officer of the owning agency who leads it, e.g. \"Head of SEND Services\".")
    effective_on: Optional[date] = effective_on()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("addAction", ActionPayload, roles={LEAD},
          description="Add an action to a plan, owned by one agency of the partnership, with a lead officer and a due date.")
def add_action(s: Scope, input: AddActionInput) -> Done:
    plan = s.load(Plan, input.plan_id, "plan_id")
    s.authorise(plan.partnership_id)
    partnership = s.load(Partnership, plan.partnership_id, "plan_id")
    return Done(Action.add(plan, partnership, input.title, input.owner_agency_id, input.due_on, input.priority_area_id,
                           input.description, input.lead_officer))


@strawberry.input(description="An action started, reopened or cancelled.")
class ActionChangeInput:
    action_id: strawberry.ID = strawberry.field(description="The action.")
    reason: Optional[Text] = strawberry.field(
        default=None, description="Why: required to cancel (INVALID without it), optional otherwise.")
    effective_on: Optional[date] = effective_on()
    expected_version: Optional[int] = expected_version()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("startAction", ActionPayload, roles={LEAD, PARTNER}, description="Start work on an action.")
def start_action(s: Scope, input: ActionChangeInput) -> Done:
    action = action_of(s, input.action_id)
    action.start(input.reason)
    return Done(action)


@mutation("reopenAction", ActionPayload, roles={LEAD}, description="Reopen a completed action (it is in progress again).")
def reopen_action(s: Scope, input: ActionChangeInput) -> Done:
    action = action_of(s, input.action_id)
    action.reopen(input.reason)
    return Done(action)


@mutation("cancelAction", ActionPayload, roles={LEAD}, description="Cancel an open action, with a reason.")
def cancel_action(s: Scope, input: ActionChangeInput) -> Done:
    action = action_of(s, input.action_id)
    action.cancel(input.reason)
    return Done(action)


@strawberry.input(description="A progress update on an open action, as its owner reports it.")
class ReportActionProgressInput:
    action_id: strawberry.ID = strawberry.field(description="The action.")
    note: Text = strawberry.field(description="What has been done since the last update.")
    rag: Optional[Rag] = strawberry.field(default=None, description="The owner's RAG rating of the action now.")
    effective_on: Optional[date] = effective_on()
    expected_version: Optional[int] = expected_version()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("reportActionProgress", ActionPayload, roles={LEAD, PARTNER},
          description="Report progress on an open action: a note, and a RAG rating if it changes.")
def report_action_progress(s: Scope, input: ReportActionProgressInput) -> Done:
    action = action_of(s, input.action_id)
    action.report_progress(input.note, input.rag)
    return Done(action)


@strawberry.input(description="A new due date for an open action, with the reason for it.")
class RescheduleActionInput:
    action_id: strawberry.ID = strawberry.field(description="The action.")
    due_on: date = strawberry.field(description="The new due date.")
    reason: Text = strawberry.field(description="Why the date moves (the action keeps its originalDueOn).")
    expected_version: Optional[int] = expected_version()
    effective_on: Optional[date] = effective_on()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("rescheduleAction", ActionPayload, roles={LEAD}, description="Move an open action's due date, with a reason.")
def reschedule_action(s: Scope, input: RescheduleActionInput) -> Done:
    action = action_of(s, input.action_id)
    action.reschedule(input.due_on, input.reason)
    return Done(action)


@strawberry.input(description="An open action handed to another agency of the partnership, with the reason for it.")
class ReassignActionInput:
    action_id: strawberry.ID = strawberry.field(description="The action.")
    owner_agency_id: strawberry.ID = strawberry.field(description="The agency that owns it from now on.")
    reason: Text = strawberry.field(description="Why it changes hands.")
    lead_officer: Optional[Name] = strawberry.field(
        default=None, description="Its lead officer at the new agency (absent: none named).")
    expected_version: Optional[int] = expected_version()
    effective_on: Optional[date] = effective_on()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("reassignAction", ActionPayload, roles={LEAD},
          description="Give an open action to another agency of the partnership (and lead officer), with a reason.")
def reassign_action(s: Scope, input: ReassignActionInput) -> Done:
    action = action_of(s, input.action_id)
    action.reassign(s.load(Partnership, action.partnership_id, "action_id"), input.owner_agency_id, input.lead_officer,
                    input.reason)
    return Done(action)


@strawberry.input(description="An action completed, with the evidence that it is done.")
class CompleteActionInput:
    action_id: strawberry.ID = strawberry.field(description="The action, in progress.")
    completed_on: date = strawberry.field(description="The day it was completed: the event's effective date.")
    evidence: Annotated[list[Item], Limit(50)] = strawberry.field(
        description="What shows it is done (at least one item, at most 50), e.g. a report to the improvement board or "
                    "an audit's findings.")
    note: Optional[Text] = strawberry.field(default=None, description="Anything more the owner wants to say.")
    expected_version: Optional[int] = expected_version()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("completeAction", ActionPayload, roles={LEAD, PARTNER}, dated_by="completed_on",
          description="Complete an action in progress, with at least one item of evidence.")
def complete_action(s: Scope, input: CompleteActionInput) -> Done:
    action = action_of(s, input.action_id)
    action.complete(input.completed_on, input.evidence, input.note)
    return Done(action)
