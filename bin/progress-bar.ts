import { Presets, SingleBar } from "cli-progress";

/** A progress bar of events on stderr, so stdout keeps only results. */
export interface ProgressBar {
  /** Shows `done` of `total` events; the first call draws the bar. */
  update(done: number, total: number): void;
  /** Draws the last state and leaves the bar's line. */
  stop(): void;
}

/**
 * A bar named `label` that counts events on stderr. Off a terminal (a pipe, CI, a test) cli-progress draws nothing,
 * so logs and results read as they would without it.
 */
export function createProgressBar(label: string): ProgressBar {
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} events | {eta_formatted} left`,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) bar.start(total, done);
      started = true;
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
