import { EventEmitter } from "node:events";
import type { Writable } from "node:stream";
import { setImmediate } from "node:timers/promises";
import type { ClickHouseClient } from "@clickhouse/client";
import ExcelJS from "exceljs";
import { WedSyncError } from "../platform/errors.ts";
import { spreadsheetMoneyFormat, toMajorUnits } from "./format-money.ts";

/** Which events to export: one organisation's accepted events on UTC calendar days `from`..`to`, both inclusive. */
export interface EventsExportQuery {
  orgId: string;
  /** First UTC calendar day, YYYY-MM-DD. */
  from: string;
  /** Last UTC calendar day, YYYY-MM-DD, inclusive. */
  to: string;
}

/**
 * One exported event as read from ClickHouse: occurred_at (epoch milliseconds), type, wedding_id, booking_id,
 * payment_id, supplier_id, service, region, amount (integer minor units), currency, id. Empty text means "not given".
 */
export type ExportedEvent = [
  occurredAtMs: number,
  type: string,
  weddingId: string,
  bookingId: string,
  paymentId: string,
  supplierId: string,
  service: string,
  region: string,
  amount: number,
  currency: string,
  id: string,
];

/** How many events one ClickHouse read returns: two pages in flight, tens of MB, whatever the export's size. */
export const EXPORT_PAGE_ROWS = 20_000;

/** Excel's 1,048,576 rows per sheet, less the header row; further events continue on a new sheet. */
export const MAX_SHEET_ROWS = 1_048_575;

// The embedded client (chdb/connection) materialises every result before `result.stream()` can read it, so one query
// streamed would hold the whole export in memory. Instead the events are read in pages, by keyset on the export's
// order (occurred_at, id): each page starts strictly after the last row of the one before, which holds on a server
// and on chDB alike and keeps memory bounded by the page. The first page's cursor is the millisecond before `from`, so
// one query text serves every page. The plain `occurred_at >=` bound repeats the cursor in a form the primary index
// (org_id, type, occurred_at, id) can use, so later pages skip the granules already exported instead of sorting them
// again. FINAL collapses replayed duplicates not yet merged away, as every query of `events` does.
const PAGE_QUERY = `
  SELECT
    toUnixTimestamp64Milli(occurred_at), type, wedding_id, booking_id, payment_id, supplier_id, service, region,
    amount, currency, toString(id)
  FROM events FINAL
  WHERE org_id = {org:String}
    AND occurred_at >= {from:Date} AND occurred_at < {to:Date} + 1
    AND occurred_at >= fromUnixTimestamp64Milli({afterMs:Int64}, 'UTC')
    AND (occurred_at, id) > (fromUnixTimestamp64Milli({afterMs:Int64}, 'UTC'), {afterId:UUID})
  ORDER BY occurred_at, id
  LIMIT {limit:UInt32}`;

const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/** One page of events after the cursor (afterMs, afterId). */
async function readPage(
  ch: ClickHouseClient,
  { orgId, from, to }: EventsExportQuery,
  afterMs: number,
  afterId: string,
  limit: number,
): Promise<ExportedEvent[]> {
  const result = await ch.query({
    query: PAGE_QUERY,
    query_params: { org: orgId, from, to, afterMs, afterId, limit },
    format: "JSONCompactEachRow",
  });
  const page = await result.json<ExportedEvent>();
  // 64-bit integers arrive as JSON numbers on both clients (see create-clickhouse.ts); Number() is the safety net.
  for (const event of page) {
    event[0] = Number(event[0]);
    event[8] = Number(event[8]);
  }
  return page;
}

/**
 * The query's events in export order (occurred_at, then id), `pageRows` at a time; see PAGE_QUERY. The next page is
 * read while the consumer works on the current one, so ClickHouse and the consumer use a core each.
 */
export async function* readEventPages(
  ch: ClickHouseClient,
  query: EventsExportQuery,
  pageRows: number = EXPORT_PAGE_ROWS,
): AsyncGenerator<ExportedEvent[]> {
  let pending = readPage(ch, query, Date.parse(`${query.from}T00:00:00.000Z`) - 1, NIL_UUID, pageRows);
  try {
    for (;;) {
      const page = await pending;
      const full = page.length === pageRows;
      if (full) {
        const last = page[page.length - 1]!;
        pending = readPage(ch, query, last[0], last[10], pageRows);
      }
      if (page.length > 0) yield page;
      if (!full) return;
    }
  } finally {
    // A consumer that stops early leaves a page read ahead: its failure, if any, no longer matters to anyone.
    pending.catch(() => undefined);
  }
}

/** The export's columns, in ExportedEvent order; money and time get their number formats per cell and column. */
const COLUMNS: Partial<ExcelJS.Column>[] = [
  { header: "Occurred at (UTC)", width: 24, style: { numFmt: "yyyy-mm-dd hh:mm:ss.000" } },
  { header: "Type", width: 20 },
  { header: "Wedding", width: 22 },
  { header: "Booking", width: 22 },
  { header: "Payment", width: 22 },
  { header: "Supplier", width: 18 },
  { header: "Service", width: 14 },
  { header: "Region", width: 18 },
  { header: "Amount", width: 16 },
  { header: "Currency", width: 10 },
  { header: "Event id", width: 38 },
];
const AMOUNT_COLUMN = 9;

/** Thrown when the destination closes before the workbook is complete (a download the client gave up on). */
export class ExportAbortedError extends WedSyncError {
  constructor(
    /** Data rows written before the destination closed. */
    readonly rows: number,
  ) {
    super("export_aborted", `the destination closed after ${rows} rows, before the export was complete`);
  }
}

/** Rows written between turns of the event loop: about 50 ms of work, so an export never stalls a server for long. */
const ROWS_PER_TURN = 1_000;

/** Uncompressed sheet XML allowed to wait for the zip before the export pauses: a few thousand rows. */
const ZIP_BACKLOG_BYTES = 4 * 2 ** 20;

/** The part of a stream's state the backlog check reads: Node's and readable-stream's Writables both have it. */
interface WritableInternals extends EventEmitter {
  _writableState: { length: number };
}

/**
 * The stream through which exceljs 4.4 feeds a sheet's XML to the zip, if it can be found. exceljs writes into it
 * without heeding backpressure (exceljs issue #734), and the zip only reads a chunk or so per turn of the event loop,
 * so a producer that does not wait piles the sheet up in memory uncompressed: about 0.5 KB a row, 350 MB and more for
 * a million rows. archiver wraps exceljs's sheet stream in a PassThrough, the first of its `pipes`. When a future
 * exceljs no longer has it, the export still works, with memory no longer bounded: a test watches for that.
 */
export function sheetZipInput(sheet: ExcelJS.Worksheet): WritableInternals | undefined {
  const input = (sheet as unknown as { stream?: { pipes?: unknown[] } }).stream?.pipes?.[0];
  const state = (input as Partial<WritableInternals> | undefined)?._writableState;
  return input instanceof EventEmitter && typeof state?.length === "number" ? (input as WritableInternals) : undefined;
}

/** Resolves at the first of the given events. */
function firstOf(...waits: [EventEmitter, string][]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const [emitter, event] of waits) emitter.off(event, done);
      resolve();
    };
    for (const [emitter, event] of waits) emitter.on(event, done);
  });
}

/**
 * Gives the event loop a turn (other requests are served, the zip moves on), waits while the zip's input or the
 * destination holds more than it should, and throws ExportAbortedError if the destination was closed meanwhile (it
 * will never drain, nor the zip feeding it).
 */
async function writable(sheet: ExcelJS.Worksheet, stream: Writable, rows: number): Promise<void> {
  await setImmediate();
  const zipInput = sheetZipInput(sheet);
  if (!stream.destroyed && zipInput !== undefined && zipInput._writableState.length > ZIP_BACKLOG_BYTES) {
    // readable-stream says `drain` once its buffer is empty, because exceljs's writes went past its high-water mark.
    await firstOf([zipInput, "drain"], [stream, "close"]);
  }
  if (!stream.destroyed && stream.writableNeedDrain) await firstOf([stream, "drain"], [stream, "close"]);
  if (stream.destroyed) throw new ExportAbortedError(rows);
}

/** Adds the n-th sheet of events: a bold header row, frozen and filterable, and the export's column formats. */
function addEventsSheet(workbook: ExcelJS.stream.xlsx.WorkbookWriter, n: number): ExcelJS.Worksheet {
  const sheet = workbook.addWorksheet(n === 1 ? "Events" : `Events (${n})`, {
    views: [{ state: "frozen", ySplit: 1 }],
  });
  sheet.columns = COLUMNS;
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: COLUMNS.length } };
  const header = sheet.getRow(1);
  header.font = { bold: true };
  header.fill = { type: "pattern", pattern: "solid", fgColor: { argb: "FFE4E7EB" } };
  header.commit();
  return sheet;
}

/** What an export wrote. */
export interface ExportSummary {
  /** Data rows, headers not counted. */
  rows: number;
  sheets: number;
}

/**
 * Writes events as an XLSX workbook to `stream` with exceljs's streaming writer: each row is committed (serialised and
 * dropped) as it is added, and rows are only added while the zip and `stream` keep up, so memory stays bounded however
 * many rows there are or however slowly the reader reads. Occurrence times are spreadsheet date-times in UTC; amounts
 * are numbers in major units with their currency's number format beside a Currency column, and events without an
 * amount leave both empty. A sheet holds at most `maxSheetRows` events; the rest continue on "Events (2)" and so on.
 * Resolves once the workbook is complete and `stream` has finished.
 */
export async function writeEventsXlsx(
  pages: AsyncIterable<ExportedEvent[]>,
  stream: Writable,
  { maxSheetRows = MAX_SHEET_ROWS }: { maxSheetRows?: number } = {},
): Promise<ExportSummary> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true });
  workbook.creator = "WedSync Analytics";
  const moneyFormats = new Map<string, string>();
  let sheets = 1;
  let sheet = addEventsSheet(workbook, sheets);
  let sheetRows = 0;
  let rows = 0;
  for await (const page of pages) {
    for (const event of page) {
      if (rows % ROWS_PER_TURN === 0) await writable(sheet, stream, rows);
      if (sheetRows === maxSheetRows) {
        // Committed before the next sheet opens: the zip takes its entries one at a time, in order.
        sheet.commit();
        sheet = addEventsSheet(workbook, ++sheets);
        sheetRows = 0;
      }
      const [occurredAtMs, type, wedding, booking, payment, supplier, service, region, amount, currency, id] = event;
      const row = sheet.addRow([
        new Date(occurredAtMs),
        type,
        wedding || null,
        booking || null,
        payment || null,
        supplier || null,
        service || null,
        region || null,
        currency === "" ? null : toMajorUnits(amount, currency),
        currency || null,
        id,
      ]);
      if (currency !== "") {
        let numFmt = moneyFormats.get(currency);
        if (numFmt === undefined) moneyFormats.set(currency, (numFmt = spreadsheetMoneyFormat(currency)));
        row.getCell(AMOUNT_COLUMN).numFmt = numFmt;
      }
      row.commit();
      sheetRows++;
      rows++;
    }
  }
  await writable(sheet, stream, rows);
  await workbook.commit();
  return { rows, sheets };
}

/** Exports the query's events from ClickHouse as an XLSX workbook to `stream`; see writeEventsXlsx. */
export function exportEventsXlsx(
  ch: ClickHouseClient,
  query: EventsExportQuery,
  stream: Writable,
): Promise<ExportSummary> {
  return writeEventsXlsx(readEventPages(ch, query), stream);
}
