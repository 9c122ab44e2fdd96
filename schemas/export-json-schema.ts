import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { Event } from "./envelope.ts";
import { EVENT_DATA_SCHEMAS } from "./events.ts";

/** JSON Schema (draft 2020-12) documents for producers in other languages, by file name. */
export function jsonSchemas(): Record<string, unknown> {
  const documents: Record<string, unknown> = {
    "event.schema.json": {
      $id: "https://wedsync.example/schemas/v1/event.schema.json",
      ...z.toJSONSchema(Event, { unrepresentable: "any" }),
    },
  };
  for (const [type, schema] of Object.entries(EVENT_DATA_SCHEMAS)) {
    documents[`${type}.data.schema.json`] = {
      $id: `https://wedsync.example/schemas/v1/${type}.data.schema.json`,
      title: `${type} data`,
      ...z.toJSONSchema(schema, { unrepresentable: "any" }),
    };
  }
  return documents;
}

/** Writes every JSON Schema document into `dir`. */
export async function exportJsonSchemas(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, document] of Object.entries(jsonSchemas())) {
    const file = path.join(dir, name);
    await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
    written.push(file);
  }
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "json");
  const written = await exportJsonSchemas(dir);
  console.log(`wrote ${written.length} JSON Schema files to ${dir}`);
}
