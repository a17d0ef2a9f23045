/**
 * A restricted pickle machine. It executes the binary opcodes of protocols 2-5 over plain values
 * (dicts become Maps, lists and tuples arrays, tuples frozen) and calls nothing but what its
 * caller's allow-list resolves: any other global, REDUCE target or unknown opcode is refused with
 * a FormatError naming the file and the byte. Loading a pickle never runs code, and the machine
 * never loops: each opcode consumes input.
 */
import { FormatError, ValueError } from "../errors.ts";

/** A global the caller allows: REDUCE calls `call` with the argument tuple. */
export interface PickleCallable {
  readonly pickleName: string;
  call(args: readonly unknown[]): unknown;
}

/** What the caller lets a pickle reach. */
export interface PickleHooks {
  /** The allowed global `module.name`, or undefined to refuse it. */
  resolveGlobal(module: string, name: string): PickleCallable | undefined;
  /** Resolves a BINPERSID id (torch.save's storages). */
  persistentLoad(pid: unknown): unknown;
  /** Applies BUILD state to an object; return false to refuse. */
  build?(target: unknown, state: unknown): boolean;
}

/** True for a tuple read from a pickle (a frozen array). */
export function isTuple(v: unknown): v is readonly unknown[] {
  return Array.isArray(v) && Object.isFrozen(v);
}

const markSymbol: unique symbol = Symbol("mark");

/** The unpickler's state; opcodes are functions over it (see `ops`). */
class Machine {
  pos = 0;
  stack: unknown[] = [];
  readonly metastack: unknown[][] = [];
  readonly memo = new Map<number, unknown>();
  readonly view: DataView;
  opStart = 0;
  constructor(readonly bytes: Uint8Array, readonly name: string, readonly hooks: PickleHooks) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(problem: string): never {
    throw new FormatError(`${this.name}: ${problem} (pickle opcode 0x${(this.bytes[this.opStart] ?? 0).toString(16)} at byte ${this.opStart})`);
  }
  need(n: number): number {
    if (!(n >= 0 && this.pos + n <= this.bytes.length)) this.fail(`the pickle needs ${n} more bytes but is truncated`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(): number { return this.bytes[this.need(1)]!; }
  u16(): number { return this.view.getUint16(this.need(2), true); }
  u32(): number { return this.view.getUint32(this.need(4), true); }
  u64(): number { return Number(this.view.getBigUint64(this.need(8), true)); }
  take(n: number): Uint8Array { const at = this.need(n); return this.bytes.subarray(at, at + n); }
  utf8(n: number): string {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.take(n));
    } catch (e) {
      if (e instanceof FormatError) throw e;
      return this.fail("a string is not valid UTF-8");
    }
  }
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0 || end - this.pos > 1024) this.fail("GLOBAL is missing its newline");
    const text = String.fromCharCode(...this.take(end - this.pos));
    this.pos++;
    return text;
  }
  push(v: unknown): void { this.stack.push(v); }
  pop(): unknown {
    if (this.stack.length === 0) this.fail("the pickle pops an empty stack");
    const v = this.stack.pop();
    if (v === markSymbol) this.fail("the pickle pops a MARK as a value");
    return v;
  }
  top(): unknown {
    if (this.stack.length === 0) this.fail("the pickle reads an empty stack");
    return this.stack[this.stack.length - 1];
  }
  popMark(): unknown[] {
    const items = this.stack;
    const outer = this.metastack.pop();
    if (outer === undefined) this.fail("the pickle closes a MARK it never opened");
    this.stack = outer;
    return items;
  }
  list(): unknown[] {
    const l = this.top();
    if (!Array.isArray(l) || Object.isFrozen(l)) this.fail("APPEND to something that is not a list");
    return l;
  }
  dict(): Map<unknown, unknown> {
    const d = this.top();
    if (!(d instanceof Map)) this.fail("SETITEM on something that is not a dict");
    return d;
  }
}

function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const tuple = (items: unknown[]): readonly unknown[] => Object.freeze(items);

function setItems(m: Machine, items: unknown[]): void {
  if (items.length % 2 !== 0) m.fail("SETITEMS with an odd number of items");
  const d = m.dict();
  for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
}

function reduce(m: Machine): void {
  const args = m.pop();
  const f = m.top();
  if (!isTuple(args)) m.fail("REDUCE arguments are not a tuple");
  if (!isCallable(f)) m.fail("REDUCE on a value that is not an allowed callable");
  m.stack[m.stack.length - 1] = f.call(args);
}

function isCallable(v: unknown): v is PickleCallable {
  return typeof v === "object" && v !== null && typeof (v as PickleCallable).call === "function" &&
    typeof (v as PickleCallable).pickleName === "string";
}

function global(m: Machine, module: string, name: string): void {
  const g = m.hooks.resolveGlobal(module, name);
  if (g === undefined) m.fail(`the pickle refers to the global '${module}.${name}', which is not allowed: loading never runs code, and only tensors, storages and OrderedDict are accepted`);
  m.push(g);
}

function memoGet(m: Machine, i: number): void {
  if (!m.memo.has(i)) m.fail(`memo entry ${i} is read before it is written`);
  m.push(m.memo.get(i));
}

const op = (c: string): number => c.charCodeAt(0);

/** One function per opcode; anything missing is refused as unknown. */
const ops = new Map<number, (m: Machine) => void>([
  [0x80, (m) => { if (m.u8() > 5) m.fail("unsupported pickle protocol"); }],
  [0x95, (m) => { m.u64(); }],
  [op("("), (m) => { m.metastack.push(m.stack); m.stack = []; }],
  [op("0"), (m) => { m.pop(); }],
  [op("1"), (m) => { m.popMark(); }],
  [op("2"), (m) => m.push(m.top())],
  [op("N"), (m) => m.push(null)],
  [0x88, (m) => m.push(true)],
  [0x89, (m) => m.push(false)],
  [op("J"), (m) => m.push(m.view.getInt32(m.need(4), true))],
  [op("K"), (m) => m.push(m.u8())],
  [op("M"), (m) => m.push(m.u16())],
  [0x8a, (m) => m.push(decodeLong(m.take(m.u8())))],
  [0x8b, (m) => { const n = m.u32(); if (n > 4096) m.fail(`LONG4 of ${n} bytes`); m.push(decodeLong(m.take(n))); }],
  [op("G"), (m) => m.push(m.view.getFloat64(m.need(8), false))],
  [op("X"), (m) => m.push(m.utf8(m.u32()))],
  [0x8c, (m) => m.push(m.utf8(m.u8()))],
  [0x8d, (m) => m.push(m.utf8(m.u64()))],
  [op("U"), (m) => m.push(String.fromCharCode(...m.take(m.u8())))],
  [op("T"), (m) => m.push(new TextDecoder("latin1").decode(m.take(m.u32())))],
  [op("C"), (m) => m.push(m.take(m.u8()).slice())],
  [op("B"), (m) => m.push(m.take(m.u32()).slice())],
  [0x8e, (m) => m.push(m.take(m.u64()).slice())],
  [op(")"), (m) => m.push(tuple([]))],
  [op("t"), (m) => m.push(tuple(m.popMark()))],
  [0x85, (m) => m.push(tuple([m.pop()]))],
  [0x86, (m) => { const b = m.pop(); m.push(tuple([m.pop(), b])); }],
  [0x87, (m) => { const c = m.pop(), b = m.pop(); m.push(tuple([m.pop(), b, c])); }],
  [op("]"), (m) => m.push([])],
  [op("l"), (m) => m.push(m.popMark())],
  [op("a"), (m) => { const v = m.pop(); m.list().push(v); }],
  [op("e"), (m) => { const items = m.popMark(); const l = m.list(); for (const v of items) l.push(v); }],
  [op("}"), (m) => m.push(new Map())],
  [op("d"), (m) => { const items = m.popMark(); m.push(new Map()); setItems(m, items); }],
  [op("s"), (m) => { const v = m.pop(), k = m.pop(); m.dict().set(k, v); }],
  [op("u"), (m) => setItems(m, m.popMark())],
  [op("h"), (m) => memoGet(m, m.u8())],
  [op("j"), (m) => memoGet(m, m.u32())],
  [op("q"), (m) => { m.memo.set(m.u8(), m.top()); }],
  [op("r"), (m) => { m.memo.set(m.u32(), m.top()); }],
  [0x94, (m) => { m.memo.set(m.memo.size, m.top()); }],
  [op("c"), (m) => { const module = m.line(); global(m, module, m.line()); }],
  [0x93, (m) => {
    const name = m.pop(), module = m.pop();
    if (typeof name !== "string" || typeof module !== "string") return m.fail("STACK_GLOBAL needs two strings");
    global(m, module, name);
  }],
  [op("R"), reduce],
  [op("b"), (m) => {
    const state = m.pop();
    if (!(m.hooks.build?.(m.top(), state) ?? false)) m.fail("BUILD on an object that does not accept state");
  }],
  [op("Q"), (m) => m.push(m.hooks.persistentLoad(m.pop()))],
]);

/** Runs a pickle under `hooks`' allow-list and returns the object it builds. */
export function unpickle(bytes: Uint8Array, name: string, hooks: PickleHooks): unknown {
  const m = new Machine(bytes, name, hooks);
  while (m.pos < bytes.length) {
    m.opStart = m.pos;
    const code = m.u8();
    if (code === 0x2e) {
      return m.pop();
    }
    const f = ops.get(code);
    if (f === undefined) return m.fail(`unknown or unsupported pickle opcode 0x${code.toString(16)}`);
    f(m);
  }
  m.opStart = m.pos;
  return m.fail("the pickle ends without STOP; the file is truncated");
}

/**
 * Emits protocol-2 opcodes, using only those PyTorch 1.13's weights_only unpickler accepts
 * (plus BINFLOAT for non-integer numbers, which only full `torch.load` reads).
 */
export class Pickler {
  #buf = new Uint8Array(256);
  #len = 0;
  #memoCount = 0;
  readonly #globals = new Map<string, number>();

  constructor() { this.#bytes(0x80, 2); }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    grown.set(this.#buf.subarray(0, this.#len));
    this.#buf = grown;
  }
  #bytes(...values: number[]): void {
    this.#reserve(values.length);
    for (const v of values) this.#buf[this.#len++] = v;
  }
  #raw(data: Uint8Array): void {
    this.#reserve(data.length);
    this.#buf.set(data, this.#len);
    this.#len += data.length;
  }
  #u32(v: number): void { this.#bytes(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24); }

  /** MARK: opens a group closed by tuple(), appends() or setItems(). */
  mark(): void { this.#bytes(op("(")); }
  none(): void { this.#bytes(op("N")); }
  bool(v: boolean): void { this.#bytes(v ? 0x88 : 0x89); }
  /** An int: BININT1/BININT2/BININT when small, LONG1 otherwise (as CPython's pickler). */
  int(v: number | bigint): void {
    if (typeof v === "number" && v >= 0 && v < 256) return this.#bytes(op("K"), v);
    if (typeof v === "number" && v >= 0 && v < 65536) return this.#bytes(op("M"), v & 0xff, v >> 8);
    if (typeof v === "number" && v >= -(2 ** 31) && v < 2 ** 31) {
      this.#bytes(op("J"));
      return this.#u32(v >>> 0);
    }
    let x = BigInt(v);
    const out: number[] = [];
    while (true) {
      out.push(Number(x & 0xffn));
      x >>= 8n;
      const sign = out[out.length - 1]! & 0x80;
      if ((x === 0n && !sign) || (x === -1n && sign)) break;
    }
    if (out.length > 255) throw new ValueError(`pickle: the integer ${v} does not fit in LONG1`);
    this.#bytes(0x8a, out.length, ...out);
  }
  float(v: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, false);
    this.#bytes(op("G"));
    this.#raw(b);
  }
  string(v: string): void {
    const b = new TextEncoder().encode(v);
    this.#bytes(op("X"));
    this.#u32(b.length);
    this.#raw(b);
  }
  /** BINBYTES (a protocol-3 opcode: full torch.load reads it, weights_only in 1.13 does not). */
  bytes(v: Uint8Array): void {
    this.#bytes(op("B"));
    this.#u32(v.length);
    this.#raw(v);
  }
  /** Closes a MARK group into a tuple (TUPLE1-3 would need no MARK; callers keep it simple). */
  tuple(): void { this.#bytes(op("t")); }
  emptyTuple(): void { this.#bytes(op(")")); }
  emptyList(): void { this.#bytes(op("]")); }
  appends(): void { this.#bytes(op("e")); }
  emptyDict(): void { this.#bytes(op("}")); }
  setItems(): void { this.#bytes(op("u")); }
  reduce(): void { this.#bytes(op("R")); }
  persistentId(): void { this.#bytes(op("Q")); }
  /** GLOBAL, written once and then fetched from the memo, as CPython does. */
  global(module: string, name: string): void {
    const key = `${module}\n${name}\n`;
    const memo = this.#globals.get(key);
    if (memo !== undefined) return this.get(memo);
    this.#bytes(op("c"));
    this.#raw(new TextEncoder().encode(key));
    this.#globals.set(key, this.put());
  }
  /** Stores the top of the stack in the memo and returns its index. */
  put(): number {
    const i = this.#memoCount++;
    if (i < 256) {
      this.#bytes(op("q"), i);
    } else {
      this.#bytes(op("r"));
      this.#u32(i);
    }
    return i;
  }
  get(i: number): void {
    if (i < 256) {
      this.#bytes(op("h"), i);
    } else {
      this.#bytes(op("j"));
      this.#u32(i);
    }
  }
  /** STOP, and the finished pickle. */
  finish(): Uint8Array {
    this.#bytes(op("."));
    return this.#buf.slice(0, this.#len);
  }
}
