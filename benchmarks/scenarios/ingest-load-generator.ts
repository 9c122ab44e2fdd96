import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateWeddingData, type GenerateOptions } from "../../generator/generate-wedding-data.ts";
import type { GeneratedItem } from "../../generator/generated-item.ts";
import { ORG_PRESETS } from "../../generator/org-profiles.ts";
import { scaleForEventCount } from "../../generator/scale-to-event-count.ts";
import { partitionFor } from "../../platform/event-log/partition-for.ts";
import { partitionKey } from "../../schemas/index.ts";
import type { IngestAck, WatermarkPoll } from "./ingest-freshness.ts";

/** What the load generator is told to do. */
export interface IngestLoadOptions {
  baseUrl: string;
  apiKey: string;
  seed: number;
  seconds: number;
  connections: number;
  batchSize: number;
  /**
   * Events per second offered, over all lanes together: each lane sends its next batch when its share of the rate is
   * due (never early, as soon as it can when late). Absent: as fast as the server answers.
   */
  offeredPerSecond?: number;
  /** Events generated at most: far more than can be sent in `seconds`. */
  maxEvents: number;
  pollMs: number;
  /** How long to wait, after the load, for the pipeline to catch up. */
  drainCapSeconds: number;
}

/** What the load generator saw; times are ms from the start of the load, on its own clock. */
export interface IngestLoadReport {
  eventsSent: number;
  /** Counted by 202 answers as accepted or duplicate. */
  eventsAcknowledged: number;
  eventsAccepted: number;
  requests: number;
  errors: number;
  /** The generator ran out of events before the time was up. */
  exhausted: boolean;
  loadMs: number;
  firstAckMs: number;
  /** When the watermark first showed lag 0 after the load, or NaN if it did not within the cap. */
  caughtUpMs: number;
  /** Σ processed before the load: events already in ClickHouse, not ours. */
  processedBefore: number;
  acks: IngestAck[];
  polls: WatermarkPoll[];
  pollLatencyMs: number[];
  requestLatencyMs: number[];
}

/** A JSON request on a keep-alive agent of its own, answered with its status and parsed body. */
function send(agent: Agent, url: URL, apiKey: string, body?: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${apiKey}` };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(body);
    }
    const req = request(url, { agent, method: body === undefined ? "GET" : "POST", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined });
        } catch (error) {
          reject(error);
        }
      });
      res.on("error", reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Batches per lane, pulled lazily from one generator: a wedding's events always travel in the lane
 * of its partition key, in generated order, so each lane keeps its weddings in order.
 */
function createLaneBatches(items: Iterator<GeneratedItem>, lanes: number, batchSize: number) {
  const queues: GeneratedItem[][] = Array.from({ length: lanes }, () => []);
  let done = false;
  return function nextBatch(lane: number): GeneratedItem[] {
    const queue = queues[lane]!;
    while (queue.length < batchSize && !done) {
      const next = items.next();
      if (next.done) done = true;
      else queues[partitionFor(partitionKey(next.value.event), lanes)]!.push(next.value);
    }
    return queue.splice(0, batchSize);
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Posts generated events over `connections` lanes for `seconds`, then polls the watermark until lag 0. */
export async function runIngestLoad(
  o: IngestLoadOptions,
  progress: (line: object) => void = () => {},
): Promise<IngestLoadReport> {
  const base: Omit<GenerateOptions, "scale" | "maxEvents"> = {
    seed: o.seed,
    organisations: [ORG_PRESETS.chain],
    from: "2024-01-01",
    to: "2026-12-31",
  };
  const data = generateWeddingData({ ...base, scale: scaleForEventCount(base, o.maxEvents), maxEvents: o.maxEvents });
  const nextBatch = createLaneBatches(data[Symbol.iterator](), o.connections, o.batchSize);
  const eventsUrl = new URL("/v1/events", o.baseUrl);
  const revenueUrl = new URL("/v1/analytics/revenue?from=2000-01-01&to=2000-01-01", o.baseUrl);
  const pollAgent = new Agent({ keepAlive: true, maxSockets: 1 });

  const readWatermark = async (): Promise<{ processed: number; end: number; lag: number }> => {
    const { status, json } = await send(pollAgent, revenueUrl, o.apiKey);
    if (status !== 200) throw new Error(`revenue answered ${status}: ${JSON.stringify(json)}`);
    type Answer = { meta: { watermark: { processed: number[]; end: number[]; lag: number } } };
    const mark = (json as Answer).meta.watermark;
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    return { processed: sum(mark.processed), end: sum(mark.end), lag: mark.lag };
  };
  const processedBefore = (await readWatermark()).processed;

  const report: IngestLoadReport = {
    eventsSent: 0,
    eventsAcknowledged: 0,
    eventsAccepted: 0,
    requests: 0,
    errors: 0,
    exhausted: false,
    loadMs: 0,
    firstAckMs: Number.NaN,
    caughtUpMs: Number.NaN,
    processedBefore,
    acks: [],
    polls: [],
    pollLatencyMs: [],
    requestLatencyMs: [],
  };
  progress({ phase: "load" });
  const started = performance.now();
  const now = () => performance.now() - started;
  const deadline = o.seconds * 1000;
  let loadOver = false;

  // The poller runs from the start of the load until lag 0 after it, so that freshness covers every ack.
  const poller = (async () => {
    const cap = deadline + o.drainCapSeconds * 1000;
    while (now() < cap) {
      const sentAt = now();
      try {
        const mark = await readWatermark();
        const atMs = now();
        report.polls.push({ atMs, processed: mark.processed, end: mark.end });
        report.pollLatencyMs.push(atMs - sentAt);
        if (loadOver && mark.lag === 0) {
          report.caughtUpMs = atMs;
          return;
        }
      } catch {
        // A poll that fails is only a missing point on the freshness curve.
      }
      await sleep(Math.max(0, o.pollMs - (now() - sentAt)));
    }
  })();

  await Promise.all(
    Array.from({ length: o.connections }, async (_, lane) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const laneRate = o.offeredPerSecond === undefined ? undefined : o.offeredPerSecond / o.connections;
      let laneSent = 0;
      while (now() < deadline) {
        // Lanes are staggered by a share of one batch's period, so that the offered load is smooth, not one burst of
        // every lane's batch at once.
        const stagger = (lane / o.connections) * o.batchSize;
        if (laneRate !== undefined) await sleep(Math.max(0, ((laneSent + stagger) / laneRate) * 1000 - now()));
        if (now() >= deadline) break;
        const batch = nextBatch(lane);
        laneSent += batch.length;
        if (batch.length === 0) {
          report.exhausted = true;
          break;
        }
        const body = JSON.stringify(batch.map((item) => item.event));
        const sentAt = now();
        report.requests++;
        report.eventsSent += batch.length;
        try {
          const { status, json } = await send(agent, eventsUrl, o.apiKey, body);
          const atMs = now();
          report.requestLatencyMs.push(atMs - sentAt);
          if (status !== 202) {
            report.errors++;
            continue;
          }
          const counts = json as { accepted: number; duplicates: number };
          report.eventsAccepted += counts.accepted;
          report.eventsAcknowledged += counts.accepted + counts.duplicates;
          if (Number.isNaN(report.firstAckMs)) report.firstAckMs = atMs;
          report.acks.push({ atMs, cumulativeAccepted: report.eventsAccepted });
        } catch {
          report.errors++;
        }
      }
      agent.destroy();
    }),
  );
  report.loadMs = now();
  loadOver = true;
  progress({ phase: "drain", loadMs: report.loadMs });
  await poller;
  pollAgent.destroy();
  return report;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      "base-url": { type: "string" },
      "api-key": { type: "string" },
      seed: { type: "string", default: "1" },
      seconds: { type: "string", default: "10" },
      connections: { type: "string", default: "4" },
      batch: { type: "string", default: "1000" },
      rate: { type: "string" },
      "max-events": { type: "string" },
      "poll-ms": { type: "string", default: "250" },
      "drain-cap-seconds": { type: "string", default: "120" },
    },
  });
  const seconds = Number(values.seconds);
  const options: IngestLoadOptions = {
    baseUrl: values["base-url"] ?? process.env.WEDSYNC_BASE_URL ?? "",
    apiKey: values["api-key"] ?? process.env.WEDSYNC_API_KEY ?? "",
    seed: Number(values.seed),
    seconds,
    connections: Number(values.connections),
    batchSize: Number(values.batch),
    ...(values.rate === undefined ? {} : { offeredPerSecond: Number(values.rate) }),
    // 100,000 events/s is several times what a 2-core machine accepts; generation is lazy, so the margin is free.
    maxEvents: Number(values["max-events"] ?? seconds * 100_000),
    pollMs: Number(values["poll-ms"]),
    drainCapSeconds: Number(values["drain-cap-seconds"]),
  };
  if (!options.baseUrl || !options.apiKey) {
    throw new Error("--base-url and --api-key (or WEDSYNC_BASE_URL, WEDSYNC_API_KEY) are required");
  }
  const write = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
  write(await runIngestLoad(options, write));
}
