import fs from "node:fs/promises";
import path from "node:path";
import { WedSyncError } from "../errors.ts";

/** One versioned migration script: `NNN_name.sql`. */
export interface MigrationFile {
  /** The number before the first underscore; migrations run in ascending order of it. */
  version: number;
  /** The file name, e.g. `001_init.sql`. */
  name: string;
  /** The script's text. */
  sql: string;
}

const MIGRATION_NAME = /^(\d+)_[A-Za-z0-9_-]+\.sql$/;

/**
 * The migration files of dir in version order. Other files are ignored; two files with one version are a mistake in
 * the repository and throw.
 */
export async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  const names = (await fs.readdir(dir)).filter((name) => MIGRATION_NAME.test(name));
  const files = await Promise.all(
    names.map(async (name) => ({
      version: Number(MIGRATION_NAME.exec(name)?.[1]),
      name,
      sql: await fs.readFile(path.join(dir, name), "utf8"),
    })),
  );
  files.sort((a, b) => a.version - b.version);
  for (let i = 1; i < files.length; i += 1) {
    const [previous, file] = [files[i - 1], files[i]] as [MigrationFile, MigrationFile];
    if (previous.version === file.version) {
      throw new WedSyncError(
        "migration_invalid",
        `migrations ${previous.name} and ${file.name} share version ${file.version}`,
      );
    }
  }
  return files;
}
