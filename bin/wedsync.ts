import type { KeyAccess } from "../platform/tenants/api-keys.ts";
import { DEFAULT_SCOPES, DEFAULT_TIER, SCOPES, TIERS, type Scope, type Tier } from "../platform/tenants/key-access.ts";
import { REASON_CODE_PATTERN } from "../processors/dead-letter-filter.ts";
import { DEAD_LETTER_ID_PATTERN } from "../processors/persist-dead-letters.ts";
import type { RedriveSelection } from "../processors/redrive-dead-letters.ts";
import { Id, isCalendarDate } from "../schemas/primitives.ts";
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
    name: "redrive",
    summary: "send dead letters through processing again, once (server stopped)",
    usage: "[--org <id>] (--ids <ids> | [--reason <reason>] [--type <type>] [--from <date>] [--to <date>] | --all)",
    description: [
      "Appends the original log record of each chosen pending dead letter to the log again, with its",
      "key, and marks it re-driven, in one transaction, as POST /v1/rejected-events/redrive does:",
      "the records are processed when the pipeline next runs. A dead letter already re-driven is left",
      "as it is, so running the same command twice changes nothing the second time; a re-driven event",
      "refused again becomes a new dead letter naming this one. Choose by --ids, or by a filter (all",
      "its options must match), or every pending one with --all; --org limits the choice to one",
      "organisation (without it, every organisation's, including records too broken to name one).",
      'Prints {"redriven","alreadyRedriven","notFound"} as one line of JSON. On the embedded stores',
      "run it with the server stopped: they admit one process per DATA_DIR.",
    ].join("\n"),
    options: {
      org: { type: "string", value: "id", description: "only this organisation's dead letters" },
      ids: {
        type: "string",
        value: "ids",
        description: "comma-separated dead letter ids, as GET /v1/rejected-events gives them",
      },
      reason: {
        type: "string",
        value: "reason",
        description: "only those refused for this reason, e.g. schema_invalid",
      },
      type: { type: "string", value: "type", description: "only events of this type, e.g. payment.received" },
      from: { type: "string", value: "date", description: "only those received on or after this UTC day, YYYY-MM-DD" },
      to: { type: "string", value: "date", description: "only those received on or before this UTC day, YYYY-MM-DD" },
      all: { type: "boolean", description: "every pending dead letter (of --org, or of every organisation)" },
    },
    examples: [
      "redrive --org org_Xk3vQ9pLm2Rt --reason schema_invalid --from 2026-06-01",
      "redrive --ids dl_3f9a1c0b7d2e4f5a6b8c9d0e,dl_8e2d4c6a0b1f3e5d7c9b2a4f",
      "redrive --all",
    ],
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

/** The dead letters `redrive` is asked for: by ids, by a filter, or all of them, of one organisation or every one. */
function parseRedriveSelection(option: (name: string) => string | undefined, all: boolean): Checked<RedriveSelection> {
  const org = option("org");
  if (org !== undefined && !Id.safeParse(org).success) {
    return { ok: false, message: `--org ${JSON.stringify(org)} is not an organisation id` };
  }
  const scope = org === undefined ? {} : { orgId: org };
  const filter = { reason: option("reason"), type: option("type"), from: option("from"), to: option("to") };
  const filtered = Object.values(filter).some((value) => value !== undefined);
  const ids = option("ids");
  if ([ids !== undefined, filtered, all].filter(Boolean).length !== 1) {
    return {
      ok: false,
      message: "choose the dead letters one way: --ids, a filter (--reason, --type, --from, --to), or --all",
    };
  }
  if (ids !== undefined) {
    const list = ids.split(",").map((id) => id.trim());
    const bad = list.filter((id) => !DEAD_LETTER_ID_PATTERN.test(id));
    if (bad.length > 0) {
      return {
        ok: false,
        message: `not dead letter ids (dl_ and 24 hex digits): ${bad.map((id) => JSON.stringify(id)).join(", ")}`,
      };
    }
    return { ok: true, value: { ...scope, ids: list } };
  }
  if (filter.reason !== undefined && !REASON_CODE_PATTERN.test(filter.reason)) {
    return {
      ok: false,
      message: `--reason ${JSON.stringify(filter.reason)} is not a reason code such as schema_invalid`,
    };
  }
  for (const name of ["from", "to"] as const) {
    const day = filter[name];
    if (day !== undefined && !isCalendarDate(day)) {
      return { ok: false, message: `--${name} ${day} is not a calendar date YYYY-MM-DD between 1900 and 2299` };
    }
  }
  if (filter.from !== undefined && filter.to !== undefined && filter.to < filter.from) {
    return { ok: false, message: `--to ${filter.to} is before --from ${filter.from}` };
  }
  const given = Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined));
  return { ok: true, value: { ...scope, filter: given } };
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
    case "redrive": {
      const selection = parseRedriveSelection(option, values.all === true);
      return selection.ok ? { ok: true, value: { name: "redrive", selection: selection.value } } : selection;
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
