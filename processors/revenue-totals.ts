import type { SqlClient, SqlQueryable } from "../platform/sql/sql-client.ts";
import { type BookingGroup, foldBooking } from "./booking-state.ts";
import { columns, isoDate, selectRows, stateKey as key } from "./state-sql.ts";

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
  "cancelled_bookings",
  "released_contract_value",
  "cancellation_fees",
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
  cancelledBookings: number;
  releasedContractValue: number;
  cancellationFees: number;
}

/** One running total: the revenue of a key so far. */
export type RevenueTotal = TotalKey & Figures;

const FIGURES = [
  "bookings",
  "contractValue",
  "paymentsReceived",
  "refunds",
  "cancelledBookings",
  "releasedContractValue",
  "cancellationFees",
] as const satisfies readonly (keyof Figures)[];

const NO_FIGURES: Figures = {
  bookings: 0,
  contractValue: 0,
  paymentsReceived: 0,
  refunds: 0,
  cancelledBookings: 0,
  releasedContractValue: 0,
  cancellationFees: 0,
};

const utcDay = (iso: string) => new Date(iso).toISOString().slice(0, 10);

/** What one booking id contributes to the revenue totals: figures by total key (without the partition). */
export type Contributions = Map<string, { at: Omit<TotalKey, "partition">; figures: Figures }>;

/**
 * Everything a booking id contributes to revenue, from its converged state (so the same whatever order its events
 * came in):
 * - a created booking counts once, at its current contract value, on the day it was created, under its service,
 *   region and the contract's currency (cancelled or not: the gross booked value);
 * - a cancelled one counts once more as cancelled, with the contract value it released, on the day of its counting
 *   (earliest) cancellation, and its fee in the fee's currency;
 * - every payment and refund counts on its own day in its own currency, under the booking's service and region once
 *   the booking has arrived (linked), under none until then.
 */
export function revenueOf(group: BookingGroup, booking = foldBooking(group)): Contributions {
  const out: Contributions = new Map();
  const add = (at: Omit<TotalKey, "partition">, figures: Partial<Figures>) => {
    const k = key(at.orgId, at.day, at.service, at.region, at.currency);
    const entry = out.get(k) ?? { at, figures: { ...NO_FIGURES } };
    for (const name of FIGURES) entry.figures[name] += figures[name] ?? 0;
    out.set(k, entry);
  };
  const service = booking?.service ?? "";
  const region = booking?.region ?? "";
  const { orgId } = group;
  if (booking !== undefined) {
    const created = { orgId, day: utcDay(booking.createdAt), service, region, currency: booking.currency };
    add(created, { bookings: 1, contractValue: booking.contractAmount });
    if (booking.cancelledAt !== null) {
      const day = utcDay(booking.cancelledAt);
      add({ ...created, day }, { cancelledBookings: 1, releasedContractValue: booking.contractAmount });
      add(
        { ...created, day, currency: booking.cancellationFeeCurrency! },
        { cancellationFees: booking.cancellationFee! },
      );
    }
  }
  for (const p of group.payments.values()) {
    const attrs = p.linked ? { service, region } : { service: "", region: "" };
    add({ orgId, day: utcDay(p.occurredAt), ...attrs, currency: p.currency }, { paymentsReceived: p.amount });
  }
  for (const r of group.refunds.values()) {
    // A refund stored before refunds kept their time never moves again: it is left out of before and after alike.
    if (r.occurredAt === null) continue;
    const attrs = r.linked ? { service, region } : { service: "", region: "" };
    add({ orgId, day: utcDay(r.occurredAt), ...attrs, currency: r.currency }, { refunds: r.amount });
  }
  return out;
}

/**
 * The revenue rollup of one batch (part of its ProjectionState). For each booking id the batch touches it adds the
 * difference between what the booking contributed before the batch and what it contributes after (revenueOf), so a
 * late booking moves its waiting payments from "no service" to its own, a late update changes the contract value where
 * the booking counts, and an event that changes nothing adds nothing. Once the batch is processed and before its
 * ClickHouse insert, the batch handler has `settle` read the touched totals from Postgres and return them with the
 * batch's figures added, as `revenue_daily` rows versioned by the batch's end offset (the processing pipeline itself
 * never reads them); `persist` writes the same totals in the batch's transaction. Totals are kept per log partition
 * (a booking's events share its wedding's), so each has a single writer and increasing versions.
 */
export class RevenueTotals {
  private readonly deltas = new Map<string, RevenueTotal>();
  /** The end offset of the batch in each partition it covers: the version of the rows it writes there. */
  private readonly versions = new Map<number, number>();
  private settled: RevenueTotal[] | undefined;

  /** Notes that the batch covers a partition up to (not including) `end`. */
  cover(partition: number, end: number): void {
    this.versions.set(partition, Math.max(this.versions.get(partition) ?? 0, end));
  }

  /** Adds what changed between a booking's contributions before and after the batch, to its partition's totals. */
  addChange(partition: number, before: Contributions, after: Contributions): void {
    for (const k of new Set([...before.keys(), ...after.keys()])) {
      const was = before.get(k);
      const now = after.get(k);
      const at = (now ?? was)!.at;
      const delta: Partial<Figures> = {};
      let changed = false;
      for (const name of FIGURES) {
        delta[name] = (now?.figures[name] ?? 0) - (was?.figures[name] ?? 0);
        if (delta[name] !== 0) changed = true;
      }
      if (changed) this.addTo({ ...at, partition }, delta);
    }
  }

  private addTo(at: TotalKey, figures: Partial<Figures>): void {
    const k = key(at.orgId, at.day, at.service, at.region, at.currency, String(at.partition));
    const total = this.deltas.get(k) ?? { ...at, ...NO_FIGURES };
    for (const name of FIGURES) total[name] += figures[name] ?? 0;
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
      const rows = await selectRows(
        sql,
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
          cancelledBookings: Number(row.cancelled_bookings),
          releasedContractValue: Number(row.released_contract_value),
          cancellationFees: Number(row.cancellation_fees),
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
      const total = { ...delta };
      for (const name of FIGURES) total[name] = before[name] + delta[name];
      return total;
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
      t.cancelledBookings,
      t.releasedContractValue,
      t.cancellationFees,
      this.versions.get(t.partition)!,
    ]);
  }

  /** Writes the settled totals inside the batch's transaction. */
  async persist(tx: SqlQueryable): Promise<void> {
    if (this.deltas.size === 0) return;
    if (this.settled === undefined) throw new Error("revenue totals persisted before they were settled");
    await tx.query(
      `INSERT INTO revenue_daily (org_id, day, service, region, currency, log_partition, bookings, contract_value,
         payments_received, refunds, cancelled_bookings, released_contract_value, cancellation_fees)
       SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[],
         $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[])
       ON CONFLICT (org_id, day, service, region, currency, log_partition) DO UPDATE SET
         bookings = excluded.bookings, contract_value = excluded.contract_value,
         payments_received = excluded.payments_received, refunds = excluded.refunds,
         cancelled_bookings = excluded.cancelled_bookings, released_contract_value = excluded.released_contract_value,
         cancellation_fees = excluded.cancellation_fees`,
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
        "cancelledBookings",
        "releasedContractValue",
        "cancellationFees",
      ]),
    );
  }
}
