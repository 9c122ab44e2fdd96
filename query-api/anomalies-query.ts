import type { Row, SqlClient } from "../platform/sql/sql-client.ts";

/** Filters of the anomaly list; all optional except the organisation. */
export interface AnomalyQuery {
  orgId: string;
  kind?: string;
  status?: string;
  from?: string;
  to?: string;
  limit: number;
}

/** One anomaly as the API shows it. */
export interface AnomalyView {
  id: string;
  kind: string;
  /** What it is about: a booking id (overpayment), payment id, refund id or event id, as its kind says. */
  subject: string | null;
  severity: string;
  score: number;
  status: string;
  eventId: string;
  bookingId: string | null;
  weddingId: string | null;
  evidence: unknown;
  occurredAt: string;
  detectedAt: string;
}

/** The anomaly columns `anomalyView` reads, for the SELECT list of every query that shows anomalies. */
export const ANOMALY_VIEW_COLUMNS =
  "id, kind, subject, severity, score, status, event_id, booking_id, wedding_id, evidence, occurred_at, detected_at";

/** One `anomalies` row (with at least ANOMALY_VIEW_COLUMNS) as the API shows it. */
export function anomalyView(r: Row): AnomalyView {
  return {
    id: String(r.id),
    kind: String(r.kind),
    subject: r.subject === null || r.subject === undefined ? null : String(r.subject),
    severity: String(r.severity),
    score: Number(r.score),
    status: String(r.status),
    eventId: String(r.event_id),
    bookingId: r.booking_id === null ? null : String(r.booking_id),
    weddingId: r.wedding_id === null ? null : String(r.wedding_id),
    evidence: typeof r.evidence === "string" ? JSON.parse(r.evidence) : r.evidence,
    occurredAt: new Date(r.occurred_at as string).toISOString(),
    detectedAt: new Date(r.detected_at as string).toISOString(),
  };
}

/**
 * The organisation's anomalies, newest first; `from`/`to` are inclusive UTC dates on occurrence
 * (pinned to UTC, whatever the session's time zone).
 */
export async function queryAnomalies(sql: SqlClient, q: AnomalyQuery): Promise<AnomalyView[]> {
  const rows = await sql.query(
    `SELECT ${ANOMALY_VIEW_COLUMNS}
       FROM anomalies
      WHERE org_id = $1
        AND ($2::text IS NULL OR kind = $2)
        AND ($3::text IS NULL OR status = $3)
        AND ($4::date IS NULL OR occurred_at >= ($4::date)::timestamp AT TIME ZONE 'UTC')
        AND ($5::date IS NULL OR occurred_at < ($5::date + 1)::timestamp AT TIME ZONE 'UTC')
      ORDER BY occurred_at DESC, id
      LIMIT $6`,
    [q.orgId, q.kind ?? null, q.status ?? null, q.from ?? null, q.to ?? null, q.limit],
  );
  return rows.map(anomalyView);
}

/** Counts of the organisation's anomalies by kind and severity over inclusive UTC dates. */
export async function countAnomalies(
  sql: SqlClient,
  q: { orgId: string; from: string; to: string },
): Promise<{ kind: string; severity: string; count: number }[]> {
  const rows = await sql.query(
    `SELECT kind, severity, count(*)::int AS n FROM anomalies
      WHERE org_id = $1
        AND occurred_at >= ($2::date)::timestamp AT TIME ZONE 'UTC'
        AND occurred_at < ($3::date + 1)::timestamp AT TIME ZONE 'UTC'
      GROUP BY kind, severity ORDER BY kind, severity`,
    [q.orgId, q.from, q.to],
  );
  return rows.map((r) => ({ kind: String(r.kind), severity: String(r.severity), count: Number(r.n) }));
}
