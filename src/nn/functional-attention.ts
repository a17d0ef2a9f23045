/**
 * torch.nn.functional.multi_head_attention_forward, step for step as PyTorch 1.13 (its shape
 * checks and messages, in-projection, masks merged into one additive float mask, baddbmm, one
 * softmax, bmm, out-projection), so values, gradients and grad_fn names are PyTorch's.
 */
import { DTypeError, ShapeError, ValueError } from "../errors.ts";
import { bool, uint8 } from "../core/dtype.ts";
import type { Tensor } from "../tensor.ts";
import { zeros } from "../ops/creation.ts";
import { cat } from "../ops/movement.ts";
import { linear } from "../ops/linalg.ts";
import { pad } from "../ops/pad.ts";
import { dropout } from "./functional.ts";

/** Python's repr of a shape tuple: (2, 4) and (4,). */
export const pyTuple = (shape: readonly number[]): string => (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`);
/** Python's repr of a torch.Size. */
export const pySize = (shape: readonly number[]): string => `torch.Size([${shape.join(", ")}])`;

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((s, i) => s === b[i]);

/** The trailing options of multiHeadAttentionForward (PyTorch's keywords in camelCase). */
export interface MultiHeadAttentionForwardOptions {
  /** apply dropout to the attention weights (default true) */
  training?: boolean;
  /** [N, S] (or [S] unbatched): true or a float added marks keys to ignore */
  keyPaddingMask?: Tensor | null;
  /** return the attention weights (default true) */
  needWeights?: boolean;
  /** [L, S] or [N·numHeads, L, S]: true (or a float added) masks a query-key pair */
  attnMask?: Tensor | null;
  /** q/k/v projection weights given separately (when kdim or vdim differ from embedDim) */
  useSeparateProjWeight?: boolean;
  qProjWeight?: Tensor | null;
  kProjWeight?: Tensor | null;
  vProjWeight?: Tensor | null;
  /** projected keys [N·numHeads, S, headDim] used instead of projecting `key` */
  staticK?: Tensor | null;
  /** projected values [N·numHeads, S, headDim] used instead of projecting `value` */
  staticV?: Tensor | null;
  /** average the returned weights over heads (default true) */
  averageAttnWeights?: boolean;
}

/** Checks the dims of the inputs and masks (PyTorch's _mha_shape_check); true when batched. */
function shapeCheck(query: Tensor, key: Tensor, value: Tensor, kpm: Tensor | null, mask: Tensor | null, numHeads: number): boolean {
  if (query.ndim === 3) {
    if (key.ndim !== 3 || value.ndim !== 3) {
      throw new ShapeError(`For batched (3-D) \`query\`, expected \`key\` and \`value\` to be 3-D but found ${key.ndim}-D and ${value.ndim}-D tensors respectively`);
    }
    if (kpm !== null && kpm.ndim !== 2) {
      throw new ShapeError(`For batched (3-D) \`query\`, expected \`key_padding_mask\` to be \`None\` or 2-D but found ${kpm.ndim}-D tensor instead`);
    }
    if (mask !== null && mask.ndim !== 2 && mask.ndim !== 3) {
      throw new ShapeError(`For batched (3-D) \`query\`, expected \`attn_mask\` to be \`None\`, 2-D or 3-D but found ${mask.ndim}-D tensor instead`);
    }
    return true;
  }
  if (query.ndim === 2) {
    if (key.ndim !== 2 || value.ndim !== 2) {
      throw new ShapeError(`For unbatched (2-D) \`query\`, expected \`key\` and \`value\` to be 2-D but found ${key.ndim}-D and ${value.ndim}-D tensors respectively`);
    }
    if (kpm !== null && kpm.ndim !== 1) {
      throw new ShapeError(`For unbatched (2-D) \`query\`, expected \`key_padding_mask\` to be \`None\` or 1-D but found ${kpm.ndim}-D tensor instead`);
    }
    if (mask !== null) {
      if (mask.ndim !== 2 && mask.ndim !== 3) {
        throw new ShapeError(`For unbatched (2-D) \`query\`, expected \`attn_mask\` to be \`None\`, 2-D or 3-D but found ${mask.ndim}-D tensor instead`);
      }
      const expected = [numHeads, query.shape[0]!, key.shape[0]!];
      if (mask.ndim === 3 && !same(mask.shape, expected)) {
        throw new ShapeError(`Expected \`attn_mask\` shape to be ${pyTuple(expected)} but got ${pySize(mask.shape)}`);
      }
    }
    return false;
  }
  throw new ShapeError(`query should be unbatched 2D or batched 3D tensor but received ${query.ndim}-D query tensor`);
}

/** Checks a key padding mask's dtype: bool or floating point, as PyTorch. */
export function checkKeyPaddingMask(kpm: Tensor | null | undefined): void {
  if (kpm && kpm.dtype !== bool && kpm.dtype.kind !== "float") {
    throw new DTypeError("only bool and floating types of key_padding_mask are supported");
  }
}

/** q, k and v projected with one packed weight [3E, E], sharing products as PyTorch does when k is v. */
function inProjectionPacked(q: Tensor, k: Tensor, v: Tensor, w: Tensor, b: Tensor | null): Tensor[] {
  const E = q.shape[q.ndim - 1]!;
  if (k === v) {
    if (q === k) return linear(q, w, b).chunk(3, -1);
    const [wq, wkv] = w.split([E, E * 2]) as [Tensor, Tensor];
    const [bq, bkv] = b === null ? [null, null] : b.split([E, E * 2]) as [Tensor, Tensor];
    return [linear(q, wq, bq), ...linear(k, wkv, bkv).chunk(2, -1)];
  }
  const [wq, wk, wv] = w.chunk(3) as [Tensor, Tensor, Tensor];
  const [bq, bk, bv] = b === null ? [null, null, null] : b.chunk(3) as [Tensor, Tensor, Tensor];
  return [linear(q, wq, bq), linear(k, wk, bk), linear(v, wv, bv)];
}

/** The attention mask as a 3-D bool or float tensor, checked against [L, S] or [N·H, L, S]. */
function prepareAttnMask(mask: Tensor, tgtLen: number, srcLen: number, bszHeads: number): Tensor {
  if (mask.dtype === uint8) mask = mask.to(bool);
  else if (mask.dtype !== bool && mask.dtype.kind !== "float") {
    throw new DTypeError(`Only float, byte, and bool types are supported for attn_mask, not torch.${mask.dtype.name}`);
  }
  if (mask.ndim === 2) {
    if (!same(mask.shape, [tgtLen, srcLen])) {
      throw new ShapeError(`The shape of the 2D attn_mask is ${pySize(mask.shape)}, but should be ${pyTuple([tgtLen, srcLen])}.`);
    }
    return mask.unsqueeze(0);
  }
  if (mask.ndim === 3) {
    if (!same(mask.shape, [bszHeads, tgtLen, srcLen])) {
      throw new ShapeError(`The shape of the 3D attn_mask is ${pySize(mask.shape)}, but should be ${pyTuple([bszHeads, tgtLen, srcLen])}.`);
    }
    return mask;
  }
  throw new ShapeError(`attn_mask's dimension ${mask.ndim} is not supported`);
}

/** A static key or value, checked against [N·H, *, headDim]. */
function staticInput(t: Tensor, which: "k" | "v", bszHeads: number, headDim: number): Tensor {
  if (t.shape[0] !== bszHeads) throw new ShapeError(`expecting static_${which}.size(0) of ${bszHeads}, but got ${t.shape[0]}`);
  if (t.shape[2] !== headDim) throw new ShapeError(`expecting static_${which}.size(2) of ${headDim}, but got ${t.shape[2]}`);
  return t;
}

/**
 * Multi-head attention over [L, N, E] query and [S, N, E] key and value (or unbatched [L, E],
 * [S, E]), as torch.nn.functional.multi_head_attention_forward. Returns the output [L, N, E] and
 * the attention weights ([N, L, S] averaged over heads, [N, H, L, S] per head) or null.
 */
export function multiHeadAttentionForward(
  query: Tensor, key: Tensor, value: Tensor, embedDimToCheck: number, numHeads: number,
  inProjWeight: Tensor | null, inProjBias: Tensor | null, biasK: Tensor | null, biasV: Tensor | null,
  addZeroAttn: boolean, dropoutP: number, outProjWeight: Tensor, outProjBias: Tensor | null,
  options: MultiHeadAttentionForwardOptions = {},
): [Tensor, Tensor | null] {
  let kpm = options.keyPaddingMask ?? null;
  let attnMask = options.attnMask ?? null;
  const batched = shapeCheck(query, key, value, kpm, attnMask, numHeads);
  if (!batched) {
    // separate views, so (as in PyTorch) unbatched inputs take the three-product in-projection
    query = query.unsqueeze(1);
    key = key.unsqueeze(1);
    value = value.unsqueeze(1);
    if (kpm !== null) kpm = kpm.unsqueeze(0);
  }
  const [tgtLen, bsz, embedDim] = query.shape as [number, number, number];
  let srcLen = key.shape[0]!;
  checkKeyPaddingMask(kpm);
  if (embedDim !== embedDimToCheck) throw new ShapeError(`was expecting embedding dimension of ${embedDimToCheck}, but got ${embedDim}`);
  const headDim = Math.trunc(embedDim / numHeads);
  if (headDim * numHeads !== embedDim) throw new ValueError(`embed_dim ${embedDim} not divisible by num_heads ${numHeads}`);
  if (options.useSeparateProjWeight) {
    if (!same(key.shape.slice(0, 2), value.shape.slice(0, 2))) {
      throw new ShapeError(`key's sequence and batch dims ${pySize(key.shape.slice(0, 2))} do not match value's ${pySize(value.shape.slice(0, 2))}`);
    }
  } else if (!same(key.shape, value.shape)) {
    throw new ShapeError(`key shape ${pySize(key.shape)} does not match value shape ${pySize(value.shape)}`);
  }

  let q: Tensor, k: Tensor, v: Tensor;
  if (!options.useSeparateProjWeight) {
    if (!inProjWeight) throw new ValueError("use_separate_proj_weight is False but in_proj_weight is None");
    [q, k, v] = inProjectionPacked(query, key, value, inProjWeight, inProjBias) as [Tensor, Tensor, Tensor];
  } else {
    const wq = options.qProjWeight, wk = options.kProjWeight, wv = options.vProjWeight;
    if (!wq) throw new ValueError("use_separate_proj_weight is True but q_proj_weight is None");
    if (!wk) throw new ValueError("use_separate_proj_weight is True but k_proj_weight is None");
    if (!wv) throw new ValueError("use_separate_proj_weight is True but v_proj_weight is None");
    const [bq, bk, bv] = inProjBias === null ? [null, null, null] : inProjBias.chunk(3);
    q = linear(query, wq, bq);
    k = linear(key, wk, bk);
    v = linear(value, wv, bv);
  }

  if (attnMask !== null) attnMask = prepareAttnMask(attnMask, tgtLen, srcLen, bsz * numHeads);
  if (biasK !== null && biasV !== null) {
    if (options.staticK) throw new ValueError("bias cannot be added to static key.");
    if (options.staticV) throw new ValueError("bias cannot be added to static value.");
    k = cat([k, biasK.repeat(1, bsz, 1)]);
    v = cat([v, biasV.repeat(1, bsz, 1)]);
    if (attnMask !== null) attnMask = pad(attnMask, [0, 1]);
    if (kpm !== null) kpm = pad(kpm, [0, 1]);
  }

  // heads into the batch: [N·H, len, headDim]
  q = q.contiguous().view(tgtLen, bsz * numHeads, headDim).transpose(0, 1);
  k = options.staticK ? staticInput(options.staticK, "k", bsz * numHeads, headDim)
    : k.contiguous().view(k.shape[0]!, bsz * numHeads, headDim).transpose(0, 1);
  v = options.staticV ? staticInput(options.staticV, "v", bsz * numHeads, headDim)
    : v.contiguous().view(v.shape[0]!, bsz * numHeads, headDim).transpose(0, 1);
  if (addZeroAttn) {
    k = cat([k, zeros([bsz * numHeads, 1, headDim], { dtype: k.dtype })], 1);
    v = cat([v, zeros([bsz * numHeads, 1, headDim], { dtype: v.dtype })], 1);
    if (attnMask !== null) attnMask = pad(attnMask, [0, 1]);
    if (kpm !== null) kpm = pad(kpm, [0, 1]);
  }
  srcLen = k.shape[1]!;

  if (kpm !== null) {
    if (!same(kpm.shape, [bsz, srcLen])) {
      throw new ShapeError(`expecting key_padding_mask shape of ${pyTuple([bsz, srcLen])}, but got ${pySize(kpm.shape)}`);
    }
    kpm = kpm.view(bsz, 1, 1, srcLen).expand(-1, numHeads, -1, -1).reshape(bsz * numHeads, 1, srcLen);
    if (attnMask === null) attnMask = kpm;
    else if (attnMask.dtype === bool) attnMask = attnMask.logicalOr(kpm);
    else attnMask = attnMask.maskedFill(kpm, -Infinity);
  }
  if (attnMask !== null && attnMask.dtype === bool) {
    attnMask = zeros(attnMask.shape, { dtype: q.dtype }).maskedFill_(attnMask, -Infinity);
  }

  const p = options.training ?? true ? dropoutP : 0;
  const qScaled = q.div(Math.sqrt(headDim));
  let weights = attnMask !== null ? attnMask.baddbmm(qScaled, k.transpose(-2, -1)) : qScaled.bmm(k.transpose(-2, -1));
  weights = weights.softmax(-1);
  if (p > 0) weights = dropout(weights, { p });
  let out = weights.bmm(v).transpose(0, 1).contiguous().view(tgtLen * bsz, embedDim);
  out = linear(out, outProjWeight, outProjBias);
  out = out.view(tgtLen, bsz, out.shape[1]!);
  if (!(options.needWeights ?? true)) return [batched ? out : out.squeeze(1), null];
  weights = weights.view(bsz, numHeads, tgtLen, srcLen);
  if (options.averageAttnWeights ?? true) weights = weights.sum(1).div(numHeads);
  return batched ? [out, weights] : [out.squeeze(1), weights.squeeze(0)];
}
