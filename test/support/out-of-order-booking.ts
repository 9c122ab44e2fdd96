import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import type { App } from "../../bin/create-app.ts";
import type { WedSyncEvent } from "../../schemas/index.ts";

/** The ids of the crafted booking; its wedding falls years after any generated one, so it is alone in its months. */
export const LATE_UPDATE = {
  bookingId: "bk-late-update",
  weddingId: "w-late-update",
  supplierId: "sup-late-update",
} as const;

const event = (type: string, occurredAt: string, data: Record<string, unknown>) =>
  ({ id: randomUUID(), type, occurredAt, source: "test", data }) as WedSyncEvent;

/**
 * A booking updated out of order, in the order to post them: created at 1000, an update dated 20 January to 2000,
 * then one that arrives after it but is dated 15 January, to 3000. The latest by occurrence wins whatever arrives last
 * (DESIGN.md, guarantee 7), so the booking is worth 2000, for 150 guests, on 12 July 2031.
 */
export function outOfOrderBookingEvents(): WedSyncEvent[] {
  const { bookingId, weddingId } = LATE_UPDATE;
  return [
    event("booking.created", "2026-01-10T09:00:00Z", {
      ...LATE_UPDATE,
      service: "photography",
      weddingDate: "2031-06-14",
      guestCount: 100,
      contractValue: { amount: 1000, currency: "GBP" },
    }),
    event("booking.updated", "2026-01-20T09:00:00Z", {
      bookingId,
      weddingId,
      contractValue: { amount: 2000, currency: "GBP" },
      guestCount: 150,
      weddingDate: "2031-07-12",
    }),
    event("booking.updated", "2026-01-15T09:00:00Z", {
      bookingId,
      weddingId,
      contractValue: { amount: 3000, currency: "GBP" },
      guestCount: 90,
      weddingDate: "2031-09-13",
    }),
  ];
}

/**
 * Checks that the aggregation, seasonality, supplier performance and the receivables list agree with each other and
 * with the Postgres `bookings` row on the out-of-order booking: the update that occurred last wins everywhere.
 */
export async function expectOutOfOrderBookingAgrees(app: App, apiKey: string, orgId: string): Promise<void> {
  const { bookingId, weddingId, supplierId } = LATE_UPDATE;
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  const json = async (res: Response) => {
    const text = await res.text();
    expect(res.status, text).toBe(200);
    return (JSON.parse(text) as { data: Record<string, unknown>[] }).data;
  };
  const get = async (path: string, params: Record<string, string>) =>
    json(await app.http.request(`/v1/analytics/${path}?${new URLSearchParams(params)}`, { headers }));

  const [row] = await app.sql.query<Record<string, unknown>>(
    "SELECT contract_amount, guest_count, to_char(wedding_date, 'YYYY-MM-DD') AS wedding_date FROM bookings WHERE org_id = $1 AND booking_id = $2",
    [orgId, bookingId],
  );
  const projected = {
    contractValue: Number(row!.contract_amount),
    guests: Number(row!.guest_count),
    weddingDate: row!.wedding_date,
  };
  expect(projected).toEqual({ contractValue: 2000, guests: 150, weddingDate: "2031-07-12" });

  const aggregated = await json(
    await app.http.request("/v1/analytics/query", {
      method: "POST",
      headers,
      body: JSON.stringify({
        metrics: ["contractValue", "guests"],
        groupBy: ["wedding", "weddingMonth"],
        from: "2026-01-01",
        to: "2026-01-31",
        filters: { wedding: weddingId },
      }),
    }),
  );
  expect(aggregated).toEqual([
    {
      wedding: weddingId,
      weddingMonth: 7,
      currency: "GBP",
      contractValue: projected.contractValue,
      guests: projected.guests,
    },
  ]);

  const seasons = await get("seasonality", { from: "2031-01-01", to: "2031-12-31", by: "month" });
  expect(seasons).toEqual([
    { month: 7, currency: "GBP", bookings: 1, cancellations: 0, contractValue: projected.contractValue },
  ]);

  const suppliers = await get("supplier-performance", { from: "2026-01-10", to: "2026-01-10" });
  expect(suppliers.filter((r) => r.supplierId === supplierId)).toEqual([
    {
      supplierId,
      currency: "GBP",
      bookings: 1,
      contractValue: projected.contractValue,
      cancellations: 0,
      paymentsReceived: 0,
      refunds: 0,
      anomalies: 0,
    },
  ]);

  const owed = await get("receivables/bookings", { asOf: "2026-06-01", bucket: "over-90", limit: "1000" });
  expect(owed.filter((r) => r.bookingId === bookingId)).toEqual([
    expect.objectContaining({
      weddingDate: projected.weddingDate,
      contractValue: projected.contractValue,
      outstanding: projected.contractValue,
    }),
  ]);
}
