import { randomUUID } from "node:crypto";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import examples from "../schemas/examples/events.json" with { type: "json" };
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { startTestApp, waitUntilProcessed } from "./support/test-app.ts";

// The tenant-isolation matrix and the SQL-injection sweep, both driven by the OpenAPI document, so a route added
// later is covered without touching this file. Organisation A's data is marked so that any leak is recognisable:
// every id starts with "leak", its region is "LeakRegion" and its money is in CHF, a currency B never uses. B then
// calls every route with A's ids in every path parameter, every query parameter and every string of the example
// bodies, and with hostile strings in the same places; no successful answer to B may carry any of A's marks, and no
// input may make a route fail with a 500.

interface Parameter {
  name: string;
  in: "query" | "path" | "header";
  required?: boolean;
  schema?: { type?: string | string[]; enum?: unknown[]; example?: unknown; default?: unknown };
  example?: unknown;
}
interface Media {
  example?: unknown;
  schema?: { $ref?: string; example?: unknown };
}
interface Operation {
  operationId: string;
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, Media> };
}
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { example?: unknown }> };
};

const HOSTILE = [
  "' OR '1'='1",
  "'); DROP TABLE events; --",
  "{orgId:String}",
  "x\\' OR 1=1 --",
  '" OR ""="',
  "%27%20OR%201=1",
  "org_' UNION SELECT * FROM events --",
  "\u0000",
  "😈".repeat(300),
];
// Numbers and dates at and past the edges of what routes accept, put wherever an example has a number or a string.
const EDGES: Value[] = [-1, 0, 1.5, 2 ** 31, 1e300, "1900-01-01", "2299-12-31", "1899-12-31", "2300-01-01"];
const LEAK_MARKS = ["leak", "LeakRegion", "CHF"];

let dir: TempDir;
let app: App;
let doc: Document;
const orgA = { orgId: "", apiKey: "", ids: [] as string[] };
const orgB = { orgId: "", apiKey: "" };

/** The example events with fresh event ids, every other id prefixed, and the given region and currency. */
function eventsOf(prefix: string, region: string, currency: string, today: string): unknown[] {
  const text = JSON.stringify(examples)
    .replaceAll('"GBP"', `"${currency}"`)
    .replaceAll('"Yorkshire"', `"${region}"`)
    .replace(/"(inq|wed|bk|sup|cl|ven|pay|exp|rf)-([^"]*)"/g, `"${prefix}$1-$2"`);
  const events = (JSON.parse(text) as { id: string; occurredAt: string; data: Record<string, unknown> }[]).map(
    (event) => ({
      ...event,
      id: randomUUID(),
    }),
  );
  // An overpayment (an anomaly) and a booking made today (the live tally), besides the examples' history.
  const booking = events.find((event) => event.data.bookingId !== undefined)!.data;
  const todayBooking = { ...(events[1] as { data: Record<string, unknown> }).data, bookingId: `${prefix}bk-today` };
  return [
    ...events.filter((event) => !JSON.stringify(event).includes("booking.cancelled")),
    {
      id: randomUUID(),
      type: "payment.received",
      occurredAt: "2026-06-20T10:00:00Z",
      source: "test",
      data: {
        paymentId: `${prefix}pay-over`,
        bookingId: booking.bookingId,
        weddingId: booking.weddingId,
        amount: { amount: 900_000, currency },
        method: "card",
      },
    },
    { id: randomUUID(), type: "booking.created", occurredAt: `${today}T09:00:00Z`, source: "test", data: todayBooking },
  ];
}

async function call(apiKey: string, path: string, init: RequestInit = {}): Promise<Response> {
  return app.http.request(path, { ...init, headers: { authorization: `Bearer ${apiKey}`, ...init.headers } });
}

/** What a successful answer says about data, as text: JSON without the `meta` that echoes the request, CSV/NDJSON as is, the first seconds of a stream, a workbook's cells. */
async function answerText(res: Response): Promise<string> {
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("text/event-stream")) {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), deadline - Date.now())),
      ]);
      if (chunk === undefined || chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    await reader.cancel();
    return text;
  }
  if (type.includes("spreadsheetml")) {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    const cells: string[] = [];
    workbook.eachSheet((sheet) => sheet.eachRow((row) => cells.push(JSON.stringify(row.values))));
    return cells.join("\n");
  }
  if (type.includes("application/pdf")) return "";
  const text = await res.text();
  if (!type.includes("application/json") || text === "") return text;
  const body = JSON.parse(text) as Record<string, unknown>;
  delete body.meta;
  return JSON.stringify(body);
}

/** One request of the sweep: where it goes and what it carries. */
interface Probe {
  label: string;
  method: string;
  path: string;
  body?: unknown;
}

function exampleOf(p: Parameter): string | undefined {
  const value = p.example ?? p.schema?.example ?? p.schema?.default ?? p.schema?.enum?.[0];
  return value === undefined ? undefined : String(value);
}

/** A value the sweep puts in a parameter or a body field. */
type Value = string | number;

/** Every string or number leaf of a JSON value replaced, one at a time, by each of the values given. */
function* bodyVariants(example: unknown, values: Value[]): Generator<{ where: string; body: unknown }> {
  const walk = function* (
    node: unknown,
    path: string,
    rebuild: (v: unknown) => unknown,
  ): Generator<{ where: string; body: unknown }> {
    if (typeof node === "string" || typeof node === "number") {
      for (const value of values) yield { where: path, body: rebuild(value) };
    } else if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        yield* walk(node[i], `${path}[${i}]`, (v) => rebuild(node.map((item, j) => (j === i ? v : item))));
      }
    } else if (node !== null && typeof node === "object") {
      for (const [key, child] of Object.entries(node)) {
        yield* walk(child, `${path}.${key}`, (v) => rebuild({ ...(node as object), [key]: v }));
      }
    }
  };
  yield* walk(example, "$", (v) => v);
}

/** The requests of one operation: its example, then `values` in each path parameter, query parameter and body string. */
function probesOf(method: string, template: string, op: Operation, values: Value[]): Probe[] {
  const params = op.parameters ?? [];
  const base: Record<string, string> = {};
  for (const p of params) {
    const example = exampleOf(p);
    if (example !== undefined && (p.required || p.in === "path")) base[`${p.in}:${p.name}`] = example;
  }
  const build = (overrides: Record<string, string>) => {
    const all = { ...base, ...overrides };
    let path = template;
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(all)) {
      const [where, name] = key.split(":") as [string, string];
      if (where === "path") path = path.replace(`{${name}}`, encodeURIComponent(value));
      if (where === "query") query.set(name, value);
    }
    return query.size > 0 ? `${path}?${query}` : path;
  };
  const media = op.requestBody?.content["application/json"];
  const named = media?.schema?.$ref?.replace("#/components/schemas/", "");
  const bodyExample =
    media?.example ?? (named === undefined ? media?.schema?.example : doc.components.schemas[named]?.example);
  const probes: Probe[] = [{ label: "example", method, path: build({}), body: bodyExample }];
  for (const p of params) {
    if (p.in === "header") continue;
    for (const value of values) {
      probes.push({
        label: `${p.in} ${p.name}=${JSON.stringify(value).slice(0, 40)}`,
        method,
        path: build({ [`${p.in}:${p.name}`]: String(value) }),
        body: bodyExample,
      });
    }
  }
  if (bodyExample !== undefined) {
    for (const { where, body } of bodyVariants(bodyExample, values)) {
      probes.push({ label: `body ${where}`, method, path: build({}), body });
    }
  }
  return probes;
}

/**
 * Runs every probe of every authenticated operation (but those skipped, or only those of `only`) as the caller, B by
 * default, and returns what went wrong.
 */
async function sweep(
  values: Value[],
  skip: string[] = [],
  caller: { apiKey: string } = orgB,
  only?: (template: string) => boolean,
): Promise<string[]> {
  const problems: string[] = [];
  let requests = 0;
  let probed = 0;
  for (const [template, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      if ((op.security !== undefined && op.security.length === 0) || skip.includes(op.operationId)) continue;
      if (only !== undefined && !only(template)) continue;
      probed++;
      for (const probe of probesOf(method.toUpperCase(), template, op, values)) {
        requests++;
        const init: RequestInit = { method: probe.method };
        if (probe.body !== undefined) init.body = JSON.stringify(probe.body);
        if (probe.body !== undefined) init.headers = { "content-type": "application/json" };
        const res = await call(caller.apiKey, probe.path, init);
        const where = `${op.operationId} ${probe.label}: ${probe.method} ${probe.path}`;
        // The example of a route without ids must be answered, or the sweep of that route would prove nothing.
        const needsIds = template.includes("{") || (template.startsWith("/v1/admin") && caller === orgB);
        if (probe.label === "example" && !needsIds && res.status >= 300)
          problems.push(`${where} → ${res.status}: the example is not answered`);
        if (res.status >= 500) problems.push(`${where} → ${res.status} ${await res.text()}`);
        else if (res.status < 300) {
          const text = await answerText(res);
          const leaked = LEAK_MARKS.filter((mark) => text.includes(mark)).concat(
            orgA.ids.filter((id) => text.includes(id)),
          );
          if (leaked.length > 0) problems.push(`${where} → ${res.status} carries ${leaked.join(", ")}`);
        } else await res.body?.cancel();
      }
    }
  }
  // Every operation but the public and skipped ones was probed, each with its example and every value at least once.
  expect(probed).toBeGreaterThanOrEqual(only === undefined ? 10 : 1);
  expect(requests).toBeGreaterThanOrEqual(probed * (1 + values.length));
  return problems;
}

beforeAll(async () => {
  dir = await makeTempDir("wedsync-isolation");
  // B's sweep sends some thousands of requests: the test app's quotas are out of its reach, so every probe gets a real
  // answer rather than a 429.
  app = await startTestApp(dir.path);
  const today = new Date().toISOString().slice(0, 10);
  const a = await createOrganisation(app.sql, "Leaky Weddings");
  const b = await createOrganisation(app.sql, "Other Weddings");
  Object.assign(orgA, { orgId: a.orgId, apiKey: a.apiKey });
  Object.assign(orgB, { orgId: b.orgId, apiKey: b.apiKey });
  for (const [org, prefix, region, currency] of [
    [orgA, "leak", "LeakRegion", "CHF"],
    [orgB, "b", "Yorkshire", "GBP"],
  ] as const) {
    const res = await call(org.apiKey, "/v1/events", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(eventsOf(prefix, region, currency, today)),
    });
    expect(res.status).toBe(202);
  }
  await waitUntilProcessed(app);
  // A's things that have ids of their own: a report run and a schedule.
  const report = await call(orgA.apiKey, "/v1/reports", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ kind: "monthly", month: "2026-06", format: "pdf" }),
  });
  const schedule = await call(orgA.apiKey, "/v1/reports/schedules", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ cron: "0 6 1 * *", timezone: "UTC", kind: "monthly", format: "pdf" }),
  });
  orgA.ids.push(
    orgA.orgId,
    ((await report.json()) as { id: string }).id,
    ((await schedule.json()) as { id: string }).id,
  );
  await app.reports.drain();
  doc = (await (await app.http.request("/openapi.json")).json()) as Document;
}, 120_000);

afterAll(async () => {
  try {
    await app?.close();
  } finally {
    await dir?.cleanup();
  }
});

describe("tenant isolation", () => {
  it("would see a leak: run as A, the same sweep finds A's marks in A's own answers", async () => {
    const found = await sweep(["leakbk-88213"], ["ingestEvents"], orgA);
    expect(found.some((problem) => problem.includes("getRevenue") && problem.includes("CHF"))).toBe(true);
  }, 300_000);

  it("no route answers B with A's rows, whatever ids of A's B passes anywhere", async () => {
    // Ingest is left out: it reads nothing back (its answer counts B's own items), and events B sent with A's ids
    // would be B's own data from then on, marks and all.
    const ids = ["leakbk-88213", "leakwed-2027-0612-hart", "leaksup-lens-and-light", "LeakRegion", "CHF", ...orgA.ids];
    const problems = await sweep(ids, ["ingestEvents"]);
    expect(problems).toEqual([]);
  }, 300_000);

  it("hostile strings in every parameter and body field are plain values: never a 500, never A's rows", async () => {
    const problems = await sweep(HOSTILE);
    expect(problems).toEqual([]);
    // The tables are intact and A's data is all still there.
    const revenue = await call(orgA.apiKey, "/v1/analytics/revenue?from=2026-01-01&to=2026-12-31&groupBy=region");
    expect(revenue.status).toBe(200);
    expect(await revenue.text()).toContain("LeakRegion");
  }, 300_000);

  it("numbers and dates at and past every edge are answered or refused, never a 500", async () => {
    expect(await sweep(EDGES, ["ingestEvents"])).toEqual([]);
  }, 300_000);

  it("the operator's admin routes take hostile and edge values without a 500 too", async () => {
    const operator = await createOrganisation(app.sql, "Operator", { scopes: ["ingest", "read", "reports", "admin"] });
    const admin = (template: string) => template.startsWith("/v1/admin");
    expect(await sweep([...HOSTILE, ...EDGES], [], operator, admin)).toEqual([]);
  }, 300_000);

  it("the public routes refuse what is not theirs without a 500", async () => {
    for (const path of [
      "/docs/constructor",
      "/docs/__proto__",
      "/docs/toString",
      "/docs/..%2Fpackage.json",
      "/openapi.json?x=%00",
    ]) {
      const res = await app.http.request(path);
      expect(res.status, path).toBeLessThan(500);
    }
  });
});
