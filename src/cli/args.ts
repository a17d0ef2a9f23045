/**
 * Argument parsing shared by the commands, on node:util's parseArgs: `--name=value` and
 * `--name value`, `--` ending the options, `--help` on every command, and an unknown option or a
 * missing value reported by name.
 */
import { parseArgs } from "node:util";
import { TorchletError } from "../errors.ts";
import type { Streams } from "./inspect.ts";

/** A command's option table, as parseArgs takes it. */
export type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

/** Parsed options and positionals, or an exit code when the command should stop (help, bad usage). */
export type Parsed = { values: Record<string, string | boolean | undefined>; files: string[] } | { exit: number };

/** Parses `args` for a command; prints help (exit 0) or the problem and the usage (exit 2). */
export function parseCommand(command: string, args: readonly string[], options: OptionSpec, usage: string, files: number, io: Streams): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (e) {
    // parseArgs' messages name the option: "Unknown option '--jsn'"
    io.stderr.write(`torchlet ${command}: ${(e as Error).message.split("\n")[0]}\n${usage}`);
    return { exit: 2 };
  }
  if (parsed.values.help) {
    io.stdout.write(usage);
    return { exit: 0 };
  }
  if (parsed.positionals.length !== files) {
    io.stderr.write(`torchlet ${command}: expected ${files === 1 ? "one file" : `${files} files`}, got ${parsed.positionals.length}\n${usage}`);
    return { exit: 2 };
  }
  return { values: parsed.values as Record<string, string | boolean | undefined>, files: parsed.positionals };
}

/** Runs a command body, turning a known failure (a torchlet error, a file system error) into one line and exit code 1. */
export function reportFailure(command: string, io: Streams, body: () => number): number {
  try {
    return body();
  } catch (e) {
    const known = e instanceof TorchletError || (e as NodeJS.ErrnoException).code !== undefined;
    if (!known) throw e;
    io.stderr.write(`torchlet ${command}: ${(e as Error).message.split("\n")[0]}\n`);
    return 1;
  }
}
