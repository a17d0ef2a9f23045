/** The `torchlet` command: dispatches to its subcommands; `--version` and `--help` anywhere they make sense. */
import { readFileSync } from "node:fs";
import { diffUsage, runDiff } from "./diff.ts";
import { inspectUsage, runInspect, type Streams } from "./inspect.ts";
import { reportUsage, runReport } from "./report.ts";

const USAGE = "usage: torchlet <command> [options]\n\ncommands:\n" +
  "  inspect FILE [--stats] [--json]           the tensors of a checkpoint, from its headers\n" +
  "  report FILE [-o report.html] [--title T]  an HTML report with statistics and pictures\n" +
  "  diff A B [--json] [--html out.html]       compare two checkpoints tensor by tensor\n\n" +
  "  torchlet <command> --help   the command's options\n  torchlet --version\n";

/** The package's version, from its package.json (src/cli and dist/cli both sit two folders below it). */
export function version(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

/** Runs `torchlet <command> ...args`; returns the exit code. */
export function main(argv: readonly string[], io: Streams): number {
  const [command, ...args] = argv;
  switch (command) {
    case "inspect":
      return runInspect(args, io);
    case "report":
      return runReport(args, io);
    case "diff":
      return runDiff(args, io);
    case "help":
      io.stdout.write(args[0] === "inspect" ? inspectUsage : args[0] === "report" ? reportUsage : args[0] === "diff" ? diffUsage : USAGE);
      return 0;
    case "-v": case "--version":
      io.stdout.write(`torchlet ${version()}\n`);
      return 0;
    case undefined: case "-h": case "--help":
      io.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      io.stderr.write(`torchlet: unknown ${command.startsWith("-") ? "option" : "command"} '${command}'\n${USAGE}`);
      return 2;
  }
}
