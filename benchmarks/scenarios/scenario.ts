/** One measured figure of a scenario, with what it is measured in. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** The baseline figure measured in the same run, when this figure has one. */
  baseline?: { name: string; value: number };
  /** value ÷ baseline (or baseline ÷ value for latencies), so that > 1 means better than the baseline. */
  ratio?: number;
}

/** What one scenario measured, and under what conditions. */
export interface ScenarioResult {
  scenario: string;
  /** The conditions: event counts, batch sizes, connections, durations. */
  setup: Record<string, string | number>;
  figures: Figure[];
}

/** Options every scenario receives from the runner. */
export interface ScenarioOptions {
  /** Small sizes and short durations, for a CI smoke test. */
  quick: boolean;
  /** A scratch directory the scenario owns; removed after the run. */
  workDir: string;
  /** Progress lines for the console. */
  log: (line: string) => void;
}

/** Percentile (0–100) of a list of numbers, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
