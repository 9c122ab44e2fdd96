import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { POSTGRES_MIGRATIONS_DIR } from "../../platform/sql/migrate.ts";
import { readMigrationFiles } from "../../platform/sql/migration-files.ts";
import { createTestPglite, ensureTemplate } from "./pglite-template.ts";
import { makeTempDir } from "./temp-dir.ts";

describe("createTestPglite", () => {
  it("gives each test a fresh copy of a migrated template", async () => {
    const dir = await makeTempDir("wedsync-pglite-template");
    try {
      const versions = (await readMigrationFiles(POSTGRES_MIGRATIONS_DIR)).map((m) => ({ version: m.version }));
      const cloned = await createTestPglite(path.join(dir.path, "clone"));
      try {
        expect(await cloned.query("SELECT version FROM schema_migrations ORDER BY version")).toEqual(versions);
        await cloned.query("INSERT INTO organisations (id, name) VALUES ($1, $2)", ["org-1", "Rose Hall"]);
      } finally {
        await cloned.close();
      }
      const again = await createTestPglite(path.join(dir.path, "clone-2"));
      try {
        expect(await again.query("SELECT count(*) AS n FROM organisations")).toEqual([{ n: 0 }]);
      } finally {
        await again.close();
      }
    } finally {
      await dir.cleanup();
    }
  });

  it("builds a new template when the migrations change", async () => {
    const dir = await makeTempDir("wedsync-pglite-template");
    try {
      const migrations = path.join(dir.path, "migrations");
      await fs.mkdir(migrations);
      await fs.writeFile(path.join(migrations, "001_first.sql"), "CREATE TABLE first_table (id int);");
      const first = await ensureTemplate(migrations);
      await fs.writeFile(path.join(migrations, "002_second.sql"), "CREATE TABLE second_table (id int);");
      const second = await ensureTemplate(migrations);
      expect(second).not.toBe(first);

      const sql = await createTestPglite(path.join(dir.path, "db"), { migrationsDir: migrations });
      try {
        expect(await sql.query("SELECT version FROM schema_migrations ORDER BY version")).toEqual([
          { version: 1 },
          { version: 2 },
        ]);
      } finally {
        await sql.close();
      }
    } finally {
      await dir.cleanup();
    }
  });
});
