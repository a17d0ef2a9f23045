/**
 * Python's copy.deepcopy of a module, for AveragedModel and the Transformer stacks' _get_clones: a
 * new object of the module's class whose constructor is not run (nothing is drawn from the
 * generator), with copies of its parameters (and their grads), buffers, submodules, arrays and
 * plain objects, and its forward hooks; functions are shared. Shared members stay shared in the copy.
 */
import { ValueError } from "../errors.ts";
import { Tensor } from "../tensor.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { Module } from "./module.ts";
import { Parameter, UninitializedParameter } from "./parameter.ts";

/** A deep copy of `m`; `lazyError` is the message when `m` still has uninitialized (lazy) parameters. */
export function deepcopy<M extends Module>(m: M, lazyError: string): M {
  return copyModule(m, new Map(), lazyError);
}

function copyModule<M extends Module>(m: M, memo: Map<object, unknown>, lazyError: string): M {
  if (memo.has(m)) return memo.get(m) as M;
  const copy = Reflect.construct(Module, [], m.constructor) as M;
  memo.set(m, copy);
  const st = m._state, target = copy as unknown as Record<string, unknown>;
  for (const key of Object.keys(m)) {
    const value = (m as unknown as Record<string, unknown>)[key];
    if (st.parameters.has(key)) copy.registerParameter(key, value === null ? null : copyTensor(value as Parameter, memo, lazyError) as Parameter);
    else if (st.buffers.has(key)) {
      copy.registerBuffer(key, value === null ? null : copyTensor(value as Tensor, memo, lazyError), { persistent: !st.nonPersistent.has(key) });
    } else if (st.modules.has(key)) copy.registerModule(key, value === null ? null : copyModule(value as Module, memo, lazyError));
    else target[key] = copyValue(value, memo, lazyError);
  }
  for (const h of st.preHooks) copy._state.preHooks.add(h);
  for (const h of st.hooks) copy._state.hooks.add(h);
  return copy;
}

function copyTensor(t: Tensor, memo: Map<object, unknown>, lazyError: string): Tensor {
  if (memo.has(t)) return memo.get(t) as Tensor;
  if (t instanceof UninitializedParameter) throw new ValueError(lazyError);
  const data = noGrad(() => t.detach().clone());
  const copy = t instanceof Parameter ? new Parameter(data, t.requiresGrad) : t.requiresGrad ? data.requiresGrad_() : data;
  if (t.grad !== null) copy.grad = noGrad(() => t.grad!.detach().clone());
  memo.set(t, copy);
  return copy;
}

function copyValue(v: unknown, memo: Map<object, unknown>, lazyError: string): unknown {
  if (v === null || typeof v !== "object") return v;
  if (memo.has(v)) return memo.get(v);
  if (v instanceof Tensor) return copyTensor(v, memo, lazyError);
  if (v instanceof Module) return copyModule(v, memo, lazyError);
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    memo.set(v, out);
    for (const x of v) out.push(copyValue(x, memo, lazyError));
    return out;
  }
  if (Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    memo.set(v, out);
    for (const [k, x] of Object.entries(v)) out[k] = copyValue(x, memo, lazyError);
    return out;
  }
  return v;
}
