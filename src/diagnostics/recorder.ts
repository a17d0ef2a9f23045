/**
 * Recorder: activation and gradient statistics of chosen modules over training steps, built on
 * forward hooks (activations) and gradient hooks on the outputs (gradients). `remove()` detaches
 * every hook it placed, including those on outputs whose backward never ran.
 */
import { TorchletError } from "../errors.ts";
import { Tensor } from "../tensor.ts";
import type { Module, RemovableHandle } from "../nn/module.ts";
import { Linear } from "../nn/linear.ts";
import { ReLU } from "../nn/activation.ts";
import { valuesOf } from "./stats.ts";

/** Per-step series of one module; index i is step i. */
export interface LayerHistory {
  /** mean of the module's outputs in the step */
  mean: number[];
  /** population std of the outputs in the step */
  std: number[];
  /** fraction of outputs exactly zero: dead units after a ReLU */
  dead: number[];
  /** L2 norm of the gradient reaching the outputs, summed over the step's backward passes; NaN when none ran */
  gradNorm: number[];
}

/** Options of Recorder. */
export interface RecorderOptions {
  /** dotted module names to record (as namedModules lists them) */
  modules?: readonly string[];
  /** module classes to record when `modules` is not given (default Linear and ReLU) */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  types?: readonly (abstract new (...args: any[]) => Module)[];
}

interface Accumulator { n: number; sum: number; sq: number; zeros: number; gradSq: number; grads: number }

const fresh = (): Accumulator => ({ n: 0, sum: 0, sq: 0, zeros: 0, gradSq: 0, grads: 0 });

/**
 * Records, for chosen modules, activation statistics (mean, std, dead fraction) and output
 * gradient norms per training step, and the loss.
 * @example const rec = new Recorder(net); ...; rec.recordLoss(loss); rec.step(); ... rec.remove();
 */
export class Recorder {
  /** the recorded modules' names, in model order */
  readonly names: string[];
  /** their class names (`getName()`), in the same order */
  readonly classNames: string[];
  /** per module name, its series over steps */
  readonly history = new Map<string, LayerHistory>();
  /** the loss of each step (NaN for a step without recordLoss) */
  readonly losses: number[] = [];
  #current = new Map<string, Accumulator>();
  #loss: number[] = [];
  #moduleHooks: RemovableHandle[] = [];
  #tensorHooks: RemovableHandle[] = [];

  constructor(model: Module, options: RecorderOptions = {}) {
    const chosen = choose(model, options);
    this.names = chosen.map(([name]) => name);
    this.classNames = chosen.map(([, m]) => m.getName());
    for (const [name, m] of chosen) {
      this.history.set(name, { mean: [], std: [], dead: [], gradNorm: [] });
      this.#current.set(name, fresh());
      this.#moduleHooks.push(m.registerForwardHook((_m, _args, out) => { this.#observe(name, out); }));
    }
  }

  /** Number of completed steps. */
  get steps(): number { return this.losses.length; }

  /** Number of hooks this recorder has attached right now (module and tensor hooks). */
  get attachedHooks(): number { return this.#moduleHooks.length + this.#tensorHooks.length; }

  #observe(name: string, out: unknown): void {
    if (!(out instanceof Tensor)) return;
    const acc = this.#current.get(name)!;
    const values = valuesOf(out);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      acc.sum += v;
      acc.sq += v * v;
      if (v === 0) acc.zeros++;
    }
    acc.n += values.length;
    if (!out.requiresGrad) return;
    const handle = out.registerHook((g) => {
      const gv = valuesOf(g);
      for (let i = 0; i < gv.length; i++) acc.gradSq += gv[i]! * gv[i]!;
      acc.grads++;
    });
    this.#tensorHooks.push(handle);
  }

  /** Records this step's loss (a scalar tensor or a number). */
  recordLoss(loss: Tensor | number): void {
    this.#loss.push(loss instanceof Tensor ? Number(loss.item()) : loss);
  }

  /** Ends a training step: appends this step's statistics and detaches the step's tensor hooks. */
  step(): void {
    for (const [name, acc] of this.#current) {
      const h = this.history.get(name)!;
      const mean = acc.n ? acc.sum / acc.n : NaN;
      h.mean.push(mean);
      h.std.push(acc.n ? Math.sqrt(Math.max(0, acc.sq / acc.n - mean * mean)) : NaN);
      h.dead.push(acc.n ? acc.zeros / acc.n : NaN);
      h.gradNorm.push(acc.grads ? Math.sqrt(acc.gradSq) : NaN);
      this.#current.set(name, fresh());
    }
    // several losses in one step (gradient accumulation) are averaged
    this.losses.push(this.#loss.length ? this.#loss.reduce((a, b) => a + b, 0) / this.#loss.length : NaN);
    this.#loss = [];
    this.#dropTensorHooks();
  }

  #dropTensorHooks(): void {
    for (const h of this.#tensorHooks) h.remove();
    this.#tensorHooks = [];
  }

  /** Stops recording: removes every forward hook and every tensor hook; the history stays. */
  remove(): void {
    for (const h of this.#moduleHooks) h.remove();
    this.#moduleHooks = [];
    this.#dropTensorHooks();
  }
}

function choose(model: Module, options: RecorderOptions): [string, Module][] {
  const all = [...model.namedModules()];
  if (options.modules) {
    const byName = new Map(all);
    const unknown = options.modules.filter((n) => !byName.has(n));
    if (unknown.length) {
      throw new TorchletError(`Recorder: no module named ${unknown.map((n) => `"${n}"`).join(", ")} in ${model.getName()}; names are ${all.map(([n]) => `"${n}"`).join(", ")}`);
    }
    return options.modules.map((n) => [n, byName.get(n)!]);
  }
  const types = options.types ?? [Linear, ReLU];
  return all.filter(([name, m]) => name !== "" && types.some((T) => m instanceof T));
}
