import { describe, expect, it } from "vitest";
import { toMarkdown, toSvg, type BenchmarkRun } from "./results-report.ts";
import { percentile } from "./scenarios/scenario.ts";

const run: BenchmarkRun = {
  startedAt: "2026-11-22T05:00:00.000Z",
  quick: true,
  machine: { cpus: 2, cpuModel: "Test CPU", memoryGiB: 24, node: "v20.0.0" },
  results: [
    {
      scenario: "queries",
      setup: { events: 20000 },
      figures: [
        {
          name: "clickhouse_month_none_p95_ms",
          value: 12.5,
          unit: "ms",
          baseline: { name: "postgres_month_none_p95_ms", value: 250 },
          ratio: 20,
        },
        { name: "rows_per_second", value: 180000, unit: "rows/s" },
        { name: "slower", value: 2, unit: "ms", baseline: { name: "other", value: 1 }, ratio: 0.5 },
      ],
    },
  ],
};

describe("benchmark results", () => {
  it("writes one Markdown table per scenario with baselines and ratios", () => {
    const md = toMarkdown(run);
    expect(md).toContain("## queries");
    expect(md).toContain("events: 20,000");
    expect(md).toContain("| clickhouse_month_none_p95_ms | 12.5 | ms | postgres_month_none_p95_ms = 250 | 20× |");
    expect(md).toContain("| rows_per_second | 180,000 | rows/s |  |  |");
  });

  it("charts every figure that has a ratio, better and worse than its baseline", () => {
    const svg = toSvg(run);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(svg).toContain("queries: clickhouse_month_none_p95_ms");
    expect(svg).toContain("#c0504d");
  });

  it("takes nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([5], 95)).toBe(5);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });
});
