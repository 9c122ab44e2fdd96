import { occursAfter } from "./booking-state.ts";
import type { Budget, BudgetState } from "./budget-state.ts";
import { isoTime } from "./state-sql.ts";
import type { ProcessedEvent } from "./step-result.ts";

/** The allocation fields of a row that does not hold its category's allocation. */
const NO_ALLOCATION = {
  allocatedAmount: null,
  allocatedAt: null,
  allocatedOffset: null,
  allocatedEventId: null,
} as const;

/** A budget row with nothing allocated or spent yet. */
const emptyBudget = (orgId: string, weddingId: string, category: string, currency: string): Budget => ({
  orgId,
  weddingId,
  category,
  currency,
  ...NO_ALLOCATION,
  spentAmount: 0,
});

/** The budget row of a category in a currency, empty if it has none yet. */
const budgetOf = (state: BudgetState, orgId: string, weddingId: string, category: string, currency: string) =>
  state.budget(orgId, weddingId, category, currency) ?? emptyBudget(orgId, weddingId, category, currency);

/** True when an allocation beats the winner: it occurred later, or at the same instant with a greater event id. */
function supersedes(at: string, eventId: string, winner: Budget): boolean {
  return occursAfter({ at, id: eventId }, { at: winner.allocatedAt!, id: winner.allocatedEventId! });
}

/**
 * Applies allocations and expenses to the batch's budgets. The latest allocation of a wedding's category wins (by
 * occurredAt, then event id), whatever order they arrive in; if it is in another currency than the previous
 * winner, that currency's row loses its allocation and keeps its spend. An expense adds to the spend of its
 * category in its own currency: currencies are never added together.
 */
export function createProjectWeddingBudgetsStep() {
  return function projectWeddingBudgets(
    { orgId, event, offset }: ProcessedEvent,
    state: BudgetState,
    content: string,
  ): void {
    switch (event.type) {
      case "budget.allocated": {
        const { weddingId, category, amount } = event.data;
        const at = isoTime(event.occurredAt);
        const winner = state.allocationOf(orgId, weddingId, category);
        if (winner && !supersedes(at, event.id, winner)) return;
        if (winner) state.putBudget({ ...winner, ...NO_ALLOCATION });
        const row = budgetOf(state, orgId, weddingId, category, amount.currency);
        state.putBudget({
          ...row,
          allocatedAmount: amount.amount,
          allocatedAt: at,
          allocatedOffset: offset,
          allocatedEventId: event.id,
        });
        return;
      }
      case "expense.recorded": {
        const { expenseId, weddingId, category, amount, incurredOn } = event.data;
        const { currency } = amount;
        const expense = { orgId, expenseId, weddingId, category, amount: amount.amount, currency, incurredOn };
        state.putExpense({ ...expense, eventId: event.id, content });
        const row = budgetOf(state, orgId, weddingId, category, currency);
        state.putBudget({ ...row, spentAmount: row.spentAmount + amount.amount });
        return;
      }
      default:
        return;
    }
  };
}
