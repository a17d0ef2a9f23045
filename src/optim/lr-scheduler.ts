/**
 * torch.optim.lr_scheduler with PyTorch 1.13's recursions (the chainable `get_lr`) and closed
 * forms (`step(epoch)`), in the same floating-point order, so the rates equal PyTorch's step by
 * step. State dicts hold a scheduler's attributes under PyTorch's names (`last_epoch`,
 * `base_lrs`, `_step_count`...), so a state saved by PyTorch loads here and the reverse.
 */
import { ValueError } from "../errors.ts";
import { Tensor } from "../tensor.ts";
import { Optimizer } from "./optimizer.ts";

/** Any optimizer (SGD, Adam...): a scheduler reads and writes its groups' `lr` (and `momentum` or `betas`). */
// Optimizer<SGDHyper> is not assignable to Optimizer<HyperParams> (a group's `params` breaks the index signature)
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOptimizer = Optimizer<any>;

/** A value of a scheduler's state dict, as torch.save writes it and torch.load returns it. */
export type SchedulerValue =
  | number | string | boolean | null | readonly SchedulerValue[]
  | ReadonlyMap<number, number> | { readonly [key: string]: SchedulerValue };

/** A scheduler's state dict: its attributes by their Python names. */
export type SchedulerStateDict = { [key: string]: SchedulerValue };

/** A learning-rate function of the epoch, as LambdaLR and MultiplicativeLR take. */
export type LrLambda = (epoch: number) => number;

/** The group entries schedulers use; OneCycleLR adds `maxLr`, `minLr`, `maxMomentum`, `baseMomentum`. */
type LrGroup = {
  lr: number; initialLr?: number; momentum?: number; betas?: readonly [number, number];
  [key: string]: unknown;
};

const groupsOf = (opt: AnyOptimizer): LrGroup[] => opt.paramGroups as unknown as LrGroup[];

/** A Python attribute name as a property name: `last_epoch` → `lastEpoch`, `T_max` → `TMax`, `_step_count` → `_stepCount`. */
const jsName = (k: string): string => k.replace(/(?<=[A-Za-z0-9])_([A-Za-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Reads a key from a plain object or a Map (torch.load gives Maps). */
function entriesOf(obj: unknown): [string, unknown][] {
  if (obj instanceof Map) return [...(obj as Map<unknown, unknown>).entries()].map(([k, v]) => [String(k), v]);
  if (obj !== null && typeof obj === "object" && !Array.isArray(obj)) return Object.entries(obj);
  throw new ValueError("loadStateDict: expected a state dict (a Map or an object)");
}

/** A loaded value as the scheduler keeps it: bigints as numbers, dicts as plain objects, lists as arrays. */
function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Map || (v !== null && typeof v === "object" && !(v instanceof Tensor))) {
    return Object.fromEntries(entriesOf(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

function checkOptimizer(optimizer: unknown): asserts optimizer is AnyOptimizer {
  if (!(optimizer instanceof Optimizer)) {
    const name = (optimizer as object | null)?.constructor?.name ?? String(optimizer);
    throw new TypeError(`${name} is not an Optimizer`);
  }
}

/** One value per group: a list must have one entry per group, a scalar is repeated. */
function perGroup<T>(name: string, opt: AnyOptimizer, value: T | readonly T[]): T[] {
  const n = opt.paramGroups.length;
  if (Array.isArray(value)) {
    if (value.length !== n) throw new ValueError(`expected ${n} values for ${name}, got ${value.length}`);
    return [...(value as T[])];
  }
  return new Array<T>(n).fill(value as T);
}

/** Python's `'{:.4e}'.format(x)`: four decimals and an exponent of at least two digits. */
function sci(x: number): string {
  const [m, e] = x.toExponential(4).split("e") as [string, string];
  return `${m}e${e[0] === "-" ? "-" : "+"}${e.replace(/^[-+]/, "").padStart(2, "0")}`;
}

/** Options every epoch-based scheduler takes: `lastEpoch` to resume, `verbose` to print each change. */
export type SchedulerOptions = { lastEpoch?: number; verbose?: boolean };

const BASE_KEYS = ["base_lrs", "last_epoch", "verbose", "_step_count", "_get_lr_called_within_step", "_last_lr"];

/**
 * The base of epoch-based schedulers (PyTorch's `_LRScheduler`). Construction records each group's
 * `initialLr` and takes the first step; `step()` advances `lastEpoch` and writes each group's lr.
 * Subclasses set their own fields, then call `initialStep()` (PyTorch's `_initial_step`).
 */
export abstract class LRScheduler {
  /** The optimizer whose groups' rates this scheduler sets. */
  readonly optimizer: AnyOptimizer;
  /** Each group's `initialLr`, the rate the schedule starts from. */
  baseLrs: number[];
  /** The index of the last step taken (−1 before construction's first step). */
  lastEpoch: number;
  /** Print each rate change, as PyTorch's `verbose=True` does. */
  verbose: boolean;
  _stepCount = 0;
  _getLrCalledWithinStep = false;
  _lastLr: number[] = [];
  /** This scheduler's own attributes (Python names), in the order PyTorch's state dict lists them. */
  protected abstract readonly ownKeys: readonly string[];

  constructor(optimizer: AnyOptimizer, options: SchedulerOptions = {}) {
    checkOptimizer(optimizer);
    this.optimizer = optimizer;
    const lastEpoch = options.lastEpoch ?? -1;
    const groups = groupsOf(optimizer);
    if (lastEpoch === -1) {
      for (const g of groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      const i = groups.findIndex((g) => g.initialLr === undefined);
      if (i >= 0) throw new ValueError(`param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`);
    }
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
    this.verbose = options.verbose ?? false;
  }

  /** The first step, taken by the constructor (and by SequentialLR when it starts a scheduler). */
  initialStep(): void {
    this._stepCount = 0;
    this.step();
  }

  /** The rates of the next epoch from the current ones (the chainable form). */
  protected abstract getLr(): number[];

  /** The rates at `lastEpoch` from the base rates, where PyTorch has a closed form (used by `step(epoch)`). */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /**
   * Advances one epoch and sets each group's lr. `step(epoch)` (deprecated in PyTorch, used by
   * SequentialLR) jumps to `epoch` with the closed form where there is one.
   */
  step(epoch?: number): void {
    const [stepCount, lastEpoch] = [this._stepCount, this.lastEpoch];
    this._stepCount += 1;
    this._getLrCalledWithinStep = true;
    let values: number[];
    try {
      if (epoch === undefined) {
        this.lastEpoch += 1;
        values = this.getLr();
      } else {
        this.lastEpoch = epoch;
        values = this.closedFormLr() ?? this.getLr();
      }
    } catch (e) {
      [this._stepCount, this.lastEpoch] = [stepCount, lastEpoch];
      throw e;
    } finally {
      this._getLrCalledWithinStep = false;
    }
    this.setLrs(values, epoch);
  }

  /** Writes the rates into the groups, prints them when verbose, and records them as the last ones. */
  protected setLrs(values: readonly number[], epoch?: number): void {
    const groups = groupsOf(this.optimizer);
    groups.forEach((g, i) => {
      if (i >= values.length) return;
      g.lr = values[i]!;
      if (this.verbose) printLr(i, g.lr, epoch);
    });
    this._lastLr = groups.map((g) => g.lr);
  }

  /** The rates the last step set, one per group. */
  getLastLr(): number[] {
    return [...this._lastLr];
  }

  /** PyTorch's state dict: every attribute but the optimizer, by its Python name. */
  stateDict(): SchedulerStateDict {
    const self = this as unknown as Record<string, unknown>;
    const out: SchedulerStateDict = {};
    for (const key of [...this.ownKeys, ...BASE_KEYS]) out[key] = this.packValue(key, self[jsName(key)]);
    return out;
  }

  /** A field as the state dict holds it (subclasses convert functions and nested schedulers). */
  protected packValue(_key: string, value: unknown): SchedulerValue {
    return Array.isArray(value) ? [...(value as SchedulerValue[])] : (value as SchedulerValue);
  }

  /**
   * Loads a state dict from stateDict() or torch.load: known attributes are replaced, entries
   * PyTorch keeps that torchlet has no use for (a pickled `anneal_func`) are ignored.
   */
  loadStateDict(stateDict: SchedulerStateDict | Map<string, unknown>): void {
    const keys = new Set([...this.ownKeys, ...BASE_KEYS]);
    const self = this as unknown as Record<string, unknown>;
    const updates = entriesOf(stateDict).filter(([k]) => keys.has(k)).map(([k, v]) => [k, this.unpackValue(k, v)] as const);
    for (const [k, v] of updates) if (v !== undefined) self[jsName(k)] = v;
  }

  /** A loaded value as the field holds it; undefined leaves the field alone. */
  protected unpackValue(_key: string, value: unknown): unknown {
    return plain(value);
  }
}

function printLr(group: number, lr: number, epoch?: number): void {
  if (epoch === undefined) console.log(`Adjusting learning rate of group ${group} to ${sci(lr)}.`);
  else {
    const e = Number.isInteger(epoch) ? String(epoch).padStart(5, "0") : epoch.toFixed(2);
    console.log(`Epoch ${e}: adjusting learning rate of group ${group} to ${sci(lr)}.`);
  }
}

const lrs = (s: LRScheduler): number[] => groupsOf(s.optimizer).map((g) => g.lr);

/**
 * Sets each group's lr to its initial lr times `lrLambda(epoch)`; one function for all groups or one per group.
 * @example new LambdaLR(opt, (epoch) => 0.95 ** epoch)
 */
export class LambdaLR extends LRScheduler {
  protected readonly ownKeys: readonly string[] = [];
  /** One function per group. */
  lrLambdas: LrLambda[];

  constructor(optimizer: AnyOptimizer, lrLambda: LrLambda | readonly LrLambda[], options: SchedulerOptions = {}) {
    super(optimizer, options);
    this.lrLambdas = lambdas(optimizer, lrLambda);
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.lrLambdas.map((f, i) => this.baseLrs[i]! * f(this.lastEpoch));
  }

  /** PyTorch saves `lr_lambdas` last, None for each plain function. */
  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) };
  }
}

function lambdas(optimizer: AnyOptimizer, lrLambda: LrLambda | readonly LrLambda[]): LrLambda[] {
  const n = optimizer.paramGroups.length;
  if (!Array.isArray(lrLambda)) return new Array<LrLambda>(n).fill(lrLambda as LrLambda);
  if (lrLambda.length !== n) throw new ValueError(`Expected ${n} lr_lambdas, but got ${lrLambda.length}`);
  return [...(lrLambda as LrLambda[])];
}

/** Multiplies each group's lr by `lrLambda(epoch)` at every step after the first. */
export class MultiplicativeLR extends LRScheduler {
  protected readonly ownKeys: readonly string[] = [];
  /** One function per group. */
  lrLambdas: LrLambda[];

  constructor(optimizer: AnyOptimizer, lrLambda: LrLambda | readonly LrLambda[], options: SchedulerOptions = {}) {
    super(optimizer, options);
    this.lrLambdas = lambdas(optimizer, lrLambda);
    this.initialStep();
  }

  protected getLr(): number[] {
    const current = lrs(this);
    if (this.lastEpoch > 0) return this.lrLambdas.map((f, i) => current[i]! * f(this.lastEpoch));
    return current;
  }

  /** PyTorch saves `lr_lambdas` last, None for each plain function. */
  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) };
  }
}

/**
 * Multiplies the rates by `gamma` every `stepSize` epochs.
 * @example new StepLR(opt, 30, { gamma: 0.1 })
 */
export class StepLR extends LRScheduler {
  protected readonly ownKeys = ["step_size", "gamma"];
  stepSize: number;
  gamma: number;

  constructor(optimizer: AnyOptimizer, stepSize: number, options: SchedulerOptions & { gamma?: number } = {}) {
    super(optimizer, options);
    this.stepSize = stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const current = lrs(this);
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return current;
    return current.map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Multiplies the rates by `gamma` at each milestone epoch (twice for a milestone listed twice). */
export class MultiStepLR extends LRScheduler {
  protected readonly ownKeys = ["milestones", "gamma"];
  /** Milestone epoch → how often it was listed (PyTorch's Counter). */
  milestones: Map<number, number>;
  gamma: number;

  constructor(optimizer: AnyOptimizer, milestones: Iterable<number>, options: SchedulerOptions & { gamma?: number } = {}) {
    super(optimizer, options);
    this.milestones = new Map();
    for (const m of milestones) this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const count = this.milestones.get(this.lastEpoch);
    const current = lrs(this);
    if (count === undefined) return current;
    return current.map((lr) => lr * this.gamma ** count);
  }

  protected override closedFormLr(): number[] {
    let passed = 0;
    for (const [m, count] of this.milestones) if (m <= this.lastEpoch) passed += count;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }

  protected override packValue(key: string, value: unknown): SchedulerValue {
    return key === "milestones" ? new Map(this.milestones) : super.packValue(key, value);
  }

  protected override unpackValue(key: string, value: unknown): unknown {
    if (key !== "milestones") return super.unpackValue(key, value);
    return new Map(entriesOf(value).map(([k, n]) => [Number(k), Number(n)]));
  }
}

/** Multiplies the rates by `factor` until epoch `totalIters`, then restores them. */
export class ConstantLR extends LRScheduler {
  protected readonly ownKeys = ["factor", "total_iters"];
  factor: number;
  totalIters: number;

  constructor(optimizer: AnyOptimizer, options: SchedulerOptions & { factor?: number; totalIters?: number } = {}) {
    const factor = options.factor ?? 1 / 3;
    if (factor > 1 || factor < 0) throw new ValueError("Constant multiplicative factor expected to be between 0 and 1.");
    super(optimizer, options);
    this.factor = factor;
    this.totalIters = options.totalIters ?? 5;
    this.initialStep();
  }

  protected getLr(): number[] {
    const current = lrs(this);
    if (this.lastEpoch === 0) return current.map((lr) => lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return current;
    return current.map((lr) => lr * (1.0 / this.factor));
  }

  protected override closedFormLr(): number[] {
    const after = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((b) => b * (this.factor + after * (1 - this.factor)));
  }
}

/** Scales the rates by a factor going linearly from `startFactor` to `endFactor` over `totalIters` epochs. */
export class LinearLR extends LRScheduler {
  protected readonly ownKeys = ["start_factor", "end_factor", "total_iters"];
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: AnyOptimizer, options: SchedulerOptions & { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    const startFactor = options.startFactor ?? 1 / 3, endFactor = options.endFactor ?? 1;
    if (startFactor > 1 || startFactor < 0) throw new ValueError("Starting multiplicative factor expected to be between 0 and 1.");
    if (endFactor > 1 || endFactor < 0) throw new ValueError("Ending multiplicative factor expected to be between 0 and 1.");
    super(optimizer, options);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = options.totalIters ?? 5;
    this.initialStep();
  }

  protected getLr(): number[] {
    const current = lrs(this);
    if (this.lastEpoch === 0) return current.map((lr) => lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return current;
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    return current.map((lr) => lr * (1 + (e - s) / (n * s + (this.lastEpoch - 1) * (e - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(n, this.lastEpoch)) / n));
  }
}

/** Multiplies the rates by `gamma` every epoch. */
export class ExponentialLR extends LRScheduler {
  protected readonly ownKeys = ["gamma"];
  gamma: number;

  constructor(optimizer: AnyOptimizer, gamma: number, options: SchedulerOptions = {}) {
    super(optimizer, options);
    this.gamma = gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    const current = lrs(this);
    return this.lastEpoch === 0 ? current : current.map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

/** Decays the rates as (1 − epoch/totalIters)^power, reaching zero at `totalIters`. */
export class PolynomialLR extends LRScheduler {
  protected readonly ownKeys = ["total_iters", "power"];
  totalIters: number;
  power: number;

  constructor(optimizer: AnyOptimizer, options: SchedulerOptions & { totalIters?: number; power?: number } = {}) {
    super(optimizer, options);
    this.totalIters = options.totalIters ?? 5;
    this.power = options.power ?? 1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const current = lrs(this);
    if (this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return current;
    const n = this.totalIters;
    const decay = ((1.0 - this.lastEpoch / n) / (1.0 - (this.lastEpoch - 1) / n)) ** this.power;
    return current.map((lr) => lr * decay);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (1.0 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }
}

/**
 * Cosine annealing from the initial rate to `etaMin` over `TMax` epochs (SGDR without restarts),
 * by PyTorch's recursion, so changes made to the rates from outside carry on.
 * @example new CosineAnnealingLR(opt, 100, { etaMin: 1e-5 })
 */
export class CosineAnnealingLR extends LRScheduler {
  protected readonly ownKeys = ["T_max", "eta_min"];
  TMax: number;
  etaMin: number;

  constructor(optimizer: AnyOptimizer, TMax: number, options: SchedulerOptions & { etaMin?: number } = {}) {
    super(optimizer, options);
    this.TMax = TMax;
    this.etaMin = options.etaMin ?? 0;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: t, TMax: T, etaMin: eta } = this;
    const current = lrs(this);
    if (t === 0) return current;
    if (this._stepCount === 1 && t > 0) return this.baseLrs.map((b) => eta + ((b - eta) * (1 + Math.cos((t * Math.PI) / T))) / 2);
    if ((t - 1 - T) % (2 * T) === 0) {
      return current.map((lr, i) => lr + ((this.baseLrs[i]! - eta) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return current.map((lr) => ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (lr - eta) + eta);
  }

  protected override closedFormLr(): number[] {
    const { lastEpoch: t, TMax: T, etaMin: eta } = this;
    return this.baseLrs.map((b) => eta + ((b - eta) * (1 + Math.cos((Math.PI * t) / T))) / 2);
  }
}

/**
 * SGDR: cosine annealing restarted every `T0` epochs, the period multiplied by `TMult` at each restart.
 * `step(epoch)` takes fractional epochs (`epoch + i / iters`), as PyTorch documents.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  protected readonly ownKeys = ["T_0", "T_i", "T_mult", "eta_min", "T_cur"];
  T0: number;
  TI: number;
  TMult: number;
  etaMin: number;
  TCur: number;

  constructor(optimizer: AnyOptimizer, T0: number, options: SchedulerOptions & { TMult?: number; etaMin?: number } = {}) {
    const TMult = options.TMult ?? 1;
    if (!(T0 > 0) || !Number.isInteger(T0)) throw new ValueError(`Expected positive integer T_0, but got ${T0}`);
    if (!(TMult >= 1) || !Number.isInteger(TMult)) throw new ValueError(`Expected integer T_mult >= 1, but got ${TMult}`);
    super(optimizer, options);
    this.T0 = T0;
    this.TI = T0;
    this.TMult = TMult;
    this.etaMin = options.etaMin ?? 0;
    this.TCur = this.lastEpoch;
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.TCur) / this.TI))) / 2);
  }

  /** PyTorch's own step: no step count, T_cur and T_i advance (or jump to `epoch`) before the rates. */
  override step(epoch?: number): void {
    if (epoch !== undefined && epoch < 0) throw new ValueError(`Expected non-negative epoch, but got ${epoch}`);
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    const given = epoch;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.TCur = this.TCur + 1;
      if (this.TCur >= this.TI) {
        this.TCur = this.TCur - this.TI;
        this.TI = this.TI * this.TMult;
      }
    } else if (epoch >= this.T0) {
      if (this.TMult === 1) this.TCur = epoch % this.T0;
      else {
        const n = Math.trunc(Math.log((epoch / this.T0) * (this.TMult - 1) + 1) / Math.log(this.TMult));
        this.TCur = epoch - (this.T0 * (this.TMult ** n - 1)) / (this.TMult - 1);
        this.TI = this.T0 * this.TMult ** n;
      }
    } else {
      this.TI = this.T0;
      this.TCur = epoch;
    }
    this.lastEpoch = Math.floor(epoch);
    this._getLrCalledWithinStep = true;
    const values = this.getLr();
    this._getLrCalledWithinStep = false;
    this.setLrs(values, given);
  }
}

/** The named annealing strategies of OneCycleLR. */
export type AnnealStrategy = "cos" | "linear";

/** OneCycleLR's options (PyTorch's keywords in camelCase). */
export type OneCycleLROptions = SchedulerOptions & {
  totalSteps?: number; epochs?: number; stepsPerEpoch?: number; pctStart?: number; annealStrategy?: AnnealStrategy;
  cycleMomentum?: boolean; baseMomentum?: number | readonly number[]; maxMomentum?: number | readonly number[];
  divFactor?: number; finalDivFactor?: number; threePhase?: boolean;
};

/** One phase of the 1cycle schedule; the rate and momentum names are group keys (Python names). */
type Phase = { end_step: number; start_lr: string; end_lr: string; start_momentum: string; end_momentum: string };

/**
 * The 1cycle policy: the rate rises from maxLr/divFactor to maxLr, then anneals far below; momentum
 * (or Adam's beta1) cycles the other way. Stepped once per batch, `totalSteps` times in all.
 * @example new OneCycleLR(opt, 0.01, { epochs: 10, stepsPerEpoch: loader.length })
 */
export class OneCycleLR extends LRScheduler {
  protected readonly ownKeys: readonly string[];
  totalSteps: number;
  _schedulePhases: Phase[];
  annealStrategy: AnnealStrategy;
  cycleMomentum: boolean;
  useBeta1 = false;

  constructor(optimizer: AnyOptimizer, maxLr: number | readonly number[], options: OneCycleLROptions = {}) {
    checkOptimizer(optimizer);
    const o = options;
    const totalSteps = oneCycleSteps(o);
    const pct = o.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1)) throw new ValueError(`Expected float between 0 and 1 pct_start, but got ${pct}`);
    const anneal = o.annealStrategy ?? "cos";
    if (anneal !== "cos" && anneal !== "linear") {
      throw new ValueError(`anneal_strategy must by one of 'cos' or 'linear', instead got ${String(anneal)}`);
    }
    const cycleMomentum = o.cycleMomentum ?? true;
    const useBeta1 = "betas" in optimizer.defaults;
    if (cycleMomentum && !("momentum" in optimizer.defaults) && !useBeta1) {
      throw new ValueError("optimizer must support momentum with `cycle_momentum` option enabled");
    }
    const maxLrs = perGroup("max_lr", optimizer, maxLr);
    const maxMomenta = perGroup("max_momentum", optimizer, o.maxMomentum ?? 0.95);
    const baseMomenta = perGroup("base_momentum", optimizer, o.baseMomentum ?? 0.85);
    const groups = groupsOf(optimizer);
    if ((o.lastEpoch ?? -1) === -1) {
      const div = o.divFactor ?? 25, finalDiv = o.finalDivFactor ?? 1e4;
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i]! / div;
        g.maxLr = maxLrs[i]!;
        g.minLr = g.initialLr / finalDiv;
        if (!cycleMomentum) return;
        if (useBeta1) g.betas = [maxMomenta[i]!, g.betas![1]];
        else g.momentum = maxMomenta[i]!;
        g.maxMomentum = maxMomenta[i]!;
        g.baseMomentum = baseMomenta[i]!;
      });
    }
    super(optimizer, options);
    this.totalSteps = totalSteps;
    this._schedulePhases = phases(totalSteps, pct, o.threePhase ?? false);
    this.annealStrategy = anneal;
    this.cycleMomentum = cycleMomentum;
    this.ownKeys = ["total_steps", "_schedule_phases", "cycle_momentum", ...(cycleMomentum ? ["use_beta1"] : [])];
    if (cycleMomentum) this.useBeta1 = useBeta1;
    this.initialStep();
  }

  #anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === "linear") return (end - start) * pct + start;
    const cosOut = Math.cos(Math.PI * pct) + 1;
    return end + ((start - end) / 2.0) * cosOut;
  }

  protected getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new ValueError(`Tried to step ${step + 1} times. The specified number of total steps is ${this.totalSteps}`);
    }
    return groupsOf(this.optimizer).map((g) => {
      let start = 0;
      for (const [i, phase] of this._schedulePhases.entries()) {
        const end = phase.end_step;
        if (step <= end || i === this._schedulePhases.length - 1) {
          const pct = (step - start) / (end - start);
          const lr = this.#anneal(g[jsName(phase.start_lr)] as number, g[jsName(phase.end_lr)] as number, pct);
          if (this.cycleMomentum) {
            const m = this.#anneal(g[jsName(phase.start_momentum)] as number, g[jsName(phase.end_momentum)] as number, pct);
            if (this.useBeta1) g.betas = [m, g.betas![1]];
            else g.momentum = m;
          }
          return lr;
        }
        start = phase.end_step;
      }
      throw new ValueError("OneCycleLR has no phases");
    });
  }

  protected override unpackValue(key: string, value: unknown): unknown {
    return key === "_schedule_phases" ? (plain(value) as Phase[]).map((p) => ({ ...p })) : super.unpackValue(key, value);
  }
}

function oneCycleSteps(o: OneCycleLROptions): number {
  if (o.totalSteps === undefined && o.epochs === undefined && o.stepsPerEpoch === undefined) {
    throw new ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)");
  }
  if (o.totalSteps !== undefined) {
    if (!(o.totalSteps > 0) || !Number.isInteger(o.totalSteps)) throw new ValueError(`Expected positive integer total_steps, but got ${o.totalSteps}`);
    return o.totalSteps;
  }
  if (!(o.epochs! > 0) || !Number.isInteger(o.epochs)) throw new ValueError(`Expected positive integer epochs, but got ${o.epochs}`);
  if (!(o.stepsPerEpoch! > 0) || !Number.isInteger(o.stepsPerEpoch)) {
    throw new ValueError(`Expected positive integer steps_per_epoch, but got ${o.stepsPerEpoch}`);
  }
  return o.epochs! * o.stepsPerEpoch!;
}

function phases(total: number, pct: number, threePhase: boolean): Phase[] {
  const phase = (end_step: number, start_lr: string, end_lr: string, start_momentum: string, end_momentum: string): Phase =>
    ({ end_step, start_lr, end_lr, start_momentum, end_momentum });
  const up = phase(pct * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum");
  if (!threePhase) return [up, phase(total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")];
  return [
    up,
    phase(2 * pct * total - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
    phase(total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
  ];
}

/** CyclicLR's policies. */
export type CyclicMode = "triangular" | "triangular2" | "exp_range";

/** CyclicLR's options (PyTorch's keywords in camelCase). */
export type CyclicLROptions = SchedulerOptions & {
  stepSizeUp?: number; stepSizeDown?: number; mode?: CyclicMode; gamma?: number;
  scaleFn?: (x: number) => number; scaleMode?: "cycle" | "iterations";
  cycleMomentum?: boolean; baseMomentum?: number | readonly number[]; maxMomentum?: number | readonly number[];
};

/**
 * The cyclical learning rate policy: the rate cycles between `baseLr` and `maxLr` (triangular,
 * triangular2, exp_range, or a custom `scaleFn`), momentum the other way. Stepped once per batch.
 */
export class CyclicLR extends LRScheduler {
  protected readonly ownKeys: readonly string[];
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: CyclicMode;
  gamma: number;
  scaleMode: "cycle" | "iterations";
  cycleMomentum: boolean;
  baseMomentums: number[] = [];
  maxMomentums: number[] = [];
  readonly #scaleFn: ((x: number) => number) | null;

  constructor(optimizer: AnyOptimizer, baseLr: number | readonly number[], maxLr: number | readonly number[], options: CyclicLROptions = {}) {
    checkOptimizer(optimizer);
    const o = options, mode = o.mode ?? "triangular";
    const baseLrs = perGroup("base_lr", optimizer, baseLr);
    const maxLrs = perGroup("max_lr", optimizer, maxLr);
    if (!["triangular", "triangular2", "exp_range"].includes(mode) && o.scaleFn === undefined) {
      throw new ValueError("mode is invalid and scale_fn is None");
    }
    const cycleMomentum = o.cycleMomentum ?? true;
    if (cycleMomentum && !("momentum" in optimizer.defaults)) {
      throw new ValueError("optimizer must support momentum with `cycle_momentum` option enabled");
    }
    const baseMomenta = perGroup("base_momentum", optimizer, o.baseMomentum ?? 0.8);
    const maxMomenta = perGroup("max_momentum", optimizer, o.maxMomentum ?? 0.9);
    const groups = groupsOf(optimizer);
    const fresh = (o.lastEpoch ?? -1) === -1;
    if (fresh) groups.forEach((g, i) => { g.lr = baseLrs[i]!; });
    if (cycleMomentum && fresh) groups.forEach((g, i) => { g.momentum = baseMomenta[i]!; });
    super(optimizer, options);
    this.maxLrs = maxLrs;
    const up = o.stepSizeUp ?? 2000, down = o.stepSizeDown ?? up;
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = mode;
    this.gamma = o.gamma ?? 1;
    this.#scaleFn = o.scaleFn ?? null;
    this.scaleMode = o.scaleFn !== undefined ? (o.scaleMode ?? "cycle") : mode === "exp_range" ? "iterations" : "cycle";
    this.cycleMomentum = cycleMomentum;
    if (cycleMomentum) {
      this.baseMomentums = groups.map((g) => g.momentum!);
      this.maxMomentums = maxMomenta;
    }
    this.ownKeys = [
      "max_lrs", "total_size", "step_ratio", "mode", "gamma", "_scale_fn_custom", "scale_mode", "cycle_momentum",
      ...(cycleMomentum ? ["base_momentums", "max_momentums"] : []),
    ];
    this.initialStep();
    this.baseLrs = baseLrs;
  }

  /** The amplitude's scale at `x` (a cycle number or an iteration). */
  scaleFn(x: number): number {
    if (this.#scaleFn !== null) return this.#scaleFn(x);
    if (this.mode === "triangular") return 1;
    if (this.mode === "triangular2") return 1 / 2.0 ** (x - 1);
    return this.gamma ** x;
  }

  protected getLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1 + this.lastEpoch / this.totalSize - cycle;
    const scale = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const at = this.scaleMode === "cycle" ? cycle : this.lastEpoch;
    const out = this.baseLrs.map((b, i) => b + (this.maxLrs[i]! - b) * scale * this.scaleFn(at));
    if (this.cycleMomentum) {
      const groups = groupsOf(this.optimizer);
      this.baseMomentums.forEach((b, i) => {
        const m = this.maxMomentums[i]! - (this.maxMomentums[i]! - b) * scale * this.scaleFn(at);
        if (groups[i]) groups[i].momentum = m;
      });
    }
    return out;
  }

  protected override packValue(key: string, value: unknown): SchedulerValue {
    return key === "_scale_fn_custom" ? null : super.packValue(key, value);
  }

  protected override unpackValue(key: string, value: unknown): unknown {
    return key === "_scale_fn_custom" ? undefined : super.unpackValue(key, value);
  }
}

/** What SequentialLR and ChainedScheduler hold: state dicts of their schedulers in a list. */
function packSchedulers(schedulers: readonly LRScheduler[]): SchedulerStateDict[] {
  return schedulers.map((s) => s.stateDict());
}

function loadSchedulers(schedulers: readonly LRScheduler[], saved: unknown): void {
  const list = Array.isArray(saved) ? saved : [];
  if (list.length !== schedulers.length) throw new ValueError(`loadStateDict: expected ${schedulers.length} scheduler states, got ${list.length}`);
  schedulers.forEach((s, i) => s.loadStateDict(list[i] as SchedulerStateDict));
}

/**
 * Runs schedulers one after the other: the first until `milestones[0]`, the next from there
 * (restarted at epoch 0), and so on.
 * @example new SequentialLR(opt, [new LinearLR(opt, { startFactor: 0.1 }), new CosineAnnealingLR(opt, 95)], [5])
 */
export class SequentialLR {
  readonly optimizer: AnyOptimizer;
  _schedulers: LRScheduler[];
  _milestones: number[];
  lastEpoch: number;
  _lastLr: number[];

  constructor(optimizer: AnyOptimizer, schedulers: readonly LRScheduler[], milestones: readonly number[], options: SchedulerOptions = {}) {
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new ValueError("Sequential Schedulers expects all schedulers to belong to the same optimizer, but " +
          `got schedulers at index ${i} to be different than the optimizer passed in.`);
      }
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new ValueError("Sequential Schedulers expects number of schedulers provided to be one more than the number of " +
        `milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${milestones.length}`);
    }
    this._schedulers = [...schedulers];
    this._milestones = [...milestones];
    this.lastEpoch = (options.lastEpoch ?? -1) + 1;
    this.optimizer = optimizer;
    for (const g of groupsOf(optimizer)) g.lr = g.initialLr!;
    for (const s of this._schedulers) s.lastEpoch -= 1;
    this._schedulers[0]!.initialStep();
    this._lastLr = this._schedulers[0]!.getLastLr();
  }

  /** Advances one epoch with the scheduler of this phase, restarting it at epoch 0 on its milestone. */
  step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this._milestones, this.lastEpoch);
    const scheduler = this._schedulers[idx]!;
    if (idx > 0 && this._milestones[idx - 1] === this.lastEpoch) scheduler.step(0);
    else scheduler.step();
    this._lastLr = scheduler.getLastLr();
  }

  /** The rates the last step set, one per group. */
  getLastLr(): number[] {
    return [...this._lastLr];
  }

  /** PyTorch's keys: `_milestones`, `last_epoch`, `_last_lr`, then each scheduler's state under `_schedulers`. */
  stateDict(): SchedulerStateDict {
    return { _milestones: [...this._milestones], last_epoch: this.lastEpoch, _last_lr: [...this._lastLr], _schedulers: packSchedulers(this._schedulers) };
  }

  /** Loads what stateDict() or PyTorch's state_dict() saved, the wrapped schedulers' states included. */
  loadStateDict(stateDict: SchedulerStateDict | Map<string, unknown>): void {
    const saved = new Map(entriesOf(stateDict));
    loadSchedulers(this._schedulers, plain(saved.get("_schedulers")));
    if (saved.has("_milestones")) this._milestones = (plain(saved.get("_milestones")) as number[]).map(Number);
    if (saved.has("last_epoch")) this.lastEpoch = Number(saved.get("last_epoch"));
    if (saved.has("_last_lr")) this._lastLr = (plain(saved.get("_last_lr")) as number[]).map(Number);
  }
}

function bisectRight(sorted: readonly number[], x: number): number {
  let i = 0;
  while (i < sorted.length && sorted[i]! <= x) i++;
  return i;
}

/** Steps several chainable schedulers together, each applying its change to the rates in turn. */
export class ChainedScheduler {
  readonly optimizer: AnyOptimizer;
  _schedulers: LRScheduler[];
  _lastLr: number[];

  constructor(schedulers: readonly LRScheduler[]) {
    if (schedulers.length === 0) throw new ValueError("ChainedScheduler expects at least one scheduler");
    schedulers.forEach((s, i) => {
      if (s.optimizer !== schedulers[0]!.optimizer) {
        throw new ValueError(`ChainedScheduler expects all schedulers to belong to the same optimizer, but got schedulers at index 0 and ${i} to be different`);
      }
    });
    this._schedulers = [...schedulers];
    this.optimizer = schedulers[0]!.optimizer;
    this._lastLr = lrsOf(this.optimizer);
  }

  /** Steps every scheduler once, in order. */
  step(): void {
    for (const s of this._schedulers) s.step();
    this._lastLr = lrsOf(this.optimizer);
  }

  /** The rates the last step set, one per group. */
  getLastLr(): number[] {
    return [...this._lastLr];
  }

  /** PyTorch's keys: `_last_lr`, then each scheduler's state under `_schedulers`. */
  stateDict(): SchedulerStateDict {
    return { _last_lr: [...this._lastLr], _schedulers: packSchedulers(this._schedulers) };
  }

  /** Loads what stateDict() or PyTorch's state_dict() saved, the wrapped schedulers' states included. */
  loadStateDict(stateDict: SchedulerStateDict | Map<string, unknown>): void {
    const saved = new Map(entriesOf(stateDict));
    loadSchedulers(this._schedulers, plain(saved.get("_schedulers")));
    if (saved.has("_last_lr")) this._lastLr = (plain(saved.get("_last_lr")) as number[]).map(Number);
  }
}

const lrsOf = (opt: AnyOptimizer): number[] => groupsOf(opt).map((g) => g.lr);

/** ReduceLROnPlateau's options (PyTorch's keywords in camelCase). */
export type ReduceLROnPlateauOptions = {
  mode?: "min" | "max"; factor?: number; patience?: number; threshold?: number; thresholdMode?: "rel" | "abs";
  cooldown?: number; minLr?: number | readonly number[]; eps?: number; verbose?: boolean;
};

const PLATEAU_KEYS = [
  "factor", "min_lrs", "patience", "verbose", "cooldown", "cooldown_counter", "mode", "threshold", "threshold_mode",
  "best", "num_bad_epochs", "mode_worse", "eps", "last_epoch",
];

/**
 * Multiplies the rates by `factor` when a metric passed to `step(metric)` has not improved for
 * `patience` epochs (then waits `cooldown` epochs), never below `minLr`.
 * @example sched.step(valLoss)
 */
export class ReduceLROnPlateau {
  readonly optimizer: AnyOptimizer;
  factor: number;
  minLrs: number[];
  patience: number;
  verbose: boolean;
  cooldown: number;
  cooldownCounter = 0;
  mode: "min" | "max";
  threshold: number;
  thresholdMode: "rel" | "abs";
  best: number;
  numBadEpochs = 0;
  modeWorse: number;
  eps: number;
  lastEpoch = 0;
  _lastLr: number[] | null = null;

  constructor(optimizer: AnyOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const o = options;
    const factor = o.factor ?? 0.1;
    if (factor >= 1.0) throw new ValueError("Factor should be < 1.0.");
    checkOptimizer(optimizer);
    const minLrs = perGroup("min_lr", optimizer, o.minLr ?? 0);
    const mode = o.mode ?? "min", thresholdMode = o.thresholdMode ?? "rel";
    checkPlateauModes(mode, thresholdMode);
    this.optimizer = optimizer;
    this.factor = factor;
    this.minLrs = minLrs;
    this.patience = o.patience ?? 10;
    this.verbose = o.verbose ?? false;
    this.cooldown = o.cooldown ?? 0;
    this.mode = mode;
    this.threshold = o.threshold ?? 1e-4;
    this.thresholdMode = thresholdMode;
    this.modeWorse = mode === "min" ? Infinity : -Infinity;
    this.best = this.modeWorse;
    this.eps = o.eps ?? 1e-8;
  }

  /** True while waiting out the cooldown after a reduction. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** Whether `a` improves on `best` by more than the threshold. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === "min") return this.thresholdMode === "rel" ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === "rel" ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  /** Records one epoch's metric (a number or a one-element tensor) and reduces the rates after `patience` bad epochs. */
  step(metrics: number | Tensor, epoch?: number): void {
    const current = metrics instanceof Tensor ? Number(metrics.item()) : Number(metrics);
    const e = epoch ?? this.lastEpoch + 1;
    this.lastEpoch = e;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.#reduceLr(e);
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this._lastLr = lrsOf(this.optimizer);
  }

  #reduceLr(epoch: number): void {
    groupsOf(this.optimizer).forEach((g, i) => {
      const old = g.lr, next = Math.max(old * this.factor, this.minLrs[i]!);
      if (old - next > this.eps) {
        g.lr = next;
        if (this.verbose) console.log(`Epoch ${Number.isInteger(epoch) ? String(epoch).padStart(5, "0") : epoch.toFixed(2)}: reducing learning rate of group ${i} to ${sci(next)}.`);
      }
    });
  }

  /** The rates after the last step, one per group (there are none before the first step). */
  getLastLr(): number[] {
    if (this._lastLr === null) throw new ValueError("ReduceLROnPlateau has no last learning rate before its first step()");
    return [...this._lastLr];
  }

  /** PyTorch's state dict; `_last_lr` appears after the first step, as in PyTorch. */
  stateDict(): SchedulerStateDict {
    const self = this as unknown as Record<string, SchedulerValue>;
    const out: SchedulerStateDict = {};
    for (const key of PLATEAU_KEYS) {
      const v = self[jsName(key)]!;
      out[key] = Array.isArray(v) ? [...(v as SchedulerValue[])] : v;
    }
    if (this._lastLr !== null) out._last_lr = [...this._lastLr];
    return out;
  }

  /** Loads what stateDict() or PyTorch's state_dict() saved; unknown modes throw and change nothing. */
  loadStateDict(stateDict: SchedulerStateDict | Map<string, unknown>): void {
    const saved = new Map(entriesOf(stateDict).map(([k, v]) => [k, plain(v)]));
    checkPlateauModes(saved.get("mode") ?? this.mode, saved.get("threshold_mode") ?? this.thresholdMode);
    const self = this as unknown as Record<string, unknown>;
    for (const key of [...PLATEAU_KEYS, "_last_lr"]) if (saved.has(key)) self[jsName(key)] = saved.get(key);
  }
}

function checkPlateauModes(mode: unknown, thresholdMode: unknown): void {
  if (mode !== "min" && mode !== "max") throw new ValueError(`mode ${String(mode)} is unknown!`);
  if (thresholdMode !== "rel" && thresholdMode !== "abs") throw new ValueError(`threshold mode ${String(thresholdMode)} is unknown!`);
}
