// Type-checked (tsc --strict) against what codegen generated: the scalars are typed, not `any` or `unknown`.
import type { CompletedSubscription, PlanStatus, PlanThenAndNowQuery } from "./generated/types.js";

export function describe(answer: PlanThenAndNowQuery): string {
  const status: PlanStatus | undefined = answer.now?.status;
  const approvedOn: string | null | undefined = answer.then?.approvedOn;
  const updatedAt: string | undefined = answer.now?.updatedAt;
  return `${status} since ${approvedOn ?? "never"}, updated ${updatedAt?.slice(0, 10)}`;
}

export function when(event: CompletedSubscription): string {
  const recordedAt: string = event.actionCompleted.recordedAt;
  const effectiveOn: string | null = event.actionCompleted.effectiveOn;
  return `${effectiveOn ?? recordedAt}`;
}
