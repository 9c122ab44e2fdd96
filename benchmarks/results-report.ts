import type { ScenarioResult } from "./scenarios/scenario.ts";

/** One benchmark run: when, where, and what every scenario measured. */
export interface BenchmarkRun {
  startedAt: string;
  quick: boolean;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  results: ScenarioResult[];
}

const fmt = (value: number) =>
  Number.isInteger(value) ? value.toLocaleString("en-GB") : value.toLocaleString("en-GB", { maximumFractionDigits: 2 });

/** The run as a Markdown document: one table per scenario, ratios beside their baselines. */
export function toMarkdown(run: BenchmarkRun): string {
  const lines = [
    `# Benchmark run ${run.startedAt}${run.quick ? " (quick)" : ""}`,
    "",
    `${run.machine.cpus} × ${run.machine.cpuModel}, ${run.machine.memoryGiB} GiB, Node ${run.machine.node}`,
  ];
  for (const result of run.results) {
    lines.push("", `## ${result.scenario}`, "");
    const setup = Object.entries(result.setup).map(([k, v]) => `${k}: ${typeof v === "number" ? fmt(v) : v}`);
    if (setup.length > 0) lines.push(setup.join(" · "), "");
    lines.push("| figure | value | unit | baseline | ratio |", "|---|---:|---|---|---:|");
    for (const f of result.figures) {
      const baseline = f.baseline ? `${f.baseline.name} = ${fmt(f.baseline.value)}` : "";
      const ratio = f.ratio === undefined ? "" : `${fmt(f.ratio)}×`;
      lines.push(`| ${f.name} | ${fmt(f.value)} | ${f.unit} | ${baseline} | ${ratio} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * A horizontal bar chart of every figure that has a ratio to its baseline (log scale, 1× marked),
 * as a standalone SVG.
 */
export function toSvg(run: BenchmarkRun): string {
  const bars = run.results.flatMap((r) =>
    r.figures
      .filter((f) => f.ratio !== undefined && f.ratio > 0)
      .map((f) => ({ label: `${r.scenario}: ${f.name}`, ratio: f.ratio! })),
  );
  const rowHeight = 22;
  const left = 360;
  const width = 760;
  const plot = width - left - 60;
  const height = 50 + Math.max(1, bars.length) * rowHeight;
  const maxLog = Math.max(1, ...bars.map((b) => Math.abs(Math.log10(b.ratio))));
  const x = (ratio: number) => left + plot / 2 + (Math.log10(ratio) / maxLog) * (plot / 2);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(`Ratios to baseline (log scale), ${run.startedAt}`)}</text>`,
    `<line x1="${x(1)}" y1="30" x2="${x(1)}" y2="${height - 10}" stroke="#888" stroke-dasharray="3,3"/>`,
    `<text x="${x(1) + 3}" y="40" fill="#888">1×</text>`,
  ];
  bars.forEach((bar, i) => {
    const y = 45 + i * rowHeight;
    const x0 = Math.min(x(1), x(bar.ratio));
    const w = Math.max(1, Math.abs(x(bar.ratio) - x(1)));
    parts.push(
      `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${x0}" y="${y + 3}" width="${w}" height="${rowHeight - 8}" fill="${bar.ratio >= 1 ? "#2f6f9f" : "#c0504d"}"/>`,
      `<text x="${Math.max(x(1), x(bar.ratio)) + 4}" y="${y + 14}">${escapeXml(fmt(bar.ratio))}×</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
