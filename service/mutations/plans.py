"""A plan answering an inspection (WSoA, Improvement Plan, ...): drafting it, its priority areas and its lifecycle."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Optional

import strawberry

from domain.inspection import Inspection
from domain.partnership import Partnership
from domain.plan import Plan
from domain.vocabulary import PlanKind
from service.authorisation import INSPECTOR, LEAD, MONITOR, PLAN_APPROVERS
from service.commands import Done, Item, Key, Limit, Name, Scope, Text, mutation
from service.graphql.payloads import PlanPayload
from service.mutations.common import effective_on, expected_version, idempotency_key


def plan_of(s: Scope, plan_id: str) -> Plan:
    """The plan, once the caller is found to be allowed to change it (who approves depends on its kind)."""
    plan = s.load(Plan, plan_id, "plan_id")
    s.authorise(plan.partnership_id, plan, by=plan.kind)
    return plan


@strawberry.input(
    description="A new plan of the partnership, drafted in answer to an inspection or on its own account.")
class DraftPlanInput:
    partnership_id: strawberry.ID = strawberry.field(description="The partnership whose plan it is.")
    kind: PlanKind = strawberry.field(
        description="WSoA, priority action plan, improvement plan, ...: who approves it depends on it.")
    title: Name = strawberry.field(description="The plan's title, e.g. \"Written Statement of Action 2018-2020\".")
    responds_to: Optional[strawberry.ID] = strawberry.field(
        default=None, description="The inspection the plan answers: its findings are what the priority areas address, "
                                  "and its report sets the plan's deadlines.")
    period_start: Optional[date] = strawberry.field(default=None, description="The first day the plan covers.")
    period_end: Optional[date] = strawberry.field(
        default=None, description="The last day the plan covers (on or after periodStart).")
    submission_due: Optional[date] = strawberry.field(
        default=None, description="The day the plan is due to be submitted, given by hand: it overrides the one derived "
                                  "from the inspection's report (see `Plan.submissionDueSource`).")
    effective_on: Optional[date] = effective_on()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("draftPlan", PlanPayload, roles={LEAD},
          description="Draft a plan of the partnership, responding to one of its inspections or to none. A plan "
                      "responding to a published inspection gets the deadlines its framework sets, in working days "
                      "from the report's publication (a priority action plan under AREA_SEND_2023: submitted within "
                      "35, published within 70; a WSoA under LOCAL_AREA_SEND_2016: submitted within 70).")
def draft_plan(s: Scope, input: DraftPlanInput) -> Done:
    partnership = s.load(Partnership, input.partnership_id, "partnership_id")
    s.authorise(partnership.partnership_id)
    inspection = s.load_optional(Inspection, input.responds_to, "responds_to")
    return Done(Plan.draft(partnership, input.kind, input.title, inspection, input.period_start, input.period_end,
                           input.submission_due))


@strawberry.input(
    description="A priority area of a plan: a theme of its work, addressing findings of the inspection it answers.")
class AddPriorityAreaInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan, draft or returned.")
    title: Name = strawberry.field(description="The area's title, e.g. \"Joint commissioning\".")
    addresses: Optional[Annotated[list[strawberry.ID], Limit(50)]] = strawberry.field(
        default=None, description="The findings of the plan's inspection it addresses (at most 50).")
    success_measures: Optional[Annotated[list[Item], Limit(50)]] = strawberry.field(
        default=None, description="How the partnership will know it has worked, in its own words (at most 50).")
    expected_version: Optional[int] = expected_version()
    effective_on: Optional[date] = effective_on()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("addPriorityArea", PlanPayload, roles={LEAD},
          description="Add a priority area to a draft or returned plan, addressing findings of the inspection it answers.")
def add_priority_area(s: Scope, input: AddPriorityAreaInput) -> Done:
    plan = plan_of(s, input.plan_id)
    inspection = s.load_optional(Inspection, plan.responds_to, "plan_id")
    priority_area_id = plan.add_priority_area(input.title, input.addresses or [], input.success_measures or [], inspection)
    return Done(plan, {"priorityAreaId": priority_area_id})


@strawberry.input(description="A plan moved on in its life: submitted, approved, returned or closed.")
class PlanTransitionInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    on: date = strawberry.field(description="The day it happened: the event's effective date.")
    reason: Optional[Text] = strawberry.field(
        default=None, description="Why, in a sentence or two (a return's reasons, an approval's conditions).")
    expected_version: Optional[int] = expected_version()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("submitPlan", PlanPayload, roles={LEAD}, dated_by="on",
          description="Submit a draft or returned plan for approval. A PRIORITY_ACTION_PLAN is submitted once its "
                      "priority areas address every PRIORITY_ACTION finding of the inspection it responds to (INVALID "
                      "on `planId`, naming those left).")
def submit_plan(s: Scope, input: PlanTransitionInput) -> Done:
    plan = plan_of(s, input.plan_id)
    inspection = (s.load(Inspection, plan.responds_to, "plan_id")
                  if plan.kind == PlanKind.PRIORITY_ACTION_PLAN and plan.responds_to else None)
    plan.submit(input.on, input.reason, inspection)
    return Done(plan)


def approved_by(role: str) -> str:
    """The plan kinds a role approves, from the framework's table."""
    return ", ".join(k for k, roles in PLAN_APPROVERS.roles.items() if role in roles)


@mutation("approvePlan", PlanPayload, roles=PLAN_APPROVERS, dated_by="on",
          description=f"Approve a submitted plan, by whoever approves its kind: Ofsted/CQC (INSPECTOR) for "
                      f"{approved_by(INSPECTOR)}; the DfE or NHS England (MONITOR) for {approved_by(MONITOR)}.")
def approve_plan(s: Scope, input: PlanTransitionInput) -> Done:
    plan = plan_of(s, input.plan_id)
    plan.approve(input.on, input.reason)
    return Done(plan)


@mutation("returnPlan", PlanPayload, roles=PLAN_APPROVERS, dated_by="on",
          description="Return a submitted plan for rework (by whoever approves its kind).")
def return_plan(s: Scope, input: PlanTransitionInput) -> Done:
    plan = plan_of(s, input.plan_id)
    plan.return_(input.on, input.reason)
    return Done(plan)


@mutation("closePlan", PlanPayload, roles={LEAD}, dated_by="on", description="Close an approved plan at its end.")
def close_plan(s: Scope, input: PlanTransitionInput) -> Done:
    plan = plan_of(s, input.plan_id)
    plan.close(input.on, input.reason)
    return Done(plan)


@strawberry.input(description="An approved plan replaced by a later one of the same partnership.")
class SupersedePlanInput:
    plan_id: strawberry.ID = strawberry.field(description="The approved plan replaced.")
    superseded_by: strawberry.ID = strawberry.field(description="The plan that replaces it.")
    on: date = strawberry.field(description="The day it was replaced: the event's effective date.")
    reason: Optional[Text] = strawberry.field(default=None, description="Why it was replaced.")
    expected_version: Optional[int] = expected_version()
    idempotency_key: Optional[Key] = idempotency_key()


@mutation("supersedePlan", PlanPayload, roles={LEAD}, dated_by="on",
          description="Mark an approved plan superseded by another plan of the partnership.")
def supersede_plan(s: Scope, input: SupersedePlanInput) -> Done:
    plan = plan_of(s, input.plan_id)
    plan.supersede(s.load(Plan, input.superseded_by, "superseded_by"), input.on, input.reason)
    return Done(plan)
