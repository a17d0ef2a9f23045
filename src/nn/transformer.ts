/**
 * The Transformer layers of torch.nn (PyTorch 1.13): TransformerEncoderLayer,
 * TransformerDecoderLayer, TransformerEncoder, TransformerDecoder and Transformer, with PyTorch's
 * submodule names (so state dicts load key for key), its printing, its deep-copied layer stacks
 * and its initialization order.
 */
import { ShapeError, ValueError } from "../errors.ts";
import { bool, type DType } from "../core/dtype.ts";
import { Tensor } from "../tensor.ts";
import { full } from "../ops/creation.ts";
import { isGradEnabled } from "../autograd/grad-mode.ts";
import { Module } from "./module.ts";
import { Linear } from "./linear.ts";
import { LayerNorm } from "./normalization.ts";
import { Dropout, GELU, ReLU } from "./activation.ts";
import { ModuleList } from "./container.ts";
import { deepcopy } from "./deepcopy.ts";
import { MultiheadAttention } from "./attention.ts";
import { checkKeyPaddingMask } from "./functional-attention.ts";
import { gelu } from "./functional.ts";
import { pyFloat } from "../core/py-repr.ts";
import * as init from "./init.ts";

/**
 * The layers' Dropout: their rate is a Python float in PyTorch, so it prints as one (`p=0.0`);
 * a plain Dropout cannot tell 0 from 0.0.
 */
class LayerDropout extends Dropout {
  static override displayName = "Dropout";
  override extraRepr(): string { return `p=${pyFloat(this.p)}, inplace=False`; }
}

/** The feed-forward activation: "relu", "gelu", a function of one tensor, or a module (which is then a registered child). */
export type TransformerActivation = "relu" | "gelu" | ((x: Tensor) => Tensor);

const relu = (x: Tensor): Tensor => x.relu();
const geluFn = (x: Tensor): Tensor => gelu(x);

/** PyTorch's _get_activation_fn for strings; functions and modules pass through. */
function activationOf(a: TransformerActivation): (x: Tensor) => Tensor {
  if (a === "relu") return relu;
  if (a === "gelu") return geluFn;
  if (typeof a === "string") throw new ValueError(`activation should be relu/gelu, not ${String(a)}`);
  return a as (x: Tensor) => Tensor;
}

/** Options of TransformerEncoderLayer and TransformerDecoderLayer (PyTorch's keywords in camelCase). */
export interface TransformerLayerOptions {
  /** width of the feed-forward network (default 2048) */
  dimFeedforward?: number;
  /** dropout everywhere in the layer (default 0.1) */
  dropout?: number;
  /** the feed-forward activation (default "relu") */
  activation?: TransformerActivation;
  /** eps of the LayerNorms (default 1e-5) */
  layerNormEps?: number;
  /** inputs and output as [batch, seq, feature] */
  batchFirst?: boolean;
  /** LayerNorm before each block (pre-norm) instead of after the residual sum */
  normFirst?: boolean;
  dtype?: DType;
}

/** Masks of TransformerEncoderLayer's forward. */
export interface EncoderLayerForwardOptions { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null }
/** Masks of TransformerEncoder's forward. */
export interface EncoderForwardOptions { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null }
/** Masks of TransformerDecoderLayer's and TransformerDecoder's forward. */
export interface DecoderForwardOptions {
  tgtMask?: Tensor | null; memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null; memoryKeyPaddingMask?: Tensor | null;
}
/** Masks of Transformer's forward. */
export interface TransformerForwardOptions extends DecoderForwardOptions {
  srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null;
}

/**
 * Self-attention and a feed-forward network, each with a residual connection and a LayerNorm
 * (after the sum, or before the block with normFirst), as torch.nn.TransformerEncoderLayer(dModel, nhead).
 * @example
 * const layer = new nn.TransformerEncoderLayer(512, 8, { batchFirst: true });
 * const y = layer(x, { srcKeyPaddingMask: padding });
 */
export class TransformerEncoderLayer extends Module {
  static override displayName = "TransformerEncoderLayer";
  declare self_attn: MultiheadAttention;
  declare linear1: Linear;
  declare dropout: Dropout;
  declare linear2: Linear;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  /** the feed-forward activation (a registered child when it is a module) */
  declare activation: (x: Tensor) => Tensor;
  readonly normFirst: boolean;
  /** 1 for ReLU, 2 for GELU, 0 otherwise (PyTorch's activation_relu_or_gelu) */
  readonly activationReluOrGelu: number;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super();
    const { dimFeedforward = 2048, dropout = 0.1, layerNormEps = 1e-5, batchFirst = false, dtype } = options;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout, batchFirst, dtype });
    this.linear1 = new Linear(dModel, dimFeedforward, { dtype });
    this.dropout = new LayerDropout(dropout);
    this.linear2 = new Linear(dimFeedforward, dModel, { dtype });
    this.normFirst = options.normFirst ?? false;
    this.norm1 = new LayerNorm(dModel, { eps: layerNormEps, dtype });
    this.norm2 = new LayerNorm(dModel, { eps: layerNormEps, dtype });
    this.dropout1 = new LayerDropout(dropout);
    this.dropout2 = new LayerDropout(dropout);
    const activation = activationOf(options.activation ?? "relu");
    this.activationReluOrGelu = activation === relu || activation instanceof ReLU ? 1 : activation === geluFn || activation instanceof GELU ? 2 : 0;
    this.activation = activation;
  }

  /** Runs the layer on `src` [S, N, E] ([N, S, E] with batchFirst, [S, E] unbatched). */
  forward(src: Tensor, options: EncoderLayerForwardOptions = {}): Tensor {
    const mask = options.srcMask ?? null, kpm = options.srcKeyPaddingMask ?? null;
    checkKeyPaddingMask(kpm);
    let x = src;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm1(x), mask, kpm));
      x = x.add(this.ffBlock(this.norm2(x)));
    } else {
      x = this.norm1(x.add(this.saBlock(x, mask, kpm)));
      x = this.norm2(x.add(this.ffBlock(x)));
    }
    return x;
  }

  private saBlock(x: Tensor, attnMask: Tensor | null, keyPaddingMask: Tensor | null): Tensor {
    return this.dropout1(this.self_attn(x, x, x, { attnMask, keyPaddingMask, needWeights: false })[0]);
  }

  private ffBlock(x: Tensor): Tensor {
    return this.dropout2(this.linear2(this.dropout(this.activation(this.linear1(x)))));
  }
}

/**
 * Self-attention, attention over the encoder's output (memory) and a feed-forward network, each
 * with a residual connection and a LayerNorm, as torch.nn.TransformerDecoderLayer(dModel, nhead).
 */
export class TransformerDecoderLayer extends Module {
  static override displayName = "TransformerDecoderLayer";
  declare self_attn: MultiheadAttention;
  declare multihead_attn: MultiheadAttention;
  declare linear1: Linear;
  declare dropout: Dropout;
  declare linear2: Linear;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare norm3: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  declare dropout3: Dropout;
  /** the feed-forward activation (a registered child when it is a module) */
  declare activation: (x: Tensor) => Tensor;
  readonly normFirst: boolean;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super();
    const { dimFeedforward = 2048, dropout = 0.1, layerNormEps = 1e-5, batchFirst = false, dtype } = options;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout, batchFirst, dtype });
    this.multihead_attn = new MultiheadAttention(dModel, nhead, { dropout, batchFirst, dtype });
    this.linear1 = new Linear(dModel, dimFeedforward, { dtype });
    this.dropout = new LayerDropout(dropout);
    this.linear2 = new Linear(dimFeedforward, dModel, { dtype });
    this.normFirst = options.normFirst ?? false;
    this.norm1 = new LayerNorm(dModel, { eps: layerNormEps, dtype });
    this.norm2 = new LayerNorm(dModel, { eps: layerNormEps, dtype });
    this.norm3 = new LayerNorm(dModel, { eps: layerNormEps, dtype });
    this.dropout1 = new LayerDropout(dropout);
    this.dropout2 = new LayerDropout(dropout);
    this.dropout3 = new LayerDropout(dropout);
    this.activation = activationOf(options.activation ?? "relu");
  }

  /** Runs the layer on `tgt` [T, N, E] attending to `memory` [S, N, E] (batch first with batchFirst). */
  forward(tgt: Tensor, memory: Tensor, options: DecoderForwardOptions = {}): Tensor {
    const { tgtMask = null, memoryMask = null, tgtKeyPaddingMask = null, memoryKeyPaddingMask = null } = options;
    let x = tgt;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm1(x), tgtMask, tgtKeyPaddingMask));
      x = x.add(this.mhaBlock(this.norm2(x), memory, memoryMask, memoryKeyPaddingMask));
      x = x.add(this.ffBlock(this.norm3(x)));
    } else {
      x = this.norm1(x.add(this.saBlock(x, tgtMask, tgtKeyPaddingMask)));
      x = this.norm2(x.add(this.mhaBlock(x, memory, memoryMask, memoryKeyPaddingMask)));
      x = this.norm3(x.add(this.ffBlock(x)));
    }
    return x;
  }

  private saBlock(x: Tensor, attnMask: Tensor | null, keyPaddingMask: Tensor | null): Tensor {
    return this.dropout1(this.self_attn(x, x, x, { attnMask, keyPaddingMask, needWeights: false })[0]);
  }

  private mhaBlock(x: Tensor, mem: Tensor, attnMask: Tensor | null, keyPaddingMask: Tensor | null): Tensor {
    return this.dropout2(this.multihead_attn(x, mem, mem, { attnMask, keyPaddingMask, needWeights: false })[0]);
  }

  private ffBlock(x: Tensor): Tensor {
    return this.dropout3(this.linear2(this.dropout(this.activation(this.linear1(x)))));
  }
}

/** Options of TransformerEncoder. */
export interface TransformerEncoderOptions {
  /** a LayerNorm (or any module) applied to the last layer's output */
  norm?: Module | null;
  /** PyTorch's nested-tensor fast path in eval mode (default true): see TransformerEncoder */
  enableNestedTensor?: boolean;
  /** check that the padding mask is left aligned before taking that path (default true) */
  maskCheck?: boolean;
}

/**
 * `numLayers` deep copies of `encoderLayer` (all starting equal, as copy.deepcopy) run in turn,
 * then `norm`, as torch.nn.TransformerEncoder.
 *
 * In eval mode without gradients, PyTorch 1.13 runs a batch-first, post-norm stack given a
 * left-aligned bool `srcKeyPaddingMask` (and no `mask`) on nested tensors: the output is zero at
 * padded positions and only as long as the longest unpadded sequence. This does the same, so
 * shapes and values agree with PyTorch's (`enableNestedTensor: false` turns it off).
 */
export class TransformerEncoder extends Module {
  static override displayName = "TransformerEncoder";
  declare layers: ModuleList;
  declare norm: Module | null;
  readonly enableNestedTensor: boolean;
  readonly maskCheck: boolean;

  constructor(encoderLayer: Module, public readonly numLayers: number, options: TransformerEncoderOptions = {}) {
    super();
    this.layers = clones(encoderLayer, numLayers);
    this.norm = options.norm ?? null;
    this.enableNestedTensor = options.enableNestedTensor ?? true;
    this.maskCheck = options.maskCheck ?? true;
  }

  /** Runs every layer on `src`, then the norm. */
  forward(src: Tensor, options: EncoderForwardOptions = {}): Tensor {
    const mask = options.mask ?? null, kpm = options.srcKeyPaddingMask ?? null;
    checkKeyPaddingMask(kpm);
    const nestedLengths = this.nestedPath(src, mask, kpm);
    let output = src;
    for (const layer of this.layers.children()) {
      output = (layer as TransformerEncoderLayer)(output, { srcMask: mask, srcKeyPaddingMask: kpm });
    }
    if (nestedLengths !== null) {
      // to_padded_tensor(0.0): zeros at padded positions, as long as the longest sequence
      output = output.maskedFill(kpm!.unsqueeze(-1), 0).narrow(1, 0, Math.max(0, ...nestedLengths));
    }
    if (this.norm !== null) output = (this.norm as unknown as (x: Tensor) => Tensor)(output);
    return output;
  }

  /** The unpadded lengths when PyTorch would take its nested-tensor path, else null. */
  private nestedPath(src: Tensor, mask: Tensor | null, kpm: Tensor | null): number[] | null {
    const first = this.layers.children().next().value;
    if (!(first instanceof TransformerEncoderLayer) || first.normFirst || first.training) return null;
    const attn = first.self_attn;
    if (!attn.batchFirst || !attn.qkvSameEmbedDim || !first.activationReluOrGelu || first.norm1.eps !== first.norm2.eps) return null;
    if (src.ndim !== 3 || !this.enableNestedTensor || kpm === null || kpm.dtype !== bool || mask !== null || attn.numHeads % 2 === 1) return null;
    const tensors = [src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias, first.norm1.weight,
      first.norm1.bias, first.norm2.weight, first.norm2.bias, first.linear1.weight, first.linear1.bias, first.linear2.weight, first.linear2.bias];
    if (isGradEnabled() && tensors.some((t) => t !== null && t.requiresGrad)) return null;
    const rows = kpm.tolist() as boolean[][];
    const lengths = rows.map((r) => r.indexOf(true) < 0 ? r.length : r.indexOf(true));
    if (this.maskCheck && rows.some((r, i) => r.slice(lengths[i]).some((padded) => !padded))) return null;
    return lengths;
  }
}

/** Options of TransformerDecoder. */
export interface TransformerDecoderOptions {
  /** a LayerNorm (or any module) applied to the last layer's output */
  norm?: Module | null;
}

/** `numLayers` deep copies of `decoderLayer` run in turn, then `norm`, as torch.nn.TransformerDecoder. */
export class TransformerDecoder extends Module {
  static override displayName = "TransformerDecoder";
  declare layers: ModuleList;
  declare norm: Module | null;

  constructor(decoderLayer: Module, public readonly numLayers: number, options: TransformerDecoderOptions = {}) {
    super();
    this.layers = clones(decoderLayer, numLayers);
    this.norm = options.norm ?? null;
  }

  /** Runs every layer on `tgt` with the encoder's output `memory`, then the norm. */
  forward(tgt: Tensor, memory: Tensor, options: DecoderForwardOptions = {}): Tensor {
    let output = tgt;
    for (const layer of this.layers.children()) output = (layer as TransformerDecoderLayer)(output, memory, options);
    if (this.norm !== null) output = (this.norm as unknown as (x: Tensor) => Tensor)(output);
    return output;
  }
}

/** Options of Transformer (PyTorch's keywords in camelCase). */
export interface TransformerOptions extends TransformerLayerOptions {
  /** features of the inputs (default 512) */
  dModel?: number;
  /** attention heads (default 8) */
  nhead?: number;
  /** encoder layers (default 6) */
  numEncoderLayers?: number;
  /** decoder layers (default 6) */
  numDecoderLayers?: number;
  /** used instead of the built encoder */
  customEncoder?: Module | null;
  /** used instead of the built decoder */
  customDecoder?: Module | null;
}

/**
 * The encoder-decoder model of "Attention Is All You Need", as torch.nn.Transformer: an encoder
 * stack and a decoder stack, each ending in a LayerNorm; every parameter of two or more dims is
 * re-initialized with xavierUniform_ in parameter order, as PyTorch's _reset_parameters.
 * @example
 * const model = new nn.Transformer({ dModel: 64, nhead: 4, numEncoderLayers: 2, numDecoderLayers: 2 });
 * const y = model(src, tgt, { tgtMask: nn.Transformer.generateSquareSubsequentMask(tgt.shape[0]!) });
 */
export class Transformer extends Module {
  static override displayName = "Transformer";
  declare encoder: Module;
  declare decoder: Module;
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;

  constructor(options: TransformerOptions = {}) {
    super();
    const { dModel = 512, nhead = 8, numEncoderLayers = 6, numDecoderLayers = 6, layerNormEps = 1e-5, dtype } = options;
    const layerOptions: TransformerLayerOptions = {
      dimFeedforward: options.dimFeedforward ?? 2048, dropout: options.dropout ?? 0.1, activation: options.activation ?? "relu",
      layerNormEps, batchFirst: options.batchFirst ?? false, normFirst: options.normFirst ?? false, dtype,
    };
    if (options.customEncoder) this.encoder = options.customEncoder;
    else {
      const layer = new TransformerEncoderLayer(dModel, nhead, layerOptions);
      this.encoder = new TransformerEncoder(layer, numEncoderLayers, { norm: new LayerNorm(dModel, { eps: layerNormEps, dtype }) });
    }
    if (options.customDecoder) this.decoder = options.customDecoder;
    else {
      const layer = new TransformerDecoderLayer(dModel, nhead, layerOptions);
      this.decoder = new TransformerDecoder(layer, numDecoderLayers, { norm: new LayerNorm(dModel, { eps: layerNormEps, dtype }) });
    }
    this.resetParameters();
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = layerOptions.batchFirst!;
  }

  /** xavierUniform_ on every parameter with two or more dims, in parameter order (PyTorch's _reset_parameters). */
  resetParameters(): void {
    for (const p of this.parameters()) if (p.ndim > 1) init.xavierUniform_(p);
  }

  /**
   * Encodes `src` [S, N, E] and decodes `tgt` [T, N, E] against it (batch first with batchFirst,
   * unbatched [S, E]/[T, E]); returns the decoder's output [T, N, E].
   */
  forward(src: Tensor, tgt: Tensor, options: TransformerForwardOptions = {}): Tensor {
    const batched = src.ndim === 3, b = this.batchFirst ? 0 : 1;
    if (batched && src.shape[b] !== tgt.shape[b]) throw new ShapeError("the batch number of src and tgt must be equal");
    if (src.shape[src.ndim - 1] !== this.dModel || tgt.shape[tgt.ndim - 1] !== this.dModel) {
      throw new ShapeError("the feature number of src and tgt must be equal to d_model");
    }
    const { srcMask = null, srcKeyPaddingMask = null, ...decoderMasks } = options;
    const memory = (this.encoder as unknown as (x: Tensor, o: EncoderForwardOptions) => Tensor)(src, { mask: srcMask, srcKeyPaddingMask });
    return (this.decoder as unknown as (t: Tensor, m: Tensor, o: DecoderForwardOptions) => Tensor)(tgt, memory, decoderMasks);
  }

  /** A [sz, sz] float mask with -inf above the diagonal and 0 elsewhere: position i attends to positions ≤ i. */
  static generateSquareSubsequentMask(sz: number): Tensor {
    return full([sz, sz], -Infinity).triu(1);
  }
}

/** A ModuleList of `n` deep copies of `module` (PyTorch's _get_clones). */
function clones(module: Module, n: number): ModuleList {
  return new ModuleList(Array.from({ length: n }, () => deepcopy(module, "cannot copy a module with uninitialized (lazy) parameters; run a forward pass first")));
}
