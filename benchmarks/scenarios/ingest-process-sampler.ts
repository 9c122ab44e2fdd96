import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times: USER_HZ, 100 on every Linux that Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/** One reading of a process: resident memory and CPU time used so far. */
export interface ProcessSample {
  atMs: number;
  rssMiB: number;
  /**
   * The part of RSS that is file pages mapped into the process: LMDB maps its files, so the log and the dedup
   * journal a run touches are counted here. The kernel may drop these pages under pressure; the rest (anonymous
   * memory: heaps, PGlite's WebAssembly memory, chDB) it cannot.
   */
  rssFileMiB: number;
  cpuSeconds: number;
}

/** Reads VmRSS, RssFile and utime+stime of a process (all its threads, chDB's included), or undefined once it is gone. */
export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const kiB = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(status)?.[1] ?? Number.NaN);
    // The command name in parentheses may hold spaces, so fields are counted after its closing ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return {
      atMs: performance.now(),
      rssMiB: kiB("VmRSS") / 1024,
      rssFileMiB: kiB("RssFile") / 1024,
      cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/** Samples a process every `intervalMs` until stopped; `samples` holds every reading so far. */
export function startProcessSampler(pid: number, intervalMs = 250): { samples: ProcessSample[]; stop: () => void } {
  const samples: ProcessSample[] = [];
  const take = () => {
    const sample = sampleProcess(pid);
    if (sample) samples.push(sample);
  };
  take();
  const timer = setInterval(take, intervalMs);
  const stop = () => {
    clearInterval(timer);
    take();
  };
  return { samples, stop };
}

/** Average CPU, in % of one core, between two moments (performance.now() ms), from the samples nearest inside them. */
export function averageCpuPercent(samples: readonly ProcessSample[], fromMs: number, toMs: number): number {
  const inside = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  if (inside.length < 2) return Number.NaN;
  const first = inside[0]!;
  const last = inside[inside.length - 1]!;
  return (100 * (last.cpuSeconds - first.cpuSeconds)) / ((last.atMs - first.atMs) / 1000);
}
