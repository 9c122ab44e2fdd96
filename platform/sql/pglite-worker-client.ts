import { Worker } from "node:worker_threads";
import { InfrastructureError } from "../errors.ts";
import { createTransactionGuard } from "./pglite-client.ts";
import type { PgliteAnswer, PgliteRequest } from "./pglite-thread.ts";
import type { Row, SqlClient, SqlQueryable } from "./sql-client.ts";

/** Where the embedded Postgres keeps its files. */
export interface PgliteWorkerClientOptions {
  /** Data directory; created (initdb, ~4 s) when empty. */
  dataDir: string;
}

/** Each kind of request, before `call` gives it its id. */
type Request = PgliteRequest extends infer R ? (R extends unknown ? Omit<R, "id"> : never) : never;

/**
 * The worker's entry, loaded through tsx so that the worker runs the same TypeScript as the process that starts it
 * (tsx's loader hooks do not reach worker threads by themselves, under `tsx` or under vitest).
 */
const THREAD = new URL("./pglite-thread.ts", import.meta.url).href;
const BOOT = `import("tsx/esm/api").then(({ tsImport }) => tsImport(${JSON.stringify(THREAD)}, ${JSON.stringify(THREAD)}))`;

/**
 * Opens PGlite at dataDir in a worker thread of its own, as a SqlClient. PGlite runs Postgres in WebAssembly on the
 * thread that calls it, and on the embedded defaults it was most of the main thread's time (planning, index probes,
 * upserts), taking turns with the HTTP ingest and the processors' JavaScript; in a worker it runs on the other core.
 * Each call is one message (parameters and rows are copied, not shared). Like PGlite in-process, it is one
 * connection: a call made outside a transaction waits until the open transaction ends, and a call on the client from
 * inside a transaction's callback is refused rather than left to deadlock.
 */
export async function createPgliteWorkerClient({ dataDir }: PgliteWorkerClientOptions): Promise<SqlClient> {
  const worker = new Worker(BOOT, { eval: true, workerData: { dataDir } });
  const waiting = new Map<number, { resolve: (rows: unknown[] | undefined) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let nextTx = 0;
  /** Why the worker is gone, once it is: every later call fails with it. */
  let gone: InfrastructureError | undefined;

  const stop = (why: InfrastructureError) => {
    gone ??= why;
    for (const { reject } of waiting.values()) reject(gone);
    waiting.clear();
  };
  worker.on("message", (message: PgliteAnswer) => {
    const call = waiting.get(message.id);
    if (call === undefined) return;
    waiting.delete(message.id);
    if (waiting.size === 0) worker.unref();
    if (message.ok) call.resolve(message.rows);
    else
      call.reject(Object.assign(new Error(message.error.message), { name: message.error.name }, message.error.props));
  });
  worker.on("error", (error) =>
    stop(new InfrastructureError(`the PGlite worker failed: ${error.message}`, { cause: error, retriable: false })),
  );
  worker.on("exit", (code) =>
    stop(new InfrastructureError(`the PGlite worker exited (code ${code})`, { retriable: false })),
  );

  const call = (request: Request): Promise<unknown[] | undefined> => {
    if (gone !== undefined) return Promise.reject(gone);
    const id = nextId++;
    // The worker keeps the process alive only while a call waits for it, as PGlite in-process would.
    if (waiting.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  };

  // The same guard as the in-process client, for the same deadlock.
  const { insideTransaction, refuseInsideTransaction } = createTransactionGuard();

  try {
    // The first answer comes once the database is open (initdb on a fresh directory).
    await call({ op: "query", sql: "SELECT 1" });
  } catch (error) {
    await worker.terminate();
    throw new InfrastructureError(`could not open PGlite at ${dataDir}`, { cause: error, retriable: false });
  }

  return {
    async query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]> {
      refuseInsideTransaction("query");
      return (await call({ op: "query", sql, params })) as T[];
    },
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      refuseInsideTransaction("transaction");
      const tx = nextTx++;
      await call({ op: "begin", tx });
      let result: T;
      try {
        result = await insideTransaction.run(true, () =>
          fn({
            async query<R extends Row = Row>(sql: string, params?: unknown[]): Promise<R[]> {
              return (await call({ op: "query", sql, params, tx })) as R[];
            },
          }),
        );
      } catch (error) {
        await call({ op: "end", tx, commit: false });
        throw error;
      }
      await call({ op: "end", tx, commit: true });
      return result;
    },
    async exec(sql: string): Promise<void> {
      refuseInsideTransaction("exec");
      await call({ op: "exec", sql });
    },
    async close(): Promise<void> {
      if (gone !== undefined) return;
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      await call({ op: "close" });
      // Waiting for the exit is waiting on the worker too: unreferenced, the process could end before it, mid-close.
      worker.ref();
      await exited;
    },
  };
}
