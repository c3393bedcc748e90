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


def action_of(s: Scope, action_id: str) -> Action:
    """The action, once the caller is found to be allowed to change it (a PARTNER only its own agency's)."""
    action = s.load(Action, action_id, "action_id")
    s.authorise(action.partnership_id, action, action.owner_agency_id)
    return action


@strawberry.input
class AddActionInput:
    plan_id: strawberry.ID
    title: Name
    owner_agency_id: strawberry.ID
    due_on: date
    priority_area_id: Optional[strawberry.ID] = None
    description: Optional[Text] = None
    lead_officer: Optional[Name] = None
    effective_on: Optional[date] = None
    idempotency_key: Optional[Key] = None


@mutation("addAction", ActionPayload, roles={LEAD},
          description="Add an action to a plan, owned by one agency of the partnership, with a lead officer and a due date.")
def add_action(s: Scope, input: AddActionInput) -> Done:
    plan = s.load(Plan, input.plan_id, "plan_id")
    s.authorise(plan.partnership_id)
    partnership = s.load(Partnership, plan.partnership_id, "plan_id")
    return Done(Action.add(plan, partnership, input.title, input.owner_agency_id, input.due_on, input.priority_area_id,
                           input.description, input.lead_officer))


@strawberry.input
class ActionChangeInput:
    action_id: strawberry.ID
    reason: Optional[Text] = None
    effective_on: Optional[date] = None
    expected_version: Optional[int] = None
    idempotency_key: Optional[Key] = None


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


@strawberry.input
class ReportActionProgressInput:
    action_id: strawberry.ID
    note: Text
    rag: Optional[Rag] = None
    effective_on: Optional[date] = None
    expected_version: Optional[int] = None
    idempotency_key: Optional[Key] = None


@mutation("reportActionProgress", ActionPayload, roles={LEAD, PARTNER},
          description="Report progress on an open action: a note, and a RAG rating if it changes.")
def report_action_progress(s: Scope, input: ReportActionProgressInput) -> Done:
    action = action_of(s, input.action_id)
    action.report_progress(input.note, input.rag)
    return Done(action)


@strawberry.input
class RescheduleActionInput:
    action_id: strawberry.ID
    due_on: date
    reason: Text
    expected_version: Optional[int] = None
    effective_on: Optional[date] = None
    idempotency_key: Optional[Key] = None


@mutation("rescheduleAction", ActionPayload, roles={LEAD}, description="Move an open action's due date, with a reason.")
def reschedule_action(s: Scope, input: RescheduleActionInput) -> Done:
    action = action_of(s, input.action_id)
    action.reschedule(input.due_on, input.reason)
    return Done(action)


@strawberry.input
class ReassignActionInput:
    action_id: strawberry.ID
    owner_agency_id: strawberry.ID
    reason: Text
    lead_officer: Optional[Name] = None
    expected_version: Optional[int] = None
    effective_on: Optional[date] = None
    idempotency_key: Optional[Key] = None


@mutation("reassignAction", ActionPayload, roles={LEAD},
          description="Give an open action to another agency of the partnership (and lead officer), with a reason.")
def reassign_action(s: Scope, input: ReassignActionInput) -> Done:
    action = action_of(s, input.action_id)
    action.reassign(s.load(Partnership, action.partnership_id, "action_id"), input.owner_agency_id, input.lead_officer,
                    input.reason)
    return Done(action)


@strawberry.input
class CompleteActionInput:
    action_id: strawberry.ID
    completed_on: date
    evidence: Annotated[list[Item], Limit(50)]
    note: Optional[Text] = None
    expected_version: Optional[int] = None
    idempotency_key: Optional[Key] = None


@mutation("completeAction", ActionPayload, roles={LEAD, PARTNER}, dated_by="completed_on",
          description="Complete an action in progress, with at least one item of evidence.")
def complete_action(s: Scope, input: CompleteActionInput) -> Done:
    action = action_of(s, input.action_id)
    action.complete(input.completed_on, input.evidence, input.note)
    return Done(action)
