import { makePgSchema, type PgSchema } from "./support/pg-schema.ts";
import { describePoisonEvents } from "./support/poison-suite.ts";

const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl === undefined) {
  console.info("poison-events-pg: DATABASE_URL is not set, skipping the Postgres server variant");
}

// Each opening of the app gets the same schema of its own on the shared server, so a restart finds its state.
let schema: PgSchema | undefined;
describePoisonEvents("poison events in the log, on a Postgres server", {
  skip: databaseUrl === undefined,
  open: async () => {
    schema ??= await makePgSchema(databaseUrl!);
    return { DATABASE_URL: schema.url };
  },
  close: async () => schema?.dispose(),
});
