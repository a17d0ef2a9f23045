/**
 * `summary(model, input)`: a torchinfo-like table of the module tree with each module's output
 * shape (captured by forward hooks that are all removed afterwards), parameter counts, trainable
 * or frozen, shared modules and parameters marked and counted once, and totals.
 */
import { TorchletError } from "../errors.ts";
import { Tensor } from "../tensor.ts";
import type { DType } from "../core/dtype.ts";
import { zeros } from "../ops/creation.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import type { Module, RemovableHandle } from "../nn/module.ts";
import { UninitializedParameter, type Parameter } from "../nn/parameter.ts";
import { alignColumns } from "./stats.ts";

/** One module of the tree, in depth-first order. */
export interface SummaryRow {
  /** dotted path from the root ("" for the root) */
  path: string;
  /** the module's class name as it prints (`getName()`) */
  className: string;
  depth: number;
  /** shapes of the outputs of each call of this module (several when a module runs more than once) */
  outputShapes: number[][];
  /** elements of the module's own parameters (not its children's) */
  params: number;
  /** the part of `params` counted in the totals: 0 for parameters already counted at another path */
  countedParams: number;
  /** "yes", "no", "partial", or "--" for a module with no parameters of its own */
  trainable: "yes" | "no" | "partial" | "--";
  /** the first path of this very module (when repeated) or of the parameters it shares; null otherwise */
  sharedWith: string | null;
}

/** What `summary` returns; `toString()` prints the table. */
export interface ModelSummary {
  rows: SummaryRow[];
  inputShapes: number[][];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** bytes of the distinct parameters */
  paramBytes: number;
  /** bytes of the outputs of every module without children, summed over calls, for this input */
  activationBytes: number;
  toString(): string;
}

/** Options of `summary`. */
export interface SummaryOptions {
  /** dtype of the zero tensors built when shapes are given (default float32) */
  dtype?: DType;
}

/** An example input: a tensor, several tensors, one shape, or several shapes. */
export type SummaryInput = Tensor | readonly Tensor[] | readonly number[] | readonly (readonly number[])[];

function toInputs(input: SummaryInput, dtype: DType | undefined): Tensor[] {
  if (input instanceof Tensor) return [input];
  if (input.length > 0 && input.every((x) => x instanceof Tensor)) return [...input] as Tensor[];
  const shapes = input.length > 0 && Array.isArray(input[0]) ? (input as number[][]) : [input as number[]];
  // zeros, not random values: a summary must not move the random generator
  return shapes.map((s) => zeros([...s], dtype ? { dtype } : {}));
}

const shapeText = (s: readonly number[]) => `[${s.join(", ")}]`;

function tensorsIn(out: unknown): Tensor[] {
  if (out instanceof Tensor) return [out];
  if (Array.isArray(out)) return out.flatMap(tensorsIn);
  if (out instanceof Map) return [...out.values()].flatMap(tensorsIn);
  return [];
}

interface Capture {
  calls: Map<Module, number[][][]>;
  activationBytes: number;
}

/** Runs the model once under noGrad with hooks on every module; every hook is removed, even on error. */
function capture(model: Module, inputs: Tensor[], paths: Map<Module, string>): Capture {
  const result: Capture = { calls: new Map(), activationBytes: 0 };
  const stack: [Module, unknown[]][] = [];
  const handles: RemovableHandle[] = [];
  for (const m of paths.keys()) {
    const leaf = [...m.children()].length === 0;
    handles.push(m.registerForwardPreHook((mod, args) => { stack.push([mod, args]); }));
    handles.push(m.registerForwardHook((mod, _args, out) => {
      stack.pop();
      const ts = tensorsIn(out);
      if (leaf) for (const t of ts) result.activationBytes += t.numel() * t.dtype.itemsize;
      const list = result.calls.get(mod) ?? [];
      list.push(ts.map((t) => [...t.shape]));
      result.calls.set(mod, list);
    }));
  }
  try {
    noGrad(() => (model as unknown as (...a: unknown[]) => unknown)(...inputs));
  } catch (e) {
    throw failure(e, stack.at(-1), inputs, paths);
  } finally {
    for (const h of handles) h.remove();
  }
  return result;
}

function failure(e: unknown, top: [Module, unknown[]] | undefined, inputs: Tensor[], paths: Map<Module, string>): Error {
  const message = e instanceof Error ? e.message : String(e);
  const given = inputs.map((t) => shapeText(t.shape)).join(", ");
  if (!top) return new TorchletError(`summary: the model failed on input shape(s) ${given}: ${message}`, { cause: e });
  const [m, args] = top;
  const path = paths.get(m) || "(root)";
  const argShapes = tensorsIn(args).map((t) => shapeText(t.shape)).join(", ") || "no tensors";
  return new TorchletError(
    `summary: module ${path} (${m.getName()}) failed on input shape(s) ${argShapes} (model input ${given}): ${message}. ` +
    "Check that the example input has the shape this model expects.", { cause: e },
  );
}

function trainableOf(params: Parameter[]): SummaryRow["trainable"] {
  if (params.length === 0) return "--";
  const on = params.filter((p) => p.requiresGrad).length;
  return on === params.length ? "yes" : on === 0 ? "no" : "partial";
}

// a lazy module the example input never reached still has no shape: it counts 0 until it runs
const numelOf = (p: Parameter) => (p instanceof UninitializedParameter ? 0 : p.shape.reduce((a, b) => a * b, 1));

/** Rows in tree order: a module reached again is marked shared; parameters are counted at their first path. */
function buildRows(model: Module, calls: Capture["calls"]): SummaryRow[] {
  const firstPath = new Map<Module, string>();
  const paramPath = new Map<Parameter, string>();
  const seenCalls = new Map<Module, number>();
  const rows: SummaryRow[] = [];
  const tree = [...model.namedModules({ removeDuplicate: false })];
  const occurrences = new Map<Module, number>();
  for (const [, m] of tree) occurrences.set(m, (occurrences.get(m) ?? 0) + 1);
  for (const [path, m] of tree) {
    const params = [...m.namedParameters({ recurse: false, removeDuplicate: false })];
    const repeat = firstPath.get(m);
    let counted = 0, sharedWith = repeat ?? null;
    for (const [name, p] of params) {
      const owner = paramPath.get(p);
      if (owner === undefined) { paramPath.set(p, path ? `${path}.${name}` : name); counted += numelOf(p); }
      else sharedWith ??= owner;
    }
    if (repeat === undefined) firstPath.set(m, path);
    // a module at several paths shows its k-th call at its k-th path; at one path, every call
    const k = seenCalls.get(m) ?? 0;
    seenCalls.set(m, k + 1);
    const mc = calls.get(m) ?? [];
    const shapes = occurrences.get(m) === 1 ? mc.flat() : mc[k] ?? [];
    rows.push({
      path, className: m.getName(), depth: path === "" ? 0 : path.split(".").length,
      outputShapes: shapes, params: params.reduce((s, [, p]) => s + numelOf(p), 0), countedParams: counted,
      trainable: trainableOf(params.map(([, p]) => p)), sharedWith,
    });
  }
  return rows;
}

/**
 * Runs `model` once on `input` (a tensor, tensors, or shapes filled with zeros) under noGrad and
 * returns its module tree with output shapes, parameter counts and totals. Lazy modules are
 * materialized by this call. Throws naming the failing module when the model cannot run on it.
 * @example console.log(String(summary(net, [2, 4])))
 */
export function summary(model: Module, input: SummaryInput, options: SummaryOptions = {}): ModelSummary {
  const inputs = toInputs(input, options.dtype);
  const paths = new Map<Module, string>();
  for (const [p, m] of model.namedModules()) paths.set(m, p);
  const { calls, activationBytes } = capture(model, inputs, paths);
  const rows = buildRows(model, calls);
  const unique = [...model.parameters()];
  const totalParams = unique.reduce((s, p) => s + numelOf(p), 0);
  const trainableParams = unique.filter((p) => p.requiresGrad).reduce((s, p) => s + numelOf(p), 0);
  const result: ModelSummary = {
    rows, inputShapes: inputs.map((t) => [...t.shape]), totalParams, trainableParams,
    nonTrainableParams: totalParams - trainableParams,
    paramBytes: unique.reduce((s, p) => s + numelOf(p) * p.dtype.itemsize, 0), activationBytes,
    toString: () => formatSummary(result),
  };
  return result;
}

const mb = (bytes: number) => `${bytes} bytes (${(bytes / 2 ** 20).toFixed(2)} MB)`;

/** The summary as a torchinfo-like table. */
export function formatSummary(s: ModelSummary): string {
  const head = ["Layer (type)", "Output Shape", "Param #", "Trainable", "Shared"];
  const body = s.rows.map((r) => [
    `${r.depth === 0 ? "" : `${"  ".repeat(r.depth - 1)}└─`}${r.path ? `${r.path.split(".").at(-1)} ` : ""}(${r.className})`,
    r.outputShapes.map(shapeText).join(", ") || "--",
    r.params === 0 ? "--" : r.countedParams === r.params ? String(r.params) : `${r.params} (counted ${r.countedParams})`,
    r.trainable, r.sharedWith === null ? "" : `with ${r.sharedWith || "(root)"}`,
  ]);
  const lines = alignColumns(head, body, new Set([0, 1, 3, 4]));
  const rule = "=".repeat(Math.max(...lines.map((l) => l.length)));
  return [
    rule, lines[0], rule, ...lines.slice(2), rule,
    `Input shape(s): ${s.inputShapes.map(shapeText).join(", ")}`,
    `Total params: ${s.totalParams}`, `Trainable params: ${s.trainableParams}`, `Non-trainable params: ${s.nonTrainableParams}`,
    `Params size: ${mb(s.paramBytes)}`, `Activations size: ${mb(s.activationBytes)}`, rule,
  ].join("\n") + "\n";
}
