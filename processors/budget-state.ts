import type { SqlClient, SqlQueryable } from "../platform/sql/sql-client.ts";
import {
  byIndex,
  distinctOrgs,
  KeyPairs,
  columns,
  isoDate,
  isoTime,
  numberOrNull,
  stateKey as key,
  textOrNull,
  selectRows,
} from "./state-sql.ts";
import type { ProcessedEvent } from "./step-result.ts";

/**
 * Budget against spend of one wedding's category in one currency. The allocation fields are set on the one currency
 * row of a category that holds its winning allocation, and null on the others.
 */
export interface Budget {
  orgId: string;
  weddingId: string;
  category: string;
  currency: string;
  allocatedAmount: number | null;
  /** When the winning allocation occurred. */
  allocatedAt: string | null;
  /** Where it was read in the log (kept for tracing; allocations that occurred at the same instant are ordered by event id). */
  allocatedOffset: number | null;
  allocatedEventId: string | null;
  /** Sum of the expenses of the category in this currency. */
  spentAmount: number;
}

/** One expense already added to a budget's spend. */
export interface Expense {
  orgId: string;
  expenseId: string;
  weddingId: string;
  category: string;
  amount: number;
  currency: string;
  incurredOn: string;
  eventId: string;
  /** The digest of its event's content (contentOf; null for expenses stored before contents were kept). */
  content: string | null;
}

/**
 * The budgets and expenses one batch needs (part of its ProjectionState): loaded once, changed in memory event by
 * event, written back in the batch's transaction.
 */
export class BudgetState {
  /** By (org, wedding, category), then by currency. */
  private readonly budgets = new Map<string, Map<string, Budget>>();
  private readonly expenses = new Map<string, Expense>();
  private readonly changedBudgets = new Map<string, Budget>();
  private readonly newExpenses: Expense[] = [];

  /** Loads every currency row of the categories the events allocate or spend in, and the expenses they name. */
  static async load(sql: SqlClient, events: ProcessedEvent[]): Promise<BudgetState> {
    const state = new BudgetState();
    const categories = { orgs: [] as string[], weddings: [] as string[], categories: [] as string[] };
    const expenseIds = new KeyPairs();
    for (const { orgId, event } of events) {
      if (event.type !== "budget.allocated" && event.type !== "expense.recorded") continue;
      categories.orgs.push(orgId);
      categories.weddings.push(event.data.weddingId);
      categories.categories.push(event.data.category);
      if (event.type === "expense.recorded") expenseIds.add(orgId, event.data.expenseId);
    }
    if (categories.orgs.length === 0) return state;
    // Read by index (see byIndex); a category of another wedding of the batch read with them joins nothing it changes.
    const distinct = (values: string[]) => [...new Set(values)];
    const [budgetRows, expenseRows] = await Promise.all([
      selectRows(
        sql,
        `SELECT * FROM budgets
         WHERE org_id = ANY($1::text[]) AND wedding_id = ANY($2::text[]) AND category = ANY($3::text[])`,
        [distinct(categories.orgs), distinct(categories.weddings), distinct(categories.categories)],
      ),
      expenseIds.empty
        ? []
        : selectRows(sql, byIndex("expenses", "expense_id"), [distinctOrgs(expenseIds), expenseIds.distinctIds()]),
    ]);
    for (const row of budgetRows) state.putBudget(budgetFromRow(row), false);
    for (const row of expenseRows) state.putExpense(expenseFromRow(row), false);
    return state;
  }

  /** The budget of a wedding's category in one currency, if it has one. */
  budget(orgId: string, weddingId: string, category: string, currency: string): Budget | undefined {
    return this.budgets.get(key(orgId, weddingId, category))?.get(currency);
  }

  /** The row holding the category's winning allocation, if it was ever allocated. */
  allocationOf(orgId: string, weddingId: string, category: string): Budget | undefined {
    const rows = this.budgets.get(key(orgId, weddingId, category))?.values() ?? [];
    return [...rows].find((row) => row.allocatedEventId !== null);
  }

  /** An expense by id, if already applied. */
  expense(orgId: string, expenseId: string): Expense | undefined {
    return this.expenses.get(key(orgId, expenseId));
  }

  /** Adds or replaces a budget row and marks it for writing. */
  putBudget(budget: Budget, changed = true): void {
    const category = key(budget.orgId, budget.weddingId, budget.category);
    const rows = this.budgets.get(category) ?? new Map<string, Budget>();
    rows.set(budget.currency, budget);
    this.budgets.set(category, rows);
    if (changed) this.changedBudgets.set(key(category, budget.currency), budget);
  }

  /** Records an expense and marks it for writing. */
  putExpense(expense: Expense, isNew = true): void {
    this.expenses.set(key(expense.orgId, expense.expenseId), expense);
    if (isNew) this.newExpenses.push(expense);
  }

  /**
   * Writes every change of the batch inside the caller's transaction. A row left with neither allocation nor spend
   * (its category was re-allocated in another currency) is deleted rather than kept as noise.
   */
  async persist(tx: SqlQueryable): Promise<void> {
    const writes: Promise<unknown>[] = [];
    const changed = [...this.changedBudgets.values()];
    const empty = changed.filter((b) => b.allocatedEventId === null && b.spentAmount === 0);
    const kept = changed.filter((b) => b.allocatedEventId !== null || b.spentAmount !== 0);
    if (kept.length > 0) {
      writes.push(
        tx.query(
          `INSERT INTO budgets (org_id, wedding_id, category, currency, allocated_amount, allocated_at, allocated_offset,
           allocated_event_id, spent_amount)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[],
           $7::bigint[], $8::uuid[], $9::bigint[])
         ON CONFLICT (org_id, wedding_id, category, currency) DO UPDATE SET
           allocated_amount = excluded.allocated_amount, allocated_at = excluded.allocated_at,
           allocated_offset = excluded.allocated_offset, allocated_event_id = excluded.allocated_event_id,
           spent_amount = excluded.spent_amount`,
          columns(kept, [
            "orgId",
            "weddingId",
            "category",
            "currency",
            "allocatedAmount",
            "allocatedAt",
            "allocatedOffset",
            "allocatedEventId",
            "spentAmount",
          ]),
        ),
      );
    }
    if (empty.length > 0) {
      writes.push(
        tx.query(
          `DELETE FROM budgets b
         USING unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(org_id, wedding_id, category, currency)
         WHERE b.org_id = k.org_id AND b.wedding_id = k.wedding_id AND b.category = k.category
           AND b.currency = k.currency`,
          columns(empty, ["orgId", "weddingId", "category", "currency"]),
        ),
      );
    }
    if (this.newExpenses.length > 0) {
      writes.push(
        tx.query(
          `INSERT INTO expenses (org_id, expense_id, wedding_id, category, amount, currency, incurred_on, event_id, content)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::date[],
           $8::uuid[], $9::text[])
         ON CONFLICT DO NOTHING`,
          columns(this.newExpenses, [
            "orgId",
            "expenseId",
            "weddingId",
            "category",
            "amount",
            "currency",
            "incurredOn",
            "eventId",
            "content",
          ]),
        ),
      );
    }
    await Promise.all(writes);
  }
}

function budgetFromRow(row: Record<string, unknown>): Budget {
  return {
    orgId: String(row.org_id),
    weddingId: String(row.wedding_id),
    category: String(row.category),
    currency: String(row.currency),
    allocatedAmount: numberOrNull(row.allocated_amount),
    allocatedAt: row.allocated_at === null ? null : isoTime(row.allocated_at),
    allocatedOffset: numberOrNull(row.allocated_offset),
    allocatedEventId: textOrNull(row.allocated_event_id),
    spentAmount: Number(row.spent_amount),
  };
}

function expenseFromRow(row: Record<string, unknown>): Expense {
  return {
    orgId: String(row.org_id),
    expenseId: String(row.expense_id),
    weddingId: String(row.wedding_id),
    category: String(row.category),
    amount: Number(row.amount),
    currency: String(row.currency),
    incurredOn: isoDate(row.incurred_on),
    eventId: String(row.event_id),
    content: textOrNull(row.content),
  };
}
