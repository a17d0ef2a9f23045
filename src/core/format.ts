/**
 * Tensor printing, ported line by line from PyTorch 1.13's torch/_tensor_str.py so that
 * `formatTensor` returns exactly the string `repr(t)` gives in Python for the same values.
 * It sees a tensor only through `FormatInput`, so it does not depend on the Tensor class.
 */
import { defaultFloat } from "./dtype.ts";
import type { DType } from "./dtype.ts";
import { ValueError } from "../errors.ts";

/** What the printer needs from a tensor; the Tensor class adapts itself to this. */
export interface FormatInput {
  shape: readonly number[];
  dtype: DType;
  /** element i in row-major order (bool as 0/1, int64 as bigint or number) */
  get(i: number): number | bigint;
  requiresGrad?: boolean;
  /** the grad_fn's class name, e.g. "MulBackward0" */
  gradFn?: string | null;
}

/** torch.set_printoptions' settings; `sciMode: null` lets the printer choose. */
export interface PrintOptions {
  precision: number;
  threshold: number;
  edgeitems: number;
  linewidth: number;
  sciMode: boolean | null;
}

/** The named presets of torch.set_printoptions(profile=...). */
export type PrintProfile = "default" | "short" | "full";

const PROFILES: Readonly<Record<PrintProfile, Omit<PrintOptions, "sciMode">>> = {
  default: { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80 },
  short: { precision: 2, threshold: 1000, edgeitems: 2, linewidth: 80 },
  full: { precision: 4, threshold: Infinity, edgeitems: 3, linewidth: 80 },
};

let printOpts: PrintOptions = { ...PROFILES.default, sciMode: null };

/**
 * torch.set_printoptions: a profile first, then any given field on top. As in PyTorch, a call
 * without `sciMode` resets it to automatic.
 * @example setPrintOptions({ precision: 2 }); setPrintOptions({ profile: "default" });
 */
export function setPrintOptions(options: Partial<PrintOptions> & { profile?: PrintProfile }): void {
  const { profile, ...rest } = options;
  if (profile !== undefined && !(profile in PROFILES)) {
    throw new ValueError(`set_printoptions: unknown profile '${profile}'; use "default", "short" or "full"`);
  }
  const base = profile === undefined ? printOpts : { ...printOpts, ...PROFILES[profile] };
  printOpts = checkOptions({ ...base, ...defined(rest), sciMode: options.sciMode ?? null });
}

/** The current print options (a copy). */
export function getPrintOptions(): PrintOptions {
  return { ...printOpts };
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkOptions(o: PrintOptions): PrintOptions {
  const bad = (name: string, v: number, range: string): never => {
    throw new ValueError(`set_printoptions: ${name} must be ${range}, got ${v}`);
  };
  // toFixed and toExponential stop at 100 digits
  if (!Number.isInteger(o.precision) || o.precision < 0 || o.precision > 100) {
    bad("precision", o.precision, "an integer from 0 to 100");
  }
  if (!Number.isInteger(o.edgeitems) || o.edgeitems < 0) bad("edgeitems", o.edgeitems, "a non-negative integer");
  if (!Number.isInteger(o.linewidth) || o.linewidth < 0) bad("linewidth", o.linewidth, "a non-negative integer");
  if (Number.isNaN(o.threshold) || o.threshold < 0) bad("threshold", o.threshold, "a non-negative number");
  return o;
}

// ---------------------------------------------------------------------------------------------
// Python's float formatting. JS toFixed/toExponential are correctly rounded except on exact
// ties, where they round away from zero and Python rounds half to even; they also drop the
// sign of -0 and print exponents as "e+3" where Python prints "e+03".

const view = new DataView(new ArrayBuffer(8));

/** |x| = mant * 2^exp exactly, with mant an integer below 2^53 (x finite, nonzero). */
function decompose(x: number): { mant: number; exp: number } {
  view.setFloat64(0, x);
  const hi = view.getUint32(0) & 0xfffff;
  const lo = view.getUint32(4);
  const biased = (view.getUint32(0) >>> 20) & 0x7ff;
  const frac = hi * 2 ** 32 + lo;
  return biased === 0 ? { mant: frac, exp: -1074 } : { mant: frac + 2 ** 52, exp: biased - 1075 };
}

/** The exponent of x's lowest set bit: x = odd * 2^lowBit. */
function lowBit(x: number): number {
  let { mant, exp } = decompose(x);
  while (mant % 2 === 0) { mant /= 2; exp += 1; }
  return exp;
}

/** round-half-even of num/den for positive bigints */
function divRound(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r2 = (num - q * den) * 2n;
  return r2 > den || (r2 === den && (q & 1n) === 1n) ? q + 1n : q;
}

/** |x| * 10^scale rounded half to even, computed exactly. */
function scaledRound(ax: number, scale: number): bigint {
  const { mant, exp } = decompose(ax);
  let num = BigInt(mant);
  let den = 1n;
  if (exp >= 0) num <<= BigInt(exp); else den <<= BigInt(-exp);
  if (scale >= 0) num *= 10n ** BigInt(scale); else den *= 10n ** BigInt(-scale);
  return divRound(num, den);
}

function nonFinite(x: number): string | null {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return null;
}

const isNegative = (x: number): boolean => x < 0 || Object.is(x, -0);

/** Python's `'{:.<precision>f}'.format(x)`, e.g. formatFixed(2.5, 0) === "2". */
export function formatFixed(x: number, precision: number): string {
  const special = nonFinite(x);
  if (special !== null) return special;
  const sign = isNegative(x) ? "-" : "";
  const ax = Math.abs(x);
  if (ax === 0) return sign + (precision > 0 ? "0." + "0".repeat(precision) : "0");
  if (ax < 1e21 && lowBit(ax) !== -(precision + 1)) return sign + ax.toFixed(precision);
  const digits = scaledRound(ax, precision).toString().padStart(precision + 1, "0");
  if (precision === 0) return sign + digits;
  return `${sign}${digits.slice(0, -precision)}.${digits.slice(-precision)}`;
}

/** Python's `'{:.<precision>e}'.format(x)`, e.g. formatExponential(1000, 4) === "1.0000e+03". */
export function formatExponential(x: number, precision: number): string {
  const special = nonFinite(x);
  if (special !== null) return special;
  const sign = isNegative(x) ? "-" : "";
  const ax = Math.abs(x);
  let mantissa: string;
  let e: number;
  if (ax === 0) {
    [mantissa, e] = [precision > 0 ? "0." + "0".repeat(precision) : "0", 0];
  } else {
    const js = ax.toExponential(precision);
    const at = js.indexOf("e");
    [mantissa, e] = [js.slice(0, at), Number(js.slice(at + 1))];
    const v2 = lowBit(ax);
    // a tie needs v2 === (e - precision) - 1, with e before or after a carry into a new digit
    if (v2 === e - precision - 1 || v2 === e - precision - 2) [mantissa, e] = exactExponential(ax, precision);
  }
  const exp = String(Math.abs(e)).padStart(2, "0");
  return `${sign}${mantissa}e${e < 0 ? "-" : "+"}${exp}`;
}

function exactExponential(ax: number, precision: number): [string, number] {
  const low = 10n ** BigInt(precision);
  let e = Math.floor(Math.log10(ax));
  let n = scaledRound(ax, precision - e);
  // log10 can be off by one near powers of ten, and rounding can carry into a new digit
  while (n < low || n >= low * 10n) {
    e += n < low ? -1 : 1;
    n = scaledRound(ax, precision - e);
  }
  const digits = n.toString();
  return [precision > 0 ? `${digits[0]}.${digits.slice(1)}` : digits, e];
}

// ---------------------------------------------------------------------------------------------
// _Formatter: one width and one notation for every element of a tensor.

type Scalar = number | bigint;

/** torch._tensor_str._Formatter, built from the (summarized) elements it will print. */
class Formatter {
  readonly floating: boolean;
  intMode = true;
  sciMode = false;
  maxWidth = 1;

  constructor(readonly dtype: DType, values: readonly Scalar[], readonly opts: PrintOptions) {
    this.floating = dtype.isFloatingPoint;
    if (!this.floating) {
      for (const v of values) this.maxWidth = Math.max(this.maxWidth, this.plain(v).length);
    } else {
      this.measureFloats(values as readonly number[]);
    }
    if (opts.sciMode !== null) this.sciMode = opts.sciMode;
  }

  private measureFloats(values: readonly number[]): void {
    const finite = values.filter((v) => Number.isFinite(v) && v !== 0);
    if (finite.length === 0) return;
    let min = Infinity;
    let max = 0;
    for (const v of finite) {
      const a = Math.abs(v);
      if (a < min) min = a;
      if (a > max) max = a;
    }
    this.intMode = finite.every((v) => v === Math.ceil(v));
    // PyTorch's thresholds: a spread over 1000x, or anything above 1e8 (or, unless every value
    // is an integer, below 1e-4) switches the whole tensor to scientific notation
    this.sciMode = max / min > 1000 || max > 1e8 || (!this.intMode && min < 1e-4);
    const p = this.opts.precision;
    const width = this.sciMode ? (v: number) => formatExponential(v, p).length
      : this.intMode ? (v: number) => formatFixed(v, 0).length + 1
        : (v: number) => formatFixed(v, p).length;
    for (const v of finite) this.maxWidth = Math.max(this.maxWidth, width(v));
  }

  private plain(v: Scalar): string {
    if (this.dtype.kind === "bool") return v ? "True" : "False";
    return String(v);
  }

  /** One element, right-aligned to the common width. */
  format(v: Scalar): string {
    let ret: string;
    if (!this.floating) {
      ret = this.plain(v);
    } else {
      const x = Number(v);
      if (this.sciMode) ret = formatExponential(x, this.opts.precision);
      else if (this.intMode) ret = formatFixed(x, 0) + (Number.isFinite(x) ? "." : "");
      else ret = formatFixed(x, this.opts.precision);
    }
    return ret.padStart(this.maxWidth);
  }
}

// ---------------------------------------------------------------------------------------------
// _tensor_str_with_formatter and get_summarized_data, over row-major element indices.

const ELLIPSIS = -1;

interface Walk {
  input: FormatInput;
  /** row-major strides of input.shape */
  strides: number[];
  summarize: boolean;
  opts: PrintOptions;
}

/** The indices along a dim of size n that get printed, with ELLIPSIS where PyTorch puts "...". */
function shownIndices(n: number, w: Walk, is1d: boolean): number[] {
  const e = w.opts.edgeitems;
  const all = Array.from({ length: n }, (_, i) => i);
  if (!w.summarize || n <= 2 * e) return all;
  // Python's self[-0:] is the whole dim, so edgeitems=0 keeps every element on 1-D tails
  const tail = is1d && e === 0 ? all : all.slice(n - e);
  return [...all.slice(0, e), ELLIPSIS, ...tail];
}

/** get_summarized_data: every element that will be printed, for the formatter's statistics. */
function summarizedValues(w: Walk, dim: number, base: number, out: Scalar[]): void {
  const { shape } = w.input;
  if (dim === shape.length) {
    out.push(w.input.get(base));
    return;
  }
  for (const i of shownIndices(shape[dim]!, w, dim === shape.length - 1)) {
    if (i !== ELLIPSIS) summarizedValues(w, dim + 1, base + i * w.strides[dim]!, out);
  }
}

function vectorStr(w: Walk, fmt: Formatter, base: number, indent: number): string {
  const n = w.input.shape[w.input.shape.length - 1]!;
  const stride = w.strides[w.strides.length - 1]!;
  const elementLength = fmt.maxWidth + 2;
  const perLine = Math.max(1, Math.floor((w.opts.linewidth - indent) / elementLength));
  const data = shownIndices(n, w, true).map((i) =>
    i === ELLIPSIS ? " ..." : fmt.format(w.input.get(base + i * stride)));
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += perLine) lines.push(data.slice(i, i + perLine).join(", "));
  return "[" + lines.join(",\n" + " ".repeat(indent + 1)) + "]";
}

function tensorStr(w: Walk, fmt: Formatter, dim: number, base: number, indent: number): string {
  const { shape } = w.input;
  const rest = shape.length - dim;
  if (rest === 0) return fmt.format(w.input.get(base));
  if (rest === 1) return vectorStr(w, fmt, base, indent);
  const slices = shownIndices(shape[dim]!, w, false).map((i) =>
    i === ELLIPSIS ? "..." : tensorStr(w, fmt, dim + 1, base + i * w.strides[dim]!, indent + 1));
  return "[" + slices.join("," + "\n".repeat(rest - 1) + " ".repeat(indent + 1)) + "]";
}

// ---------------------------------------------------------------------------------------------
// _str_intern and _add_suffixes for strided CPU tensors.

function addSuffixes(text: string, suffixes: readonly string[], indent: number, linewidth: number): string {
  const parts = [text];
  // as PyTorch: rfind returns -1 without a newline, so a one-line repr counts two extra columns
  let lastLineLen = text.length - text.lastIndexOf("\n") + 1;
  for (const suffix of suffixes) {
    if (lastLineLen + suffix.length + 2 > linewidth) {
      parts.push(",\n" + " ".repeat(indent) + suffix);
      lastLineLen = indent + suffix.length;
    } else {
      parts.push(", " + suffix);
      lastLineLen += suffix.length + 2;
    }
  }
  parts.push(")");
  return parts.join("");
}

function sizeStr(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

/**
 * The text of repr(t) in PyTorch 1.13, e.g. `tensor([1., 2.], requires_grad=True)`.
 * Options given here apply to this call only, on top of setPrintOptions'.
 */
export function formatTensor(input: FormatInput, options?: Partial<PrintOptions>): string {
  const opts = options ? checkOptions({ ...printOpts, ...defined(options) }) : printOpts;
  const prefix = "tensor(";
  const indent = prefix.length;
  const { shape, dtype } = input;
  const numel = shape.reduce((a, b) => a * b, 1);
  const suffixes: string[] = [];
  let body: string;
  if (numel === 0) {
    // PyTorch shows the shape unless it is (0,), and the dtype unless it is the default float
    if (shape.length !== 1) suffixes.push("size=" + sizeStr(shape));
    if (dtype !== defaultFloat) suffixes.push(`dtype=${dtype}`);
    body = "[]";
  } else {
    if (!hasDefaultDtype(dtype)) suffixes.push(`dtype=${dtype}`);
    const w: Walk = { input, strides: rowMajorStrides(shape), summarize: numel > opts.threshold, opts };
    const values: Scalar[] = [];
    summarizedValues(w, 0, 0, values);
    body = tensorStr(w, new Formatter(dtype, values, opts), 0, 0, indent);
  }
  if (input.gradFn) suffixes.push(`grad_fn=<${input.gradFn}>`);
  else if (input.requiresGrad) suffixes.push("requires_grad=True");
  return addSuffixes(prefix + body, suffixes, indent, opts.linewidth);
}

/** PyTorch leaves out the dtype it would infer from the printed values anyway. */
function hasDefaultDtype(dtype: DType): boolean {
  return dtype === defaultFloat || dtype.name === "int64" || dtype.name === "bool";
}
