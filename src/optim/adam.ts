/** Adam and AdamW with PyTorch 1.13's single-tensor (for-loop) update math. */
import { ValueError } from "../errors.ts";
import { float32 } from "../core/dtype.ts";
import { adamStep_ } from "../ops/inplace.ts";
import { Tensor } from "../tensor.ts";
import { zerosLike } from "../ops/creation.ts";
import { makeResident } from "../ops/resident.ts";
import { Optimizer, type OptimizerParams, type ParamGroup, type ParamState } from "./optimizer.ts";

/** Hyperparameters of Adam and AdamW. */
export type AdamHyper = {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
};

/** Options of Adam and AdamW; unset ones take PyTorch's defaults. */
export type AdamOptions = Partial<AdamHyper>;

/** PyTorch's checks of the Adam family's options (Adamax, NAdam and RAdam use them too), in its order and words. */
export function checkAdam(o: AdamOptions): void {
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  if (!((o.lr ?? 0) >= 0)) throw new ValueError(`Invalid learning rate: ${o.lr}`);
  if (!((o.eps ?? 0) >= 0)) throw new ValueError(`Invalid epsilon value: ${o.eps}`);
  if (!(b1 >= 0 && b1 < 1)) throw new ValueError(`Invalid beta parameter at index 0: ${b1}`);
  if (!(b2 >= 0 && b2 < 1)) throw new ValueError(`Invalid beta parameter at index 1: ${b2}`);
  if (!((o.weightDecay ?? 0) >= 0)) throw new ValueError(`Invalid weight_decay value: ${o.weightDecay}`);
}

function adamDefaults(o: AdamOptions, weightDecay: number): AdamHyper {
  checkAdam(o);
  return {
    lr: o.lr ?? 1e-3, betas: o.betas ?? [0.9, 0.999], eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? weightDecay,
    amsgrad: o.amsgrad ?? false, maximize: o.maximize ?? false,
  };
}

/** First-step state: `step` is a float32 scalar tensor, as PyTorch 1.13 keeps it. */
function initState(state: ParamState, p: Tensor, amsgrad: boolean): void {
  if (state.step) return;
  state.step = Tensor.fromArray(new Float32Array(1), [], float32);
  state.exp_avg = makeResident(zerosLike(p));
  state.exp_avg_sq = makeResident(zerosLike(p));
  if (amsgrad) state.max_exp_avg_sq = makeResident(zerosLike(p));
}

/**
 * Adam's and AdamW's whole update as one backend kernel (Backend.adamStep: the bits of the tensor
 * ops below, in one pass) where the parameter, its gradient and moments are dense float arrays of
 * one dtype and AMSGrad is off; false where the caller runs the tensor ops.
 */
function fusedStep(p: Tensor, state: ParamState, h: AdamHyper, decay: number, l2: number): boolean {
  if (h.amsgrad) return false;
  const [beta1, beta2] = h.betas, step = Number((state.step as Tensor).item());
  return adamStep_(p, p.grad!, state.exp_avg as Tensor, state.exp_avg_sq as Tensor, {
    beta1, beta2, eps: h.eps, stepSize: h.lr / (1 - beta1 ** step), bc2Sqrt: Math.sqrt(1 - beta2 ** step), decay, l2, maximize: h.maximize,
  });
}

/** The moment updates and the bias-corrected step that Adam and AdamW share. */
function adamStep(p: Tensor, grad: Tensor, state: ParamState, h: AdamHyper): void {
  const [beta1, beta2] = h.betas;
  const expAvg = state.exp_avg as Tensor, expAvgSq = state.exp_avg_sq as Tensor;
  expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
  // addcmul_(grad, grad, value): self + (value·t1)·t2, in the kernel's order
  expAvgSq.mul_(beta2).add_(grad.mul(1 - beta2).mul(grad));
  const step = Number((state.step as Tensor).item());
  const stepSize = h.lr / (1 - beta1 ** step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  let second = expAvgSq;
  if (h.amsgrad) {
    const max = state.max_exp_avg_sq as Tensor;
    second = max.copy_(max.maximum(expAvgSq));
  }
  const denom = second.sqrt().div(bc2Sqrt).add_(h.eps);
  // addcdiv_(exp_avg, denom, value=-stepSize): self + (value·t1)/t2
  p.add_(expAvg.mul(-stepSize).div(denom));
}

/**
 * torch.optim.Adam: L2 weight decay added to the gradient, bias-corrected moments, optional AMSGrad.
 * @example const opt = new Adam(net.parameters(), { lr: 1e-3 });
 */
export class Adam extends Optimizer<AdamHyper> {
  static override displayName = "Adam";
  constructor(params: OptimizerParams<AdamHyper>, options: AdamOptions = {}) {
    super(params, adamDefaults(options, 0), { foreach: null, capturable: false, differentiable: false, fused: false });
  }

  protected update(group: ParamGroup<AdamHyper>): void {
    for (const p of group.params) {
      if (p.grad === null) continue;
      const state = this.stateOf(p);
      initState(state, p, group.amsgrad);
      (state.step as Tensor).add_(1);
      if (fusedStep(p, state, group, 1, group.weightDecay)) continue;
      let grad = group.maximize ? p.grad.neg() : p.grad;
      if (group.weightDecay !== 0) grad = grad.add(p, { alpha: group.weightDecay });
      adamStep(p, grad, state, group);
    }
  }
}

/**
 * torch.optim.AdamW: Adam with decoupled weight decay (the parameter shrinks by lr·weightDecay
 * before the step); weightDecay defaults to 0.01.
 */
export class AdamW extends Optimizer<AdamHyper> {
  static override displayName = "AdamW";
  constructor(params: OptimizerParams<AdamHyper>, options: AdamOptions = {}) {
    super(params, adamDefaults(options, 1e-2), { foreach: null, capturable: false });
  }

  protected update(group: ParamGroup<AdamHyper>): void {
    for (const p of group.params) {
      if (p.grad === null) continue;
      const state = this.stateOf(p);
      initState(state, p, group.amsgrad);
      (state.step as Tensor).add_(1);
      if (fusedStep(p, state, group, 1 - group.lr * group.weightDecay, 0)) continue;
      const grad = group.maximize ? p.grad.neg() : p.grad;
      p.mul_(1 - group.lr * group.weightDecay);
      adamStep(p, grad, state, group);
    }
  }
}
