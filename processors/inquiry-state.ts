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

/** An inquiry and, once a matching booking is known, the booking it converted into. */
export interface Inquiry {
  orgId: string;
  inquiryId: string;
  weddingId: string | null;
  service: string;
  channel: string;
  weddingDate: string | null;
  budgetAmount: number | null;
  budgetCurrency: string | null;
  /** When the inquiry occurred. */
  receivedAt: string;
  eventId: string;
  /** The digest of its event's content (contentOf; null for inquiries stored before contents were kept). */
  content: string | null;
  convertedBookingId: string | null;
  /** When the converting booking was created. */
  convertedAt: string | null;
}

/**
 * The inquiries one batch needs (part of its ProjectionState): loaded once, changed in memory event by event, written
 * back in the batch's transaction.
 */
export class InquiryState {
  private readonly inquiries = new Map<string, Inquiry>();
  private readonly inquiriesByWedding = new Map<string, Set<string>>();
  private readonly changed = new Set<string>();

  /** Loads the inquiries the events name, and every inquiry of the weddings they create bookings for. */
  static async load(sql: SqlClient, events: ProcessedEvent[]): Promise<InquiryState> {
    const state = new InquiryState();
    const inquiryIds = new KeyPairs();
    const weddingIds = new KeyPairs();
    for (const { orgId, event } of events) {
      if (event.type === "inquiry.received") inquiryIds.add(orgId, event.data.inquiryId);
      if (event.type === "booking.created") weddingIds.add(orgId, event.data.weddingId);
    }
    if (inquiryIds.empty && weddingIds.empty) return state;
    // Read by index (see byIndex); an inquiry of another organisation of the batch read with them is never changed.
    const rows = await selectRows(sql, byIndex("inquiries", "inquiry_id", "wedding_id"), [
      distinctOrgs(inquiryIds, weddingIds),
      inquiryIds.distinctIds(),
      weddingIds.distinctIds(),
    ]);
    for (const row of rows) state.putInquiry(inquiryFromRow(row), false);
    return state;
  }

  /** An inquiry by id, if known. */
  inquiry(orgId: string, inquiryId: string): Inquiry | undefined {
    return this.inquiries.get(key(orgId, inquiryId));
  }

  /** Every known inquiry of a wedding; complete for the weddings the batch creates bookings for. */
  inquiriesOfWedding(orgId: string, weddingId: string): Inquiry[] {
    return [...(this.inquiriesByWedding.get(key(orgId, weddingId)) ?? [])].map((k) => this.inquiries.get(k)!);
  }

  /** Adds or replaces an inquiry and marks it for writing. */
  putInquiry(inquiry: Inquiry, changed = true): void {
    const k = key(inquiry.orgId, inquiry.inquiryId);
    this.inquiries.set(k, inquiry);
    if (inquiry.weddingId !== null) {
      const wedding = key(inquiry.orgId, inquiry.weddingId);
      const ofWedding = this.inquiriesByWedding.get(wedding) ?? new Set<string>();
      ofWedding.add(k);
      this.inquiriesByWedding.set(wedding, ofWedding);
    }
    if (changed) this.changed.add(k);
  }

  /** Writes every new or converted inquiry of the batch inside the caller's transaction. */
  async persist(tx: SqlQueryable): Promise<void> {
    if (this.changed.size === 0) return;
    const changed = [...this.changed].map((k) => this.inquiries.get(k)!);
    await tx.query(
      `INSERT INTO inquiries (org_id, inquiry_id, wedding_id, service, channel, wedding_date, budget_amount,
         budget_currency, received_at, event_id, converted_booking_id, converted_at, content)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::date[], $7::bigint[],
         $8::text[], $9::timestamptz[], $10::uuid[], $11::text[], $12::timestamptz[], $13::text[])
       ON CONFLICT (org_id, inquiry_id) DO UPDATE SET
         converted_booking_id = excluded.converted_booking_id, converted_at = excluded.converted_at`,
      columns(changed, [
        "orgId",
        "inquiryId",
        "weddingId",
        "service",
        "channel",
        "weddingDate",
        "budgetAmount",
        "budgetCurrency",
        "receivedAt",
        "eventId",
        "convertedBookingId",
        "convertedAt",
        "content",
      ]),
    );
  }
}

function inquiryFromRow(row: Record<string, unknown>): Inquiry {
  return {
    orgId: String(row.org_id),
    inquiryId: String(row.inquiry_id),
    weddingId: textOrNull(row.wedding_id),
    service: String(row.service),
    channel: String(row.channel),
    weddingDate: row.wedding_date === null ? null : isoDate(row.wedding_date),
    budgetAmount: numberOrNull(row.budget_amount),
    budgetCurrency: textOrNull(row.budget_currency),
    receivedAt: isoTime(row.received_at),
    eventId: String(row.event_id),
    content: textOrNull(row.content),
    convertedBookingId: textOrNull(row.converted_booking_id),
    convertedAt: row.converted_at === null ? null : isoTime(row.converted_at),
  };
}
