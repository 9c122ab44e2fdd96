/** Places in the data path where a test may have the process killed, to prove recovery. */
export const CRASH_POINTS = [
  "ingest.after-append",
  "process.before-clickhouse-insert",
  "process.during-clickhouse-insert",
  "process.after-clickhouse-insert",
  "process.during-postgres-commit",
  "process.after-postgres-commit",
] as const;

/** One crash point. */
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** Called when execution reaches a crash point; may kill the process. A no-op in production. */
export type CrashHook = (point: CrashPoint) => void;

/** The hook of a process started without crash points. */
export const noCrash: CrashHook = () => {};

/**
 * Test-only: a hook that SIGKILLs this process at a point with the given probability. A
 * `during-*` point schedules the kill a few milliseconds later, so it lands while the operation
 * that follows (a ClickHouse insert, a Postgres commit) is in flight.
 */
export function createCrashHook(probabilities: Partial<Record<CrashPoint, number>>): CrashHook {
  const kill = () => process.kill(process.pid, "SIGKILL");
  return function maybeCrash(point) {
    const p = probabilities[point] ?? 0;
    if (p === 0 || Math.random() >= p) return;
    if (point.includes(".during-")) setTimeout(kill, Math.random() * 5);
    else kill();
  };
}

/** Parses `point=probability,…` (e.g. `process.after-clickhouse-insert=0.05`), naming what is wrong. */
export function parseCrashPoints(spec: string): Partial<Record<CrashPoint, number>> {
  const out: Partial<Record<CrashPoint, number>> = {};
  for (const part of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, value] = part.split("=");
    if (!(CRASH_POINTS as readonly string[]).includes(name ?? "")) {
      throw new RangeError(`unknown crash point "${name}"; known: ${CRASH_POINTS.join(", ")}`);
    }
    const p = Number(value);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`crash point "${name}" needs a probability between 0 and 1`);
    out[name as CrashPoint] = p;
  }
  return out;
}
