// Copies between a strided layout and a contiguous array (contiguous(), a view's gradient written
// into its base), one tight loop per innermost run instead of an index array and a call per element.
// The layout's dims are first merged where they step through storage as one (PyTorch's
// TensorIterator coalescing); a transposed pair (the unit-stride dim just before the last, as a
// `weight.T` or a head-split view has) is copied in square tiles, so reads and writes both stay
// within a few cache lines.
import type { TypedArray } from "../../core/dtype.ts";
import { coalesceDims, type Layout } from "../../core/layout.ts";

type Numbers = Float64Array; // any non-bigint typed array, indexed as numbers

/** The layout's dims with size-1 dims dropped and neighbours merged where one stride walks both; innermost last. */
export function coalesce(l: Layout): { sizes: number[]; strides: number[] } {
  const { sizes, strides } = coalesceDims(l.shape, [l.strides]);
  return { sizes, strides: strides[0]! };
}

const TILE = 16;
/** Unit-stride runs from this length copy by TypedArray.set (a memmove; a subarray costs about 30 loop iterations). */
const SET_MIN = 32;

/**
 * Visits the layout's rows in order: `row(start, o)` for each innermost run (its storage start and
 * its first element's row-major index); `sizes`/`strides` from coalesce, at least one dim.
 */
function forEachRow(sizes: number[], strides: number[], offset: number, outerDims: number, row: (start: number, o: number) => void, rowLen: number): void {
  const idx = new Array<number>(outerDims).fill(0);
  let pos = offset;
  for (let o = 0; ; o += rowLen) {
    row(pos, o);
    let d = outerDims - 1;
    for (; d >= 0; d--) {
      idx[d]!++;
      pos += strides[d]!;
      if (idx[d]! < sizes[d]!) break;
      pos -= strides[d]! * sizes[d]!;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

/** Whether the layout's last two merged dims are a transposed pair worth tiling. */
function transposedPair(sizes: number[], strides: number[]): boolean {
  const nd = sizes.length;
  return nd >= 2 && strides[nd - 2] === 1 && strides[nd - 1] !== 1 && sizes[nd - 1]! >= TILE && sizes[nd - 2]! >= TILE;
}

/** out[i] = x[the layout's i-th element] for i < numel (same element kind on both sides). */
export function gatherStrided(x: TypedArray, l: Layout, out: TypedArray): void {
  const xs = x as Numbers, r = out as Numbers;
  const { sizes, strides } = coalesce(l), nd = sizes.length;
  if (nd === 0) { r[0] = xs[l.offset]!; return; }
  if (transposedPair(sizes, strides)) {
    // [.., rows, cols] with rows unit-stride: tile by tile
    const rows = sizes[nd - 2]!, cols = sizes[nd - 1]!, cs = strides[nd - 1]!;
    forEachRow(sizes, strides, l.offset, nd - 2, (base, o) => {
      for (let r0 = 0; r0 < rows; r0 += TILE) {
        const r1 = Math.min(r0 + TILE, rows);
        for (let c0 = 0; c0 < cols; c0 += TILE) {
          const c1 = Math.min(c0 + TILE, cols);
          for (let c = c0; c < c1; c++) {
            const src = base + c * cs;
            for (let i = r0; i < r1; i++) r[o + i * cols + c] = xs[src + i]!;
          }
        }
      }
    }, rows * cols);
    return;
  }
  const len = sizes[nd - 1]!, s = strides[nd - 1]!;
  forEachRow(sizes, strides, l.offset, nd - 1, s === 1 && len >= SET_MIN
    ? (p, o) => r.set(xs.subarray(p, p + len), o)
    : s === 1 ? (p, o) => { for (let j = 0; j < len; j++) r[o + j] = xs[p + j]!; }
      : (p, o) => { for (let j = 0; j < len; j++) r[o + j] = xs[p + j * s]!; }, len);
}

/** dst[the layout's i-th element] = src[i] for i < numel (same element kind on both sides). */
export function scatterStrided(dst: TypedArray, l: Layout, src: TypedArray): void {
  const d = dst as Numbers, xs = src as Numbers;
  const { sizes, strides } = coalesce(l), nd = sizes.length;
  if (nd === 0) { d[l.offset] = xs[0]!; return; }
  if (transposedPair(sizes, strides)) {
    const rows = sizes[nd - 2]!, cols = sizes[nd - 1]!, cs = strides[nd - 1]!;
    forEachRow(sizes, strides, l.offset, nd - 2, (base, o) => {
      for (let r0 = 0; r0 < rows; r0 += TILE) {
        const r1 = Math.min(r0 + TILE, rows);
        for (let c0 = 0; c0 < cols; c0 += TILE) {
          const c1 = Math.min(c0 + TILE, cols);
          for (let c = c0; c < c1; c++) {
            const at = base + c * cs;
            for (let i = r0; i < r1; i++) d[at + i] = xs[o + i * cols + c]!;
          }
        }
      }
    }, rows * cols);
    return;
  }
  const len = sizes[nd - 1]!, s = strides[nd - 1]!;
  forEachRow(sizes, strides, l.offset, nd - 1, s === 1 && len >= SET_MIN
    ? (p, o) => d.set(xs.subarray(o, o + len), p)
    : s === 1 ? (p, o) => { for (let j = 0; j < len; j++) d[p + j] = xs[o + j]!; }
      : (p, o) => { for (let j = 0; j < len; j++) d[p + j * s] = xs[o + j]!; }, len);
}

/** dst[the i-th element of `ld`] = src[the i-th element of `ls`] over one shape (same element kind): a view written from another view in one pass. */
export function copyStrided(dst: TypedArray, ld: Layout, src: TypedArray, ls: Layout): void {
  const d = dst as Numbers, xs = src as Numbers;
  // dims merged where both layouts step through them as one
  const { sizes, strides } = coalesceDims(ld.shape, [ld.strides, ls.strides]), sd = strides[0]!, ss = strides[1]!;
  const nd = sizes.length;
  if (nd === 0) { d[ld.offset] = xs[ls.offset]!; return; }
  const len = sizes[nd - 1]!, a = sd[nd - 1]!, b = ss[nd - 1]!, outer = nd - 1;
  const idx = new Array<number>(outer).fill(0);
  let pd = ld.offset, ps = ls.offset;
  for (;;) {
    if (a === 1 && b === 1 && len >= SET_MIN) d.set(xs.subarray(ps, ps + len), pd);
    else for (let j = 0; j < len; j++) d[pd + j * a] = xs[ps + j * b]!;
    let k = outer - 1;
    for (; k >= 0; k--) {
      idx[k]!++;
      pd += sd[k]!;
      ps += ss[k]!;
      if (idx[k]! < sizes[k]!) break;
      pd -= sd[k]! * sizes[k]!;
      ps -= ss[k]! * sizes[k]!;
      idx[k] = 0;
    }
    if (k < 0) return;
  }
}
