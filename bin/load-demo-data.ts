import type { Logger } from "../platform/logger.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import { generateWeddingData } from "../generator/generate-wedding-data.ts";
import type { GeneratedItem } from "../generator/generated-item.ts";
import { ORG_PRESETS } from "../generator/org-profiles.ts";
import type { App } from "./create-app.ts";
import { createProgressBar } from "./progress-bar.ts";

const DEMO_MARKER = "Demo: ";
const BATCH = 5_000;

/** A date `years` before `day`, both YYYY-MM-DD. */
function yearsBefore(day: string, years: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() - years);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The organisations of the demo data set. */
export const DEMO_PROFILES = [ORG_PRESETS.venueGroup, ORG_PRESETS.soloFlorist];

/**
 * The demo data set ending on `to` (YYYY-MM-DD): a venue group and a one-person florist, two years of weddings, with a
 * few injected anomalies; tens of thousands of events, in the order the generator emits them.
 */
export function demoDataSet(to: string): { from: string; to: string; items: GeneratedItem[] } {
  const from = yearsBefore(to, 2);
  const items = [
    ...generateWeddingData({ seed: 2026, organisations: DEMO_PROFILES, from, to, scale: 1.2, anomalyRate: 0.01 }),
  ];
  return { from, to, items };
}

/**
 * Loads a generated, realistic data set once per data directory: a venue group and a one-person
 * florist, two years of weddings up to yesterday, with deposit/instalment/final payments,
 * seasonality and Saturday peaks, and a few injected anomalies. Events go through the same ingest
 * step as HTTP requests. Prints each organisation's API key and a first query to try.
 */
export async function loadDemoData(app: App, logger: Logger): Promise<void> {
  const existing = await app.sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM organisations WHERE name LIKE $1",
    [`${DEMO_MARKER}%`],
  );
  if ((existing[0]?.n ?? 0) > 0) {
    console.log("Demo data is already loaded in this data directory; use the keys printed when it was loaded.");
    return;
  }
  const orgs = new Map<string, { orgId: string; apiKey: string; name: string }>();
  for (const profile of DEMO_PROFILES) {
    const org = await createOrganisation(app.sql, `${DEMO_MARKER}${profile.name}`);
    orgs.set(profile.key, org);
  }

  const started = Date.now();
  const sum = (offsets: number[]) => offsets.reduce((total, offset) => total + offset, 0);
  // Where processing stood before the demo's first event: the processing bar counts from here.
  const processedBefore = sum((await app.watermark()).processed);
  // Generated in full first (tens of thousands of small events), so the loading bar knows its total.
  const { from, to, items } = demoDataSet(new Date(Date.now() - 86_400_000).toISOString().slice(0, 10));
  const loading = createProgressBar("loading   ");
  const pending = new Map<string, unknown[]>();
  let posted = 0;
  let accepted = 0;
  const flush = async (orgKey: string) => {
    const events = pending.get(orgKey) ?? [];
    if (events.length === 0) return;
    pending.set(orgKey, []);
    const result = await app.acceptEvents(
      orgs.get(orgKey)!.orgId,
      events.map((value) => ({ ok: true as const, value })),
    );
    accepted += result.accepted;
    posted += events.length;
    loading.update(posted, items.length);
  };
  loading.update(0, items.length);
  for (const item of items) {
    const list = pending.get(item.orgKey) ?? [];
    list.push(item.event);
    pending.set(item.orgKey, list);
    if (list.length >= BATCH) await flush(item.orgKey);
  }
  for (const key of pending.keys()) await flush(key);
  loading.stop();
  logger.info({ event: "demo.loaded", accepted, ms: Date.now() - started }, "demo events appended");

  console.log(`Demo: ${accepted} events from ${from} to ${to} appended; processing them…`);
  // The processors have been running all along; the bar counts what they processed since the demo began, of
  // everything appended since then (the demo's events, and any another producer sent meanwhile).
  const processing = createProgressBar("processing");
  for (;;) {
    const { processed, end, lag } = await app.watermark();
    processing.update(sum(processed) - processedBefore, sum(end) - processedBefore);
    if (lag === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  processing.stop();
  console.log(`Demo data processed in ${((Date.now() - started) / 1000).toFixed(1)} s. API keys:`);
  for (const org of orgs.values())
    console.log(JSON.stringify({ name: org.name, orgId: org.orgId, apiKey: org.apiKey }));
  const [first] = orgs.values();
  console.log(
    `Try: curl -s "http://localhost:${app.config.port}/v1/analytics/revenue?from=${from}&to=${to}&interval=month&groupBy=service" -H "Authorization: Bearer ${first!.apiKey}"`,
  );
}
