import { describe, expect, it } from "vitest";
import { formatCommandHelp, parseCommandLine, type CommandSpec } from "./command-line.ts";

const COMMANDS: CommandSpec[] = [
  {
    name: "serve",
    summary: "serve",
    usage: "[--role <roles>] [--quiet]",
    description: "Serves.",
    options: {
      role: { type: "string", value: "roles", description: "roles to run" },
      quiet: { type: "boolean", short: "q", description: "say less" },
    },
    examples: ["serve --role api"],
  },
  {
    name: "greet",
    summary: "greet",
    usage: '"<name>"',
    description: "Greets.",
    options: {},
    takesArguments: true,
    examples: ["greet Ann"],
  },
  {
    name: "help",
    summary: "help",
    usage: "[<command>]",
    description: "Helps.",
    options: {},
    takesArguments: true,
    examples: ["help serve"],
  },
];
const parse = (...argv: string[]) => parseCommandLine("tool", argv, COMMANDS, "OVERVIEW");
const usageError = (message: string) => ({ kind: "usage_error", message });

describe("parseCommandLine", () => {
  it("reads the command's options wherever they stand, inline values included, and its arguments", () => {
    expect(parse("--role", "api", "serve", "-q")).toEqual({
      kind: "run",
      command: "serve",
      values: { role: "api", quiet: true },
      args: [],
    });
    expect(parse("serve", "--role=api,process")).toEqual({
      kind: "run",
      command: "serve",
      values: { role: "api,process" },
      args: [],
    });
    expect(parse("greet", "Ann", "Lee", "--", "--not-an-option")).toEqual({
      kind: "run",
      command: "greet",
      values: {},
      args: ["Ann", "Lee", "--not-an-option"],
    });
  });

  it("answers help for the overview or the command, whatever else the line holds", () => {
    expect(parse()).toEqual({ kind: "help", text: "OVERVIEW" });
    expect(parse("-h")).toEqual({ kind: "help", text: "OVERVIEW" });
    expect(parse("help")).toEqual({ kind: "help", text: "OVERVIEW" });
    const serveHelp = { kind: "help", text: formatCommandHelp("tool", COMMANDS[0]!) };
    expect(parse("serve", "--bogus", "--help")).toEqual(serveHelp);
    expect(parse("help", "serve")).toEqual(serveHelp);
    expect(parse("help", "--help")).toEqual({ kind: "help", text: formatCommandHelp("tool", COMMANDS[2]!) });
  });

  it("refuses what the command does not take, naming it and pointing at the help", () => {
    const refer = "Run 'tool serve --help' for its usage.";
    expect(parse("serve", "--colour")).toEqual(usageError(`tool serve: unknown option '--colour'. ${refer}`));
    expect(parse("serve", "-x")).toEqual(usageError(`tool serve: unknown option '-x'. ${refer}`));
    expect(parse("serve", "--role")).toEqual(
      usageError(`tool serve: option '--role' needs a value (--role <roles>). ${refer}`),
    );
    expect(parse("serve", "--role", "--quiet")).toEqual(
      usageError(`tool serve: option '--role' needs a value (--role <roles>). ${refer}`),
    );
    expect(parse("serve", "--quiet=yes")).toEqual(usageError(`tool serve: option '--quiet' takes no value. ${refer}`));
    expect(parse("serve", "now")).toEqual(usageError(`tool serve: unexpected argument 'now'. ${refer}`));
    expect(parse("greet", "--role", "api", "Ann")).toEqual(
      usageError("tool greet: unknown option '--role'. Run 'tool greet --help' for its usage."),
    );
  });

  it("refuses an unknown command, and an option with no command, pointing at the list of commands", () => {
    expect(parse("bake")).toEqual(
      usageError("tool: unknown command 'bake'. Run 'tool --help' for the list of commands."),
    );
    expect(parse("help", "bake")).toEqual(
      usageError("tool: unknown command 'bake'. Run 'tool --help' for the list of commands."),
    );
    expect(parse("--verbose")).toEqual(
      usageError("tool: unknown option '--verbose'. Run 'tool --help' for the list of commands."),
    );
  });
});

describe("formatCommandHelp", () => {
  it("shows the usage, the description, every option with --help last, and the examples", () => {
    expect(formatCommandHelp("tool", COMMANDS[0]!)).toBe(
      [
        "usage: tool serve [--role <roles>] [--quiet]",
        "",
        "Serves.",
        "",
        "options:",
        "  --role <roles>  roles to run",
        "  -q, --quiet     say less",
        "  -h, --help      show this help",
        "",
        "example:",
        "  tool serve --role api",
      ].join("\n"),
    );
  });
});
