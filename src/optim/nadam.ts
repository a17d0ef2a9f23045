/** NAdam with PyTorch 1.13's single-tensor update math. */
import { ValueError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { zerosLike } from "../ops/creation.ts";
import { checkAdam } from "./adam.ts";
import { Optimizer, scalarStep, type OptimizerParams, type ParamGroup } from "./optimizer.ts";

/** NAdam's hyperparameters (PyTorch 1.13's NAdam has no `maximize`). */
export type NAdamHyper = {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  momentumDecay: number;
};

/** Options of NAdam; unset ones take PyTorch's defaults. */
export type NAdamOptions = Partial<NAdamHyper>;

/**
 * torch.optim.NAdam: Adam with Nesterov momentum and the momentum schedule
 * mu_t = beta1·(1 − 0.5·0.96^(t·momentumDecay)); `mu_product` is a float32 scalar tensor, as in PyTorch.
 * @example const opt = new NAdam(net.parameters(), { lr: 2e-3 });
 */
export class NAdam extends Optimizer<NAdamHyper> {
  static override displayName = "NAdam";

  constructor(params: OptimizerParams<NAdamHyper>, options: NAdamOptions = {}) {
    checkAdam(options);
    const o = options;
    if (!((o.momentumDecay ?? 0) >= 0)) throw new ValueError(`Invalid momentum_decay value: ${o.momentumDecay}`);
    const defaults = {
      lr: o.lr ?? 2e-3, betas: o.betas ?? [0.9, 0.999], eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? 0,
      momentumDecay: o.momentumDecay ?? 4e-3,
    } as const;
    super(params, defaults, { foreach: null });
  }

  protected update(group: ParamGroup<NAdamHyper>): void {
    const { lr, eps, weightDecay, momentumDecay } = group;
    const [beta1, beta2] = group.betas;
    for (const p of group.params) {
      if (p.grad === null) continue;
      const state = this.stateOf(p);
      if (Object.keys(state).length === 0) {
        state.step = scalarStep(0);
        state.mu_product = scalarStep(1);
        state.exp_avg = zerosLike(p);
        state.exp_avg_sq = zerosLike(p);
      }
      const stepT = state.step as Tensor, muProduct = state.mu_product as Tensor;
      const expAvg = state.exp_avg as Tensor, expAvgSq = state.exp_avg_sq as Tensor;
      stepT.add_(1);
      const step = Number(stepT.item());
      const bc2 = 1 - beta2 ** step;
      const grad = weightDecay !== 0 ? p.grad.add(p, { alpha: weightDecay }) : p.grad;
      const mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentumDecay));
      const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentumDecay));
      muProduct.mul_(mu);
      const muProductNext = Number(muProduct.mul(mu).mul_(muNext).item());
      expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      expAvgSq.mul_(beta2).add_(grad.mul(1 - beta2).mul_(grad));
      const denom = expAvgSq.div(bc2).sqrt().add_(eps);
      p.add_(grad.mul((-lr * (1 - mu)) / (1 - Number(muProduct.item()))).div_(denom));
      p.add_(expAvg.mul((-lr * muNext) / (1 - muProductNext)).div_(denom));
    }
  }
}
