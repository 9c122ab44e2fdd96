import type { BudgetState } from "./budget-state.ts";
import { checkBusinessId } from "./business-id.ts";
import { ok, type ProcessedEvent, type StepResult } from "./step-result.ts";

/**
 * An expense id names one expense (see checkBusinessId): a second copy, or the same content under a new event id, is
 * dropped, other content under the id is a conflict, so no expense is added to a budget's spend twice. A second copy of the allocation that currently wins
 * its category is dropped too (re-applying it would change nothing but the winner's recorded offset).
 */
export function createCheckBudgetRulesStep() {
  return function checkBudgetRules({ orgId, event }: ProcessedEvent, state: BudgetState, content: string): StepResult {
    if (event.type === "expense.recorded") {
      const existing = state.expense(orgId, event.data.expenseId);
      return checkBusinessId(`expense ${event.data.expenseId}`, existing, event, content);
    }
    if (event.type === "budget.allocated") {
      const winner = state.allocationOf(orgId, event.data.weddingId, event.data.category);
      if (winner?.allocatedEventId === event.id) return { kind: "drop", reason: "already_applied" };
    }
    return ok;
  };
}
