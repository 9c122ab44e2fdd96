/** What a scenario run as its own process was asked for on its command line. */
export interface ScenarioArgs {
  quick: boolean;
  workDir: string;
  /** `--events N`, when given. */
  events: number | undefined;
}

/** Parses `--quick`, `--work-dir <dir>` and `--events <n>`; throws on anything else. */
export function parseScenarioArgs(argv: readonly string[]): ScenarioArgs {
  let quick = false;
  let workDir: string | undefined;
  let events: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--quick") quick = true;
    else if (arg === "--work-dir") workDir = argv[++i];
    else if (arg === "--events") {
      events = Number(argv[++i]);
      if (!Number.isInteger(events) || events <= 0) throw new RangeError("--events must be a positive integer");
    } else throw new RangeError(`unknown argument ${String(arg)}`);
  }
  if (workDir === undefined) throw new RangeError("--work-dir <dir> is required");
  return { quick, workDir, events };
}
