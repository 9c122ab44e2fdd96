import { randomBytes } from "node:crypto";
import pg from "pg";

/** A database of its own on a Postgres server, for one benchmark run; `drop` removes it. */
export interface ScratchDatabase {
  /** The server's URL with the scratch database in place of the original one. */
  url: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database beside the one `serverUrl` names (which only serves to connect). A run that shares a
 * database with an earlier one would find that run's consumer offsets and stop: they belong to another log.
 */
export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
