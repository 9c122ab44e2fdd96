import ExcelJS from "exceljs";
import { PDFParse } from "pdf-parse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClickHouseClient } from "../platform/clickhouse/create-clickhouse.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { openPipelineTestWorld, type PipelineTestWorld } from "../test/support/pipeline-test-world.ts";
import { createRenderReport } from "./render-report.ts";

describe("createRenderReport", () => {
  let world: PipelineTestWorld;
  let sql: SqlClient;
  let ch: ClickHouseClient;

  beforeAll(async () => {
    world = await openPipelineTestWorld("wedsync-render-report");
    ({ sql, ch } = world);
    await sql.query("INSERT INTO organisations (id, name) VALUES ('org_a', 'Rosewood Weddings')");
  });

  afterAll(async () => {
    await world?.close();
  });

  it("loads the organisation's month from the stores and renders it as a PDF", async () => {
    const rendered = await createRenderReport({ ch, sql })("org_a", {
      kind: "monthly",
      month: "2026-05",
      format: "pdf",
    });
    expect(rendered.extension).toBe("pdf");
    const parser = new PDFParse({ data: new Uint8Array(rendered.buffer) });
    try {
      const { text } = await parser.getText();
      expect(text).toContain("Rosewood Weddings");
      expect(text).toContain("2026-05");
    } finally {
      await parser.destroy();
    }
  });

  it("renders an XLSX workbook when asked for one", async () => {
    const rendered = await createRenderReport({ ch, sql })("org_a", {
      kind: "monthly",
      month: "2026-05",
      format: "xlsx",
    });
    expect(rendered.extension).toBe("xlsx");
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(rendered.buffer as unknown as ArrayBuffer);
    expect(workbook.worksheets.length).toBeGreaterThan(0);
  });
});
