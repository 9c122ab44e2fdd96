import { parentPort, workerData } from "node:worker_threads";
import { createPgliteClient } from "./pglite-client.ts";
import type { SqlQueryable } from "./sql-client.ts";

/**
 * The worker thread that owns an embedded PGlite for pglite-worker-client.ts: it opens the database at
 * `workerData.dataDir` and answers the client's requests one message at a time. A transaction is a PGlite transaction
 * held open between its `begin` and `end` messages; PGlite itself keeps every other call waiting until it ends.
 */

/** A request from the client; `id` pairs it with its answer. */
export type PgliteRequest =
  | { id: number; op: "query"; sql: string; params?: unknown[]; tx?: number }
  | { id: number; op: "exec"; sql: string }
  | { id: number; op: "begin"; tx: number }
  | { id: number; op: "end"; tx: number; commit: boolean }
  | { id: number; op: "close" };

/** An answer: the rows of a query, or the error with the properties callers read (SQLSTATE `code`, `detail`…). */
export type PgliteAnswer =
  | { id: number; ok: true; rows?: unknown[] }
  | { id: number; ok: false; error: { name: string; message: string; props: Record<string, unknown> } };

/** Thrown into a transaction's callback to roll it back when the client's callback failed. */
const ROLLBACK = Symbol("rollback");

const port = parentPort!;
const answer = (message: PgliteAnswer) => port.postMessage(message);
const failure = (id: number, error: unknown): PgliteAnswer => {
  const e = error instanceof Error ? error : new Error(String(error));
  const props: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(e)) {
    if (value === null || ["string", "number", "boolean"].includes(typeof value)) props[key] = value;
  }
  return { id, ok: false, error: { name: e.name, message: e.message, props } };
};

const opened = createPgliteClient({ dataDir: (workerData as { dataDir: string }).dataDir });
/** Open transactions by the client's id: their handle, how to end them, and PGlite's promise that settles with them. */
const transactions = new Map<number, { tx: SqlQueryable; end: (commit: boolean) => void; settled: Promise<void> }>();

port.on("message", (request: PgliteRequest) => {
  void handle(request);
});

async function handle(request: PgliteRequest): Promise<void> {
  const { id } = request;
  try {
    const sql = await opened;
    switch (request.op) {
      case "query": {
        const on = request.tx === undefined ? sql : transactions.get(request.tx)?.tx;
        if (on === undefined) throw new Error(`transaction ${request.tx} is not open`);
        answer({ id, ok: true, rows: await on.query(request.sql, request.params) });
        return;
      }
      case "exec":
        await sql.exec(request.sql);
        answer({ id, ok: true });
        return;
      case "begin": {
        // Answered once PGlite has started the transaction; it stays open until the client's `end`.
        let began!: (open: { tx: SqlQueryable; end: (commit: boolean) => void }) => void;
        const opening = new Promise<{ tx: SqlQueryable; end: (commit: boolean) => void }>(
          (resolve) => (began = resolve),
        );
        const settled = sql.transaction(
          (tx) =>
            new Promise<void>((resolve, reject) =>
              began({ tx, end: (commit) => (commit ? resolve() : reject(ROLLBACK)) }),
            ),
        );
        const open = await Promise.race([opening, settled.then(() => undefined)]);
        if (open === undefined) throw new Error("the transaction ended before it began");
        transactions.set(request.tx, { ...open, settled });
        answer({ id, ok: true });
        return;
      }
      case "end": {
        const open = transactions.get(request.tx);
        if (open === undefined) throw new Error(`transaction ${request.tx} is not open`);
        transactions.delete(request.tx);
        open.end(request.commit);
        try {
          await open.settled;
        } catch (error) {
          // A rollback the client asked for is its answer, not a failure; a failed COMMIT is.
          if (error !== ROLLBACK) throw error;
        }
        answer({ id, ok: true });
        return;
      }
      case "close":
        await sql.close();
        answer({ id, ok: true });
        port.close();
        return;
    }
  } catch (error) {
    answer(failure(id, error));
  }
}
