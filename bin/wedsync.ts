import { parseArgs } from "node:util";
import { SingleBar, Presets } from "cli-progress";
import { loadConfig, type Config } from "../platform/config.ts";
import { startHttpServer } from "../platform/http/start-http-server.ts";
import { createLogger, type Logger } from "../platform/logger.ts";
import type { KeyAccess } from "../platform/tenants/api-keys.ts";
import { SCOPES, TIERS, type Scope, type Tier } from "../platform/tenants/key-access.ts";
import { countOrganisations, createOrganisation } from "../platform/tenants/organisations.ts";
import { createApp, ROLES, type App, type Role } from "./create-app.ts";
import { loadDemoData } from "./load-demo-data.ts";

const USAGE = `usage: wedsync <command>
  start [--role ingest,process,api,scheduler]   run the pipeline (every role by default)
  demo                                          start, and load a generated demo data set once
  org:create "<name>" [--scopes ingest,read,reports,admin] [--tier free|professional|enterprise]
                                                create an organisation and its first key (default scopes
                                                ingest,read,reports; tier professional); prints
                                                {"orgId","apiKey","scopes","tier"}
  rebuild                                       rebuild ClickHouse and Postgres projections from the log (server stopped)`;

/** Starts the HTTP server and the background roles; stops cleanly on SIGINT/SIGTERM. */
async function serveApp(app: App, logger: Logger): Promise<void> {
  await app.start();
  const { config } = app;
  const server = await startHttpServer({ fetch: app.http.fetch, port: config.port, host: config.host, limits: config.httpLimits, logger });
  logger.info({ event: "http.listening", port: server.port, ...config.httpLimits }, `listening on http://${config.host}:${server.port}`);
  console.log(`WedSync Analytics listening on http://localhost:${server.port} (data in ${config.dataDir})`);
  const shutdown = async (signal: string) => {
    logger.info({ event: "process.stopping", signal }, "stopping");
    // New connections are refused from here on; open ones end with the process, once the stores are closed.
    void server.close();
    await app.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

/**
 * On the very first start of an embedded installation, creates a demo organisation and prints its key. The key holds
 * every scope, admin included: whoever starts the process is its operator, and can reach the admin routes with it.
 */
async function ensureFirstOrganisation(app: App, config: Config): Promise<void> {
  if (config.databaseUrl || (await countOrganisations(app.sql)) > 0) return;
  const org = await createOrganisation(app.sql, "Demo Weddings", { scopes: SCOPES });
  console.log(`First start: created organisation "${org.name}". Its API key (shown once; scopes ${SCOPES.join(", ")}):`);
  console.log(JSON.stringify({ orgId: org.orgId, apiKey: org.apiKey }));
}

/** The key access given by `--scopes a,b` and `--tier t`; absent options keep the defaults. */
function parseKeyAccess(scopes: string | undefined, tier: string | undefined): KeyAccess {
  const access: KeyAccess = {};
  if (scopes !== undefined) {
    const list = scopes.split(",").map((s) => s.trim());
    const unknown = list.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0) throw new Error(`unknown scope(s) ${unknown.map((s) => `"${s}"`).join(", ")}; use some of ${SCOPES.join(", ")}`);
    access.scopes = [...new Set(list as Scope[])];
  }
  if (tier !== undefined) {
    if (!(TIERS as readonly string[]).includes(tier)) throw new Error(`unknown tier ${tier}; use one of ${TIERS.join(", ")}`);
    access.tier = tier as Tier;
  }
  return access;
}

function parseRoles(value: string | undefined): Role[] {
  if (value === undefined || value === "all") return [...ROLES];
  const roles = value.split(",").map((r) => r.trim());
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) throw new Error(`unknown role(s) ${unknown.join(", ")}; use ${ROLES.join(", ")} or all`);
  return roles as Role[];
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { role: { type: "string" }, scopes: { type: "string" }, tier: { type: "string" } },
  });
  const [command, ...rest] = positionals;
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel, { toStderr: command !== "start" && command !== "demo" });
  switch (command) {
    case "start": {
      const app = await createApp(config, logger, parseRoles(values.role));
      await ensureFirstOrganisation(app, config);
      await serveApp(app, logger);
      return;
    }
    case "demo": {
      const app = await createApp(config, logger);
      await serveApp(app, logger);
      await loadDemoData(app, logger);
      return;
    }
    case "org:create": {
      const name = rest.join(" ");
      if (!name.trim()) throw new Error('usage: org:create "<name>" [--scopes …] [--tier …]');
      const access = parseKeyAccess(values.scopes, values.tier);
      const app = await createApp(config, logger, []);
      try {
        const org = await createOrganisation(app.sql, name, access);
        console.log(JSON.stringify({ orgId: org.orgId, apiKey: org.apiKey, scopes: org.key.scopes, tier: org.key.tier }));
      } finally {
        await app.close();
      }
      return;
    }
    case "rebuild": {
      const app = await createApp(config, logger, []);
      const bar = new SingleBar({ format: "rebuild [{bar}] {percentage}% | {value}/{total} events | {eta_formatted} left", stream: process.stderr }, Presets.shades_classic);
      try {
        let started = false;
        const { events, ms } = await app.rebuild((done, total) => {
          if (!started) bar.start(total, done);
          started = true;
          bar.update(done);
        });
        bar.stop();
        console.log(JSON.stringify({ rebuilt: events, seconds: Math.round(ms / 100) / 10 }));
      } finally {
        await app.close();
      }
      return;
    }
    default:
      console.error(USAGE);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
