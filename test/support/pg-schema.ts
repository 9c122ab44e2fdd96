import { randomBytes } from "node:crypto";
import pg from "pg";

/** A fresh schema on a Postgres server, a URL whose connections see only it, and the way to drop it. */
export interface PgSchema {
  url: string;
  dispose(): Promise<void>;
}

/** Creates a schema of its own for one test on the server at url (tests share the server, never their tables). */
export async function makePgSchema(url: string): Promise<PgSchema> {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const scoped = new URL(url);
  scoped.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: scoped.toString(),
    async dispose() {
      try {
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
