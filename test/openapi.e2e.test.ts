import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import { ERROR_CODES } from "../platform/error-codes.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { startTestApp } from "./support/test-app.ts";

interface Schema {
  $ref?: string;
  example?: unknown;
  properties?: Record<string, Schema>;
  enum?: string[];
}
interface Media {
  example?: unknown;
  schema?: Schema;
}
interface Operation {
  operationId?: string;
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
}
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

// The document's own routes: the document itself and the reference page that reads it.
const SELF_DESCRIBING = new Set(["GET /openapi.json", "GET /docs", "GET /docs/:asset"]);

let dir: TempDir;
let app: App;
let doc: Document;

beforeAll(async () => {
  dir = await makeTempDir("wedsync-openapi");
  app = await startTestApp(dir.path);
  const res = await app.http.request("/openapi.json");
  expect(res.status).toBe(200);
  doc = (await res.json()) as Document;
});

afterAll(async () => {
  try {
    await app?.close();
  } finally {
    await dir?.cleanup();
  }
});

/** Every route the app answers, as `METHOD /path/:param`, middleware left out. */
function servedRoutes(): Set<string> {
  const served = new Set<string>();
  for (const route of app.http.routes) {
    if (route.method === "ALL") continue;
    served.add(`${route.method} ${route.path.replace(/\/$/, "") || "/"}`);
  }
  return served;
}

/** Every operation of the document, with its path in the router's `:param` spelling. */
function documentedRoutes(): Map<string, Operation> {
  const documented = new Map<string, Operation>();
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const routerPath = path.replace(/\{(\w+)\}/g, ":$1").replace(/\/$/, "") || "/";
      documented.set(`${method.toUpperCase()} ${routerPath}`, operation);
    }
  }
  return documented;
}

/** The example of a media type: its own, or its schema's (through a reference to a named schema). */
function exampleOf(media: Media): unknown {
  if (media.example !== undefined) return media.example;
  const schema = media.schema?.$ref
    ? doc.components.schemas[media.schema.$ref.replace("#/components/schemas/", "")]
    : media.schema;
  return schema?.example;
}

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 and describes exactly the routes the app serves", () => {
    expect(doc.openapi).toBe("3.1.0");
    const served = [...servedRoutes()].filter((route) => !SELF_DESCRIBING.has(route)).sort();
    const documented = [...documentedRoutes().keys()].sort();
    expect(documented).toEqual(served);
    // The /v1 surface is all there, whichever roles mounted it.
    expect(documented).toEqual(
      expect.arrayContaining(["POST /v1/events", "GET /v1/analytics/revenue", "GET /v1/reports/:id/file"]),
    );
  });

  it("gives every operation a unique id and an example for its request body and its success response", () => {
    const ids = new Set<string>();
    for (const [route, operation] of documentedRoutes()) {
      expect(operation.operationId, route).toBeTruthy();
      expect(ids.has(operation.operationId!), `${route}: duplicate operationId`).toBe(false);
      ids.add(operation.operationId!);
      for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
        expect(exampleOf(media), `${route} request ${type}`).toBeDefined();
      }
      const successes = Object.entries(operation.responses).filter(([status]) => status.startsWith("2"));
      expect(successes.length, `${route} has no success response`).toBeGreaterThan(0);
      for (const [status, response] of successes) {
        if (status === "204") continue;
        const media = Object.entries(response.content ?? {});
        expect(media.length, `${route} ${status} has no content`).toBeGreaterThan(0);
        for (const [type, one] of media) expect(exampleOf(one), `${route} ${status} ${type}`).toBeDefined();
      }
    }
  });

  it("documents the answers every authenticated route can give: 401, 403, 429 and 500 in the one error body", () => {
    for (const [route, operation] of documentedRoutes()) {
      if (!route.includes(" /v1/")) continue;
      for (const status of ["401", "403", "429", "500"]) {
        const media = operation.responses[status]?.content?.["application/json"];
        expect(media?.schema?.$ref, `${route} ${status}`).toBe("#/components/schemas/ErrorBody");
      }
    }
  });

  it("documents in the one error body exactly the codes of the registry an HTTP answer can carry: those with a status", () => {
    const codes = doc.components.schemas.ErrorBody?.properties?.error?.properties?.code?.enum;
    const answered = Object.entries(ERROR_CODES).filter(([, entry]) => "status" in entry);
    expect(codes).toContain("rate_limited");
    expect(codes).not.toContain("offsets_ahead_of_log");
    expect(codes?.sort()).toEqual(answered.map(([code]) => code).sort());
  });

  it("is the document the /docs reference page reads, and the page's files are served", async () => {
    const page = await app.http.request("/docs");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('"/openapi.json"');
    for (const asset of html.matchAll(/(?:href|src)="(\/docs\/[^"]+)"/g)) {
      const res = await app.http.request(asset[1]!);
      expect(res.status, asset[1]).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
    expect((await app.http.request("/docs/package.json")).status).toBe(404);
  });
});
