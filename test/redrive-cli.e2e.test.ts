import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import { encodeLogEnvelope } from "../schemas/index.ts";
import { describeOnEachStack, type ServerStack } from "./support/server-stack.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { startTestApp, waitUntilProcessed } from "./support/test-app.ts";

// `npm run cli -- redrive` against the stores of a stopped server: the app is closed while the CLI runs in a child
// process on the same DATA_DIR (PGlite admits one process at a time) and servers, then started again to process what
// the CLI appended.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(ROOT, "bin", "wedsync.ts");

/** The test on one stack of stores. */
function describeRedriveCli(title: string, openStack: () => Promise<ServerStack>): void {
  describe(`npm run cli -- redrive, ${title}`, () => {
    let dir: TempDir;
    let app: App;
    let stack: ServerStack;

    beforeAll(async () => {
      dir = await makeTempDir("wedsync-redrive-cli");
      stack = await openStack();
      app = await startTestApp(dir.path, stack.env);
    });

    afterAll(async () => {
      try {
        await app?.close();
      } finally {
        await dir?.cleanup();
        await stack?.dispose();
      }
    });

    /** Runs the CLI as `npm run cli` does, on the test's data directory; its exit code, stdout and stderr. */
    async function wedsync(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
      const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, ...stack.env, DATA_DIR: dir.path, LOG_LEVEL: "silent" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
      try {
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        return { code, stdout, stderr };
      } finally {
        clearTimeout(timer);
      }
    }

    /** Every dead letter in Postgres. */
    async function deadLetters() {
      return app.sql.query<{
        id: string;
        org_id: string;
        reasons: string[];
        redriven: boolean;
        redrive_of: string | null;
      }>(
        `SELECT id, org_id, reasons, redriven_at IS NOT NULL AS redriven, redrive_of
       FROM dead_letters ORDER BY log_partition, log_offset`,
      );
    }

    it("redrives offline what the API would, once: a second run changes nothing", async () => {
      const { orgId } = await createOrganisation(app.sql, "Offline Redrive");
      const invalid = {
        id: randomUUID(),
        type: "booking.created",
        occurredAt: "2026-06-01T10:00:00Z",
        source: "test",
        data: { bookingId: "bk-1", weddingId: "w-1", supplierId: "s-1", service: "venue", guestCount: -1 },
      };
      await app.log.append(app.config.eventsTopic, [
        { key: "w-1", value: encodeLogEnvelope({ orgId, receivedAt: "2026-06-02T09:30:00.000Z", event: invalid }) },
        // Too broken to name an organisation: only the operator's CLI, without --org, reaches it.
        { key: "w-2", value: Buffer.from("{ not JSON") },
      ]);
      await waitUntilProcessed(app);
      const before = await deadLetters();
      expect(before).toHaveLength(2);
      const schemaInvalid = before.find((row) => row.reasons[0] === "schema_invalid");
      const undecodable = before.find((row) => row.reasons[0] === "undecodable");
      await app.close();

      const done = (redriven: number, alreadyRedriven: number, notFound: string[] = []) => ({
        code: 0,
        stdout: `${JSON.stringify({ redriven, alreadyRedriven, notFound })}\n`,
        stderr: "",
      });
      expect(await wedsync("redrive", "--org", orgId, "--reason", "schema_invalid", "--from", "2026-06-02")).toEqual(
        done(1, 0),
      );
      expect(await wedsync("redrive", "--org", orgId, "--all")).toEqual(done(0, 1));
      const unknown = "dl_0123456789abcdef01234567";
      expect(await wedsync("redrive", "--ids", `${undecodable!.id},${unknown}`)).toEqual(done(1, 0, [unknown]));
      expect(await wedsync("redrive", "--ids", `${schemaInvalid!.id},${undecodable!.id}`)).toEqual(done(0, 2));

      // Processed when the pipeline runs again: each re-driven record once, refused again, naming the dead letter it was.
      app = await startTestApp(dir.path, stack.env);
      await waitUntilProcessed(app);
      const after = await deadLetters();
      expect(after).toHaveLength(4);
      expect(after).toEqual(
        expect.arrayContaining([
          { ...schemaInvalid, redriven: true },
          { ...undecodable, redriven: true },
          expect.objectContaining({
            org_id: orgId,
            reasons: ["schema_invalid"],
            redriven: false,
            redrive_of: schemaInvalid!.id,
          }),
          expect.objectContaining({
            org_id: "",
            reasons: ["undecodable"],
            redriven: false,
            redrive_of: undecodable!.id,
          }),
        ]),
      );
    }, 240_000);
  });
}

describeOnEachStack("the redrive CLI test", "redrive", describeRedriveCli);
