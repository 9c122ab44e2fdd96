import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** The parts of a V8 `.cpuprofile` (as written by `node --cpu-prof`) this summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Time attributed to one name: where the sampled stack stood (self) and anywhere on it (inclusive), ms. */
export interface Cost {
  name: string;
  selfMs: number;
  inclusiveMs: number;
}

/** A profile's costs by function, by module and by caller-chosen groups, over its busy (not idle) time. */
export interface ProfileSummary {
  totalMs: number;
  /** Everything but `(idle)`: the time the main thread was doing something. */
  busyMs: number;
  functions: Cost[];
  modules: Cost[];
  groups: Cost[];
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The module a script URL belongs to: an npm package, a folder of this repository, node's own code, or V8's. */
export function moduleOf(url: string): string {
  if (url === "") return "(v8)";
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const file = url.startsWith("file://") ? fileURLToPath(url) : url;
  const packages = file.lastIndexOf("/node_modules/");
  if (packages >= 0) {
    const [scopeOrName, name] = file.slice(packages + "/node_modules/".length).split("/");
    return scopeOrName!.startsWith("@") ? `${scopeOrName}/${name}` : scopeOrName!;
  }
  const relative = path.relative(ROOT, file);
  return relative.startsWith("..") ? file : relative;
}

/**
 * Summarises a profile. Self time goes to the function on top of each sample's stack; inclusive time to every
 * distinct function (module, group) on it, once per sample, so recursion is not counted twice. `groupOf` names
 * the stage a stack belongs to, from its frames' URLs and names, innermost first; undefined leaves it "(other)".
 */
export function summariseProfile(
  profile: CpuProfile,
  groupOf: (frames: { functionName: string; module: string }[]) => string | undefined = () => undefined,
): ProfileSummary {
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (id: number) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const module = moduleOf(url);
    return { fn: `${functionName || "(anonymous)"} ${module}:${lineNumber + 1}`, module, functionName };
  };
  type Frame = { fn: string; module: string; functionName: string };
  const stacks = new Map<number, Frame[]>();
  const stackOf = (id: number) => {
    let stack: Frame[] | undefined = stacks.get(id);
    if (!stack) {
      stack = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(label(at));
      stacks.set(id, stack);
    }
    return stack;
  };

  const add = (table: Map<string, Cost>, name: string, key: "selfMs" | "inclusiveMs", ms: number) => {
    let cost = table.get(name);
    if (!cost) table.set(name, (cost = { name, selfMs: 0, inclusiveMs: 0 }));
    cost[key] += ms;
  };
  const functions = new Map<string, Cost>();
  const modules = new Map<string, Cost>();
  const groups = new Map<string, Cost>();
  let totalMs = 0;
  let idleMs = 0;
  profile.samples.forEach((id, i) => {
    // timeDeltas[i] is the time before sample i; the time after it (the next delta) is what the sample stands for.
    const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    // The outermost frame is V8's "(root)", on every stack: it would only repeat the total.
    const stack = stackOf(id).slice(0, -1);
    const top = stack[0];
    totalMs += ms;
    if (!top) return;
    if (top.functionName === "(idle)") {
      idleMs += ms;
      return;
    }
    add(functions, top.fn, "selfMs", ms);
    add(modules, top.module, "selfMs", ms);
    for (const fn of new Set(stack.map((frame) => frame.fn))) add(functions, fn, "inclusiveMs", ms);
    for (const module of new Set(stack.map((frame) => frame.module))) add(modules, module, "inclusiveMs", ms);
    const group = top.functionName.startsWith("(") ? top.functionName : (groupOf(stack) ?? "(other)");
    add(groups, group, "selfMs", ms);
    add(groups, group, "inclusiveMs", ms);
  });
  const sorted = (table: Map<string, Cost>) => [...table.values()].sort((a, b) => b.selfMs - a.selfMs);
  return {
    totalMs,
    busyMs: totalMs - idleMs,
    functions: sorted(functions),
    modules: sorted(modules),
    groups: sorted(groups),
  };
}

/**
 * The pipeline stage a server stack belongs to, judged by the outermost frame of this repository's stages
 * (ingest, processors, query API, reports) or, failing that, by the engine it runs in.
 */
export function serverStageOf(frames: { functionName: string; module: string }[]): string | undefined {
  for (let i = frames.length - 1; i >= 0; i--) {
    const stage = /^(ingest|processors|query-api|reports)\//.exec(frames[i]!.module)?.[1];
    if (stage) return stage;
  }
  for (const { module } of frames) {
    if (module.startsWith("@electric-sql/pglite")) return "pglite (outside a stage)";
    if (module === "lmdb" || module === "platform/event-log/lmdb-event-log.ts") return "lmdb (outside a stage)";
    if (module === "@hono/node-server" || module === "hono") return "http (outside a stage)";
  }
  return undefined;
}

function table(costs: Cost[], busyMs: number, top: number, by: "selfMs" | "inclusiveMs"): string {
  const rows = [...costs].sort((a, b) => b[by] - a[by]).slice(0, top);
  const pct = (ms: number) => `${((100 * ms) / busyMs).toFixed(1).padStart(5)}%`;
  return rows.map((c) => `${pct(c.selfMs)} self ${pct(c.inclusiveMs)} incl  ${c.name}`).join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: "string", default: "30" }, filter: { type: "string" } },
  });
  if (positionals.length === 0) {
    throw new Error("usage: tsx benchmarks/summarise-cpu-profile.ts [--top N] [--filter text] <file.cpuprofile>…");
  }
  const top = Number(values.top);
  for (const file of positionals) {
    const summary = summariseProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, serverStageOf);
    const functions = values.filter
      ? summary.functions.filter((c) => c.name.includes(values.filter!))
      : summary.functions;
    const lines = [
      `# ${file}`,
      `sampled ${(summary.totalMs / 1000).toFixed(1)} s, busy ${(summary.busyMs / 1000).toFixed(1)} s (percentages are of busy time, idle left out)`,
      "",
      "## stages (by the outermost stage frame on the stack)",
      table(summary.groups, summary.busyMs, top, "selfMs"),
      "",
      "## modules by self time",
      table(summary.modules, summary.busyMs, top, "selfMs"),
      "",
      "## modules by inclusive time",
      table(summary.modules, summary.busyMs, top, "inclusiveMs"),
      "",
      "## functions by self time",
      table(functions, summary.busyMs, top, "selfMs"),
      "",
      "## functions by inclusive time",
      table(functions, summary.busyMs, top, "inclusiveMs"),
      "",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  }
}
