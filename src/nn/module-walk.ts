/** Walks over a module tree: named members, the state dict's entries and the load plan. */
import { Tensor } from "../tensor.ts";
import { sameShape } from "../core/shape.ts";
import { Module, STATE } from "./module.ts";
import { UninitializedParameter } from "./parameter.ts";

/** Options of namedParameters/namedBuffers. */
export interface NamedOptions {
  prefix?: string;
  recurse?: boolean;
  removeDuplicate?: boolean;
}

const join = (prefix: string, name: string) => (prefix ? `${prefix}.${name}` : name);

/** This module and its descendants with dotted names, as PyTorch's named_modules. */
export function* namedModules(m: Module, prefix: string, removeDuplicate: boolean, memo: Set<Module>): IterableIterator<[string, Module]> {
  if (memo.has(m)) return;
  if (removeDuplicate) memo.add(m);
  yield [prefix, m];
  for (const [name, child] of m[STATE].modules) {
    if (child !== null) yield* namedModules(child, join(prefix, name), removeDuplicate, memo);
  }
}

/** Members from each module's registry, with a shared member yielded once when removing duplicates. */
export function* namedMembers<T>(
  m: Module, members: (m: Module) => Map<string, T | null>, options: NamedOptions,
): IterableIterator<[string, T]> {
  const { prefix = "", recurse = true, removeDuplicate = true } = options;
  const mods: Iterable<[string, Module]> = recurse ? namedModules(m, prefix, removeDuplicate, new Set()) : [[prefix, m]];
  const memo = new Set<T>();
  for (const [modPrefix, mod] of mods) {
    for (const [name, v] of members(mod)) {
      if (v === null || memo.has(v)) continue;
      if (removeDuplicate) memo.add(v);
      yield [join(modPrefix, name), v];
    }
  }
}

/** One tensor of the state dict and where it lives. */
export interface StateEntry {
  key: string;
  owner: Module;
  name: string;
  kind: "parameters" | "buffers";
  tensor: Tensor;
}

/** Every parameter and persistent buffer under every path (no deduplication), as state_dict. */
export function* stateEntries(m: Module, prefix: string): IterableIterator<StateEntry> {
  const st = m[STATE];
  for (const [name, p] of st.parameters) if (p) yield { key: prefix + name, owner: m, name, kind: "parameters", tensor: p };
  for (const [name, b] of st.buffers) {
    if (b && !st.nonPersistent.has(name)) yield { key: prefix + name, owner: m, name, kind: "buffers", tensor: b };
  }
  for (const [name, child] of st.modules) if (child) yield* stateEntries(child, `${prefix}${name}.`);
}

/** What loadStateDict will copy, and everything wrong with the source. */
export interface LoadPlan {
  copies: { owner: Module; name: string; kind: "parameters" | "buffers"; value: Tensor }[];
  missingKeys: string[];
  unexpectedKeys: string[];
  errors: string[];
}

const size = (shape: readonly number[]) => `torch.Size([${shape.join(", ")}])`;

/** Checks a state dict against the module without changing anything. */
export function planLoad(m: Module, source: ReadonlyMap<string, Tensor>): LoadPlan {
  const plan: LoadPlan = { copies: [], missingKeys: [], unexpectedKeys: [], errors: [] };
  const expected = new Set<string>();
  for (const e of stateEntries(m, "")) {
    expected.add(e.key);
    const value = source.get(e.key);
    if (value === undefined) { plan.missingKeys.push(e.key); continue; }
    // only real tensors: an object that merely has `shape` and `copy_` would be copied as NaN
    if (!(value instanceof Tensor)) {
      plan.errors.push(`While copying the parameter named "${e.key}", expected torch.Tensor or Tensor-like object from checkpoint but received ${value === null ? "null" : typeof value === "object" ? (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name ?? "object" : typeof value}`);
      continue;
    }
    if (!(e.tensor instanceof UninitializedParameter) && !sameShape(value.shape, e.tensor.shape)) {
      plan.errors.push(`size mismatch for ${e.key}: copying a param with shape ${size(value.shape)} from checkpoint, the shape in current model is ${size(e.tensor.shape)}.`);
      continue;
    }
    plan.copies.push({ owner: e.owner, name: e.name, kind: e.kind, value });
  }
  for (const key of source.keys()) if (!expected.has(key)) plan.unexpectedKeys.push(key);
  return plan;
}
