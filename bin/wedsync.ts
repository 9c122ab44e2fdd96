import type { KeyAccess } from "../platform/tenants/api-keys.ts";
import { DEFAULT_SCOPES, DEFAULT_TIER, SCOPES, TIERS, type Scope, type Tier } from "../platform/tenants/key-access.ts";
import { formatOverview, parseCommandLine, type CommandSpec } from "./command-line.ts";
import { ROLES, type Role } from "./roles.ts";
import type { CheckedCommand } from "./run-command.ts";

const PROGRAM = "wedsync";

/** Every command, in the order `--help` lists them. */
const COMMANDS: readonly CommandSpec[] = [
  {
    name: "start",
    summary: "run the pipeline and its HTTP server (every role by default)",
    usage: "[--role <roles>]",
    description: [
      "Runs the pipeline in this process until SIGINT or SIGTERM: the HTTP server on HOST:PORT",
      "(default 0.0.0.0:8080) with /healthz, /readyz, /metrics and /openapi.json, and the roles asked",
      "for: ingest (POST /v1/events), process (the processors), api (analytics, reports, live feed,",
      "admin routes), scheduler (report schedules). On the first start of an embedded installation",
      '(no DATABASE_URL, no organisation yet) it creates the organisation "Demo Weddings" and prints',
      "its API key, which holds every scope. Logs go to stdout as JSON lines.",
    ].join("\n"),
    options: {
      role: {
        type: "string",
        value: "roles",
        description: `comma-separated: ${ROLES.join(", ")}, or all (default all)`,
      },
    },
    examples: ["start", "start --role ingest,api"],
  },
  {
    name: "demo",
    summary: "start, and load a generated demo data set once",
    usage: "",
    description: [
      "Runs every role, as start does, and loads a generated, realistic data set once per data",
      "directory: two organisations, two years of weddings up to yesterday (about 64,000 events),",
      "through the same ingest step as HTTP requests. Progress bars on stderr count the events",
      "appended, then processed; then it prints both organisations' API keys and a query to try, and",
      "keeps serving until SIGINT or SIGTERM.",
    ].join("\n"),
    options: {},
    examples: ["demo"],
  },
  {
    name: "org:create",
    summary: "create an organisation and its first API key",
    usage: '"<name>" [--scopes <scopes>] [--tier <tier>]',
    description: [
      "Creates an organisation and its first API key and prints them as one line of JSON:",
      '{"orgId","apiKey","scopes","tier"}. The key is shown only here. On the embedded stores run it',
      "with the server stopped: they admit one process per DATA_DIR.",
    ].join("\n"),
    options: {
      scopes: {
        type: "string",
        value: "scopes",
        description: `comma-separated: ${SCOPES.join(", ")} (default ${DEFAULT_SCOPES.join(",")})`,
      },
      tier: {
        type: "string",
        value: "tier",
        description: `the key's tier: ${TIERS.join(", ")} (default ${DEFAULT_TIER})`,
      },
    },
    takesArguments: true,
    examples: [
      'org:create "Lens & Light Photography"',
      'org:create "Operator" --scopes ingest,read,reports,admin --tier enterprise',
    ],
  },
  {
    name: "rebuild",
    summary: "rebuild ClickHouse and Postgres projections from the log (server stopped)",
    usage: "",
    description: [
      "Empties the derived ClickHouse tables and Postgres projections and replays the log from offset",
      "0 through the same batch handler as live processing; anomalies keep their lifecycle. Run it",
      "with the server stopped. A progress bar on stderr counts the events replayed; the result is",
      'printed as {"rebuilt":<events>,"seconds":<seconds>}.',
    ].join("\n"),
    options: {},
    examples: ["rebuild"],
  },
  {
    name: "help",
    summary: "show the help of a command",
    usage: "[<command>]",
    description: "Shows the list of commands, or the usage, options and an example of one command.",
    options: {},
    takesArguments: true,
    examples: ["help org:create"],
  },
];

const OVERVIEW = formatOverview(
  PROGRAM,
  "WedSync Analytics: the event-sourced analytics pipeline for wedding suppliers.",
  COMMANDS,
  [
    `Run '${PROGRAM} <command> --help' for a command's usage, options and an example.`,
    "Configuration comes from the environment (DATA_DIR, PORT, DATABASE_URL, KAFKA_BROKERS,",
    "CLICKHOUSE_URL, REDIS_URL, …; see the README). From a checkout: npm run cli -- <command>.",
  ].join("\n"),
);

/** A value read from the command line, or what is wrong with it. */
type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** The key access given by `--scopes a,b` and `--tier t`; absent options keep the defaults. */
function parseKeyAccess(scopes: string | undefined, tier: string | undefined): Checked<KeyAccess> {
  const access: KeyAccess = {};
  if (scopes !== undefined) {
    const list = scopes.split(",").map((s) => s.trim());
    const unknown = list.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0)
      return {
        ok: false,
        message: `unknown scope(s) ${unknown.map((s) => `"${s}"`).join(", ")}; use some of ${SCOPES.join(", ")}`,
      };
    access.scopes = [...new Set(list as Scope[])];
  }
  if (tier !== undefined) {
    if (!(TIERS as readonly string[]).includes(tier))
      return { ok: false, message: `unknown tier ${tier}; use one of ${TIERS.join(", ")}` };
    access.tier = tier as Tier;
  }
  return { ok: true, value: access };
}

/** The roles given by `--role a,b` (or `all`); absent means every role. */
function parseRoles(value: string | undefined): Checked<Role[]> {
  if (value === undefined || value === "all") return { ok: true, value: [...ROLES] };
  const roles = value.split(",").map((r) => r.trim());
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0)
    return { ok: false, message: `unknown role(s) ${unknown.join(", ")}; use ${ROLES.join(", ")} or all` };
  return { ok: true, value: roles as Role[] };
}

/** The command's option values and arguments as its runner takes them, or what is wrong with them. */
function checkCommand(
  command: string,
  values: Record<string, string | boolean | undefined>,
  args: string[],
): Checked<CheckedCommand> {
  const option = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  switch (command) {
    case "start": {
      const roles = parseRoles(option("role"));
      return roles.ok ? { ok: true, value: { name: "start", roles: roles.value } } : roles;
    }
    case "org:create": {
      const orgName = args.join(" ");
      if (!orgName.trim()) return { ok: false, message: "the organisation's name is missing" };
      const access = parseKeyAccess(option("scopes"), option("tier"));
      return access.ok ? { ok: true, value: { name: "org:create", orgName, access: access.value } } : access;
    }
    case "demo":
    case "rebuild":
      return { ok: true, value: { name: command } };
    default:
      // parseCommandLine answers `help` itself; any other command listed in COMMANDS needs its case here.
      throw new Error(`no case for command ${command}`);
  }
}

/** Reads the command line: help and usage errors answer here; a command to run is checked and handed on. */
async function main(argv: string[]): Promise<void> {
  const line = parseCommandLine(PROGRAM, argv, COMMANDS, OVERVIEW);
  if (line.kind === "help") {
    console.log(line.text);
    return;
  }
  if (line.kind === "usage_error") {
    console.error(line.message);
    process.exitCode = 2;
    return;
  }
  const checked = checkCommand(line.command, line.values, line.args);
  if (!checked.ok) {
    console.error(
      `${PROGRAM} ${line.command}: ${checked.message}. Run '${PROGRAM} ${line.command} --help' for its usage.`,
    );
    process.exitCode = 2;
    return;
  }
  // Loaded only to run a command: it loads every engine (chDB, PGlite, LMDB, …), seconds that help need not wait.
  const { runCommand } = await import("./run-command.ts");
  await runCommand(checked.value);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
