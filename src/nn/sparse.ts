/** Embedding: a lookup table of learnable rows, as torch.nn.Embedding. */
import { ValueError } from "../errors.ts";
import { float32, type DType } from "../core/dtype.ts";
import type { Tensor } from "../tensor.ts";
import { empty } from "../ops/creation.ts";
import { embedding } from "../ops/norm.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { Module } from "./module.ts";
import { Parameter } from "./parameter.ts";
import * as init from "./init.ts";
import { pyFloat } from "../core/py-repr.ts";
import { embeddingBag, type EmbeddingBagMode } from "./functional-embedding.ts";

/** Options of Embedding (PyTorch's keyword arguments). */
export interface EmbeddingOptions {
  /** the row that gets no gradient (and starts at zero); negative counts from the end */
  paddingIdx?: number | null;
  /** rows looked up are rescaled in place to at most this norm */
  maxNorm?: number | null;
  normType?: number;
  /** an initial table instead of N(0, 1) */
  weight?: Tensor;
  dtype?: DType;
}

/** A table of `numEmbeddings` rows of `embeddingDim`; called with integer indices. */
export class Embedding extends Module {
  static override displayName = "Embedding";
  declare weight: Parameter;
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;

  constructor(public numEmbeddings: number, public embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    let paddingIdx = options.paddingIdx ?? null;
    if (paddingIdx !== null) {
      if (paddingIdx >= numEmbeddings) throw new ValueError("Padding_idx must be within num_embeddings");
      if (paddingIdx < -numEmbeddings) throw new ValueError("Padding_idx must be within num_embeddings");
      if (paddingIdx < 0) paddingIdx += numEmbeddings;
    }
    this.paddingIdx = paddingIdx;
    this.maxNorm = options.maxNorm ?? null;
    this.normType = options.normType ?? 2;
    if (options.weight !== undefined) {
      const w = options.weight;
      if (w.ndim !== 2 || w.shape[0] !== numEmbeddings || w.shape[1] !== embeddingDim) {
        throw new ValueError("Shape of weight does not match num_embeddings and embedding_dim");
      }
      this.weight = new Parameter(w);
    } else {
      this.weight = new Parameter(empty([numEmbeddings, embeddingDim], { dtype: options.dtype ?? float32 }));
      this.resetParameters();
    }
  }

  /** An Embedding over a given 2-D table, frozen unless `freeze` is false (PyTorch's from_pretrained). */
  static fromPretrained(embeddings: Tensor, options: Omit<EmbeddingOptions, "weight" | "dtype"> & { freeze?: boolean } = {}): Embedding {
    if (embeddings.ndim !== 2) throw new ValueError("Embeddings parameter is expected to be 2-dimensional");
    const [rows, cols] = embeddings.shape as [number, number];
    const e = new Embedding(rows, cols, { ...options, weight: embeddings });
    e.weight.requiresGrad = !(options.freeze ?? true);
    return e;
  }

  /** N(0, 1) rows, the padding row zeroed, as PyTorch's reset_parameters. */
  resetParameters(): void {
    init.normal_(this.weight);
    if (this.paddingIdx !== null) noGrad(() => this.weight.at(this.paddingIdx!).fill_(0));
  }

  forward(input: Tensor): Tensor {
    return embedding(input, this.weight, { paddingIdx: this.paddingIdx, maxNorm: this.maxNorm, normType: this.normType });
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyFloat(this.normType)}`;
    return s;
  }
}

/** Options of EmbeddingBag (PyTorch's keyword arguments). */
export interface EmbeddingBagModuleOptions extends Omit<EmbeddingOptions, "paddingIdx"> {
  /** "mean" by default */
  mode?: EmbeddingBagMode;
  /** offsets has one more entry, the end of the last bag */
  includeLastOffset?: boolean;
  /** the row left out of every bag (and zeroed at the start); negative counts from the end */
  paddingIdx?: number | null;
}

/** Sums, means or maxima of bags of rows of a learnable table, as torch.nn.EmbeddingBag. */
export class EmbeddingBag extends Module {
  static override displayName = "EmbeddingBag";
  declare weight: Parameter;
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly mode: EmbeddingBagMode;
  readonly includeLastOffset: boolean;

  constructor(public numEmbeddings: number, public embeddingDim: number, options: EmbeddingBagModuleOptions = {}) {
    super();
    let paddingIdx = options.paddingIdx ?? null;
    if (paddingIdx !== null) {
      if (paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings) throw new ValueError("padding_idx must be within num_embeddings");
      if (paddingIdx < 0) paddingIdx += numEmbeddings;
    }
    this.paddingIdx = paddingIdx;
    this.maxNorm = options.maxNorm ?? null;
    this.normType = options.normType ?? 2;
    this.mode = options.mode ?? "mean";
    this.includeLastOffset = options.includeLastOffset ?? false;
    if (options.weight !== undefined) {
      const w = options.weight;
      if (w.ndim !== 2 || w.shape[0] !== numEmbeddings || w.shape[1] !== embeddingDim) {
        throw new ValueError("Shape of weight does not match num_embeddings and embedding_dim");
      }
      this.weight = new Parameter(w);
    } else {
      this.weight = new Parameter(empty([numEmbeddings, embeddingDim], { dtype: options.dtype ?? float32 }));
      this.resetParameters();
    }
  }

  /** N(0, 1) rows, the padding row zeroed, as PyTorch's reset_parameters. */
  resetParameters(): void {
    init.normal_(this.weight);
    if (this.paddingIdx !== null) noGrad(() => this.weight.at(this.paddingIdx!).fill_(0));
  }

  /** Bags of `input` (the rows of a 2-D input, or the runs `offsets` marks in a 1-D one). */
  forward(input: Tensor, offsets: Tensor | null = null, perSampleWeights: Tensor | null = null): Tensor {
    return embeddingBag(input, this.weight, {
      offsets, perSampleWeights, mode: this.mode, includeLastOffset: this.includeLastOffset,
      paddingIdx: this.paddingIdx, maxNorm: this.maxNorm, normType: this.normType,
    });
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyFloat(this.normType)}`;
    s += `, mode=${this.mode}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    return s;
  }
}
