/** Adamax with PyTorch 1.13's single-tensor update math. */
import type { Tensor } from "../tensor.ts";
import { zerosLike } from "../ops/creation.ts";
import { checkAdam } from "./adam.ts";
import { Optimizer, scalarStep, type OptimizerParams, type ParamGroup } from "./optimizer.ts";

/** Adamax's hyperparameters. */
export type AdamaxHyper = {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
};

/** Options of Adamax; unset ones take PyTorch's defaults. */
export type AdamaxOptions = Partial<AdamaxHyper>;

/**
 * torch.optim.Adamax: Adam with the infinity norm, exp_inf = max(beta2·exp_inf, |g| + eps).
 * @example const opt = new Adamax(net.parameters(), { lr: 2e-3 });
 */
export class Adamax extends Optimizer<AdamaxHyper> {
  static override displayName = "Adamax";

  constructor(params: OptimizerParams<AdamaxHyper>, options: AdamaxOptions = {}) {
    checkAdam(options);
    const o = options;
    const defaults = {
      lr: o.lr ?? 2e-3, betas: o.betas ?? [0.9, 0.999], eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? 0, maximize: o.maximize ?? false,
    } as const;
    super(params, defaults, { foreach: null });
  }

  protected update(group: ParamGroup<AdamaxHyper>): void {
    const { lr, eps, weightDecay, maximize } = group;
    const [beta1, beta2] = group.betas;
    for (const p of group.params) {
      if (p.grad === null) continue;
      const state = this.stateOf(p);
      if (Object.keys(state).length === 0) {
        state.step = scalarStep(0);
        state.exp_avg = zerosLike(p);
        state.exp_inf = zerosLike(p);
      }
      const stepT = state.step as Tensor, expAvg = state.exp_avg as Tensor, expInf = state.exp_inf as Tensor;
      stepT.add_(1);
      const step = Number(stepT.item());
      let grad = maximize ? p.grad.neg() : p.grad;
      if (weightDecay !== 0) grad = grad.add(p, { alpha: weightDecay });
      expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      // amax over [beta2·exp_inf, |g| + eps], written back into exp_inf
      expInf.mul_(beta2);
      expInf.copy_(expInf.maximum(grad.abs().add_(eps)));
      const clr = lr / (1 - beta1 ** step);
      p.add_(expAvg.mul(-clr).div_(expInf));
    }
  }
}
