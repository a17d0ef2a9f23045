/** RMSprop with PyTorch 1.13's single-tensor update math. */
import { ValueError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { zerosLike } from "../ops/creation.ts";
import { Optimizer, type OptimizerParams, type ParamGroup } from "./optimizer.ts";

/** RMSprop's hyperparameters. */
export type RMSpropHyper = {
  lr: number;
  momentum: number;
  alpha: number;
  eps: number;
  centered: boolean;
  weightDecay: number;
  maximize: boolean;
};

/** Options of RMSprop; unset ones take PyTorch's defaults. */
export type RMSpropOptions = Partial<RMSpropHyper>;

/**
 * torch.optim.RMSprop: a running mean of squared gradients (centered: minus the squared running
 * mean of gradients) scales each step; optional momentum. `step` is a plain number, as in PyTorch.
 * @example const opt = new RMSprop(net.parameters(), { lr: 0.01, momentum: 0.9 });
 */
export class RMSprop extends Optimizer<RMSpropHyper> {
  static override displayName = "RMSprop";

  constructor(params: OptimizerParams<RMSpropHyper>, options: RMSpropOptions = {}) {
    const o = options;
    if (!((o.lr ?? 0) >= 0)) throw new ValueError(`Invalid learning rate: ${o.lr}`);
    if (!((o.eps ?? 0) >= 0)) throw new ValueError(`Invalid epsilon value: ${o.eps}`);
    if (!((o.momentum ?? 0) >= 0)) throw new ValueError(`Invalid momentum value: ${o.momentum}`);
    if (!((o.weightDecay ?? 0) >= 0)) throw new ValueError(`Invalid weight_decay value: ${o.weightDecay}`);
    if (!((o.alpha ?? 0) >= 0)) throw new ValueError(`Invalid alpha value: ${o.alpha}`);
    const defaults = {
      lr: o.lr ?? 1e-2, momentum: o.momentum ?? 0, alpha: o.alpha ?? 0.99, eps: o.eps ?? 1e-8, centered: o.centered ?? false,
      weightDecay: o.weightDecay ?? 0, maximize: o.maximize ?? false,
    };
    super(params, defaults, { foreach: null, differentiable: false });
  }

  protected override get numericStep(): boolean {
    return true;
  }

  protected update(group: ParamGroup<RMSpropHyper>): void {
    const { lr, momentum, alpha, eps, centered, weightDecay, maximize } = group;
    for (const p of group.params) {
      if (p.grad === null) continue;
      const state = this.stateOf(p);
      if (Object.keys(state).length === 0) {
        state.step = 0;
        state.square_avg = zerosLike(p);
        if (momentum > 0) state.momentum_buffer = zerosLike(p);
        if (centered) state.grad_avg = zerosLike(p);
      }
      state.step = (state.step as number) + 1;
      let grad = maximize ? p.grad.neg() : p.grad;
      if (weightDecay !== 0) grad = grad.add(p, { alpha: weightDecay });
      const squareAvg = state.square_avg as Tensor;
      // addcmul_(grad, grad, value): self + (value·t1)·t2
      squareAvg.mul_(alpha).add_(grad.mul(1 - alpha).mul_(grad));
      let avg: Tensor;
      if (centered) {
        const gradAvg = state.grad_avg as Tensor;
        gradAvg.mul_(alpha).add_(grad, { alpha: 1 - alpha });
        // addcmul(grad_avg, grad_avg, value=-1): square_avg + (−grad_avg)·grad_avg
        avg = squareAvg.sub(gradAvg.mul(gradAvg)).sqrt();
      } else {
        avg = squareAvg.sqrt();
      }
      avg.add_(eps);
      if (momentum > 0) {
        const buf = state.momentum_buffer as Tensor;
        buf.mul_(momentum).add_(grad.div(avg));
        p.add_(buf, { alpha: -lr });
      } else {
        // addcdiv_(grad, avg, value=-lr): self + (value·t1)/t2
        p.add_(grad.mul(-lr).div_(avg));
      }
    }
  }
}
