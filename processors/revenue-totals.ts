import type { SqlClient, SqlQueryable } from "../platform/sql/sql-client.ts";
import type { Booking } from "./booking-state.ts";
import { columns, isoDate, stateKey as key } from "./state-sql.ts";
import type { ProcessedEvent } from "./step-result.ts";

/** Column order of ClickHouse `revenue_daily` rows. */
export const REVENUE_COLUMNS = [
  "org_id",
  "day",
  "service",
  "region",
  "currency",
  "log_partition",
  "bookings",
  "contract_value",
  "payments_received",
  "refunds",
  "version",
] as const;

/** What a revenue total is kept per: one organisation's UTC day, service, region and currency, in one log partition. */
interface TotalKey {
  orgId: string;
  day: string;
  service: string;
  region: string;
  currency: string;
  partition: number;
}

/** The figures of a revenue total, in integer minor units of its currency. */
interface Figures {
  bookings: number;
  contractValue: number;
  paymentsReceived: number;
  refunds: number;
}

/** One running total: the revenue of a key so far. */
export type RevenueTotal = TotalKey & Figures;

const NO_FIGURES: Figures = { bookings: 0, contractValue: 0, paymentsReceived: 0, refunds: 0 };

const utcDay = (iso: string) => new Date(iso).toISOString().slice(0, 10);

/** Where a booking's own figures count: the day it was created, its service, region and currency. */
const bookingKey = (booking: Booking, partition: number): TotalKey => ({
  orgId: booking.orgId,
  day: utcDay(booking.createdAt),
  service: booking.service,
  region: booking.region ?? "",
  currency: booking.currency,
  partition,
});

/**
 * The revenue rollup of one batch (part of its ProjectionState). Each accepted event adds what it changes to a running
 * total: a booking counts once on the day it was created, at its latest contract value (an update adds the difference
 * to that day); payments and refunds count on the day they happened under their booking's service and region. Once the
 * batch is processed and before its ClickHouse insert, the batch handler has `settle` read the touched totals from
 * Postgres and return them with the batch's figures added, as `revenue_daily` rows versioned by the batch's end offset
 * (the processing pipeline itself never reads them); `persist` writes the same totals in the batch's transaction. Totals are kept per log partition, so each has a single writer and increasing versions.
 */
export class RevenueTotals {
  private readonly deltas = new Map<string, RevenueTotal>();
  /** The end offset of the batch in each partition it covers: the version of the rows it writes there. */
  private readonly versions = new Map<number, number>();
  private settled: RevenueTotal[] | undefined;

  /** Adds what an accepted event changes, given its booking (if any) before and after the event was projected. */
  add(pe: ProcessedEvent, before: Booking | undefined, after: Booking | undefined): void {
    this.versions.set(pe.partition, Math.max(this.versions.get(pe.partition) ?? 0, pe.offset + 1));
    const { event } = pe;
    switch (event.type) {
      case "booking.created":
        if (after) this.addTo(bookingKey(after, pe.partition), { bookings: 1, contractValue: after.contractAmount });
        return;
      case "booking.updated":
        if (before && after && after.contractAmount !== before.contractAmount) {
          this.addTo(bookingKey(before, pe.partition), { contractValue: after.contractAmount - before.contractAmount });
        }
        return;
      case "payment.received":
      case "payment.refunded": {
        if (!after) return;
        const at = {
          ...bookingKey(after, pe.partition),
          day: utcDay(event.occurredAt),
          currency: event.data.amount.currency,
        };
        const amount = event.data.amount.amount;
        this.addTo(at, event.type === "payment.received" ? { paymentsReceived: amount } : { refunds: amount });
        return;
      }
      default:
        return;
    }
  }

  private addTo(at: TotalKey, figures: Partial<Figures>): void {
    const k = key(at.orgId, at.day, at.service, at.region, at.currency, String(at.partition));
    const total = this.deltas.get(k) ?? { ...at, ...NO_FIGURES };
    total.bookings += figures.bookings ?? 0;
    total.contractValue += figures.contractValue ?? 0;
    total.paymentsReceived += figures.paymentsReceived ?? 0;
    total.refunds += figures.refunds ?? 0;
    this.deltas.set(k, total);
  }

  /**
   * Reads the totals the batch touches from Postgres (read only, so a batch recomputed after a crash gets the same
   * answer) and returns the ClickHouse rows of the new totals.
   */
  async settle(sql: SqlClient): Promise<unknown[][]> {
    const touched = [...this.deltas.values()];
    const stored = new Map<string, Figures>();
    if (touched.length > 0) {
      const rows = await sql.query<Record<string, unknown>>(
        `SELECT r.* FROM revenue_daily r
         JOIN (SELECT DISTINCT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::text[], $6::int[])
               AS k(org_id, day, service, region, currency, log_partition)) k
           USING (org_id, day, service, region, currency, log_partition)`,
        columns(touched, ["orgId", "day", "service", "region", "currency", "partition"]),
      );
      for (const row of rows) {
        const k = key(
          String(row.org_id),
          isoDate(row.day),
          String(row.service),
          String(row.region),
          String(row.currency),
          String(row.log_partition),
        );
        stored.set(k, {
          bookings: Number(row.bookings),
          contractValue: Number(row.contract_value),
          paymentsReceived: Number(row.payments_received),
          refunds: Number(row.refunds),
        });
      }
    }
    return this.settleOver(stored);
  }

  /**
   * The ClickHouse rows of the new totals over no stored ones: what `settle` returns for the first batch of a log.
   * For loading rows computed outside a processor (benchmarks).
   */
  settleFromNothing(): unknown[][] {
    return this.settleOver(new Map());
  }

  private settleOver(stored: Map<string, Figures>): unknown[][] {
    this.settled = [...this.deltas].map(([k, delta]) => {
      const before = stored.get(k) ?? NO_FIGURES;
      return {
        ...delta,
        bookings: before.bookings + delta.bookings,
        contractValue: before.contractValue + delta.contractValue,
        paymentsReceived: before.paymentsReceived + delta.paymentsReceived,
        refunds: before.refunds + delta.refunds,
      };
    });
    return this.settled.map((t) => [
      t.orgId,
      t.day,
      t.service,
      t.region,
      t.currency,
      t.partition,
      t.bookings,
      t.contractValue,
      t.paymentsReceived,
      t.refunds,
      this.versions.get(t.partition)!,
    ]);
  }

  /** Writes the settled totals inside the batch's transaction. */
  async persist(tx: SqlQueryable): Promise<void> {
    if (this.deltas.size === 0) return;
    if (this.settled === undefined) throw new Error("revenue totals persisted before they were settled");
    await tx.query(
      `INSERT INTO revenue_daily (org_id, day, service, region, currency, log_partition, bookings, contract_value,
         payments_received, refunds)
       SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[],
         $8::bigint[], $9::bigint[], $10::bigint[])
       ON CONFLICT (org_id, day, service, region, currency, log_partition) DO UPDATE SET
         bookings = excluded.bookings, contract_value = excluded.contract_value,
         payments_received = excluded.payments_received, refunds = excluded.refunds`,
      columns(this.settled, [
        "orgId",
        "day",
        "service",
        "region",
        "currency",
        "partition",
        "bookings",
        "contractValue",
        "paymentsReceived",
        "refunds",
      ]),
    );
  }
}
