/**
 * Optimizer: parameter groups, per-parameter state, zeroGrad, and state dicts shaped like
 * PyTorch's (state keyed by parameter index, `param_groups` with indices for `params`), so one
 * saved with torch.save loads here and the other way round.
 */
import { ValueError } from "../errors.ts";
import { float32 } from "../core/dtype.ts";
import { displayName } from "../core/display-name.ts";
import { Tensor } from "../tensor.ts";
import { enableGrad, noGrad } from "../autograd/grad-mode.ts";
import { zeroForeach_ } from "../ops/inplace.ts";
import { residentEvictions, restoreResident } from "../ops/resident.ts";

/** A hyperparameter value: a number, a flag, or a pair such as Adam's betas. */
export type HyperValue = number | boolean | readonly [number, number];
/** An optimizer's hyperparameters, camelCase (`weightDecay`). */
export type HyperParams = { [key: string]: HyperValue };

/** One parameter group: its parameters and a full set of hyperparameters, editable between steps. */
export type ParamGroup<H extends HyperParams> = H & { params: Tensor[] };

/** A group as given to the constructor: parameters plus any hyperparameters that differ from the defaults. */
export type ParamGroupSpec<H extends HyperParams> = Partial<H> & { params: Iterable<Tensor> | Tensor };

/** What an optimizer accepts: parameters (`net.parameters()`) or parameter groups. */
export type OptimizerParams<H extends HyperParams> = Iterable<Tensor> | Iterable<ParamGroupSpec<H>>;

/** Per-parameter state, under PyTorch's keys (`momentum_buffer`, `exp_avg`, `step`...); RMSprop's `step` is a number, as in PyTorch. */
export type ParamState = Record<string, Tensor | number | null>;

/** A value as PyTorch's state dict holds it (what torch.save writes and torch.load returns). */
export type StateValue = Tensor | number | boolean | null | readonly StateValue[];

/** PyTorch's optimizer state dict: `state` by parameter index and `param_groups` with snake_case keys. */
export type OptimizerStateDict = {
  state: Map<number, ParamState>;
  param_groups: { [key: string]: StateValue }[];
};

/** The closure `step` may call to re-evaluate the loss. */
export type Closure = () => Tensor | number;

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Reads a key from a plain object or a Map (torch.load gives Maps). */
function field(obj: unknown, key: string | number): unknown {
  if (obj instanceof Map) return obj.get(key) ?? (typeof key === "number" ? obj.get(BigInt(key)) : undefined);
  return (obj as Record<string | number, unknown> | null | undefined)?.[key];
}

function entries(obj: unknown): [unknown, unknown][] {
  if (obj instanceof Map) return [...(obj as Map<unknown, unknown>).entries()];
  return obj !== null && typeof obj === "object" ? Object.entries(obj) : [];
}

/** Group entries that learning-rate schedulers add (`initial_lr`; OneCycleLR's bounds), kept by loadStateDict. */
const SCHEDULER_KEYS = new Set(["initialLr", "maxLr", "minLr", "maxMomentum", "baseMomentum", "swaLr"]);

/** Base class of optimizers: subclasses implement `update(group)` for the parameters with gradients. */
export abstract class Optimizer<H extends HyperParams> {
  /** The class name `toString` prints, explicit so that it survives minification (as Module's). */
  static displayName = "Optimizer";
  /** Hyperparameters a group takes when it does not set its own. */
  readonly defaults: H;
  /** The parameter groups, in order. */
  readonly paramGroups: ParamGroup<H>[] = [];
  /** State of each parameter, created by its first step. */
  state = new Map<Tensor, ParamState>();
  /** Group entries PyTorch stores that torchlet fixes (`foreach: None`...), kept so state dicts match. */
  readonly #extras: Record<string, boolean | null>;
  /** `residentEvictions()` when this optimizer last restored its tensors (-1: before its first step). */
  #evictions = -1;

  constructor(params: OptimizerParams<H>, defaults: H, extras: Record<string, boolean | null> = {}) {
    if (params instanceof Tensor) {
      throw new ValueError(`params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${params.typeName()}`);
    }
    this.defaults = defaults;
    this.#extras = extras;
    const list = [...params] as (Tensor | ParamGroupSpec<H>)[];
    if (list.length === 0) throw new ValueError("optimizer got an empty parameter list");
    const first: unknown = list[0];
    if (!(first instanceof Tensor) && (typeof first !== "object" || first === null || !("params" in first))) {
      throw new ValueError(`optimizer can only optimize Tensors, but one of the params is ${first === null ? "null" : typeof first}`);
    }
    const groups = list[0] instanceof Tensor ? [{ params: list as Tensor[] } as unknown as ParamGroupSpec<H>] : (list as ParamGroupSpec<H>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group (e.g. layers unfrozen for fine-tuning); missing hyperparameters come from the defaults. */
  addParamGroup(spec: ParamGroupSpec<H>): void {
    const given = spec.params instanceof Tensor ? [spec.params] : [...spec.params];
    // a parameter listed twice would be stepped twice; PyTorch warns, torchlet keeps it once
    const params = [...new Set(given)];
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new ValueError(`optimizer can only optimize Tensors, but one of the params is ${typeof p}`);
      if (!p.isLeaf) throw new ValueError("can't optimize a non-leaf Tensor");
    }
    const taken = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => taken.has(p))) throw new ValueError("some parameters appear in more than one parameter group");
    const group = { ...this.defaults } as Record<string, unknown>;
    for (const [k, v] of Object.entries(spec)) if (k !== "params" && v !== undefined) group[k] = v;
    for (const [k, v] of Object.entries(group)) {
      if (v === undefined) throw new ValueError(`parameter group didn't specify a value of required optimization parameter ${snake(k)}`);
    }
    group.params = params;
    this.paramGroups.push(group as ParamGroup<H>);
  }

  /** Resets every parameter's gradient: to zero in place (PyTorch 1.13's default) or to null. */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = options.setToNone ?? false;
    const grads: Tensor[] = [];
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        if (setToNone) { p.grad = null; continue; }
        if (p.grad.gradFn !== null) p.grad = p.grad.detach();
        p.grad.requiresGrad = false;
        grads.push(p.grad);
      }
    }
    // zero_() under noGrad for each, without an op call per parameter
    zeroForeach_(grads);
  }

  /** One update of every parameter that has a gradient; with a closure, re-evaluates the loss first and returns it. */
  step(closure?: Closure): Tensor | number | undefined {
    const loss = closure === undefined ? undefined : enableGrad(closure);
    if (this.#evictions !== residentEvictions()) this.#restore();
    noGrad(() => {
      for (const group of this.paramGroups) this.update(group);
    });
    return loss;
  }

  /**
   * Brings this optimizer's parameters, gradients and state back into the backend's memory after
   * an eviction moved them out (ops/resident.ts): they are in use, unlike most of what was evicted.
   */
  #restore(): void {
    this.#evictions = residentEvictions();
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        restoreResident(p);
        for (const v of Object.values(this.state.get(p) ?? {})) if (v instanceof Tensor) restoreResident(v);
      }
    }
  }

  /** Updates the parameters of one group that have a gradient (called under noGrad). */
  protected abstract update(group: ParamGroup<H>): void;

  /** True where PyTorch counts steps in a Python number (RMSprop) rather than a float32 tensor. */
  protected get numericStep(): boolean {
    return false;
  }

  /** The state of `p`, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (s === undefined) this.state.set(p, (s = {}));
    return s;
  }

  /** PyTorch's state dict: indices instead of parameters; tensors are shared, not copied. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const groups = this.paramGroups.map((g) => {
      const packed: { [key: string]: StateValue } = {};
      for (const [k, v] of Object.entries(g)) if (k !== "params") packed[snake(k)] = v as StateValue;
      Object.assign(packed, this.#extras);
      packed.params = g.params.map((p) => { if (!index.has(p)) index.set(p, index.size); return index.get(p)!; });
      return packed;
    });
    const state = new Map<number, ParamState>();
    for (const [p, s] of this.state) if (index.has(p)) state.set(index.get(p)!, { ...s });
    return { state, param_groups: groups };
  }

  /**
   * Loads a state dict from stateDict() or torch.load: hyperparameters per group and copies of the
   * state tensors, cast to each parameter's dtype (except `step`). Checks everything first and
   * changes nothing when it throws.
   */
  loadStateDict(stateDict: OptimizerStateDict | Map<string, unknown>): void {
    const saved = entries(field(stateDict, "param_groups")).map(([, g]) => g);
    if (saved.length !== this.paramGroups.length) throw new ValueError("loaded state dict has a different number of parameter groups");
    const savedIds = saved.map((g) => entries(field(g, "params")).map(([, i]) => Number(i)));
    if (savedIds.some((ids, i) => ids.length !== this.paramGroups[i]!.params.length)) {
      throw new ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
    }
    const byId = new Map<number, Tensor>();
    savedIds.forEach((ids, i) => ids.forEach((id, j) => byId.set(id, this.paramGroups[i]!.params[j]!)));
    const state = this.#loadState(field(stateDict, "state"), byId);
    const hypers = saved.map((g) => this.#loadHypers(g));
    this.state = state;
    hypers.forEach((h, i) => Object.assign(this.paramGroups[i]!, h));
  }

  #loadState(saved: unknown, byId: Map<number, Tensor>): Map<Tensor, ParamState> {
    const state = new Map<Tensor, ParamState>(), problems: string[] = [];
    for (const [id, s] of entries(saved)) {
      const p = byId.get(Number(id));
      if (p === undefined) continue;
      const copy: ParamState = {};
      for (const [k, v] of entries(s)) {
        const key = String(k);
        // files from PyTorch before 1.12 keep Adam's step as a Python number; 1.13 upgrades it to a tensor too
        if (key === "step" && (typeof v === "number" || typeof v === "bigint")) {
          copy[key] = this.numericStep ? Number(v) : scalarStep(Number(v));
          continue;
        }
        if (!(v instanceof Tensor)) { copy[key] = null; continue; }
        // a 0-dim entry (NAdam's mu_product) is per-parameter but not parameter-shaped
        if (key !== "step" && v.shape.length > 0 && v.numel() !== p.numel()) {
          problems.push(`state '${key}' of parameter ${String(id)} has shape [${v.shape.join(", ")}], but the parameter has shape [${p.shape.join(", ")}]`);
          continue;
        }
        const t = noGrad(() => v.detach().clone());
        copy[key] = key !== "step" && p.dtype.kind === "float" ? t.to(p.dtype) : t;
      }
      state.set(p, copy);
    }
    if (problems.length) throw new ValueError(`Error(s) in loading optimizer state_dict:\n\t${problems.join("\n\t")}`);
    return state;
  }

  #loadHypers(saved: unknown): Partial<H> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries(saved)) {
      const key = camel(String(k));
      if (key !== "params" && (key in this.defaults || SCHEDULER_KEYS.has(key))) out[key] = Array.isArray(v) ? (v as unknown[]).map(Number) : typeof v === "bigint" ? Number(v) : v;
    }
    return out as Partial<H>;
  }

  /** PyTorch's repr: each group's hyperparameters, sorted by name. */
  toString(): string {
    const lines = this.paramGroups.map((g, i) => {
      const keys = Object.entries({ ...g, ...this.#extras }).filter(([k]) => k !== "params").map(([k, v]) => [snake(k), v] as const);
      keys.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `\nParameter Group ${i}\n${keys.map(([k, v]) => `    ${k}: ${pyRepr(v)}\n`).join("")}`;
    });
    return `${displayName(this.constructor)} (${lines.join("")})`;
  }
}

/** A float32 scalar tensor, as PyTorch 1.13 keeps `step` (and NAdam's `mu_product`). */
export function scalarStep(step: number): Tensor {
  return Tensor.fromArray(Float32Array.of(step), [], float32);
}

/** A hyperparameter as Python prints it: True/False/None, 1e-08, tuples in parentheses. */
function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (Array.isArray(v)) return `(${v.map(pyRepr).join(", ")})`;
  if (typeof v === "number") return pyFloat(v);
  return String(v);
}

/** Python's repr of a float: fixed notation for exponents in [-4, 16), else e-notation with two exponent digits. */
function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  const [mantissa, e] = x.toExponential().split("e") as [string, string];
  const exp = Number(e);
  if (exp >= -4 && exp < 16) return String(x);
  return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}
