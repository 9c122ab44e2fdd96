import { statfs } from "node:fs/promises";
import { LogUnavailableError } from "../errors.ts";

/** How long one look at the disk's free space stands, ms: appends come far more often than free space changes. */
const LOOK_EVERY_MS = 1_000;

/** Refuses writes while the disk under a directory has less free space than a floor. */
export interface DiskFloor {
  /** Resolves when the disk has at least the floor free (as last seen, at most a second ago); rejects otherwise. */
  check(): Promise<void>;
}

const mib = (bytes: number) => `${Math.floor(bytes / 2 ** 20)} MiB`;

/**
 * The free-space floor of the embedded log. A log whose disk fills fails mid-write, and so does everything else on
 * that disk (the dedup window, the stores); refusing appends while there is still room keeps every acknowledged
 * event readable and answers producers 503 with Retry-After, which they retry once space is freed. A floor of 0 turns
 * the check off.
 */
export function createDiskFloor(path: string, minFreeBytes: number): DiskFloor {
  let seen: { at: number; free: number } | undefined;
  return {
    async check() {
      if (minFreeBytes <= 0) return;
      const now = Date.now();
      if (!seen || now - seen.at >= LOOK_EVERY_MS) {
        const stats = await statfs(path);
        seen = { at: now, free: stats.bavail * stats.bsize };
      }
      if (seen.free < minFreeBytes) {
        throw new LogUnavailableError(
          `the event log's disk has ${mib(seen.free)} free, below LOG_MIN_FREE_MB (${mib(minFreeBytes)}): ` +
            "appends resume once space is freed (or the floor lowered)",
          { details: { freeBytes: seen.free, minFreeBytes } },
        );
      }
    },
  };
}
