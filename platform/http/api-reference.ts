import { readFile } from "node:fs/promises";
import path from "node:path";
import { createRequire } from "node:module";
import { Hono } from "hono";

// Swagger UI's files come from the installed swagger-ui-dist package, not a CDN: the reference page works on a laptop
// with no network, and the UI's version is the one package-lock.json pins.
const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

/** The reference page: Swagger UI reading the OpenAPI document at `documentUrl`. */
function page(documentUrl: string, base: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>WedSync Analytics API</title>
<link rel="stylesheet" href="${base}/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="${base}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: ${JSON.stringify(documentUrl)}, dom_id: "#reference", deepLinking: true, persistAuthorization: true });
</script>
</body>
</html>`;
}

/**
 * A browsable reference of the API at the mount point (e.g. /docs) and its two static files beneath it. Files are read
 * once and kept: they are a few megabytes that never change while the process runs.
 */
export function createApiReference({ documentUrl, base }: { documentUrl: string; base: string }) {
  const loaded = new Map<string, Promise<Buffer>>();
  const load = (name: string) => {
    let file = loaded.get(name);
    if (file === undefined) {
      file = readFile(path.join(SWAGGER_UI_DIR, name));
      loaded.set(name, file);
    }
    return file;
  };
  return new Hono()
    .get("/", (c) => c.html(page(documentUrl, base)))
    .get("/:asset", async (c) => {
      const name = c.req.param("asset");
      // Own keys only: "constructor" or "__proto__" are names of every object, not files.
      const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
      if (type === undefined) return c.notFound();
      c.header("Content-Type", type);
      c.header("Cache-Control", "public, max-age=86400");
      return c.body(new Uint8Array(await load(name)));
    });
}
