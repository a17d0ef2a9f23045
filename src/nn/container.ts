/** Containers: Sequential, ModuleList and ModuleDict, typed by their children. */
import { IndexError, TorchletError } from "../errors.ts";
import { Tensor } from "../tensor.ts";
import { Module, STATE } from "./module.ts";

/**
 * Numeric keys of a tuple type, so `net[2]` has the type of the third child; any other position
 * (children added later, negative positions) is a Module.
 */
type Indexed<T extends readonly Module[]> =
  { readonly [K in keyof T as K extends `${number}` ? K : never]: T[K] } & { readonly [i: number]: Module };

function childrenOf(m: Module): Module[] {
  return [...m[STATE].modules.values()].filter((c): c is Module => c !== null);
}

function wrapIndex(i: number, n: number, what: string): number {
  if (!Number.isInteger(i) || i < -n || i >= n) throw new IndexError(`index ${i} is out of range (${what} has ${n} modules)`);
  return i < 0 ? i + n : i;
}

/** Runs its children in order, each on the previous one's output, as torch.nn.Sequential. */
class SequentialImpl extends Module {
  static override displayName = "Sequential";
  /** `net[i]` is the child at position i (Module's constructor reads this). */
  static positional = true;
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => this.registerModule(String(i), m));
  }
  /** Number of children. */
  override get length(): number { return this[STATE].modules.size; }
  /** The child at `i` (negative counts from the end). */
  at(i: number): Module { const c = childrenOf(this); return c[wrapIndex(i, c.length, "Sequential")]!; }
  /** A new Sequential of children start..end (exclusive), sharing the modules. */
  slice(start = 0, end = this.length): SequentialImpl { return new SequentialImpl(...childrenOf(this).slice(start, end)); }
  /** Adds a child at the end. */
  append(m: Module): this { this.registerModule(String(this.length), m); return this; }
  [Symbol.iterator](): IterableIterator<Module> { return childrenOf(this)[Symbol.iterator](); }
  /** Each child on the previous one's output (fusions are op options, e.g. `F.linear`'s `activation`, never chosen here). */
  forward(input: Tensor): Tensor {
    let x: unknown = input;
    // straight over the registry (no copied list of children per call)
    for (const m of this[STATE].modules.values()) if (m !== null) x = (m as unknown as (a: unknown) => unknown)(x);
    return x as Tensor;
  }
}

/** A Sequential whose indexed children keep their types: `net[2]` is the third child's class. */
export type Sequential<T extends readonly Module[] = Module[]> = SequentialImpl & Indexed<T>;
/** The Sequential constructor, generic over its children. */
export interface SequentialConstructor {
  new <T extends Module[]>(...modules: T): Sequential<T>;
  readonly prototype: SequentialImpl;
  /** The printed class name, "Sequential". */
  readonly displayName: string;
}
/** torch.nn.Sequential. */
export const Sequential = SequentialImpl as unknown as SequentialConstructor;

/** Holds modules in a list, registered as "0", "1", …, as torch.nn.ModuleList. */
class ModuleListImpl extends Module {
  static override displayName = "ModuleList";
  static positional = true;
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  override get length(): number { return this[STATE].modules.size; }
  at(i: number): Module { const c = childrenOf(this); return c[wrapIndex(i, c.length, "ModuleList")]!; }
  append(m: Module): this { this.registerModule(String(this.length), m); return this; }
  extend(ms: Iterable<Module>): this { for (const m of ms) this.append(m); return this; }
  [Symbol.iterator](): IterableIterator<Module> { return childrenOf(this)[Symbol.iterator](); }
  forward(): never { throw new TorchletError("ModuleList has no forward(): iterate over it in your own module's forward"); }
}

/** A ModuleList with typed indexed children. */
export type ModuleList<T extends readonly Module[] = Module[]> = ModuleListImpl & Indexed<T>;
/** The ModuleList constructor. */
export interface ModuleListConstructor {
  new <T extends Module[]>(modules?: T): ModuleList<T>;
  readonly prototype: ModuleListImpl;
  /** The printed class name, "ModuleList". */
  readonly displayName: string;
}
/** torch.nn.ModuleList. */
export const ModuleList = ModuleListImpl as unknown as ModuleListConstructor;

/** Holds modules by name, as torch.nn.ModuleDict. */
export class ModuleDict<T extends Record<string, Module> = Record<string, Module>> extends Module {
  static override displayName = "ModuleDict";
  constructor(modules: T | Iterable<[string, Module]> = {} as T) {
    super();
    const entries = Symbol.iterator in modules ? [...(modules as Iterable<[string, Module]>)] : Object.entries(modules);
    for (const [k, m] of entries) this.registerModule(k, m);
  }
  get size(): number { return this[STATE].modules.size; }
  get<K extends keyof T & string>(key: K): T[K] {
    const m = this[STATE].modules.get(key);
    if (!m) throw new TorchletError(`ModuleDict has no key '${key}'`);
    return m as T[K];
  }
  set(key: string, m: Module): this { this.registerModule(key, m); return this; }
  has(key: string): boolean { return this[STATE].modules.has(key); }
  keys(): string[] { return [...this[STATE].modules.keys()]; }
  values(): Module[] { return childrenOf(this); }
  entries(): [string, Module][] { return [...this[STATE].modules].filter((e): e is [string, Module] => e[1] !== null); }
  forward(): never { throw new TorchletError("ModuleDict has no forward(): index it in your own module's forward"); }
}
