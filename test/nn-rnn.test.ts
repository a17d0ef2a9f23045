/**
 * RNN, LSTM, GRU and their cells against PyTorch 1.13 (scripts/fixtures/rnn.py): the same seed
 * gives the same parameters in the same order, and outputs, final states and every gradient
 * match, on both backends; printing and state-dict keys are PyTorch's.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import type { Tensor } from "../src/index.ts";

const { nn } = torch;
const fx = JSON.parse(readFileSync(new URL("./fixtures/rnn.json", import.meta.url), "utf8"));

type Nested = number | Nested[];
const flat = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
function close(t: Tensor, want: Nested, what: string, tol = 2e-5): void {
  const got = flat(t.tolist() as Nested), exp = flat(want);
  assert.equal(got.length, exp.length, `${what}: ${got.length} values, expected ${exp.length}`);
  got.forEach((g, i) => assert.ok(Math.abs(g - exp[i]!) <= tol * (1 + Math.abs(exp[i]!)), `${what}[${i}]: ${g} vs ${exp[i]}`));
}

interface Case {
  params0: Record<string, Nested>; keys: string[]; repr: string; x: Nested; states: Nested[] | null;
  outs: Nested[]; gs: Nested[]; x_grad: Nested; state_grads: Nested[] | null; param_grads: Record<string, Nested>;
}

const makers: Record<string, [() => torch.nn.Module, boolean]> = {
  lstm_2layer_bidir_batch_first: [() => new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true }), false],
  lstm_default: [() => new nn.LSTM(3, 4), false],
  lstm_unbatched: [() => new nn.LSTM(2, 3, { bias: false }), false],
  gru: [() => new nn.GRU(3, 5, { numLayers: 2 }), false],
  gru_bidir: [() => new nn.GRU(2, 3, { bidirectional: true }), false],
  rnn_tanh: [() => new nn.RNN(3, 4), false],
  rnn_relu_batch_first: [() => new nn.RNN(3, 4, { nonlinearity: "relu", batchFirst: true, numLayers: 2 }), false],
  lstm_dropout_train: [() => new nn.LSTM(3, 4, { numLayers: 2, dropout: 0.5 }), true],
  lstm_cell: [() => new nn.LSTMCell(3, 4), false],
  gru_cell: [() => new nn.GRUCell(3, 4), false],
  rnn_cell: [() => new nn.RNNCell(3, 4, { nonlinearity: "relu" }), false],
};

/** The outputs in the fixture's order: output, hN (, cN) or the cell's state(s). */
function outputsOf(out: unknown): Tensor[] {
  if (!Array.isArray(out)) return [out as Tensor];
  return out.flatMap((o) => (Array.isArray(o) ? o : [o])) as Tensor[];
}

for (const backend of [torch.cpuBackend, torch.wasmBackend]) {
  describe(`recurrent layers on the ${backend.name} backend`, () => {
    for (const [name, [make, train]] of Object.entries(makers)) {
      test(name, () => {
        const prev = torch.setBackend(backend);
        try {
          const c = fx[name] as Case;
          torch.manualSeed(0);
          const m = make();
          assert.equal(String(m), c.repr);
          assert.deepEqual([...m.stateDict().keys()], c.keys);
          for (const [k, t] of m.stateDict()) close(t, c.params0[k]!, `${name}: initial ${k}`, 1e-7);
          m.train(train);
          const x = torch.tensor(c.x as number[]).requiresGrad_();
          const states = c.states?.map((s) => torch.tensor(s as number[]).requiresGrad_()) ?? null;
          torch.manualSeed(100);
          const call = m as unknown as (...a: unknown[]) => unknown;
          const isLstm = m instanceof nn.LSTM || m instanceof nn.LSTMCell;
          const outs = outputsOf(call(x, states === null ? null : isLstm ? states : states[0]));
          outs.forEach((o, i) => close(o, c.outs[i]!, `${name}: output ${i}`));
          // Σ (output · upstream gradient) gives every output its gradient in one backward
          outs.map((o, i) => o.mul(torch.tensor(c.gs[i] as number[])).sum()).reduce((a, b) => a.add(b)).backward();
          close(x.grad!, c.x_grad, `${name}: x.grad`, 1e-4);
          states?.forEach((s, i) => close(s.grad!, c.state_grads![i]!, `${name}: state ${i} grad`, 1e-4));
          for (const [k, p] of m.namedParameters()) close(p.grad!, c.param_grads[k]!, `${name}: ${k}.grad`, 1e-4);
        } finally {
          torch.setBackend(prev);
        }
      });
    }
  });
}

describe("recurrent layers: printing and errors", () => {
  test("reprs are PyTorch's", () => {
    const r = fx.reprs;
    assert.equal(String(new nn.LSTM(10, 20, { numLayers: 2, batchFirst: true, dropout: 0.1, bidirectional: true })), r["LSTM(10, 20, num_layers=2, batch_first=True, dropout=0.1, bidirectional=True)"]);
    assert.equal(String(new nn.GRU(3, 4, { bias: false })), r["GRU(3, 4, bias=False)"]);
    assert.equal(String(new nn.RNN(3, 4, { nonlinearity: "relu" })), r["RNN(3, 4, nonlinearity=relu)"]);
    assert.equal(String(new nn.LSTMCell(3, 4)), r["LSTMCell(3, 4)"]);
    assert.equal(String(new nn.RNNCell(3, 4, { bias: false, nonlinearity: "relu" })), r["RNNCell(3, 4, bias=False, nonlinearity=relu)"]);
  });
  test("a wrong input size or state shape names the problem", () => {
    const lstm = new nn.LSTM(3, 4);
    assert.throws(() => lstm(torch.randn(2, 1, 5)), /input.size\(-1\) must be equal to input_size. Expected 3, got 5/);
    assert.throws(() => lstm(torch.randn(2, 1, 3), [torch.zeros(2, 1, 4), torch.zeros(1, 1, 4)]), /Expected hidden size \[1, 1, 4\], got \[2, 1, 4\]/);
  });
});
