/**
 * `torchlet inspect FILE [--stats] [--json]`: a table of every tensor in a .pt file, a safetensors
 * file or a sharded checkpoint's index (name, dtype, shape, parameter count, bytes, names sharing
 * storage) with totals, from the headers alone: no tensor byte is read, so a file of any size
 * answers at once. `--stats` adds min, max, mean, std and NaN/Inf counts, streamed tensor by tensor
 * with a progress bar on a terminal's stderr.
 */
import { progressLine } from "../diagnostics/progress.ts";
import { openCheckpointFile } from "../io/files-node.ts";
import type { InspectReport, Progress } from "../io/inspect.ts";
import { formatReport, inspectCheckpoint } from "../io/inspect.ts";
import { numel } from "../io/raw.ts";
import { parseCommand, reportFailure } from "./args.ts";

/** Where output goes; tests pass buffers, the CLI passes the process streams. */
export interface Streams {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

/** Builds the report of one file (a .pt archive, a safetensors file or a `*.index.json`). */
export function inspectFile(path: string, options: { stats?: boolean; progress?: Progress } = {}): InspectReport {
  return inspectCheckpoint(path, openCheckpointFile(path), options);
}

/** A progress bar on a terminal's stderr, for checkpoints big enough to wait for (64 MiB and more). */
export function progressBar(stderr: Streams["stderr"], label: string, totalBytes: number): Progress | undefined {
  if (!stderr.isTTY || totalBytes < 64 * 2 ** 20) return undefined;
  let last = -1;
  return (done, total) => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (pct === last) return;
    last = pct;
    stderr.write(progressLine(done, total, { label }));
  };
}

/** Usage of `torchlet inspect`. */
export const inspectUsage = "usage: torchlet inspect FILE [--stats] [--json]\n" +
  "  FILE: a .pt/.pth/.bin file, a .safetensors file, or a sharded checkpoint's *.index.json\n" +
  "  --stats  also min, max, mean, std, NaN and Inf counts (reads every tensor, streamed)\n" +
  "  --json   the report as JSON\n";

/** Runs `torchlet inspect` with its arguments; returns the exit code. */
export function runInspect(args: readonly string[], io: Streams): number {
  const parsed = parseCommand("inspect", args, { json: { type: "boolean" }, stats: { type: "boolean" } }, inspectUsage, 1, io);
  if ("exit" in parsed) return parsed.exit;
  const path = parsed.files[0]!;
  return reportFailure("inspect", io, () => {
    const ckpt = openCheckpointFile(path);
    let total = 0;
    for (const t of ckpt.tensors.values()) total += numel(t.shape) * t.dtype.itemsize;
    const progress = parsed.values.stats ? progressBar(io.stderr, "inspecting", total) : undefined;
    const report = inspectCheckpoint(path, ckpt, { stats: parsed.values.stats === true, ...(progress ? { progress } : {}) });
    io.stdout.write(parsed.values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return 0;
  });
}
