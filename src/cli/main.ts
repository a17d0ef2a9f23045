/** The `torchlet` command: dispatches to its subcommands. */
import { runInspect, type Streams } from "./inspect.ts";
import { runReport } from "./report.ts";

const USAGE = "usage: torchlet inspect FILE [--json]\n       torchlet report FILE [-o report.html] [--title TEXT]";

/** Runs `torchlet <command> ...args`; returns the exit code. */
export function main(argv: readonly string[], io: Streams): number {
  const [command, ...args] = argv;
  switch (command) {
    case "inspect":
      return runInspect(args, io);
    case "report":
      return runReport(args, io);
    case undefined: case "-h": case "--help":
      io.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      io.stderr.write(`torchlet: unknown command '${command}'\n${USAGE}\n`);
      return 2;
  }
}
