/**
 * MultiheadAttention with PyTorch's parameters (`in_proj_weight` or `q/k/v_proj_weight`,
 * `in_proj_bias`, `bias_k`/`bias_v`, `out_proj`), its initialization in its generator order, and
 * its forward (functional-attention.ts).
 */
import { ValueError } from "../errors.ts";
import { float32, type DType } from "../core/dtype.ts";
import type { Tensor } from "../tensor.ts";
import { empty } from "../ops/creation.ts";
import { Module } from "./module.ts";
import { Parameter } from "./parameter.ts";
import { Linear, type LinearOptions } from "./linear.ts";
import { checkKeyPaddingMask, multiHeadAttentionForward } from "./functional-attention.ts";
import * as init from "./init.ts";

/** The Linear that MultiheadAttention uses as out_proj, printed under PyTorch's class name. */
class NonDynamicallyQuantizableLinear extends Linear {
  static override displayName = "NonDynamicallyQuantizableLinear";
  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super(inFeatures, outFeatures, options);
  }
}

/** Options of MultiheadAttention (PyTorch's keywords in camelCase). */
export interface MultiheadAttentionOptions {
  /** dropout on the attention weights while training (default 0) */
  dropout?: number;
  /** biases on the in- and out-projections (default true) */
  bias?: boolean;
  /** learned bias_k/bias_v appended to the key and value sequences */
  addBiasKv?: boolean;
  /** a zero key and value appended after projection */
  addZeroAttn?: boolean;
  /** features of the keys (default embedDim) */
  kdim?: number;
  /** features of the values (default embedDim) */
  vdim?: number;
  /** inputs and output as [batch, seq, feature] */
  batchFirst?: boolean;
  dtype?: DType;
}

/** Options of MultiheadAttention's forward. */
export interface MultiheadAttentionForwardOptions {
  /** [N, S] (or [S] unbatched), bool (true = ignore that key) or float (added) */
  keyPaddingMask?: Tensor | null;
  /** return the attention weights (default true) */
  needWeights?: boolean;
  /** [L, S] or [N·numHeads, L, S], bool (true = not allowed to attend) or float (added) */
  attnMask?: Tensor | null;
  /** average the returned weights over heads (default true) */
  averageAttnWeights?: boolean;
}

/**
 * Multi-head attention as torch.nn.MultiheadAttention(embedDim, numHeads): softmax(QKᵀ/√d)V per
 * head, concatenated and projected. `forward(query, key, value, options)` returns
 * `[output, weights | null]`.
 * @example
 * const mha = new nn.MultiheadAttention(64, 8, { batchFirst: true });
 * const [y, w] = mha(x, x, x, { attnMask: nn.Transformer.generateSquareSubsequentMask(10) });
 */
export class MultiheadAttention extends Module {
  static override displayName = "MultiheadAttention";
  declare in_proj_weight: Parameter | null;
  declare q_proj_weight: Parameter | null;
  declare k_proj_weight: Parameter | null;
  declare v_proj_weight: Parameter | null;
  declare in_proj_bias: Parameter | null;
  declare out_proj: Linear;
  declare bias_k: Parameter | null;
  declare bias_v: Parameter | null;
  readonly kdim: number;
  readonly vdim: number;
  /** true when kdim and vdim equal embedDim: one packed in_proj_weight */
  readonly qkvSameEmbedDim: boolean;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly headDim: number;
  readonly addZeroAttn: boolean;

  constructor(public readonly embedDim: number, public readonly numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const dtype = options.dtype ?? float32;
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    this.qkvSameEmbedDim = this.kdim === embedDim && this.vdim === embedDim;
    this.dropout = options.dropout ?? 0;
    this.batchFirst = options.batchFirst ?? false;
    this.headDim = Math.trunc(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim) throw new ValueError("embed_dim must be divisible by num_heads");
    if (!this.qkvSameEmbedDim) {
      this.q_proj_weight = new Parameter(empty([embedDim, embedDim], { dtype }));
      this.k_proj_weight = new Parameter(empty([embedDim, this.kdim], { dtype }));
      this.v_proj_weight = new Parameter(empty([embedDim, this.vdim], { dtype }));
      this.registerParameter("in_proj_weight", null);
    } else {
      this.in_proj_weight = new Parameter(empty([3 * embedDim, embedDim], { dtype }));
      this.registerParameter("q_proj_weight", null);
      this.registerParameter("k_proj_weight", null);
      this.registerParameter("v_proj_weight", null);
    }
    const bias = options.bias ?? true;
    if (bias) this.in_proj_bias = new Parameter(empty([3 * embedDim], { dtype }));
    else this.registerParameter("in_proj_bias", null);
    // its own initialization draws from the generator now, before _reset_parameters, as in PyTorch
    this.out_proj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, { bias, dtype });
    if (options.addBiasKv) {
      this.bias_k = new Parameter(empty([1, 1, embedDim], { dtype }));
      this.bias_v = new Parameter(empty([1, 1, embedDim], { dtype }));
    } else {
      this.bias_k = this.bias_v = null;
    }
    this.addZeroAttn = options.addZeroAttn ?? false;
    this.resetParameters();
  }

  /** PyTorch's _reset_parameters: xavierUniform_ on the in-projection, zero biases, xavierNormal_ on bias_k/bias_v. */
  resetParameters(): void {
    if (this.qkvSameEmbedDim) init.xavierUniform_(this.in_proj_weight!);
    else for (const w of [this.q_proj_weight!, this.k_proj_weight!, this.v_proj_weight!]) init.xavierUniform_(w);
    if (this.in_proj_bias !== null) {
      init.constant_(this.in_proj_bias, 0);
      init.constant_(this.out_proj.bias!, 0);
    }
    if (this.bias_k !== null) init.xavierNormal_(this.bias_k);
    if (this.bias_v !== null) init.xavierNormal_(this.bias_v);
  }

  /**
   * Attends from `query` [L, N, E] to `key` [S, N, kdim] and `value` [S, N, vdim] ([N, *, *]
   * with batchFirst, [L, E]/[S, *] unbatched). Returns the output shaped as the query and the
   * weights ([N, L, S] averaged over heads, [N, H, L, S] otherwise) unless needWeights is false.
   */
  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    checkKeyPaddingMask(options.keyPaddingMask);
    const transposed = this.batchFirst && query.ndim === 3;
    if (transposed) {
      // transpose once per distinct tensor, so self-attention stays recognisable (PyTorch's `is`)
      const t = (x: Tensor): Tensor => x.transpose(1, 0);
      if (key === value) {
        if (query === key) query = key = value = t(query);
        else { query = t(query); key = value = t(key); }
      } else {
        [query, key, value] = [t(query), t(key), t(value)];
      }
    }
    const [out, weights] = multiHeadAttentionForward(
      query, key, value, this.embedDim, this.numHeads, this.in_proj_weight, this.in_proj_bias,
      this.bias_k, this.bias_v, this.addZeroAttn, this.dropout, this.out_proj.weight, this.out_proj.bias, {
        training: this.training, keyPaddingMask: options.keyPaddingMask ?? null, needWeights: options.needWeights ?? true,
        attnMask: options.attnMask ?? null, averageAttnWeights: options.averageAttnWeights ?? true,
        ...(this.qkvSameEmbedDim ? {} : {
          useSeparateProjWeight: true, qProjWeight: this.q_proj_weight, kProjWeight: this.k_proj_weight, vProjWeight: this.v_proj_weight,
        }),
      },
    );
    return [transposed ? out.transpose(1, 0) : out, weights];
  }
}
