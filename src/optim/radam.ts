/** RAdam with PyTorch 1.13's single-tensor update math. */
import type { Tensor } from "../tensor.ts";
import { zerosLike } from "../ops/creation.ts";
import { checkAdam } from "./adam.ts";
import { Optimizer, scalarStep, type OptimizerParams, type ParamGroup } from "./optimizer.ts";

/** RAdam's hyperparameters (PyTorch 1.13's RAdam has no `maximize`). */
export type RAdamHyper = {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
};

/** Options of RAdam; unset ones take PyTorch's defaults. */
export type RAdamOptions = Partial<RAdamHyper>;

/**
 * torch.optim.RAdam: Adam whose adaptive term is switched on, and rectified, once the variance
 * estimate's length rho_t exceeds 5; before that, bias-corrected momentum SGD.
 * @example const opt = new RAdam(net.parameters(), { lr: 1e-3 });
 */
export class RAdam extends Optimizer<RAdamHyper> {
  static override displayName = "RAdam";

  constructor(params: OptimizerParams<RAdamHyper>, options: RAdamOptions = {}) {
    checkAdam(options);
    const o = options;
    const defaults = { lr: o.lr ?? 1e-3, betas: o.betas ?? [0.9, 0.999], eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? 0 } as const;
    super(params, defaults, { foreach: null });
  }

  protected update(group: ParamGroup<RAdamHyper>): void {
    const { lr, eps, weightDecay } = group;
    const [beta1, beta2] = group.betas;
    for (const p of group.params) {
      if (p.grad === null) continue;
      const state = this.stateOf(p);
      if (Object.keys(state).length === 0) {
        state.step = scalarStep(0);
        state.exp_avg = zerosLike(p);
        state.exp_avg_sq = zerosLike(p);
      }
      const stepT = state.step as Tensor, expAvg = state.exp_avg as Tensor, expAvgSq = state.exp_avg_sq as Tensor;
      stepT.add_(1);
      const step = Number(stepT.item());
      const bc1 = 1 - beta1 ** step, bc2 = 1 - beta2 ** step;
      const grad = weightDecay !== 0 ? p.grad.add(p, { alpha: weightDecay }) : p.grad;
      expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      expAvgSq.mul_(beta2).add_(grad.mul(1 - beta2).mul_(grad));
      const update = expAvg.div(bc1).mul_(lr);
      const rhoInf = 2 / (1 - beta2) - 1;
      const rhoT = rhoInf - (2 * step * beta2 ** step) / bc2;
      if (rhoT > 5) {
        const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
        // sqrt(bc2) / tensor is PyTorch's __rtruediv__: reciprocal, then times the number
        const denom = expAvgSq.sqrt().add_(eps);
        update.mul_(denom.onesLike().div_(denom).mul_(Math.sqrt(bc2))).mul_(rect);
      }
      p.sub_(update);
    }
  }
}
