import type { Logger } from "../platform/logger.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { anomalyId } from "./judge-booking.ts";
import type { AnomalyKind } from "./step-result.ts";

/** One kind of waiting reference: where it waits, what it waits for, and how its anomaly reads. */
interface Waiting {
  kind: Extract<AnomalyKind, "orphan_payment" | "orphan_refund" | "orphan_update">;
  /** SELECT of the due rows (received before $1), locked, with org_id, subject, booking_id, wedding_id, event_id,
   * occurred_at and evidence columns. */
  due: string;
}

// Each query locks the rows it finds (FOR UPDATE SKIP LOCKED): a batch linking one of them updates that row in its
// transaction, so either the batch has committed (the row no longer qualifies), or it waits for the sweep and then
// resolves the anomaly the sweep committed, or the sweep skips the row the batch holds. An orphan is never left open
// after its referent arrived.
const WAITING: Waiting[] = [
  {
    kind: "orphan_payment",
    due: `SELECT org_id, payment_id AS subject, booking_id, wedding_id, event_id, occurred_at,
            jsonb_build_object('paymentId', payment_id, 'bookingId', booking_id,
              'amount', jsonb_build_object('amount', amount, 'currency', currency), 'receivedAt', received_at) AS evidence
          FROM payments WHERE NOT linked AND received_at < $1 FOR UPDATE SKIP LOCKED`,
  },
  {
    kind: "orphan_refund",
    due: `SELECT org_id, refund_id AS subject, booking_id, wedding_id, event_id, occurred_at,
            jsonb_build_object('refundId', refund_id, 'paymentId', payment_id,
              'amount', jsonb_build_object('amount', amount, 'currency', currency), 'receivedAt', received_at) AS evidence
          FROM refunds WHERE NOT payment_known AND event_id IS NOT NULL AND received_at < $1 FOR UPDATE SKIP LOCKED`,
  },
  {
    kind: "orphan_update",
    due: `SELECT org_id, event_id::text AS subject, booking_id, wedding_id, event_id, occurred_at,
            jsonb_build_object('eventId', event_id, 'type', type, 'bookingId', booking_id, 'receivedAt', received_at)
              AS evidence
          FROM booking_changes WHERE NOT linked AND received_at < $1 FOR UPDATE SKIP LOCKED`,
  },
];

/** The orphan sweep: raises the anomalies of references still waiting after the grace period. */
export interface OrphanSweep {
  /** Raises what is due at `now`; resolves with how many anomalies it opened. */
  sweep(now?: Date): Promise<number>;
  /** Sweeps every `intervalMs` until stopped. */
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

/**
 * A payment whose booking, a refund whose payment, or an update or cancellation whose booking has not arrived is
 * counted (money) or held (changes) at once and waits for its referent; one still waiting `graceMs` after it was
 * received becomes an anomaly (orphan payment, orphan refund, orphan update). The batch that finally links it resolves
 * that anomaly (see persistAnomalies); an anomaly already raised is left as it is (ON CONFLICT DO NOTHING), so a person's
 * acknowledgement or dismissal stands.
 */
export function createOrphanSweep({
  sql,
  graceMs,
  logger,
}: {
  sql: SqlClient;
  graceMs: number;
  logger: Logger;
}): OrphanSweep {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function sweep(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - graceMs).toISOString();
    let opened = 0;
    for (const { kind, due } of WAITING) {
      const rows = await sql.transaction(async (tx) => {
        const found = await tx.query<Record<string, unknown>>(due, [before]);
        if (found.length === 0) return [];
        const column = (name: string) => found.map((row) => row[name]);
        return tx.query(
          `INSERT INTO anomalies (id, org_id, kind, subject, severity, score, event_id, booking_id, wedding_id, evidence,
             occurred_at, log_partition, log_offset, updated_at)
           SELECT k.id, k.org_id, $1, k.subject, 'medium', 1, k.event_id, k.booking_id, k.wedding_id, k.evidence,
             k.occurred_at, 0, 0, now()
           FROM unnest($2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::jsonb[],
             $9::timestamptz[]) AS k(id, org_id, subject, event_id, booking_id, wedding_id, evidence, occurred_at)
           ON CONFLICT (id) DO NOTHING
           RETURNING id`,
          [
            kind,
            found.map((row) => anomalyId(String(row.org_id), kind, String(row.subject))),
            column("org_id"),
            column("subject"),
            column("event_id"),
            column("booking_id"),
            column("wedding_id"),
            found.map((row) => JSON.stringify(row.evidence)),
            column("occurred_at"),
          ],
        );
      });
      opened += rows.length;
    }
    if (opened > 0) logger.info({ event: "processor.orphans_raised", anomalies: opened }, "orphan references flagged");
    return opened;
  }

  return {
    sweep,
    start(intervalMs) {
      timer = setInterval(() => {
        if (running !== undefined) return;
        running = sweep()
          .catch((error: unknown) =>
            logger.warn(
              { event: "processor.orphan_sweep_failed", err: error },
              "orphan sweep failed; retried next time",
            ),
          )
          .finally(() => {
            running = undefined;
          });
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
