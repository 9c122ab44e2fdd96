import { parseArgs } from "node:util";

/** One option of a command, as its help shows it. */
export interface OptionSpec {
  /** `string` takes a value (`--role api`, `--role=api`); `boolean` is a switch. */
  type: "string" | "boolean";
  /** What the value is, for the help (`--role <roles>`); string options only. */
  value?: string;
  /** One letter, as in `-h`. */
  short?: string;
  /** One line for the help. */
  description: string;
}

/** A command of the CLI: its name, what its help says, and what it accepts. */
export interface CommandSpec {
  name: string;
  /** One line, for the list of commands. */
  summary: string;
  /** What follows the command's name in its usage line, e.g. `"<name>" [--tier <tier>]`; empty when nothing does. */
  usage: string;
  /** A few sentences: what it does, what it prints, when to run it. */
  description: string;
  /** Its options; `--help` is added to every command. */
  options: Record<string, OptionSpec>;
  /** Whether it takes arguments after its name (a name, a command); it refuses any otherwise. */
  takesArguments?: boolean;
  /** Command lines to copy, without the program name. */
  examples: string[];
}

/** What a command line asks for. Expected outcomes are values: only a bug in this module throws. */
export type CommandLine =
  /** Help was asked for: print `text` on stdout, exit 0. */
  | { kind: "help"; text: string }
  /** The command line is wrong: print `message` on stderr, exit 2. */
  | { kind: "usage_error"; message: string }
  /** Run `command` with these option values and arguments (the command's name not among them). */
  | { kind: "run"; command: string; values: Record<string, string | boolean | undefined>; args: string[] };

const HELP_OPTION: OptionSpec = { type: "boolean", short: "h", description: "show this help" };

/** The list of commands, for `--help`, `-h` and a command line without a command. */
export function formatOverview(
  program: string,
  about: string,
  commands: readonly CommandSpec[],
  footer: string,
): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    `usage: ${program} <command> [options]`,
    "",
    about,
    "",
    "commands:",
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    "",
    footer,
  ].join("\n");
}

/** The help of one command: usage, what it does, its options and an example. */
export function formatCommandHelp(program: string, command: CommandSpec): string {
  const options = Object.entries({ ...command.options, help: HELP_OPTION }).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : ""}--${name}${option.type === "string" ? ` <${option.value ?? "value"}>` : ""}`;
    return { flag, description: option.description };
  });
  const width = Math.max(...options.map((option) => option.flag.length));
  return [
    `usage: ${program} ${command.name}${command.usage ? ` ${command.usage}` : ""}`,
    "",
    command.description,
    "",
    "options:",
    ...options.map((option) => `  ${option.flag.padEnd(width)}  ${option.description}`),
    "",
    command.examples.length > 1 ? "examples:" : "example:",
    ...command.examples.map((example) => `  ${program} ${example}`),
  ].join("\n");
}

/**
 * Reads a command line: the command is the first argument that is not an option (options may come before it, as in
 * `--role api start`), `-h`/`--help` anywhere asks for help (`help [<command>]` too, if `commands` has a `help`),
 * and every option must be one of the command's, with a value where it takes one.
 */
export function parseCommandLine(
  program: string,
  argv: readonly string[],
  commands: readonly CommandSpec[],
  overview: string,
): CommandLine {
  // A lenient first pass knows every command's options, so `--role api` keeps its value wherever it stands; the
  // command's own options are checked below, with messages that name the option and the command. (So an option's
  // name must mean the same kind of option in every command that has it.)
  const known: Record<string, { type: "string" | "boolean"; short?: string }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const command of commands) {
    for (const [name, option] of Object.entries(command.options)) {
      known[name] = { type: option.type, ...(option.short ? { short: option.short } : {}) };
    }
  }
  const { tokens } = parseArgs({
    args: [...argv],
    options: known,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const positionals = tokens.flatMap((token) => (token.kind === "positional" ? [token.value] : []));
  const options = tokens.flatMap((token) => (token.kind === "option" ? [token] : []));
  const wantsHelp = options.some((token) => token.name === "help");
  const [name, ...args] = positionals;

  if (name === undefined) {
    const stray = options.find((token) => token.name !== "help");
    return stray
      ? {
          kind: "usage_error",
          message: `${program}: unknown option '${stray.rawName}'. Run '${program} --help' for the list of commands.`,
        }
      : { kind: "help", text: overview };
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    return {
      kind: "usage_error",
      message: `${program}: unknown command '${name}'. Run '${program} --help' for the list of commands.`,
    };
  }
  if (wantsHelp) return { kind: "help", text: formatCommandHelp(program, command) };

  const refer = `Run '${program} ${command.name} --help' for its usage.`;
  const values: Record<string, string | boolean | undefined> = {};
  for (const token of options) {
    const option = command.options[token.name];
    if (!option)
      return {
        kind: "usage_error",
        message: `${program} ${command.name}: unknown option '${token.rawName}'. ${refer}`,
      };
    if (option.type === "string") {
      // A value that looks like an option is the next option, not this one's value (as parseArgs's strict mode says).
      if (token.value === undefined || (!token.inlineValue && token.value.startsWith("-"))) {
        return {
          kind: "usage_error",
          message: `${program} ${command.name}: option '--${token.name}' needs a value (--${token.name} <${option.value ?? "value"}>). ${refer}`,
        };
      }
      values[token.name] = token.value;
    } else {
      if (token.value !== undefined) {
        return {
          kind: "usage_error",
          message: `${program} ${command.name}: option '--${token.name}' takes no value. ${refer}`,
        };
      }
      values[token.name] = true;
    }
  }
  if (!command.takesArguments && args.length > 0) {
    return { kind: "usage_error", message: `${program} ${command.name}: unexpected argument '${args[0]}'. ${refer}` };
  }
  if (command.name === "help") {
    const [about] = args;
    const described = commands.find((candidate) => candidate.name === about);
    if (about === undefined) return { kind: "help", text: overview };
    return described
      ? { kind: "help", text: formatCommandHelp(program, described) }
      : {
          kind: "usage_error",
          message: `${program}: unknown command '${about}'. Run '${program} --help' for the list of commands.`,
        };
  }
  return { kind: "run", command: command.name, values, args };
}
