import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** A fresh directory of one test and the way to remove it. */
export interface TempDir {
  /** Absolute path of the directory. */
  readonly path: string;
  /** Removes the directory and everything in it; safe to call more than once. */
  cleanup(): Promise<void>;
}

/** Creates a fresh, empty directory under the OS temp dir, named after prefix. */
export async function makeTempDir(prefix: string): Promise<TempDir> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  return {
    path: dir,
    cleanup: () => fs.rm(dir, { recursive: true, force: true, maxRetries: 3 }),
  };
}
