import { createHash, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { POSTGRES_MIGRATIONS_DIR, migrateSql } from "../../platform/sql/migrate.ts";
import { readMigrationFiles } from "../../platform/sql/migration-files.ts";
import { createPgliteClient } from "../../platform/sql/pglite-client.ts";
import { createPgliteWorkerClient } from "../../platform/sql/pglite-worker-client.ts";
import type { SqlClient } from "../../platform/sql/sql-client.ts";

/** Which template a test database is cloned from. */
export interface TestPgliteOptions {
  /** Migrations the template has applied; null for an empty database. Default: the product's Postgres migrations. */
  migrationsDir?: string | null;
  /** Open it in a worker thread, as the product does (pglite-worker-client.ts), rather than in this thread. */
  inWorker?: boolean;
}

const building = new Map<string, Promise<string>>();

/**
 * A PGlite database in dataDir, cloned from a template: initdb (~4 s, ~800 MB) runs once per machine and set of
 * migrations, and each test database is a copy of the template's files (about a quarter of the time).
 */
export async function createTestPglite(dataDir: string, options: TestPgliteOptions = {}): Promise<SqlClient> {
  const migrationsDir = options.migrationsDir === undefined ? POSTGRES_MIGRATIONS_DIR : options.migrationsDir;
  const template = await ensureTemplate(migrationsDir);
  await fs.rm(dataDir, { recursive: true, force: true });
  await copyTree(template, dataDir);
  return options.inWorker ? createPgliteWorkerClient({ dataDir }) : createPgliteClient({ dataDir });
}

/**
 * Copies a directory of plain files and folders. All files at once: a data directory is ~1000 small files, and this
 * is 2–3 times quicker than the sequential fs.cp.
 */
async function copyTree(from: string, to: string): Promise<void> {
  await fs.mkdir(to, { recursive: true });
  const entries = await fs.readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map((entry) =>
      entry.isDirectory()
        ? copyTree(path.join(from, entry.name), path.join(to, entry.name))
        : fs.copyFile(path.join(from, entry.name), path.join(to, entry.name)),
    ),
  );
}

/**
 * The template's directory under the OS temp dir, built if missing. The name carries a hash of the PGlite version
 * and of every migration's name and text, so a changed migration gets a new template rather than a stale one.
 */
export async function ensureTemplate(migrationsDir: string | null): Promise<string> {
  const key = await templateKey(migrationsDir);
  let template = building.get(key);
  if (template === undefined) {
    template = buildTemplate(path.join(os.tmpdir(), `wedsync-pglite-template-${key}`), migrationsDir);
    building.set(key, template);
    template.catch(() => building.delete(key));
  }
  return template;
}

/** Hash of what the template's contents depend on. */
async function templateKey(migrationsDir: string | null): Promise<string> {
  const hash = createHash("sha256");
  const pgliteEntry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  hash.update(await fs.readFile(path.join(path.dirname(pgliteEntry), "..", "package.json")));
  for (const file of migrationsDir === null ? [] : await readMigrationFiles(migrationsDir)) {
    hash.update(`\0${file.name}\0${file.sql}`);
  }
  return hash.digest("hex").slice(0, 20);
}

/**
 * Builds the template in a private directory and renames it into place. Rename is atomic, so a template that exists
 * is complete; when several processes race, one rename wins and the others discard their copy. No locks to go stale.
 */
async function buildTemplate(template: string, migrationsDir: string | null): Promise<string> {
  if (await exists(template)) return template;
  const scratch = `${template}.building-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    const sql = await createPgliteClient({ dataDir: scratch });
    try {
      if (migrationsDir !== null) await migrateSql(sql, migrationsDir);
    } finally {
      await sql.close();
    }
    await fs.rename(scratch, template).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    });
    return template;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** True when path exists. */
async function exists(target: string): Promise<boolean> {
  return fs.access(target).then(
    () => true,
    () => false,
  );
}
