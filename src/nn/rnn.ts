/**
 * Recurrent layers: RNN, LSTM and GRU (layers, directions, batchFirst, dropout between layers)
 * and their cells, with PyTorch's parameter names (`weight_ih_l0`, `bias_hh_l1_reverse`), gate
 * order (LSTM i, f, g, o; GRU r, z, n), initialization U(±1/√hidden) in registration order, and
 * PyTorch's arithmetic order (input projections for all steps first, then one product per step).
 */
import { ShapeError, ValueError } from "../errors.ts";
import { float32, type DType } from "../core/dtype.ts";
import { showShape } from "../core/shape.ts";
import type { Tensor } from "../tensor.ts";
import { empty, zeros } from "../ops/creation.ts";
import { stack, cat } from "../ops/movement.ts";
import { linear } from "../ops/linalg.ts";
import { pyBool, pyFloat } from "../core/py-repr.ts";
import { Module } from "./module.ts";
import { Parameter } from "./parameter.ts";
import { dropout } from "./functional.ts";
import * as init from "./init.ts";

type Mode = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";
const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/** One layer-direction's weights for a step. */
interface Weights { wih: Tensor; whh: Tensor; bih: Tensor | null; bhh: Tensor | null }

/** One step of a cell: the new hidden state (and cell state for LSTM) from `xw` = x·W_ihᵀ + b_ih. */
function step(mode: Mode, xw: Tensor, h: Tensor, c: Tensor | null, w: Weights): [Tensor, Tensor | null] {
  const hw = linear(h, w.whh, w.bhh);
  if (mode === "LSTM") {
    const [i, f, g, o] = xw.add(hw).chunk(4, -1) as [Tensor, Tensor, Tensor, Tensor];
    const c2 = f.sigmoid().mul(c!).add(i.sigmoid().mul(g.tanh()));
    return [o.sigmoid().mul(c2.tanh()), c2];
  }
  if (mode === "GRU") {
    const [xr, xz, xn] = xw.chunk(3, -1) as [Tensor, Tensor, Tensor];
    const [hr, hz, hn] = hw.chunk(3, -1) as [Tensor, Tensor, Tensor];
    const r = xr.add(hr).sigmoid(), z = xz.add(hz).sigmoid();
    const n = xn.add(r.mul(hn)).tanh();
    // PyTorch's order: (1 - z)·n + z·h, written as n + z·(h - n)
    return [n.add(z.mul(h.sub(n))), null];
  }
  const pre = xw.add(hw);
  return [mode === "RNN_TANH" ? pre.tanh() : pre.relu(), null];
}

/** Options shared by RNN, LSTM and GRU. */
export interface RNNOptions {
  numLayers?: number;
  bias?: boolean;
  /** input and output as [batch, seq, feature] instead of [seq, batch, feature] */
  batchFirst?: boolean;
  /** dropout on each layer's output but the last, in training */
  dropout?: number;
  bidirectional?: boolean;
  dtype?: DType;
}

/** What RNN, LSTM and GRU share, as PyTorch's RNNBase. */
abstract class RNNBase extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;

  constructor(protected readonly mode: Mode, public inputSize: number, public hiddenSize: number, options: RNNOptions = {}) {
    super();
    this.numLayers = options.numLayers ?? 1;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    this.bidirectional = options.bidirectional ?? false;
    if (!(this.dropout >= 0 && this.dropout <= 1)) {
      throw new ValueError("dropout should be a number in range [0, 1] representing the probability of an element being zeroed");
    }
    if (!Number.isInteger(hiddenSize) || hiddenSize <= 0) throw new ValueError("hidden_size must be greater than zero");
    if (!Number.isInteger(this.numLayers) || this.numLayers <= 0) throw new ValueError("num_layers must be greater than zero");
    const dtype = options.dtype ?? float32, gate = GATES[mode] * hiddenSize, dirs = this.bidirectional ? 2 : 1;
    const self = this as unknown as Record<string, Parameter>;
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let d = 0; d < dirs; d++) {
        const inSize = layer === 0 ? inputSize : hiddenSize * dirs, sfx = `_l${layer}${d === 1 ? "_reverse" : ""}`;
        self[`weight_ih${sfx}`] = new Parameter(empty([gate, inSize], { dtype }));
        self[`weight_hh${sfx}`] = new Parameter(empty([gate, hiddenSize], { dtype }));
        if (this.bias) {
          self[`bias_ih${sfx}`] = new Parameter(empty([gate], { dtype }));
          self[`bias_hh${sfx}`] = new Parameter(empty([gate], { dtype }));
        }
      }
    }
    this.resetParameters();
  }

  /** Every parameter U(-1/√hidden, 1/√hidden), in registration order, as PyTorch's. */
  resetParameters(): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) init.uniform_(p, -stdv, stdv);
  }

  /** The weights of one layer and direction. */
  protected weights(layer: number, reverse: boolean): Weights {
    const sfx = `_l${layer}${reverse ? "_reverse" : ""}`, self = this as unknown as Record<string, Tensor>;
    return {
      wih: self[`weight_ih${sfx}`]!, whh: self[`weight_hh${sfx}`]!,
      bih: this.bias ? self[`bias_ih${sfx}`]! : null, bhh: this.bias ? self[`bias_hh${sfx}`]! : null,
    };
  }

  /**
   * Runs every layer and direction over `input`; `h0`/`c0` are [layers·dirs, batch, hidden] (or
   * unbatched without the batch dim). Returns the last layer's outputs and each final state.
   */
  protected run(input: Tensor, h0: Tensor | null, c0: Tensor | null): { output: Tensor; h: Tensor; c: Tensor | null } {
    const name = this.getName();
    if (input.ndim !== 2 && input.ndim !== 3) throw new ShapeError(`${name}: Expected input to be 2D or 3D, got ${input.ndim}D instead`);
    const batched = input.ndim === 3;
    let x = batched ? (this.batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1);
    if (x.shape[2] !== this.inputSize) throw new ShapeError(`input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[2]}`);
    const dirs = this.bidirectional ? 2 : 1, n = x.shape[1]!, steps = x.shape[0]!;
    const stateShape = [this.numLayers * dirs, n, this.hiddenSize];
    const state = (t: Tensor | null, what: string): Tensor => {
      if (t === null) return zeros(stateShape, { dtype: input.dtype });
      const s = batched ? t : t.unsqueeze(1);
      if (showShape(s.shape) !== showShape(stateShape)) {
        throw new ShapeError(`Expected ${what} size ${showShape(batched ? stateShape : [stateShape[0]!, stateShape[2]!])}, got ${showShape(t.shape)}`);
      }
      return s;
    };
    const hs = state(h0, "hidden"), cs = this.mode === "LSTM" ? state(c0, "hidden[1]") : null;
    const hOut: Tensor[] = [], cOut: Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const w = this.weights(layer, d === 1), k = layer * dirs + d;
        const xw = linear(x.reshape(steps * n, x.shape[2]!), w.wih, w.bih).reshape(steps, n, -1);
        let h = hs.at(k), c = cs === null ? null : cs.at(k);
        const ys: Tensor[] = new Array(steps);
        for (let i = 0; i < steps; i++) {
          const t = d === 1 ? steps - 1 - i : i;
          [h, c] = step(this.mode, xw.at(t), h, c, w);
          ys[t] = h;
        }
        outs.push(stack(ys, 0));
        hOut.push(h);
        if (c !== null) cOut.push(c);
      }
      x = dirs === 1 ? outs[0]! : cat(outs, 2);
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1) x = dropout(x, { p: this.dropout, training: true });
    }
    let output = batched ? (this.batchFirst ? x.transpose(0, 1) : x) : x.squeeze(1);
    let h = stack(hOut, 0), c = cOut.length ? stack(cOut, 0) : null;
    if (!batched) { h = h.squeeze(1); c = c === null ? null : c.squeeze(1); output = output.contiguous(); }
    return { output, h, c };
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += ", bias=False";
    if (this.batchFirst) s += ", batch_first=True";
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=${pyBool(true)}`;
    return s;
  }
}

/** Options of RNN: RNNOptions plus the nonlinearity. */
export interface ElmanRNNOptions extends RNNOptions { nonlinearity?: "tanh" | "relu" }

/** An Elman RNN, as torch.nn.RNN: forward(input, h0?) returns [output, hN]. */
export class RNN extends RNNBase {
  static override displayName = "RNN";
  constructor(inputSize: number, hiddenSize: number, options: ElmanRNNOptions = {}) {
    const nl = options.nonlinearity ?? "tanh";
    if (nl !== "tanh" && nl !== "relu") throw new ValueError(`Unknown nonlinearity '${String(nl)}'`);
    super(nl === "tanh" ? "RNN_TANH" : "RNN_RELU", inputSize, hiddenSize, options);
  }
  forward(input: Tensor, h0: Tensor | null = null): [Tensor, Tensor] {
    const { output, h } = this.run(input, h0, null);
    return [output, h];
  }
}

/** A long short-term memory, as torch.nn.LSTM: forward(input, [h0, c0]?) returns [output, [hN, cN]]. */
export class LSTM extends RNNBase {
  static override displayName = "LSTM";
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super("LSTM", inputSize, hiddenSize, options);
  }
  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    const { output, h, c } = this.run(input, hx?.[0] ?? null, hx?.[1] ?? null);
    return [output, [h, c!]];
  }
}

/** A gated recurrent unit, as torch.nn.GRU: forward(input, h0?) returns [output, hN]. */
export class GRU extends RNNBase {
  static override displayName = "GRU";
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super("GRU", inputSize, hiddenSize, options);
  }
  forward(input: Tensor, h0: Tensor | null = null): [Tensor, Tensor] {
    const { output, h } = this.run(input, h0, null);
    return [output, h];
  }
}

/** What the cells share: weight_ih, weight_hh, bias_ih, bias_hh, each U(±1/√hidden). */
abstract class RNNCellBase extends Module {
  declare weight_ih: Parameter;
  declare weight_hh: Parameter;
  declare bias_ih: Parameter | null;
  declare bias_hh: Parameter | null;

  constructor(protected readonly mode: Mode, public inputSize: number, public hiddenSize: number, options: { bias?: boolean; dtype?: DType } = {}) {
    super();
    const dtype = options.dtype ?? float32, gate = GATES[mode] * hiddenSize;
    this.weight_ih = new Parameter(empty([gate, inputSize], { dtype }));
    this.weight_hh = new Parameter(empty([gate, hiddenSize], { dtype }));
    if (options.bias ?? true) {
      this.bias_ih = new Parameter(empty([gate], { dtype }));
      this.bias_hh = new Parameter(empty([gate], { dtype }));
    } else {
      this.registerParameter("bias_ih", null);
      this.registerParameter("bias_hh", null);
    }
    const stdv = 1 / Math.sqrt(hiddenSize);
    for (const p of this.parameters()) init.uniform_(p, -stdv, stdv);
  }

  /** One step on [batch, input] (or unbatched [input]); states default to zeros. */
  protected cell(input: Tensor, h: Tensor | null, c: Tensor | null): [Tensor, Tensor | null] {
    if (input.ndim !== 1 && input.ndim !== 2) throw new ShapeError(`${this.getName()}: Expected input to be 1D or 2D, got ${input.ndim}D instead`);
    const batched = input.ndim === 2, x = batched ? input : input.unsqueeze(0);
    const shape = [x.shape[0]!, this.hiddenSize];
    const hb = h === null ? zeros(shape, { dtype: input.dtype }) : batched ? h : h.unsqueeze(0);
    const cb = this.mode !== "LSTM" ? null : c === null ? zeros(shape, { dtype: input.dtype }) : batched ? c : c.unsqueeze(0);
    const w = { wih: this.weight_ih, whh: this.weight_hh, bih: this.bias_ih, bhh: this.bias_hh };
    const [h2, c2] = step(this.mode, linear(x, w.wih, w.bih), hb, cb, w);
    return batched ? [h2, c2] : [h2.squeeze(0), c2 === null ? null : c2.squeeze(0)];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.bias_ih === null) s += ", bias=False";
    if (this.mode === "RNN_RELU") s += ", nonlinearity=relu";
    return s;
  }
}

/** One Elman step, as torch.nn.RNNCell: forward(input, h?) returns h'. */
export class RNNCell extends RNNCellBase {
  static override displayName = "RNNCell";
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; nonlinearity?: "tanh" | "relu"; dtype?: DType } = {}) {
    const nl = options.nonlinearity ?? "tanh";
    if (nl !== "tanh" && nl !== "relu") throw new ValueError(`Unknown nonlinearity: ${String(nl)}`);
    super(nl === "tanh" ? "RNN_TANH" : "RNN_RELU", inputSize, hiddenSize, options);
  }
  forward(input: Tensor, h: Tensor | null = null): Tensor {
    return this.cell(input, h, null)[0];
  }
}

/** One LSTM step, as torch.nn.LSTMCell: forward(input, [h, c]?) returns [h', c']. */
export class LSTMCell extends RNNCellBase {
  static override displayName = "LSTMCell";
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; dtype?: DType } = {}) {
    super("LSTM", inputSize, hiddenSize, options);
  }
  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    const [h, c] = this.cell(input, hx?.[0] ?? null, hx?.[1] ?? null);
    return [h, c!];
  }
}

/** One GRU step, as torch.nn.GRUCell: forward(input, h?) returns h'. */
export class GRUCell extends RNNCellBase {
  static override displayName = "GRUCell";
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; dtype?: DType } = {}) {
    super("GRU", inputSize, hiddenSize, options);
  }
  forward(input: Tensor, h: Tensor | null = null): Tensor {
    return this.cell(input, h, null)[0];
  }
}
