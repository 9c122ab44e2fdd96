import fs from "node:fs";
import path from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { InfrastructureError } from "../errors.ts";
import { createScopedChdbConnection } from "./scoped-chdb-connection.ts";

/** The client every ClickHouse reader and writer uses, server or chDB alike. */
export type { ClickHouseClient };

/** Where ClickHouse is: a server, or chDB in the data directory. */
export interface ClickHouseOptions {
  /** Server URL (`http[s]://user:pass@host:8123/database`); absent means embedded chDB. */
  url: string | undefined;
  /** The product's data directory; chDB lives in its `clickhouse` folder. */
  dataDir: string;
  /** How long one request to a server may take, milliseconds. Default 60000. */
  requestTimeoutMs?: number;
}

/**
 * The columnar store from configuration: a ClickHouse server when a URL is given, otherwise chDB in
 * `<dataDir>/clickhouse` behind the same @clickhouse/client API. Only one chDB directory can be open per process.
 * chDB gets no client-wide clickhouse_settings: its defaults already match the server settings below, and a call
 * carrying settings other than an insert's has to run alone on chDB (see scoped-chdb-connection.ts).
 */
export function createClickHouse({ url, dataDir, requestTimeoutMs = 60_000 }: ClickHouseOptions): ClickHouseClient {
  if (url !== undefined) {
    return createClient({
      url,
      application: "wedsync",
      request_timeout: requestTimeoutMs,
      compression: { request: true, response: true },
      clickhouse_settings: {
        // chDB's defaults, set on the server so both modes read and return the same things: ISO 8601 timestamps
        // with a zone are accepted as DateTime64, and 64-bit integers come back as JSON numbers (exact up to 2^53,
        // far above any count, offset or minor-unit sum here). Readers still use Number() on them, to be safe.
        date_time_input_format: "best_effort",
        output_format_json_quote_64bit_integers: 0,
      },
    });
  }
  const chdbPath = path.join(dataDir, "clickhouse");
  try {
    fs.mkdirSync(chdbPath, { recursive: true });
    return createClient({ connection: createScopedChdbConnection({ path: chdbPath }) });
  } catch (error) {
    throw new InfrastructureError(`could not open chDB at ${chdbPath} (one chDB directory per process)`, {
      cause: error,
      retriable: false,
    });
  }
}
