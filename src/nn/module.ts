/**
 * Module: the base of every layer and model. Instances are callable (`net(X)` runs the hooks and
 * `forward`); assigning a Parameter, Module or registered buffer to a property registers it in
 * assignment order, as PyTorch's __setattr__ does. The one place that does both is `createModule`.
 */
import { IndexError, StateDictError, TorchletError } from "../errors.ts";
import type { DType } from "../core/dtype.ts";
import { Tensor } from "../tensor.ts";
import { isGradEnabled, noGrad } from "../autograd/grad-mode.ts";
import { record } from "../autograd/record.ts";
import { displayName } from "../core/display-name.ts";
import { Parameter, UninitializedParameter } from "./parameter.ts";
import * as walk from "./module-walk.ts";
import { sameShape } from "../core/shape.ts";
import { residentEvictions, restoreResident } from "../ops/resident.ts";

/** Runs before forward; may return replacement arguments. */
export type ForwardPreHook<M extends Module = Module> = (module: M, args: unknown[]) => unknown[] | unknown | void;
/** Runs after forward; may return a replacement output. */
export type ForwardHook<M extends Module = Module> = (module: M, args: unknown[], output: unknown) => unknown | void;
/** Runs when the gradients of a module's inputs are computed; may return replacements for gradInput. */
export type BackwardHook<M extends Module = Module> = (
  module: M, gradInput: readonly (Tensor | null)[], gradOutput: readonly (Tensor | null)[],
) => readonly (Tensor | null)[] | void;
/** What `registerForwardHook` and `registerHook` return. */
export interface RemovableHandle { remove(): void }
/** Whatever torch.load returned; loadStateDict checks at run time that it is a dict of tensors. */
export type LoadedValue = unknown;
/** A state dict: names to tensors, in registration order. */
export type StateDict = Map<string, Tensor>;

/** The registries behind a module's properties (PyTorch's _parameters, _buffers, _modules). */
export interface ModuleState {
  parameters: Map<string, Parameter | null>;
  buffers: Map<string, Tensor | null>;
  nonPersistent: Set<string>;
  modules: Map<string, Module | null>;
  preHooks: Set<ForwardPreHook>;
  hooks: Set<ForwardHook>;
  backwardHooks: Set<BackwardHook>;
  /** `residentEvictions()` when the module last restored its own tensors (-1: before its first call). */
  evictions: number;
}

const STATE = Symbol("torchlet.module");

// A module's call: straight to forward when no hook is registered (most calls; no Set iterators
// and no grad-mode check per call), else callWithHooks. The state and forward are read from the
// proxy's target (`t`), not through the proxy (each proxied read costs a trap lookup); forward
// still runs with the proxy `m` as `this`, so assignments in it register as everywhere else.
function callModule(m: Module, t: Module, st: ModuleState, args: unknown[]): unknown {
  if (st.evictions !== residentEvictions()) restoreOwn(st);
  if (st.preHooks.size === 0 && st.hooks.size === 0 && st.backwardHooks.size === 0) {
    const forward = t.forward as (...a: unknown[]) => unknown;
    return args.length === 1 ? forward.call(m, args[0]) : forward.apply(m, args);
  }
  return Module.prototype.callWithHooks.apply(m, args);
}

/**
 * Brings the module's own parameters (and their gradients) and buffers back into the backend's
 * memory after an eviction moved them out (ops/resident.ts): a model in use without an optimizer
 * (inference, or a hand-written update) comes back when it is next called.
 */
function restoreOwn(st: ModuleState): void {
  st.evictions = residentEvictions();
  for (const p of st.parameters.values()) if (p !== null) restoreResident(p);
  for (const b of st.buffers.values()) if (b !== null) restoreResident(b);
}

/** Every Module is callable with the arguments of its own forward. */
// Merging is the point here: the constructor returns a callable object, and this interface
// gives it the call signature of the subclass's own forward.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Module {
  (...args: Parameters<this["forward"]>): ReturnType<this["forward"]>;
}

/** Base class for all neural network modules, as torch.nn.Module. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export abstract class Module {
  /**
   * The class name that printing, errors and `summary` show, set explicitly so that it survives
   * minification: every torchlet module declares `static override displayName = "Conv2d"`
   * (its PyTorch class name). Your own subclasses may too; without it they print `constructor.name`.
   */
  static displayName = "Module";
  /** Whether the module is in training mode (Dropout reads this). */
  declare training: boolean;
  declare readonly [STATE]: ModuleState;

  constructor() {
    // A function object so instances are callable; its prototype is the subclass's, and its
    // own `name`/`length` are removed so subclasses may use those names for their own state.
    const state: ModuleState = {
      parameters: new Map(), buffers: new Map(), nonPersistent: new Set(), modules: new Map(),
      preHooks: new Set(), hooks: new Set(), backwardHooks: new Set(), evictions: -1,
    };
    const target = ((...args: unknown[]) => callModule(proxy, target, state, args)) as unknown as Module;
    delete (target as { name?: unknown }).name;
    delete (target as { length?: unknown }).length;
    Object.setPrototypeOf(target, new.target.prototype);
    Object.defineProperty(target, STATE, { value: state });
    Object.defineProperty(target, "training", { value: true, writable: true, enumerable: true, configurable: true });
    const traps: ProxyHandler<Module> = {
      defineProperty: (t, key, desc) => assign(t, proxy, key, desc),
      deleteProperty: (t, key) => {
        if (typeof key === "string") for (const reg of registries(t)) reg.delete(key);
        return Reflect.deleteProperty(t, key);
      },
    };
    // containers read `net[i]` by position, whatever their children are named (PyTorch's __getitem__)
    if ((new.target as unknown as { positional?: boolean }).positional) {
      traps.get = (t, key, receiver) => (typeof key === "string" && INDEX.test(key) ? positional(t, Number(key)) : Reflect.get(t, key, receiver));
    }
    const proxy: Module = new Proxy(target, traps);
    return proxy;
  }

  /**
   * The computation of this module. Call the module itself (`net(X)`) to run hooks as well.
   * Subclasses declare precise types; on a plain `Module` (e.g. from `children()`) the call is
   * as dynamic as in PyTorch.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  abstract forward(...args: any[]): any;

  /** Runs forward pre-hooks, forward, then forward hooks (and arms full backward hooks). */
  callWithHooks(...args: unknown[]): unknown {
    const st = this[STATE];
    for (const hook of st.preHooks) {
      const r = hook(this, args);
      if (r !== undefined) args = Array.isArray(r) ? r : [r];
    }
    const backwardHooks = st.backwardHooks.size > 0 && isGradEnabled() ? armBackwardHooks(this, st.backwardHooks, args) : null;
    if (backwardHooks) args = backwardHooks.inputs;
    let out = (this.forward as (...a: unknown[]) => unknown)(...args);
    for (const hook of st.hooks) {
      const r = hook(this, args, out);
      if (r !== undefined) out = r;
    }
    return backwardHooks ? backwardHooks.wrapOutput(out) : out;
  }

  /** The registries (read-only use: parameters, buffers, children). */
  get _state(): ModuleState { return this[STATE]; }

  /**
   * Calls `hook(module, gradInput, gradOutput)` when the gradients with respect to this module's
   * tensor inputs are computed (null for inputs that need none), as PyTorch's
   * register_full_backward_hook; a returned array replaces gradInput.
   */
  registerFullBackwardHook(hook: BackwardHook<this>): RemovableHandle {
    return addHook(this[STATE].backwardHooks, hook as BackwardHook);
  }

  /** The descendant module at a dotted path (`"features.0"`), as PyTorch's get_submodule. */
  getSubmodule(target: string): Module {
    return target === "" ? this : target.split(".").reduce(childNamed, this as Module);
  }

  /** The parameter at a dotted path (`"features.0.weight"`), as PyTorch's get_parameter. */
  getParameter(target: string): Parameter {
    const { owner, name } = splitPath(this, target);
    const st = owner[STATE];
    if (!st.parameters.has(name)) {
      if (registries(owner).some((r) => r.has(name)) || Object.prototype.hasOwnProperty.call(owner, name)) {
        throw new TorchletError(`\`${name}\` is not an nn.Parameter`);
      }
      throw new TorchletError(`${owner.getName()} has no attribute \`${name}\``);
    }
    const p = st.parameters.get(name);
    if (p === null || p === undefined) throw new TorchletError(`\`${name}\` is not an nn.Parameter`);
    return p;
  }

  /** The buffer at a dotted path (`"bn.running_mean"`), as PyTorch's get_buffer. */
  getBuffer(target: string): Tensor {
    const { owner, name } = splitPath(this, target);
    const st = owner[STATE];
    if (!st.buffers.has(name)) {
      if (registries(owner).some((r) => r.has(name)) || Object.prototype.hasOwnProperty.call(owner, name)) {
        throw new TorchletError(`\`${name}\` is not a buffer`);
      }
      throw new TorchletError(`${owner.getName()} has no attribute \`${name}\``);
    }
    const b = st.buffers.get(name);
    if (b === null || b === undefined) throw new TorchletError(`\`${name}\` is not a buffer`);
    return b;
  }

  /** Registers (or, with null, reserves) a parameter under a dynamic name. */
  registerParameter(name: string, param: Parameter | null): void {
    checkName(this, name, "parameter");
    (this as unknown as Record<string, unknown>)[name] = param;
    if (param === null) setRegistered(this, name, "parameters", null);
  }

  /** Registers a child module under a dynamic name (addModule in PyTorch). */
  registerModule(name: string, module: Module | null): void {
    checkName(this, name, "module");
    if (module === null) setRegistered(this, name, "modules", null);
    else (this as unknown as Record<string, unknown>)[name] = module;
  }

  /** Registers non-parameter state; persistent buffers appear in the state dict. */
  registerBuffer(name: string, tensor: Tensor | null, options: { persistent?: boolean } = {}): void {
    checkName(this, name, "buffer");
    setRegistered(this, name, "buffers", tensor);
    if (options.persistent === false) this[STATE].nonPersistent.add(name);
    else this[STATE].nonPersistent.delete(name);
  }

  /** Parameters of this module and its descendants, each shared one once. */
  *parameters(options: { recurse?: boolean } = {}): IterableIterator<Parameter> {
    for (const [, p] of this.namedParameters(options)) yield p;
  }
  /** `[dottedName, parameter]` pairs; a shared parameter is listed once unless removeDuplicate is false. */
  namedParameters(options: walk.NamedOptions = {}): IterableIterator<[string, Parameter]> {
    return walk.namedMembers(this, (m) => m[STATE].parameters, options);
  }
  /** Buffers of this module and its descendants. */
  *buffers(options: { recurse?: boolean } = {}): IterableIterator<Tensor> {
    for (const [, b] of this.namedBuffers(options)) yield b;
  }
  /** `[dottedName, buffer]` pairs. */
  namedBuffers(options: walk.NamedOptions = {}): IterableIterator<[string, Tensor]> {
    return walk.namedMembers(this, (m) => m[STATE].buffers, options);
  }
  /** Immediate children, each once. */
  *children(): IterableIterator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }
  /** `[name, child]` pairs of immediate children, each once. */
  *namedChildren(): IterableIterator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [name, m] of this[STATE].modules) {
      if (m !== null && !seen.has(m)) { seen.add(m); yield [name, m]; }
    }
  }
  /** This module and all descendants, each once. */
  *modules(): IterableIterator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }
  /** `[dottedName, module]` pairs, this module first with name "". */
  namedModules(options: { prefix?: string; removeDuplicate?: boolean } = {}): IterableIterator<[string, Module]> {
    return walk.namedModules(this, options.prefix ?? "", options.removeDuplicate ?? true, new Set());
  }

  /** Calls `fn` on every descendant, children first, then on this module; returns this. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Sets training mode here and below. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  /** Sets evaluation mode (train(false)). */
  eval(): this { return this.train(false); }

  /** Resets gradients: in place to zero (PyTorch 1.13's default), or to null. */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    for (const p of this.parameters()) {
      if (p.grad === null) continue;
      if (options.setToNone) p.grad = null;
      else noGrad(() => p.grad!.zero_());
    }
  }

  /** Turns gradient tracking of every parameter on or off. */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  /** Converts floating-point parameters and buffers to `dtype`, in place. */
  to(dtype: DType): this {
    if (dtype.kind !== "float") throw new TorchletError(`nn.Module.to only accepts floating point dtypes, but got desired dtype=${dtype}`);
    for (const m of this.modules()) {
      for (const t of [...m[STATE].parameters.values(), ...m[STATE].buffers.values()]) {
        if (t && !(t instanceof UninitializedParameter) && t.dtype.kind === "float") t.data = t.data.to(dtype);
      }
    }
    return this;
  }

  /** Registers a hook that runs before forward. */
  registerForwardPreHook(hook: ForwardPreHook<this>): RemovableHandle {
    return addHook(this[STATE].preHooks, hook as ForwardPreHook);
  }
  /** Registers a hook that runs after forward. */
  registerForwardHook(hook: ForwardHook<this>): RemovableHandle {
    return addHook(this[STATE].hooks, hook as ForwardHook);
  }

  /** Every parameter and persistent buffer under its dotted path (shared ones under each path). */
  stateDict(options: { prefix?: string; keepVars?: boolean } = {}): StateDict {
    const out: StateDict = new Map();
    for (const e of walk.stateEntries(this, options.prefix ?? "")) {
      const t = e.tensor;
      out.set(e.key, options.keepVars || t instanceof UninitializedParameter ? t : t.detach());
    }
    return out;
  }

  /**
   * Copies tensors from a state dict. Every problem (missing, unexpected, size mismatch) is
   * collected and reported in one error, and nothing is changed when it throws.
   */
  loadStateDict(
    stateDict: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>> | LoadedValue, options: { strict?: boolean } = {},
  ): { missingKeys: string[]; unexpectedKeys: string[] } {
    if (typeof stateDict !== "object" || stateDict === null || Array.isArray(stateDict) || stateDict instanceof Tensor) {
      throw new StateDictError(`loadStateDict for ${this.getName()}: expected a Map or object of tensors (e.g. from stateDict() or torch.load), but got ${Array.isArray(stateDict) ? "an array" : stateDict instanceof Tensor ? "a Tensor" : String(stateDict)}`);
    }
    const source = new Map((stateDict instanceof Map ? stateDict : Object.entries(stateDict)) as Iterable<[string, Tensor]>);
    for (const [name, m] of this.namedModules()) m.upgradeStateDict(source, name === "" ? "" : `${name}.`);
    const plan = walk.planLoad(this, source);
    const errors = [...plan.errors];
    if (options.strict ?? true) {
      if (plan.unexpectedKeys.length) errors.unshift(`Unexpected key(s) in state_dict: ${plan.unexpectedKeys.map((k) => `"${k}"`).join(", ")}. `);
      if (plan.missingKeys.length) errors.unshift(`Missing key(s) in state_dict: ${plan.missingKeys.map((k) => `"${k}"`).join(", ")}. `);
    }
    if (errors.length) {
      throw new StateDictError(`Error(s) in loading state_dict for ${this.getName()}:\n\t${errors.join("\n\t")}`);
    }
    noGrad(() => {
      for (const { owner, name, kind, value } of plan.copies) {
        const current = owner[STATE][kind].get(name);
        if (current instanceof UninitializedParameter) {
          setRegistered(owner, name, "parameters", current.materialize(value.shape));
        }
        // a tensor still in its file is read straight into the parameter when the layouts allow,
        // else read for the copy and released again: one tensor at a time (io's LazyStorage,
        // recognised by shape so that nn does not import the file layer)
        const st = value.storage as { loaded?: boolean; numel?: number; release?: () => void; readInto?: (target: unknown) => boolean };
        const lazy = st.loaded === false && typeof st.release === "function" ? st : null;
        const dest = owner[STATE][kind].get(name)!;
        if (lazy !== null && typeof lazy.readInto === "function" && wholeStorage(value, st.numel ?? -1) &&
          wholeStorage(dest, dest.storage.data.length) &&
          dest.dtype === value.dtype && sameShape(dest.shape, value.shape) && lazy.readInto(dest.storage.data)) {
          dest._version.value++; // as copy_ would
        } else {
          dest.copy_(value);
          lazy?.release!();
        }
      }
    });
    return { missingKeys: plan.missingKeys, unexpectedKeys: plan.unexpectedKeys };
  }

  /**
   * Called by loadStateDict on every module before keys are matched, with a copy of the incoming
   * dict and this module's key prefix: a module whose format changed across PyTorch versions fills
   * in what older files lack (BatchNorm's `num_batches_tracked`), as PyTorch's _load_from_state_dict.
   */
  upgradeStateDict(stateDict: Map<string, Tensor>, prefix: string): void {
    void stateDict;
    void prefix;
  }

  /** Extra text inside this module's parentheses when printed (e.g. `in_features=4, ...`). */
  extraRepr(): string { return ""; }
  /** The name printed for this module: its class's own `displayName`, else its class name. */
  getName(): string { return displayName(this.constructor); }

  /** The module tree as PyTorch prints it. */
  toString(): string {
    const extra = this.extraRepr() ? this.extraRepr().split("\n") : [];
    const children = [...this[STATE].modules].map(([key, m]) => `(${key}): ${indent(m === null ? "None" : m.toString(), 2)}`);
    const lines = [...extra, ...children];
    let main = `${this.getName()}(`;
    if (lines.length) main += extra.length === 1 && !children.length ? extra[0] : `\n  ${lines.join("\n  ")}\n`;
    return `${main})`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string { return this.toString(); }
}

function indent(s: string, n: number): string {
  const [first, ...rest] = s.split("\n");
  return rest.length ? [first, ...rest.map((l) => " ".repeat(n) + l)].join("\n") : s;
}

function addHook<H>(set: Set<H>, hook: H): RemovableHandle {
  const wrapper = ((...a: unknown[]) => (hook as (...x: unknown[]) => unknown)(...a)) as H;
  set.add(wrapper);
  return { remove: () => { set.delete(wrapper); } };
}

/** The child `item` of `mod`, or PyTorch's get_submodule error. */
function childNamed(mod: Module, item: string): Module {
  const child = mod[STATE].modules.get(item);
  if (child === undefined) {
    if (Object.prototype.hasOwnProperty.call(mod, item) || registries(mod).some((r) => r.has(item))) {
      throw new TorchletError(`\`${item}\` is not an nn.Module`);
    }
    throw new TorchletError(`${mod.getName()} has no attribute \`${item}\``);
  }
  if (child === null) throw new TorchletError(`\`${item}\` is not an nn.Module`);
  return child;
}

/** `"a.b.c"` -> the module at `a.b` and the name `c`. */
function splitPath(m: Module, target: string): { owner: Module; name: string } {
  const dot = target.lastIndexOf(".");
  return { owner: dot < 0 ? m : m.getSubmodule(target.slice(0, dot)), name: target.slice(dot + 1) };
}

const INDEX = /^-?(0|[1-9]\d*)$/;

/** A container's child at position `i` (negative from the end), or PyTorch's IndexError. */
function positional(m: Module, i: number): Module {
  const children = [...m[STATE].modules.values()].filter((c): c is Module => c !== null);
  const n = children.length;
  if (i < -n || i >= n) throw new IndexError(`index ${i} is out of range`);
  return children[i < 0 ? i + n : i]!;
}

/**
 * Full backward hooks: each tensor input that needs a gradient and each tensor output pass through
 * an identity node (PyTorch's BackwardHookFunctionBackward); the outputs' nodes collect gradOutput,
 * the inputs' nodes gradInput, and the hooks run once every input's gradient has arrived (or, when
 * no input needs one, once gradOutput is complete).
 */
function armBackwardHooks(
  module: Module, hooks: ReadonlySet<BackwardHook>, args: unknown[],
): { inputs: unknown[]; wrapOutput(out: unknown): unknown } {
  const tracked = args.map((a) => a instanceof Tensor && a.requiresGrad);
  const gradInput: (Tensor | null)[] = args.filter((a) => a instanceof Tensor).map(() => null);
  const tensorIndex = args.map((_, i) => args.slice(0, i).filter((a) => a instanceof Tensor).length);
  let gradOutput: (Tensor | null)[] = [];
  let waiting = 0, replaced: (Tensor | null)[] | null = null;
  const fire = (): void => {
    replaced = null;
    for (const hook of hooks) {
      const r = hook(module, gradInput, gradOutput);
      if (r !== undefined && r !== null) { replaced = [...r]; gradInput.splice(0, gradInput.length, ...r); }
    }
  };
  const inputs = args.map((a, i) => {
    if (!tracked[i]) return a;
    waiting++;
    const alias = backwardHookNode(a as Tensor);
    const k = tensorIndex[i]!;
    alias.gradFn!.hooks.push((g) => {
      gradInput[k] = g;
      if (--waiting === 0) { waiting = tracked.filter(Boolean).length; fire(); }
      return replaced?.[k] ?? undefined;
    });
    return alias;
  });
  const wrapOutput = (out: unknown): unknown => {
    const outs = Array.isArray(out) ? out : [out];
    gradOutput = outs.map(() => null);
    const wrapped = outs.map((o, j) => {
      if (!(o instanceof Tensor) || !o.requiresGrad) return o;
      const alias = backwardHookNode(o);
      alias.gradFn!.hooks.push((g) => {
        gradOutput[j] = g;
        if (!tracked.some(Boolean)) fire();
      });
      return alias;
    });
    return Array.isArray(out) ? wrapped : wrapped[0];
  };
  return { inputs, wrapOutput };
}

/** `t` again, through an identity node that hooks can watch. */
function backwardHookNode(t: Tensor): Tensor {
  return record("backwardHook", [t], new Tensor(t.storage, t.layout, { version: t._version }));
}

function registries(m: Module): Map<string, unknown>[] {
  const st = m[STATE];
  return [st.parameters, st.buffers, st.modules];
}

function checkName(m: Module, name: string, kind: string): void {
  if (name === "" || name.includes(".")) {
    throw new TorchletError(`${kind} name can't contain "." and can't be empty string, got "${name}"`);
  }
  void m;
}

/** Puts `value` in one registry (removing the name from the others) behind an accessor. */
function setRegistered(target: Module, name: string, kind: "parameters" | "buffers" | "modules", value: unknown): void {
  const st = target[STATE];
  for (const reg of registries(target)) if (reg !== st[kind]) reg.delete(name);
  (st[kind] as Map<string, unknown>).set(name, value);
  // every write to a registry comes through here and redefines the accessor, so it may keep the value
  Reflect.defineProperty(target, name, {
    get: () => value,
    set: (v: unknown) => { assignValue(target, name, v); },
    enumerable: true, configurable: true,
  });
}

function assign(target: Module, _proxy: Module, key: string | symbol, desc: PropertyDescriptor): boolean {
  if (typeof key === "symbol" || !("value" in desc)) return Reflect.defineProperty(target, key, desc);
  assignValue(target, key, desc.value);
  return true;
}

// PyTorch's __setattr__: parameters and modules register; registered names keep their kind
function assignValue(target: Module, name: string, value: unknown): void {
  const st = target[STATE];
  if (value instanceof Parameter) return setRegistered(target, name, "parameters", value);
  if (value instanceof Module) return setRegistered(target, name, "modules", value);
  if (st.parameters.has(name)) {
    if (value !== null) throw new TorchletError(`cannot assign '${typeOf(value)}' as parameter '${name}' (torch.nn.Parameter or None expected)`);
    return setRegistered(target, name, "parameters", null);
  }
  if (st.modules.has(name)) {
    if (value !== null) throw new TorchletError(`cannot assign '${typeOf(value)}' as child module '${name}' (torch.nn.Module or None expected)`);
    return setRegistered(target, name, "modules", null);
  }
  if (st.buffers.has(name)) {
    if (value !== null && !(value instanceof Tensor)) throw new TorchletError(`cannot assign '${typeOf(value)}' as buffer '${name}' (torch.Tensor or None expected)`);
    return setRegistered(target, name, "buffers", value);
  }
  Reflect.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
}

function typeOf(v: unknown): string {
  return v instanceof Tensor ? v.typeName() : typeof v;
}

export { STATE };

/**
 * Whether `t` is all of its storage of `length` elements, in order (a lazy tensor can then be read
 * straight into it). `length` is passed because asking a lazy storage for its data would read it.
 */
function wholeStorage(t: Tensor, length: number): boolean {
  return t.isContiguous() && t.storageOffset() === 0 && t.numel() === length;
}
