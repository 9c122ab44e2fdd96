import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, type TempDir } from "../test/support/temp-dir.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(ROOT, "bin", "wedsync.ts");

/** Every command the CLI has, with the options its help must show. */
const COMMANDS: Record<string, string[]> = {
  start: ["--role <roles>"],
  demo: [],
  "org:create": ["--scopes <scopes>", "--tier <tier>"],
  rebuild: [],
  redrive: ["--org <id>", "--ids <ids>", "--reason <reason>", "--type <type>", "--from <date>", "--to <date>", "--all"],
  help: [],
};

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir: TempDir;
let dataDir: string;

/**
 * Runs the CLI as `npm run cli` does, in a child process. DATA_DIR points at a directory that does not exist: none of
 * these command lines may open the stores, and afterAll checks that none created it.
 */
async function wedsync(...args: string[]): Promise<Outcome> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: "1", LOG_LEVEL: "silent" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  try {
    const code = await new Promise<number | null>((resolve) => child.on("close", (exitCode) => resolve(exitCode)));
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  dir = await makeTempDir("wedsync-cli");
  dataDir = path.join(dir.path, "never-created");
});

afterAll(async () => {
  try {
    expect(existsSync(dataDir)).toBe(false);
  } finally {
    await dir.cleanup();
  }
});

// Each child costs about half a second of tsx start-up, so this suite runs a dozen, at once; the parser's cases are
// in command-line.test.ts, in this process.
describe("wedsync (the CLI)", () => {
  it.concurrent("lists every command with a one-line description on --help, -h and with no command", async () => {
    const outcomes = await Promise.all([wedsync("--help"), wedsync("-h"), wedsync()]);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ code: 0, stderr: "" });
      expect(outcome.stdout).toBe(outcomes[0]!.stdout);
    }
    const { stdout } = outcomes[0]!;
    expect(stdout).toMatch(/^usage: wedsync <command> \[options\]\n/);
    const start = stdout.indexOf("commands:\n") + "commands:\n".length;
    const listed = stdout
      .slice(start, stdout.indexOf("\n\n", start))
      .split("\n")
      .map((line) => /^ {2}(\S+) +(\S.*)$/.exec(line));
    expect(listed.every((match) => match !== null)).toBe(true);
    expect(listed.map((match) => match![1])).toEqual(Object.keys(COMMANDS));
    expect(stdout).toContain("Run 'wedsync <command> --help'");
  }, 30_000);

  it.concurrent.each(Object.entries(COMMANDS))(
    "shows the usage, options and an example of %s on --help",
    async (name, options) => {
      const { code, stdout: help, stderr } = await wedsync(name, "--help");
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      expect(help).toMatch(new RegExp(`^usage: wedsync ${name}( .*)?\\n\\n\\S`));
      const start = help.indexOf("options:\n");
      const optionLines = help.slice(start, help.indexOf("\n\n", start));
      for (const flag of [...options, "-h, --help"])
        expect(optionLines).toMatch(new RegExp(`\\n {2}${flag.replace(/[-<>]/g, "\\$&")} +\\S`));
      expect(help).toMatch(new RegExp(`\\nexamples?:\\n {2}wedsync ${name}`));
    },
    30_000,
  );

  it.concurrent("gives the same help for -h and for help <command>", async () => {
    const [long, short, viaHelp] = await Promise.all([
      wedsync("org:create", "--help"),
      wedsync("org:create", "-h"),
      wedsync("help", "org:create"),
    ]);
    expect(short).toEqual(long);
    expect(viaHelp).toEqual(long);
  }, 30_000);

  it.concurrent("refuses an unknown option with exit code 2, naming it and pointing at --help", async () => {
    expect(await wedsync("start", "--port", "9000")).toEqual({
      code: 2,
      stdout: "",
      stderr: "wedsync start: unknown option '--port'. Run 'wedsync start --help' for its usage.\n",
    });
  }, 30_000);

  it.concurrent("refuses a redrive that does not say which dead letters, or says it two ways or wrongly", async () => {
    const refer = "Run 'wedsync redrive --help' for its usage.";
    const oneWay = "choose the dead letters one way: --ids, a filter (--reason, --type, --from, --to), or --all";
    const outcomes = await Promise.all([
      wedsync("redrive"),
      wedsync("redrive", "--all", "--reason", "schema_invalid"),
      wedsync("redrive", "--ids", "dl_3f9a1c0b7d2e4f5a6b8c9d0e,bk-1"),
      wedsync("redrive", "--from", "2026-06-30", "--to", "2026-06-01"),
    ]);
    expect(outcomes.map(({ code, stdout, stderr }) => ({ code, stdout, stderr }))).toEqual(
      [
        oneWay,
        oneWay,
        'not dead letter ids (dl_ and 24 hex digits): "bk-1"',
        "--to 2026-06-01 is before --from 2026-06-30",
      ].map((message) => ({ code: 2, stdout: "", stderr: `wedsync redrive: ${message}. ${refer}\n` })),
    );
  }, 30_000);

  it.concurrent("refuses an unknown command and a wrong value with exit code 2, before opening anything", async () => {
    const [command, value] = await Promise.all([
      wedsync("frobnicate"),
      wedsync("org:create", "Rosewood", "--tier", "gold"),
    ]);
    expect(command).toEqual({
      code: 2,
      stdout: "",
      stderr: "wedsync: unknown command 'frobnicate'. Run 'wedsync --help' for the list of commands.\n",
    });
    expect(value).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "wedsync org:create: unknown tier gold; use one of free, professional, enterprise. Run 'wedsync org:create --help' for its usage.\n",
    });
  }, 30_000);
});
