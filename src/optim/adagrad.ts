/** Adagrad with PyTorch 1.13's single-tensor update math. */
import { ValueError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { fullLike } from "../ops/creation.ts";
import { Optimizer, scalarStep, type OptimizerParams, type ParamGroup, type ParamGroupSpec, type ParamState } from "./optimizer.ts";

/** Adagrad's hyperparameters. */
export type AdagradHyper = {
  lr: number;
  lrDecay: number;
  eps: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  maximize: boolean;
};

/** Options of Adagrad; unset ones take PyTorch's defaults. */
export type AdagradOptions = Partial<AdagradHyper>;

function initState(state: ParamState, p: Tensor, value: number): void {
  state.step = scalarStep(0);
  state.sum = fullLike(p, value);
}

/**
 * torch.optim.Adagrad: each step divides by the root of the summed squared gradients; the rate
 * decays as lr / (1 + (step − 1)·lrDecay). As in PyTorch, every parameter's state (`step`,
 * `sum` filled with `initialAccumulatorValue`) exists from construction on.
 * @example const opt = new Adagrad(net.parameters(), { lr: 0.1 });
 */
export class Adagrad extends Optimizer<AdagradHyper> {
  static override displayName = "Adagrad";

  constructor(params: OptimizerParams<AdagradHyper>, options: AdagradOptions = {}) {
    const o = options;
    if (!((o.lr ?? 0) >= 0)) throw new ValueError(`Invalid learning rate: ${o.lr}`);
    if (!((o.lrDecay ?? 0) >= 0)) throw new ValueError(`Invalid lr_decay value: ${o.lrDecay}`);
    if (!((o.weightDecay ?? 0) >= 0)) throw new ValueError(`Invalid weight_decay value: ${o.weightDecay}`);
    if (!((o.initialAccumulatorValue ?? 0) >= 0)) {
      throw new ValueError(`Invalid initial_accumulator_value value: ${o.initialAccumulatorValue}`);
    }
    if (!((o.eps ?? 0) >= 0)) throw new ValueError(`Invalid epsilon value: ${o.eps}`);
    const defaults = {
      lr: o.lr ?? 1e-2, lrDecay: o.lrDecay ?? 0, eps: o.eps ?? 1e-10, weightDecay: o.weightDecay ?? 0,
      initialAccumulatorValue: o.initialAccumulatorValue ?? 0, maximize: o.maximize ?? false,
    };
    super(params, defaults, { foreach: null });
  }

  /**
   * Adds a group and creates its parameters' state (the constructor adds its groups this way too;
   * PyTorch creates state only in its constructor, so there a group added later fails at its first step).
   */
  override addParamGroup(spec: ParamGroupSpec<AdagradHyper>): void {
    super.addParamGroup(spec);
    const group = this.paramGroups[this.paramGroups.length - 1]!;
    for (const p of group.params) initState(this.stateOf(p), p, group.initialAccumulatorValue);
  }

  protected update(group: ParamGroup<AdagradHyper>): void {
    const { lr, lrDecay, eps, weightDecay, maximize } = group;
    for (const p of group.params) {
      if (p.grad === null) continue;
      const state = this.stateOf(p);
      if (state.sum === undefined) initState(state, p, group.initialAccumulatorValue);
      const stepT = state.step as Tensor, sum = state.sum as Tensor;
      stepT.add_(1);
      const step = Number(stepT.item());
      let grad = maximize ? p.grad.neg() : p.grad;
      if (weightDecay !== 0) grad = grad.add(p, { alpha: weightDecay });
      const clr = lr / (1 + (step - 1) * lrDecay);
      sum.add_(grad.mul(grad));
      const std = sum.sqrt().add_(eps);
      p.add_(grad.mul(-clr).div_(std));
    }
  }
}
