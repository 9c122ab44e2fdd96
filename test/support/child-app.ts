import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The environment of a child: this process's, without the server URLs, so the child runs on the
 * embedded engines in its own DATA_DIR unless a test passes a URL on purpose. (CI exports
 * DATABASE_URL and REDIS_URL for the adapter suites; a child that inherited them would share one
 * Postgres database across tests and runs.)
 */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL, REDIS_URL, KAFKA_BROKERS, CLICKHOUSE_URL, ...rest } = process.env;
  return { ...rest, ...env };
}
const CLI = path.join(ROOT, "bin", "wedsync.ts");

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Runs a CLI command of the product to completion and returns its stdout. */
export async function runCli(args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`wedsync ${args.join(" ")} exited ${code}: ${stderr}`);
  return stdout;
}

/** The server as a child process, started with `npm start`'s command. */
export interface ChildApp {
  process: ChildProcess;
  baseUrl: string;
  output(): string;
}

/** How a child app is started. */
export interface ChildAppOptions {
  /** How long it may take to print where it listens, ms. Default 60000. */
  timeoutMs?: number;
  /** Flags for node before the script, for those NODE_OPTIONS refuses (such as `--cpu-prof`). */
  nodeArgs?: string[];
  /** The roles it plays (`--role`); default every role. */
  roles?: string[];
}

/** Starts `wedsync start` and resolves once it prints where it listens. */
export async function startChildApp(
  env: Record<string, string>,
  { timeoutMs = 60_000, nodeArgs = [], roles }: ChildAppOptions = {},
): Promise<ChildApp> {
  const port = await freePort();
  const roleArgs = roles ? ["--role", roles.join(",")] : [];
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", CLI, "start", ...roleArgs], {
    cwd: ROOT,
    env: childEnv({ LOG_LEVEL: "warn", ...env, PORT: String(port), HOST: "127.0.0.1" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      if (output.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
  return { process: child, baseUrl: `http://127.0.0.1:${port}`, output: () => output };
}

/** Kills the child with SIGKILL and waits until it is gone. */
export async function killHard(app: ChildApp): Promise<void> {
  if (app.process.exitCode !== null || app.process.signalCode !== null) return;
  const exited = new Promise((resolve) => app.process.once("exit", resolve));
  app.process.kill("SIGKILL");
  await exited;
}
