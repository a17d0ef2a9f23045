/**
 * `torchlet report FILE [-o report.html] [--title TEXT]`: the HTML report (statistics table,
 * histograms, heat maps) of every tensor in a .pt file, a safetensors file or a sharded index,
 * streamed: tensors are read one at a time in chunks, a first pass for the statistics and a second
 * for the histogram and the heat map's block means, so memory stays flat whatever the file's size.
 */
import { basename } from "node:path";
import { checkpointReportHtml } from "../diagnostics/checkpoint-report.ts";
import { writeFileAtomic } from "../io/atomic-node.ts";
import { openCheckpointFile } from "../io/files-node.ts";
import { numel } from "../io/raw.ts";
import { parseCommand, reportFailure } from "./args.ts";
import type { Streams } from "./inspect.ts";
import { progressBar } from "./inspect.ts";

/** Usage of `torchlet report`. */
export const reportUsage = "usage: torchlet report FILE [-o report.html] [--title TEXT]\n" +
  "  FILE: a .pt/.pth/.bin file, a .safetensors file, or a sharded checkpoint's *.index.json\n" +
  "  -o, --output  where to write the page (default report.html)\n" +
  "  --title       the page's title (default the file's name)\n";

/** Runs `torchlet report` with its arguments; returns the exit code. */
export function runReport(args: readonly string[], io: Streams): number {
  const parsed = parseCommand("report", args, { output: { type: "string", short: "o" }, title: { type: "string" } }, reportUsage, 1, io);
  if ("exit" in parsed) return parsed.exit;
  const file = parsed.files[0]!;
  const out = (parsed.values.output as string | undefined) ?? "report.html";
  return reportFailure("report", io, () => {
    const ckpt = openCheckpointFile(file);
    let total = 0;
    for (const t of ckpt.tensors.values()) total += numel(t.shape) * t.dtype.itemsize;
    const html = checkpointReportHtml(ckpt, (parsed.values.title as string | undefined) ?? basename(file), progressBar(io.stderr, "drawing", total));
    writeFileAtomic(out, new TextEncoder().encode(html));
    io.stdout.write(`wrote ${out} (${ckpt.tensors.size} tensors from ${file})\n`);
    return 0;
  });
}
