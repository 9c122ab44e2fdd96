import { randomUUID } from "node:crypto";
import { PassThrough, Writable } from "node:stream";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClickHouse, type ClickHouseClient } from "../platform/clickhouse/create-clickhouse.ts";
import { CLICKHOUSE_MIGRATIONS_DIR, migrateClickHouse } from "../platform/clickhouse/migrate.ts";
import { makeTempDir, type TempDir } from "../test/support/temp-dir.ts";
import {
  ExportAbortedError,
  readEventPages,
  sheetZipInput,
  writeEventsXlsx,
  type EventsExportQuery,
  type ExportedEvent,
} from "./export-events-xlsx.ts";
import { spreadsheetMoneyFormat, toMajorUnits } from "./format-money.ts";

/** An `events` row as the export reads it back, keyed by id. */
interface Inserted {
  org: string;
  id: string;
  type: string;
  at: number;
  amount: number;
  currency: string;
  bookingId: string;
}

const JUNE: EventsExportQuery = { orgId: "org_a", from: "2025-06-01", to: "2025-06-30" };
const JUNE_START = Date.parse("2025-06-01T00:00:00.000Z");
const JULY_START = Date.parse("2025-07-01T00:00:00.000Z");
const TYPES = ["inquiry.received", "booking.created", "payment.received", "payment.refunded", "budget.allocated"];
const CURRENCIES = ["GBP", "JPY", "KWD", ""];

/** `count` events of one organisation: several share a millisecond, so pages also break inside ties. */
function events(org: string, count: number, at: (i: number) => number): Inserted[] {
  return Array.from({ length: count }, (_, i) => {
    const currency = CURRENCIES[i % CURRENCIES.length]!;
    return {
      org,
      id: randomUUID(),
      type: TYPES[i % TYPES.length]!,
      at: at(i),
      amount: currency === "" ? 0 : 1_000 + i * 37,
      currency,
      bookingId: i % 2 === 0 ? `bk-${i}` : "",
    };
  });
}

/** The `events` rows of these events, as the processors would write them. */
function rows(list: Inserted[]) {
  return list.map((e) => {
    const time = new Date(e.at).toISOString().replace("T", " ").replace("Z", "");
    return {
      org_id: e.org,
      id: e.id,
      type: e.type,
      occurred_at: time,
      received_at: time,
      wedding_id: `wed-${e.id.slice(0, 4)}`,
      booking_id: e.bookingId,
      service: "photography",
      region: "London",
      amount: e.amount,
      currency: e.currency,
    };
  });
}

/** Writes the pages as a workbook into memory and loads it back with exceljs's ordinary reader. */
async function workbookOf(pages: AsyncIterable<ExportedEvent[]>, maxSheetRows?: number) {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on("data", (chunk: Buffer) => chunks.push(chunk));
  const summary = await writeEventsXlsx(pages, sink, maxSheetRows === undefined ? {} : { maxSheetRows });
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
  return { summary, workbook };
}

/** The event ids of a sheet's data rows, in order. */
function idsOf(sheet: ExcelJS.Worksheet): string[] {
  const ids: string[] = [];
  sheet.eachRow((row, number) => {
    if (number > 1) ids.push(String(row.getCell(11).value));
  });
  return ids;
}

let dir: TempDir;
let ch: ClickHouseClient;
let june: Inserted[];
let juneOrder: string[];

beforeAll(async () => {
  dir = await makeTempDir("wedsync-export-events");
  ch = createClickHouse({ url: undefined, dataDir: dir.path });
  await migrateClickHouse(ch, CLICKHOUSE_MIGRATIONS_DIR);
  // 300 events across June in groups of three sharing a millisecond, the first at the month's first instant and the
  // last at its last; plus org_a's events just outside June and another organisation's inside it.
  june = events("org_a", 300, (i) =>
    i === 299 ? JULY_START - 1 : JUNE_START + Math.floor(i / 3) * 8_640_000 + (i % 3 === 0 ? 0 : 1),
  );
  const outside = events("org_a", 2, (i) => (i === 0 ? JUNE_START - 1 : JULY_START));
  const otherOrg = events("org_b", 50, (i) => JUNE_START + i * 3_600_000);
  await ch.insert({ table: "events", format: "JSONEachRow", values: rows([...june, ...outside, ...otherOrg]) });
  // A replayed event arrives again in a later insert; FINAL must collapse it, whether or not a merge has run.
  const replayed = rows([june[10]!, ...events("org_c", 1, () => JUNE_START)]);
  await ch.insert({ table: "events", format: "JSONEachRow", values: replayed });
  // The order one ClickHouse query gives, ties broken by id as ClickHouse compares UUIDs (not as their text sorts:
  // hence the alias, which ORDER BY would otherwise take for the column).
  const result = await ch.query({
    query: `SELECT toString(id) AS event_id FROM events FINAL
            WHERE org_id = 'org_a' AND occurred_at >= '2025-06-01' AND occurred_at < '2025-07-01'
            ORDER BY occurred_at, id`,
    format: "JSONEachRow",
  });
  juneOrder = (await result.json<{ event_id: string }>()).map((row) => row.event_id);
});

afterAll(async () => {
  try {
    await ch?.close();
  } finally {
    await dir?.cleanup();
  }
});

describe("readEventPages", () => {
  it("pages through the range in (occurred_at, id) order without losing or repeating an event", async () => {
    // The replayed event counts once; every event of org_a's June is there, in time order.
    expect(juneOrder).toHaveLength(300);
    expect(new Set(juneOrder)).toEqual(new Set(june.map((event) => event.id)));
    const at = new Map(june.map((event) => [event.id, event.at]));
    expect(juneOrder.every((id, i) => i === 0 || at.get(juneOrder[i - 1]!)! <= at.get(id)!)).toBe(true);
    for (const pageRows of [7, 3, 300, 1_000]) {
      const ids: string[] = [];
      const sizes: number[] = [];
      for await (const page of readEventPages(ch, JUNE, pageRows)) {
        sizes.push(page.length);
        ids.push(...page.map((event) => event[10]));
      }
      expect(ids).toEqual(juneOrder);
      expect(sizes.every((size) => size > 0 && size <= pageRows)).toBe(true);
    }
  });

  it("reads nothing for a range without events", async () => {
    const pages: ExportedEvent[][] = [];
    for await (const page of readEventPages(ch, { orgId: "org_a", from: "2024-01-01", to: "2024-12-31" })) {
      pages.push(page);
    }
    expect(pages).toEqual([]);
  });
});

describe("writeEventsXlsx", () => {
  it("exports the range in order, with amounts in major units and currency formats", async () => {
    const { summary, workbook } = await workbookOf(readEventPages(ch, JUNE, 64));
    expect(summary).toEqual({ rows: 300, sheets: 1 });
    const sheet = workbook.getWorksheet("Events")!;
    expect(sheet.rowCount).toBe(301);
    expect(sheet.getRow(1).values).toEqual([
      undefined,
      "Occurred at (UTC)",
      "Type",
      "Wedding",
      "Booking",
      "Payment",
      "Supplier",
      "Service",
      "Region",
      "Amount",
      "Currency",
      "Event id",
    ]);
    expect(sheet.getRow(1).font?.bold).toBe(true);
    expect(sheet.views).toMatchObject([{ state: "frozen", ySplit: 1 }]);
    expect(sheet.autoFilter).toBe("A1:K1");

    // Same events, same order; another organisation's and those outside the range are left out.
    expect(idsOf(sheet)).toEqual(juneOrder);
    const byId = new Map(june.map((event) => [event.id, event]));
    sheet.eachRow((row, number) => {
      if (number === 1) return;
      const event = byId.get(String(row.getCell(11).value))!;
      expect(row.getCell(1).value).toEqual(new Date(event.at));
      expect(row.getCell(1).numFmt).toBe("yyyy-mm-dd hh:mm:ss.000");
      expect(row.getCell(2).value).toBe(event.type);
      expect(row.getCell(4).value).toBe(event.bookingId === "" ? null : event.bookingId);
      if (event.currency === "") {
        expect(row.getCell(9).value).toBeNull();
        expect(row.getCell(10).value).toBeNull();
      } else {
        expect(row.getCell(9).value).toBe(toMajorUnits(event.amount, event.currency));
        expect(row.getCell(9).numFmt).toBe(spreadsheetMoneyFormat(event.currency));
        expect(row.getCell(10).value).toBe(event.currency);
      }
    });
  });

  it("gives an empty range a sheet with its header only", async () => {
    const query = { orgId: "org_nobody", from: "2025-06-01", to: "2025-06-30" };
    const { summary, workbook } = await workbookOf(readEventPages(ch, query));
    expect(summary).toEqual({ rows: 0, sheets: 1 });
    expect(workbook.getWorksheet("Events")!.rowCount).toBe(1);
  });

  it("continues on a new sheet, with its own header, when a sheet is full", async () => {
    const { summary, workbook } = await workbookOf(readEventPages(ch, JUNE, 64), 120);
    expect(summary).toEqual({ rows: 300, sheets: 3 });
    const sheets = ["Events", "Events (2)", "Events (3)"].map((name) => workbook.getWorksheet(name)!);
    expect(sheets.map((sheet) => sheet.rowCount)).toEqual([121, 121, 61]);
    for (const sheet of sheets) {
      expect(sheet.getRow(1).getCell(1).value).toBe("Occurred at (UTC)");
      expect(sheet.views).toMatchObject([{ state: "frozen", ySplit: 1 }]);
    }
    expect(sheets.flatMap(idsOf)).toEqual(juneOrder);
  });

  it("stops with ExportAbortedError when the destination closes early", async () => {
    async function* synthetic(): AsyncGenerator<ExportedEvent[]> {
      for (let page = 0; page < 10; page++) {
        yield Array.from({ length: 1_000 }, (_, i): ExportedEvent => {
          const n = page * 1_000 + i;
          const id = randomUUID();
          return [JUNE_START + n, "payment.received", "w", "b", "p", "s", "photography", "London", n, "GBP", id];
        });
      }
    }
    const gone = new Writable({
      write(_chunk, _encoding, callback) {
        callback();
        this.destroy();
      },
    });
    await expect(writeEventsXlsx(synthetic(), gone)).rejects.toBeInstanceOf(ExportAbortedError);
  });

  it("finds the stream through which exceljs feeds a sheet to the zip, so it can wait for it", () => {
    // If an exceljs upgrade changes its internals, exports still work but no longer wait for the zip, and a large one
    // holds its whole sheet in memory: this test is the alarm.
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: new PassThrough(), useStyles: true });
    const input = sheetZipInput(workbook.addWorksheet("Events"));
    expect(input).toBeDefined();
    expect(input!._writableState.length).toBe(0);
  });
});
