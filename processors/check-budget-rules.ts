import type { BudgetState } from "./budget-state.ts";
import { ok, type ProcessedEvent, type StepResult } from "./step-result.ts";

/**
 * An expense id names one expense: a second copy of the same event is dropped, another event reusing the id is
 * dead-lettered, so no expense is added to a budget's spend twice. A second copy of the allocation that currently wins
 * its category is dropped too (re-applying it would change nothing but the winner's recorded offset).
 */
export function createCheckBudgetRulesStep() {
  return function checkBudgetRules({ orgId, event }: ProcessedEvent, state: BudgetState): StepResult {
    if (event.type === "expense.recorded") {
      const existing = state.expense(orgId, event.data.expenseId);
      if (!existing) return ok;
      if (existing.eventId === event.id) return { kind: "drop", reason: "already_applied" };
      return {
        kind: "deadLetter",
        reasons: ["duplicate_expense_id"],
        message: `expense ${event.data.expenseId} was already recorded by event ${existing.eventId}`,
      };
    }
    if (event.type === "budget.allocated") {
      const winner = state.allocationOf(orgId, event.data.weddingId, event.data.category);
      if (winner?.allocatedEventId === event.id) return { kind: "drop", reason: "already_applied" };
    }
    return ok;
  };
}
