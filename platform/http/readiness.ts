import type { ClickHouseClient } from "@clickhouse/client";
import type { EventLog } from "../event-log/event-log.ts";
import type { SqlClient } from "../sql/sql-client.ts";
import type { HealthChecks } from "./create-http-app.ts";

/**
 * One readiness probe: resolves with nothing while its part is ready, or with a sentence saying why it is not. A
 * rejection is not ready too, its message the reason (a store that cannot be reached throws; it does not answer).
 */
export type ReadinessProbe = () => Promise<string | undefined>;

/** What the store probes ask. */
export interface StoreProbeDeps {
  sql: SqlClient;
  ch: ClickHouseClient;
  log: EventLog;
  /** The topic whose end offsets the log probe reads. */
  topic: string;
}

/** The probes of the stores every process uses: Postgres and ClickHouse answer a query, the log its end offsets. */
export function createStoreProbes({ sql, ch, log, topic }: StoreProbeDeps): Record<string, ReadinessProbe> {
  return {
    postgres: async () => void (await sql.query("SELECT 1")),
    clickhouse: async () => void (await (await ch.query({ query: "SELECT 1", format: "JSONEachRow" })).json()),
    log: async () => void (await log.endOffsets(topic)),
  };
}

/**
 * The readiness behind /readyz from named probes, all asked at once: ready when every one is. Each check reads "ok"
 * or why not, in the order the probes are given.
 */
export function createReadinessChecks(probes: Record<string, ReadinessProbe>): HealthChecks {
  return {
    async ready() {
      const answers = await Promise.all(
        Object.entries(probes).map(async ([name, probe]): Promise<[string, string]> => {
          try {
            return [name, (await probe()) ?? "ok"];
          } catch (error) {
            return [name, error instanceof Error ? error.message : String(error)];
          }
        }),
      );
      const checks = Object.fromEntries(answers);
      return { ok: answers.every(([, answer]) => answer === "ok"), checks };
    },
  };
}
