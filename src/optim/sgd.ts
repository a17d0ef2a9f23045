/** Stochastic gradient descent with momentum, dampening, Nesterov and weight decay, as torch.optim.SGD. */
import { ValueError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { makeResident } from "../ops/resident.ts";
import { addForeach_, sgdStep_ } from "../ops/inplace.ts";
import { Optimizer, type OptimizerParams, type ParamGroup, type ParamGroupSpec } from "./optimizer.ts";

/** SGD's hyperparameters. */
export type SGDHyper = {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
};

/** Options of SGD; `lr` is required unless every group sets its own. */
export type SGDOptions = Partial<SGDHyper>;

/**
 * torch.optim.SGD with PyTorch 1.13's single-tensor update: the momentum buffer starts as a copy
 * of the first gradient, then buf = momentum·buf + (1 - dampening)·g.
 * @example const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
 */
export class SGD extends Optimizer<SGDHyper> {
  static override displayName = "SGD";
  constructor(params: Iterable<Tensor>, options: SGDOptions & { lr: number });
  constructor(params: Iterable<ParamGroupSpec<SGDHyper>>, options?: SGDOptions);
  constructor(params: OptimizerParams<SGDHyper>, options: SGDOptions = {}) {
    const o = options;
    if (o.lr !== undefined && o.lr < 0) throw new ValueError(`Invalid learning rate: ${o.lr}`);
    if ((o.momentum ?? 0) < 0) throw new ValueError(`Invalid momentum value: ${o.momentum}`);
    if ((o.weightDecay ?? 0) < 0) throw new ValueError(`Invalid weight_decay value: ${o.weightDecay}`);
    if (o.nesterov && ((o.momentum ?? 0) <= 0 || (o.dampening ?? 0) !== 0)) {
      throw new ValueError("Nesterov momentum requires a momentum and zero dampening");
    }
    const defaults = {
      lr: o.lr as number, momentum: o.momentum ?? 0, dampening: o.dampening ?? 0, weightDecay: o.weightDecay ?? 0,
      nesterov: o.nesterov ?? false, maximize: o.maximize ?? false,
    };
    super(params, defaults, { foreach: null, differentiable: false });
  }

  protected update(group: ParamGroup<SGDHyper>): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    if (momentum === 0 && weightDecay === 0 && !maximize) {
      // plain SGD: p.add_(g, { alpha: -lr }) for every parameter with a gradient, as one foreach call
      const params: Tensor[] = [], grads: Tensor[] = [];
      for (const p of group.params) {
        if (p.grad === null) continue;
        params.push(p); grads.push(p.grad);
        this.stateOf(p).momentum_buffer = null;
      }
      addForeach_(params, grads, -lr);
      return;
    }
    for (const p of group.params) {
      if (p.grad === null) continue;
      const state = this.stateOf(p);
      const kept = momentum !== 0 ? ((state.momentum_buffer ?? null) as Tensor | null) : null;
      // after the first step (which makes the buffer), one fused pass with the ops' bits
      if ((momentum === 0 || kept !== null) && sgdStep_(p, p.grad, kept, group)) {
        if (momentum === 0) state.momentum_buffer = null;
        continue;
      }
      let d = maximize ? p.grad.neg() : p.grad;
      if (weightDecay !== 0) d = d.add(p, { alpha: weightDecay });
      if (momentum !== 0) {
        let buf = (state.momentum_buffer ?? null) as Tensor | null;
        if (buf === null) buf = state.momentum_buffer = makeResident(d.clone().detach());
        else buf.mul_(momentum).add_(d, { alpha: 1 - dampening });
        d = nesterov ? d.add(buf, { alpha: momentum }) : buf;
      } else {
        state.momentum_buffer = null;
      }
      p.add_(d, { alpha: -lr });
    }
  }
}
