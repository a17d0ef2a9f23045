// AssemblyScript, not TypeScript: compiled to WebAssembly by scripts/build-wasm.ts. It shares the .ts
// extension because asc only reads .ts files, so tsc is told to skip it (the types f32, v128, usize
// and the builtins exist only in AssemblyScript).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

// Goto/BLIS-style SGEMM: C = op(A) @ op(B) (+ C) (+ bias) (then ReLU), all row-major, f32.
// Panels of A (MR rows) and B (NR columns) are packed into contiguous, zero-padded buffers so the
// micro-kernel reads both with unit stride and never checks bounds; only its store is edge-aware.
// Packed A holds every value already splatted to four lanes: V8 then emits plain vector loads with
// folded offsets instead of broadcast-loads plus address arithmetic (measured: 39 -> 41.5 GFLOPS).
// Re-measured on a Zen 5 host, plain values broadcast by load32_splat pack a quarter of the bytes,
// but the kernel ran 2-3% slower and the medium MLP step 3.9% slower (16 alternated process pairs,
// faster in 5).
// The tile is 6x8 in the relaxed-SIMD build, which fuses each multiply-add (the default where it
// validates: Node >= 22, Chrome >= 114, Node 20 through the Node entry's lazy V8 flag;
// setRelaxedSimd(false) opts out; fusing alone took 41 -> 49.5 GFLOPS), and 4x8 in the other.
// FMA's latency is 4 cycles at 2 a cycle, so the 4x8 tile's 8 accumulator chains are exactly
// enough, with no slack for a late load: on one Zen 5 core a loop of bare FMAs ran at 50.5 GFLOPS
// with 8 chains and 55.5 with 12, and 12 chains with this kernel's loads at 54.6. The 6x8 tile's 12
// accumulators, 2 B vectors and 1 A vector fill x64's 15 usable xmm registers, which holds only
// while TurboFan loads each A vector just before its two FMAs: inlined into the packing loops it
// hoisted all eight loads above the arithmetic and spilled (17.8 GFLOPS at 512^3), so the loop is a
// function of its own (accumulate6). 1024^3 on one thread: 51-53 against 42-48 GFLOPS (91-92% of
// the bare FMA loop against 76-84%), on two 94-98 against 79-88. Without FMA each product needs a
// temporary register and 6x8 spills, so that build keeps 4x8.
// Tried before, with the 4x8 tile: a 3x12 tile (9 accumulators, 3 of B, 3 broadcast loads of A)
// ran 4-6% faster on an L2-resident block and 1024^3 4% faster, but lost 2% to edge tiles on the
// medium MLP's products (n = 256), whose step was no faster.
// Every pointer is a byte offset into linear memory chosen by the TypeScript caller (no allocator).
import { ACCUMULATE, BIAS, RELU, TRANS_C } from "./flags";

/** Rows of the register tile: 6 x 8 = 12 f32x4 accumulators with fused multiply-adds, else 4 x 8. */
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 4;
/** Columns of the register tile (two f32x4 lanes). */
const NR: i32 = 8;
/** Depth of a packed block: a KC x NR panel of B (8 KiB) stays in L1 across all row panels. */
const KC: i32 = 256;
/** Rows of a packed A block (a multiple of MR): MC x KC splatted floats (288 or 256 KiB) share the 1 MiB L2 with a B block. */
const MC: i32 = ASC_FEATURE_RELAXED_SIMD ? 72 : 64;
/**
 * The larger build's MC and MR: both builds ask the caller for the same scratch, which is laid out
 * once, so that setRelaxedSimd() switching builds never outgrows it.
 */
const SCRATCH_MC: i32 = 72;
const SCRATCH_MR: i32 = 6;
/** Columns of a packed B block: KC x NC floats (1 MiB) stays in L2/L3. */
const NC: i32 = 1024;


/** Rows of the register tile, to which the caller aligns the bands it splits a product into. */
export function tileRows(): i32 {
  return MR;
}

/** Bytes of scratch the caller must reserve for packed A: one MC x KC block. */
export function packASize(): i32 {
  return SCRATCH_MC * KC * 16;
}

/** Bytes of scratch the caller must reserve for packed B plus the edge tile. */
export function packBSize(): i32 {
  return KC * NC * 4 + SCRATCH_MR * NR * 4;
}

/** Packs op(A)[i0 : i0+mc, p0 : p0+kc] into MR-row panels, k-major, each value splatted to 4 lanes. */
function packA(mc: i32, kc: i32, a: usize, lda: i32, transA: bool, i0: i32, p0: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const panel = dst + <usize>(ir * kc) * 16;
    if (transA && rows == MR) {
      // op(A)(i, p) = a[p * lda + i]: four values for one k are one vector of the source, each
      // lane broadcast by a shuffle (a 6-row panel's last two by load32_splat)
      for (let p = 0; p < kc; p++) {
        const s = a + (<usize>(p0 + p) * lda + <usize>(i0 + ir)) * 4;
        const v = v128.load(s);
        const out = panel + <usize>(p * MR) * 16;
        v128.store(out, i32x4.shuffle(v, v, 0, 0, 0, 0));
        v128.store(out, i32x4.shuffle(v, v, 1, 1, 1, 1), 16);
        v128.store(out, i32x4.shuffle(v, v, 2, 2, 2, 2), 32);
        v128.store(out, i32x4.shuffle(v, v, 3, 3, 3, 3), 48);
        if (MR == 6) {
          v128.store(out, v128.load32_splat(s, 16), 64);
          v128.store(out, v128.load32_splat(s, 20), 80);
        }
      }
    } else if (transA) {
      for (let p = 0; p < kc; p++) {
        const src = a + (<usize>(p0 + p) * lda + <usize>(i0 + ir)) * 4;
        const out = panel + <usize>(p * MR) * 16;
        for (let r = 0; r < MR; r++) v128.store(out + r * 16, f32x4.splat(r < rows ? load<f32>(src + r * 4) : 0));
      }
    } else if (rows == MR) {
      // depth-major, so each 64-byte line of the panel is written whole, from MR row streams
      const src = a + (<usize>(i0 + ir) * lda + <usize>p0) * 4;
      const stride = <usize>lda * 4;
      for (let p = 0; p < kc; p++) {
        const s = src + <usize>p * 4;
        const out = panel + <usize>(p * MR) * 16;
        v128.store(out, f32x4.splat(load<f32>(s)));
        v128.store(out, f32x4.splat(load<f32>(s + stride)), 16);
        v128.store(out, f32x4.splat(load<f32>(s + stride * 2)), 32);
        v128.store(out, f32x4.splat(load<f32>(s + stride * 3)), 48);
        if (MR == 6) {
          v128.store(out, f32x4.splat(load<f32>(s + stride * 4)), 64);
          v128.store(out, f32x4.splat(load<f32>(s + stride * 5)), 80);
        }
      }
    } else {
      for (let r = 0; r < MR; r++) {
        if (r < rows) {
          const src = a + (<usize>(i0 + ir + r) * lda + <usize>p0) * 4;
          for (let p = 0; p < kc; p++) v128.store(panel + <usize>(p * MR + r) * 16, f32x4.splat(load<f32>(src + p * 4)));
        } else {
          for (let p = 0; p < kc; p++) v128.store(panel + <usize>(p * MR + r) * 16, f32x4.splat(0));
        }
      }
    }
  }
}

/**
 * Stores the 4x4 block whose rows are the four floats at src, src + stride, ... transposed: row k of
 * the result (at out + k * NR * 4) holds element k of each source row.
 */
function transpose4(src: usize, stride: usize, out: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + stride);
  const r2 = v128.load(src + stride * 2);
  const r3 = v128.load(src + stride * 3);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(out, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(out + NR * 4, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(out + NR * 8, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(out + NR * 12, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

/** Packs op(B)[p0 : p0+kc, j0 : j0+nc] into NR-column panels, each laid out k-major (NR floats per k). */
function packB(kc: i32, nc: i32, b: usize, ldb: i32, transB: bool, p0: i32, j0: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const panel = dst + <usize>(jr * kc) * 4;
    if (transB && cols == NR) {
      // op(B)(p, j) = b[j * ldb + p]: each column is contiguous in the source, so four depths of
      // each of the eight columns load as one vector and two 4x4 register transposes make four
      // packed rows (scalar copies cost one load and one store per float).
      const src = b + (<usize>(j0 + jr) * ldb + <usize>p0) * 4;
      const stride = <usize>ldb * 4;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const s = src + <usize>p * 4;
        const out = panel + <usize>(p * NR) * 4;
        transpose4(s, stride, out);
        transpose4(s + stride * 4, stride, out + 16);
      }
      for (; p < kc; p++) {
        const s = src + <usize>p * 4;
        const out = panel + <usize>(p * NR) * 4;
        for (let c = 0; c < NR; c++) store<f32>(out + c * 4, load<f32>(s + <usize>c * stride));
      }
    } else if (transB) {
      for (let c = 0; c < NR; c++) {
        if (c < cols) {
          const src = b + (<usize>(j0 + jr + c) * ldb + <usize>p0) * 4;
          for (let p = 0; p < kc; p++) store<f32>(panel + <usize>(p * NR + c) * 4, load<f32>(src + p * 4));
        } else {
          for (let p = 0; p < kc; p++) store<f32>(panel + <usize>(p * NR + c) * 4, 0);
        }
      }
    } else if (cols == NR) {
      for (let p = 0; p < kc; p++) {
        const src = b + (<usize>(p0 + p) * ldb + <usize>(j0 + jr)) * 4;
        const out = panel + <usize>(p * NR) * 4;
        v128.store(out, v128.load(src));
        v128.store(out, v128.load(src, 16), 16);
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const src = b + (<usize>(p0 + p) * ldb + <usize>(j0 + jr)) * 4;
        const out = panel + <usize>(p * NR) * 4;
        for (let c = 0; c < NR; c++) store<f32>(out + c * 4, c < cols ? load<f32>(src + c * 4) : 0);
      }
    }
  }
}

/** Applies the epilogue (add old C, add bias, ReLU) to one 8-wide row segment and stores it. */
function storeRow(dst: usize, lo: v128, hi: v128, flags: i32, bias: usize): void {
  if (flags & ACCUMULATE) {
    lo = f32x4.add(lo, v128.load(dst));
    hi = f32x4.add(hi, v128.load(dst, 16));
  }
  if (flags & BIAS) {
    lo = f32x4.add(lo, v128.load(bias));
    hi = f32x4.add(hi, v128.load(bias, 16));
  }
  if (flags & RELU) {
    const zero = f32x4.splat(0);
    lo = f32x4.max(lo, zero);
    hi = f32x4.max(hi, zero);
  }
  v128.store(dst, lo);
  v128.store(dst, hi, 16);
}

/** Copies an mr x nr corner of the edge tile into C, applying the same epilogue one float at a time. */
function storeEdge(tile: usize, c: usize, ldc: i32, mr: i32, nr: i32, flags: i32, bias: usize): void {
  const transC = (flags & TRANS_C) != 0;
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      const at = c + <usize>(transC ? j * ldc + i : i * ldc + j) * 4;
      let v = load<f32>(tile + <usize>(i * NR + j) * 4);
      if (flags & ACCUMULATE) v += load<f32>(at);
      if (flags & BIAS) v += load<f32>(bias + <usize>(transC ? i : j) * 4);
      if (flags & RELU) v = max<f32>(v, 0);
      store<f32>(at, v);
    }
  }
}

/**
 * Stores the 4x4 block whose rows are r0..r3 transposed (row k of the result holds element k of
 * each), at dst, dst + stride, ..., with the epilogue; the bias vector holds the four rows' biases.
 */
function storeTransposed4(dst: usize, stride: usize, r0: v128, r1: v128, r2: v128, r3: v128, flags: i32, bias: v128): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  storeVec(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), flags, bias);
  storeVec(dst + stride, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), flags, bias);
  storeVec(dst + stride * 2, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), flags, bias);
  storeVec(dst + stride * 3, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), flags, bias);
}

function storeVec(dst: usize, v: v128, flags: i32, bias: v128): void {
  if (flags & ACCUMULATE) v = f32x4.add(v, v128.load(dst));
  if (flags & BIAS) v = f32x4.add(v, bias);
  if (flags & RELU) v = f32x4.max(v, f32x4.splat(0));
  v128.store(dst, v);
}

/** c + a * b: one fused multiply-add where relaxed SIMD exists (a compile-time branch), else two ops. */
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_madd<f32>(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * The 6 x 8 tile's sums over a packed A panel and a packed B panel, left in the edge tile (row i at
 * tile + i * NR * 4). A function of its own: inlined into the packing loops, TurboFan hoisted all
 * eight loads of an iteration above its FMAs and spilled five accumulators (17.8 against 26 GFLOPS
 * at 512^3); alone, it loads each A vector just before its two FMAs and nothing spills. The round
 * trip through the tile is 12 stores and 12 loads per tile and depth block (up to 256 depths).
 */
function accumulate6(kc: i32, ap: usize, bp: usize, tile: usize): void {
  let c0l = f32x4.splat(0), c0h = f32x4.splat(0);
  let c1l = f32x4.splat(0), c1h = f32x4.splat(0);
  let c2l = f32x4.splat(0), c2h = f32x4.splat(0);
  let c3l = f32x4.splat(0), c3h = f32x4.splat(0);
  let c4l = f32x4.splat(0), c4h = f32x4.splat(0);
  let c5l = f32x4.splat(0), c5h = f32x4.splat(0);
  const end = bp + <usize>kc * NR * 4;
  while (bp < end) {
    const bl = v128.load(bp);
    const bh = v128.load(bp, 16);
    let a = v128.load(ap);
    c0l = madd(a, bl, c0l);
    c0h = madd(a, bh, c0h);
    a = v128.load(ap, 16);
    c1l = madd(a, bl, c1l);
    c1h = madd(a, bh, c1h);
    a = v128.load(ap, 32);
    c2l = madd(a, bl, c2l);
    c2h = madd(a, bh, c2h);
    a = v128.load(ap, 48);
    c3l = madd(a, bl, c3l);
    c3h = madd(a, bh, c3h);
    a = v128.load(ap, 64);
    c4l = madd(a, bl, c4l);
    c4h = madd(a, bh, c4h);
    a = v128.load(ap, 80);
    c5l = madd(a, bl, c5l);
    c5h = madd(a, bh, c5h);
    ap += 6 * 16;
    bp += NR * 4;
  }
  v128.store(tile, c0l);
  v128.store(tile, c0h, 16);
  v128.store(tile, c1l, 32);
  v128.store(tile, c1h, 48);
  v128.store(tile, c2l, 64);
  v128.store(tile, c2h, 80);
  v128.store(tile, c3l, 96);
  v128.store(tile, c3h, 112);
  v128.store(tile, c4l, 128);
  v128.store(tile, c4h, 144);
  v128.store(tile, c5l, 160);
  v128.store(tile, c5h, 176);
}

/** Stores the whole 6 x 8 tile accumulate6() left in the edge tile into C, with the epilogue. */
function storeFull6(tile: usize, c: usize, ldc: i32, flags: i32, bias: usize): void {
  const ldcBytes = <usize>ldc * 4;
  if (flags & TRANS_C) {
    // the tile's eight columns are eight rows of C, six floats each: four by register transposes,
    // the last two through storeEdge
    const b = flags & BIAS ? v128.load(bias) : f32x4.splat(0);
    storeTransposed4(c, ldcBytes, v128.load(tile), v128.load(tile, 32), v128.load(tile, 64), v128.load(tile, 96), flags, b);
    storeTransposed4(c + ldcBytes * 4, ldcBytes, v128.load(tile, 16), v128.load(tile, 48), v128.load(tile, 80), v128.load(tile, 112), flags, b);
    storeEdge(tile + 4 * NR * 4, c + 16, ldc, 2, NR, flags, bias + 16);
    return;
  }
  for (let i = 0; i < MR; i++) {
    const row = tile + <usize>(i * NR) * 4;
    storeRow(c + <usize>i * ldcBytes, v128.load(row), v128.load(row, 16), flags, bias);
  }
}

/**
 * The register-blocked micro-kernel: an MR x 8 tile of C from a packed A panel and a packed B panel
 * (6 x 8 through accumulate6 in the FMA build, 4 x 8 in its own loop in the other; see the top).
 */
function kernel(kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, mr: i32, nr: i32, flags: i32, bias: usize, tile: usize): void {
  if (MR == 6) {
    // two call sites, so that binaryen keeps accumulate6 a function of its own (see there)
    if (mr < MR || nr < NR) {
      accumulate6(kc, ap, bp, tile);
      storeEdge(tile, c, ldc, mr, nr, flags, bias);
    } else {
      accumulate6(kc, ap, bp, tile);
      storeFull6(tile, c, ldc, flags, bias);
    }
    return;
  }
  let c0l = f32x4.splat(0), c0h = f32x4.splat(0);
  let c1l = f32x4.splat(0), c1h = f32x4.splat(0);
  let c2l = f32x4.splat(0), c2h = f32x4.splat(0);
  let c3l = f32x4.splat(0), c3h = f32x4.splat(0);
  const end = bp + <usize>kc * NR * 4;
  while (bp < end) {
    const bl = v128.load(bp);
    const bh = v128.load(bp, 16);
    let a = v128.load(ap);
    c0l = madd(a, bl, c0l);
    c0h = madd(a, bh, c0h);
    a = v128.load(ap, 16);
    c1l = madd(a, bl, c1l);
    c1h = madd(a, bh, c1h);
    a = v128.load(ap, 32);
    c2l = madd(a, bl, c2l);
    c2h = madd(a, bh, c2h);
    a = v128.load(ap, 48);
    c3l = madd(a, bl, c3l);
    c3h = madd(a, bh, c3h);
    ap += MR * 16;
    bp += NR * 4;
  }
  const full = mr == MR && nr == NR;
  const ldcBytes = <usize>ldc * 4;
  if (full && flags & TRANS_C) {
    // the tile's eight columns are eight rows of C, four floats each
    const b = flags & BIAS ? v128.load(bias) : f32x4.splat(0);
    storeTransposed4(c, ldcBytes, c0l, c1l, c2l, c3l, flags, b);
    storeTransposed4(c + ldcBytes * 4, ldcBytes, c0h, c1h, c2h, c3h, flags, b);
    return;
  }
  const out = full ? c : tile;
  const stride: usize = full ? ldcBytes : NR * 4;
  const f = full ? flags : 0;
  storeRow(out, c0l, c0h, f, bias);
  storeRow(out + stride, c1l, c1h, f, bias);
  storeRow(out + 2 * stride, c2l, c2h, f, bias);
  storeRow(out + 3 * stride, c3l, c3h, f, bias);
  if (!full) storeEdge(tile, c, ldc, mr, nr, flags, bias);
}

/** Runs the micro-kernel over one packed MC x KC block of A against one packed KC x NC block of B. */
function macroKernel(mc: i32, nc: i32, kc: i32, packedA: usize, packedB: usize, c: usize, ldc: i32, flags: i32, bias: usize, tile: usize): void {
  const transC = (flags & TRANS_C) != 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const bp = packedB + <usize>(jr * kc) * 4;
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      const cp = c + (transC ? <usize>jr * ldc + <usize>ir : <usize>ir * ldc + <usize>jr) * 4;
      const bp0 = bias + <usize>(transC ? ir : jr) * 4;
      kernel(kc, packedA + <usize>(ir * kc) * 16, bp, cp, ldc, mr, nr, flags, bp0, tile);
    }
  }
}

/** C with no depth: C = (accumulate ? C : 0) + bias, then ReLU. */
function epilogueOnly(m: i32, n: i32, c: usize, ldc: i32, flags: i32, bias: usize): void {
  const transC = (flags & TRANS_C) != 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const at = c + <usize>(transC ? j * ldc + i : i * ldc + j) * 4;
      let v: f32 = flags & ACCUMULATE ? load<f32>(at) : 0;
      if (flags & BIAS) v += load<f32>(bias + <usize>(transC ? i : j) * 4);
      if (flags & RELU) v = max<f32>(v, 0);
      store<f32>(at, v);
    }
  }
}

/**
 * C[m x n] = op(A)[m x k] @ op(B)[k x n], row-major with leading dimensions in floats.
 * flags: 1 = accumulate into C, 2 = ReLU, 4 = add bias[n] (both applied after the full sum), 8 = C
 * stored transposed (c[j * ldc + i]; the bias then holds m values).
 * Scratch: packA bytes >= packASize(), packB bytes >= packBSize().
 */
export function sgemm(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32, transA: bool,
  b: usize, ldb: i32, transB: bool,
  c: usize, ldc: i32, flags: i32, bias: usize,
  packedA: usize, packedB: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    epilogueOnly(m, n, c, ldc, flags, bias);
    return;
  }
  const tile = packedB + <usize>(KC * NC) * 4;
  const transC = (flags & TRANS_C) != 0;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(kc, nc, b, ldb, transB, pc, jc, packedB);
      const last = pc + kc >= k;
      // Earlier depth blocks leave partial sums in C: later ones always accumulate, and only the
      // last adds the bias and applies ReLU.
      let f = pc > 0 ? flags | ACCUMULATE : flags;
      if (!last) f &= ACCUMULATE | TRANS_C;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(mc, kc, a, lda, transA, ic, pc, packedA);
        const cp = c + (transC ? <usize>jc * ldc + <usize>ic : <usize>ic * ldc + <usize>jc) * 4;
        macroKernel(mc, nc, kc, packedA, packedB, cp, ldc, f, bias + <usize>(transC ? ic : jc) * 4, tile);
      }
    }
  }
}
