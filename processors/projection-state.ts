import type { SqlClient, SqlQueryable } from "../platform/sql/sql-client.ts";
import { BookingState } from "./booking-state.ts";
import { BudgetState } from "./budget-state.ts";
import { InquiryState } from "./inquiry-state.ts";
import { RevenueTotals } from "./revenue-totals.ts";
import type { ProcessedEvent } from "./step-result.ts";

/**
 * All the Postgres state one batch projects: loaded once before the batch (only the rows its events refer to, in a
 * few multi-row queries), changed in memory event by event, written back by `persist` inside the batch's transaction
 * together with the consumer offset. Loading is read-only, so a batch that crashes before its commit is recomputed
 * from exactly the same state; and what each event sees is the state its predecessors in the log left, whether they
 * were in this batch or an earlier one, so the projection does not depend on batch boundaries.
 */
export class ProjectionState {
  private constructor(
    /** Bookings, payments and refunds. */
    readonly bookings: BookingState,
    /** Budgets and expenses. */
    readonly budgets: BudgetState,
    /** Inquiries and their conversion. */
    readonly inquiries: InquiryState,
    /** The revenue rollup's running totals (read when the batch settles, not up front: its keys depend on the batch). */
    readonly revenue: RevenueTotals,
  ) {}

  /** Loads what the given events need. */
  static async load(sql: SqlClient, events: ProcessedEvent[]): Promise<ProjectionState> {
    const [bookings, budgets, inquiries] = await Promise.all([
      BookingState.load(sql, events),
      BudgetState.load(sql, events),
      InquiryState.load(sql, events),
    ]);
    return new ProjectionState(bookings, budgets, inquiries, new RevenueTotals());
  }

  /**
   * Writes every change of the batch inside the caller's transaction: the one call that writes projected state. Every
   * statement is issued before the first answer is awaited (each persist issues all of its own before it awaits), so
   * they run in this order on the transaction's one connection without a round trip between them.
   */
  async persist(tx: SqlQueryable): Promise<void> {
    await Promise.all([
      this.bookings.persist(tx),
      this.budgets.persist(tx),
      this.inquiries.persist(tx),
      this.revenue.persist(tx),
    ]);
  }
}
