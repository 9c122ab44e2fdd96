import type { ClickHouseClientConfigOptions } from "@clickhouse/client";
import { drainPending } from "chdb";
import { createChdbConnection, type ChdbExtension } from "chdb/connection";
import { WedSyncError } from "../errors.ts";

/** The connection contract of the installed @clickhouse/client. */
type Connection = NonNullable<ClickHouseClientConfigOptions["connection"]>;
type QueryParams = Parameters<Connection["query"]>[0];
type CommandParams = Parameters<Connection["command"]>[0];
type ExecParams = Parameters<Connection["exec"]>[0];
type InsertParams = Parameters<Connection["insert"]>[0];
type ClickHouseSettings = QueryParams["clickhouse_settings"];

/** Where the embedded ClickHouse keeps its files. */
export interface ScopedChdbConnectionOptions {
  /** The one chDB data directory of this process. */
  path: string;
}

/** The chDB connection as @clickhouse/client sees it, plus chDB's raw escape hatches. */
export interface ScopedChdbConnection extends Connection {
  /** chDB-only operations (raw inserts, streaming reads); see chdb/connection. */
  readonly chdb: ChdbExtension;
}

// chdb/connection applies per-call settings by prefixing `SET k = v;`, and a SET outlives its call on the shared
// session. For `insert_deduplication_token` that is data loss: every later insert reuses the stale token and is
// silently dropped as a duplicate. So this wrapper keeps settings with their call. Inserts carry them in the INSERT's
// own SETTINGS clause (the hot path stays concurrent); any other call with settings runs alone and resets them after.

/** Settings chdb/connection drops or maps to an option rather than SETting, so there is nothing to reset. */
const NOT_SET_BY_CHDB = new Set([
  "default_format",
  "wait_end_of_query",
  "send_progress_in_http_headers",
  "http_response_buffer_size",
  "http_headers_progress_interval_ms",
  "http_send_progress_interval_ms",
  "enable_http_compression",
  "http_zlib_compression_level",
  "http_response_compression_method",
  "http_native_compression_disable_checksumming_on_decompress",
]);

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INSERT_FORMAT = /^(INSERT\s+INTO\s[\s\S]*?)\s+FORMAT\s+(\w+)\s*$/i;

/** The settings of a call that would actually be applied, or undefined when there are none. */
function effectiveSettings(settings: ClickHouseSettings): [string, unknown][] | undefined {
  const entries = Object.entries(settings ?? {}).filter(([, value]) => value !== undefined);
  return entries.length === 0 ? undefined : entries;
}

/** A setting's value as a ClickHouse literal. */
function literal(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "1" : "0";
  return `'${String(value).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** `k = v, …` for a SETTINGS clause; names are checked because they are spliced into SQL. */
function settingsClause(entries: [string, unknown][]): string {
  return entries
    .map(([name, value]) => {
      if (!SETTING_NAME.test(name)) {
        throw new WedSyncError("clickhouse_setting_invalid", `invalid ClickHouse setting name ${JSON.stringify(name)}`);
      }
      return `${name} = ${literal(value)}`;
    })
    .join(", ");
}

/** Lets calls run together, except the ones that must run alone (they wait for the others and hold new ones back). */
function createGate() {
  let exclusiveTail: Promise<void> = Promise.resolve();
  let exclusiveWaiting = 0;
  const running = new Set<Promise<unknown>>();
  return {
    async shared<T>(fn: () => Promise<T>): Promise<T> {
      while (exclusiveWaiting > 0) await exclusiveTail;
      const call = fn();
      running.add(call);
      try {
        return await call;
      } finally {
        running.delete(call);
      }
    },
    exclusive<T>(fn: () => Promise<T>): Promise<T> {
      exclusiveWaiting += 1;
      const call = exclusiveTail
        .then(async () => {
          await Promise.allSettled([...running]);
          return fn();
        })
        .finally(() => {
          exclusiveWaiting -= 1;
        });
      exclusiveTail = call.then(
        () => undefined,
        () => undefined,
      );
      return call;
    },
  };
}

/**
 * A chDB connection for `createClient({ connection })` whose per-call settings apply to that call only, and whose
 * close waits until the engine has really let go of the data directory, so the same path can be opened again.
 */
export function createScopedChdbConnection({ path }: ScopedChdbConnectionOptions): ScopedChdbConnection {
  // chdb/connection is typed against @clickhouse/client-common 1.23.0, the client bundles its own 1.23.1 copy of those
  // types (the settings list differs), so the two do not unify although the runtime contract is the same.
  const inner = createChdbConnection({ path }) as unknown as ScopedChdbConnection;
  const gate = createGate();

  /** Runs a non-insert call: concurrently when it has no settings, otherwise alone with its settings reset after. */
  function run<P extends QueryParams, R>(params: P, call: (params: P) => Promise<R>): Promise<R> {
    const settings = effectiveSettings(params.clickhouse_settings);
    if (settings === undefined) return gate.shared(() => call(params));
    const resets = settings.filter(([name]) => !NOT_SET_BY_CHDB.has(name)).map(([name]) => name);
    return gate.exclusive(async () => {
      try {
        return await call(params);
      } finally {
        if (resets.length > 0) {
          await inner.command({ query: resets.map((name) => `SET ${name} = DEFAULT`).join("; ") });
        }
      }
    });
  }

  return {
    get chdb() {
      return inner.chdb;
    },
    ping: (params) => inner.ping(params),
    query: (params: QueryParams) => run(params, (p) => inner.query(p)),
    command: (params: CommandParams) => run(params, (p) => inner.command(p)),
    exec: (params: ExecParams) => run(params, (p) => inner.exec(p)),
    insert(params: InsertParams) {
      const settings = effectiveSettings(params.clickhouse_settings);
      const parts = INSERT_FORMAT.exec(params.query);
      if (settings === undefined || parts === null) return run(params, (p) => inner.insert(p));
      const query = `${parts[1]} SETTINGS ${settingsClause(settings)} FORMAT ${parts[2]}`;
      return gate.shared(() => inner.insert({ ...params, query, clickhouse_settings: {} }));
    },
    async close(): Promise<void> {
      await gate.exclusive(() => inner.close());
      // close() returns while native work may still hold the session; a new session on the path is refused until then.
      await drainPending();
    },
  };
}
