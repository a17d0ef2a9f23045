/**
 * torch.optim.swa_utils: AveragedModel keeps a running average of a model's parameters (SWA's
 * equal weights by default, EMA or any other rule through `avgFn`), and SWALR anneals each
 * group's rate to a fixed SWA rate, both as PyTorch 1.13.
 */
import { ValueError } from "../errors.ts";
import { int64 } from "../core/dtype.ts";
import { Tensor } from "../tensor.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { Module } from "../nn/module.ts";
import { deepcopy } from "../nn/deepcopy.ts";
import { LRScheduler, type AnyOptimizer, type SchedulerOptions } from "./lr-scheduler.ts";

/** How AveragedModel folds a model's tensor into its average: (average, current, number averaged so far) → new average. */
export type AvgFn = (averaged: Tensor, current: Tensor, numAveraged: Tensor) => Tensor;

/** Options of AveragedModel: the averaging rule, and whether buffers are averaged too. */
export type AveragedModelOptions = { avgFn?: AvgFn; useBuffers?: boolean };

/** PyTorch's default: the equally weighted running mean, avg + (p − avg) / (n + 1). */
const swaAverage: AvgFn = (avg, p, n) => avg.add(p.sub(avg).div(n.add(1)));

/**
 * A copy of a model whose parameters hold a running average of the model's (Stochastic Weight
 * Averaging), updated by `updateParameters(model)`. Calling it runs the averaged copy. Its
 * state dict has PyTorch's keys: `n_averaged`, then `module.<the model's keys>`.
 *
 * The copy is PyTorch's deepcopy: a new object of the model's class (its constructor is not
 * run) with copies of its parameters, buffers, submodules, tensors, arrays and plain objects;
 * functions and other values are shared. A module class that keeps state in JavaScript private
 * `#fields` cannot be copied this way.
 * @example
 * const swa = new optim.swaUtils.AveragedModel(net);
 * const ema = new optim.swaUtils.AveragedModel(net, { avgFn: (avg, p) => avg.mul(0.9).add(p.mul(0.1)) });
 */
export class AveragedModel extends Module {
  static override displayName = "AveragedModel";
  declare module: Module;
  declare n_averaged: Tensor;
  declare avgFn: AvgFn;
  declare useBuffers: boolean;

  constructor(model: Module, options: AveragedModelOptions = {}) {
    super();
    this.module = deepcopy(model, "AveragedModel: the model has uninitialized (lazy) parameters; run a forward pass before copying it");
    this.registerBuffer("n_averaged", Tensor.fromArray(new BigInt64Array(1), [], int64));
    this.avgFn = options.avgFn ?? swaAverage;
    this.useBuffers = options.useBuffers ?? false;
  }

  /** Runs the averaged copy. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  forward(...args: any[]): any {
    return (this.module as unknown as (...a: unknown[]) => unknown)(...args);
  }

  /** Folds `model`'s current parameters (and buffers, with useBuffers) into the average; the first call copies them. */
  updateParameters(model: Module): void {
    const mine = this.useBuffers ? [...this.module.parameters(), ...this.module.buffers()] : [...this.parameters()];
    const theirs = this.useBuffers ? [...model.parameters(), ...model.buffers()] : [...model.parameters()];
    noGrad(() => {
      const first = Number(this.n_averaged.item()) === 0;
      const n = mine.length < theirs.length ? mine.length : theirs.length;
      for (let i = 0; i < n; i++) {
        const avg = mine[i]!.detach(), current = theirs[i]!.detach();
        avg.copy_(first ? current : this.avgFn(avg, current, this.n_averaged));
      }
      this.n_averaged.add_(1);
    });
  }
}

/** SWALR's annealing shapes. */
export type SWAAnnealStrategy = "cos" | "linear";

/** SWALR's options (PyTorch's keywords in camelCase). */
export type SWALROptions = SchedulerOptions & { annealEpochs?: number; annealStrategy?: SWAAnnealStrategy };

/**
 * Anneals each group's rate from its current value to `swaLr` over `annealEpochs` epochs (cosine
 * or linear), then holds it; PyTorch's recursion, so it takes over from any earlier schedule.
 * @example const swaSched = new optim.swaUtils.SWALR(opt, 0.05, { annealEpochs: 5 });
 */
export class SWALR extends LRScheduler {
  protected readonly ownKeys = ["anneal_epochs"];
  annealEpochs: number;
  annealStrategy: SWAAnnealStrategy;

  constructor(optimizer: AnyOptimizer, swaLr: number | readonly number[], options: SWALROptions = {}) {
    const n = optimizer.paramGroups.length;
    const swaLrs = Array.isArray(swaLr) ? [...(swaLr as number[])] : new Array<number>(n).fill(swaLr as number);
    if (swaLrs.length !== n) {
      throw new ValueError(`swa_lr must have the same length as optimizer.param_groups: swa_lr has ${swaLrs.length}, optimizer.param_groups has ${n}`);
    }
    const strategy = options.annealStrategy ?? "cos";
    if (strategy !== "cos" && strategy !== "linear") {
      throw new ValueError(`anneal_strategy must by one of 'cos' or 'linear', instead got ${String(strategy)}`);
    }
    const epochs = options.annealEpochs ?? 10;
    if (!Number.isInteger(epochs) || epochs < 0) throw new ValueError(`anneal_epochs must be equal or greater than 0, got ${epochs}`);
    (optimizer.paramGroups as unknown as { swaLr: number }[]).forEach((g, i) => { g.swaLr = swaLrs[i]!; });
    super(optimizer, options);
    this.annealStrategy = strategy;
    this.annealEpochs = epochs;
    this.initialStep();
  }

  #anneal(t: number): number {
    return this.annealStrategy === "linear" ? t : (1 - Math.cos(Math.PI * t)) / 2;
  }

  protected getLr(): number[] {
    const groups = this.optimizer.paramGroups as unknown as { lr: number; swaLr: number }[];
    let step = this._stepCount - 1;
    if (this.annealEpochs === 0) step = Math.max(1, step);
    const prevAlpha = this.#anneal(Math.max(0, Math.min(1, (step - 1) / Math.max(1, this.annealEpochs))));
    const prevLrs = groups.map((g) => (prevAlpha === 1 ? g.swaLr : (g.lr - prevAlpha * g.swaLr) / (1 - prevAlpha)));
    const alpha = this.#anneal(Math.max(0, Math.min(1, step / Math.max(1, this.annealEpochs))));
    return groups.map((g, i) => g.swaLr * alpha + prevLrs[i]! * (1 - alpha));
  }
}
