/**
 * `torchlet report FILE [-o report.html] [--title TEXT]`: the HTML report (statistics table,
 * histograms, heat maps) of every tensor in a .pt file, a safetensors file or a sharded index.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { basename } from "node:path";
import { Tensor } from "../tensor.ts";
import { TorchletError } from "../errors.ts";
import { load, loadSafetensors } from "../io/files-node.ts";
import type { LoadValue } from "../io/tensor-adapter.ts";
import { writeReport } from "../diagnostics/report-node.ts";
import { progressLine } from "../diagnostics/progress.ts";
import type { Streams } from "./inspect.ts";

const usage = "usage: torchlet report FILE [-o report.html] [--title TEXT]   (FILE: .pt, .safetensors or model.safetensors.index.json)\n";

/** Flattens a loaded value into dotted names, as a state dict names them; non-tensors are skipped. */
export function namedLoaded(value: LoadValue): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const seen = new Set<object>();
  const walk = (v: LoadValue, prefix: string): void => {
    if (v instanceof Tensor) { out.set(prefix === "" ? "<tensor>" : prefix, v); return; }
    if (typeof v !== "object" || v === null || v instanceof Uint8Array || seen.has(v)) return;
    seen.add(v);
    const entries: [unknown, LoadValue][] = v instanceof Map ? [...v.entries()] : v.map((x, i) => [i, x]);
    for (const [k, x] of entries) walk(x, prefix === "" ? String(k) : `${prefix}.${String(k)}`);
  };
  walk(value, "");
  return out;
}

function isZip(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = new Uint8Array(2);
    readSync(fd, head, 0, 2, 0);
    return head[0] === 0x50 && head[1] === 0x4b;
  } finally {
    closeSync(fd);
  }
}

/** The tensors of a checkpoint file, named as in its state dict. */
export function loadNamedTensors(path: string): Map<string, Tensor> {
  if (path.endsWith(".index.json")) return loadSafetensors(path);
  // zip archives and anything named like a PyTorch file go to load, whose errors explain legacy files
  if (/\.(pt|pth|bin|ckpt|params)$/i.test(path) || isZip(path)) return namedLoaded(load(path));
  return loadSafetensors(path);
}

interface ReportArgs { file: string; out: string; title: string | undefined }

function parseArgs(args: readonly string[]): ReportArgs | null {
  const files: string[] = [];
  let out = "report.html", title: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-o" || a === "--output" || a === "--title") {
      const v = args[++i];
      if (v === undefined) return null;
      if (a === "--title") title = v; else out = v;
    } else if (a.startsWith("-")) return null;
    else files.push(a);
  }
  return files.length === 1 ? { file: files[0]!, out, title } : null;
}

// as `torchlet inspect`: a bar only on a terminal and only for checkpoints big enough to wait for
function progressBar(stderr: Streams["stderr"], tensors: Map<string, Tensor>): ((done: number, total: number) => void) | null {
  const values = [...tensors.values()].reduce((s, t) => s + t.numel(), 0);
  if (!stderr.isTTY || values < 16 * 2 ** 20) return null;
  return (done, total) => { stderr.write(progressLine(done, total, { label: "drawing" })); };
}

/** Runs `torchlet report` with its arguments; returns the exit code. */
export function runReport(args: readonly string[], io: Streams): number {
  const parsed = parseArgs(args);
  if (parsed === null) {
    io.stderr.write(usage);
    return 2;
  }
  try {
    const tensors = loadNamedTensors(parsed.file);
    const progress = progressBar(io.stderr, tensors);
    writeReport(parsed.out, { stateDict: tensors, title: parsed.title ?? basename(parsed.file), ...(progress ? { progress } : {}) });
    io.stdout.write(`wrote ${parsed.out} (${tensors.size} tensors from ${parsed.file})\n`);
    return 0;
  } catch (e) {
    const known = e instanceof TorchletError || (e as NodeJS.ErrnoException).code !== undefined;
    if (!known) throw e;
    io.stderr.write(`torchlet report: ${(e as Error).message.split("\n")[0]}\n`);
    return 1;
  }
}
