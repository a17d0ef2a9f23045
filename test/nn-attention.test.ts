/**
 * MultiheadAttention against PyTorch 1.13 (scripts/fixtures/attention.py): the same seed gives the
 * same parameters, state-dict keys, shapes and dtypes; outputs, attention weights and the
 * gradients of every input and parameter match in training mode (dropout 0, and dropout 0.5 with
 * PyTorch's mask), eval outputs match PyTorch's (its fast path included), on both backends;
 * grad_fn names, printing and the error messages are PyTorch's.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as torch from "../src/index.ts";
import type { Tensor } from "../src/index.ts";
import { backwardWith, chain, close, fx, maskOf, type MaskSpec, type Nested } from "./attention-helpers.ts";

const { nn } = torch;
interface MhaCase {
  seed: number; kwargs: Record<string, number | boolean>; mode: "self" | "kv" | "cross"; train: boolean; repr: string;
  keys: string[]; shapes: number[][]; dtypes: string[]; params0: Record<string, Nested>;
  inputs: Nested[]; masks: Record<string, MaskSpec>; fwd: Record<string, boolean>;
  out: Nested; weights: Nested | null; gs: Nested[]; input_grads: Nested[]; param_grads: Record<string, Nested>;
  out_chain: string[]; weights_chain: string[] | null; out_eval: Nested; weights_eval: Nested | null;
}

const camel = (s: string): string => s.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
const options = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]));

function makeMha(c: MhaCase): torch.nn.MultiheadAttention {
  const { embed_dim, num_heads, ...rest } = c.kwargs;
  return new nn.MultiheadAttention(embed_dim as number, num_heads as number, options(rest));
}

function inputsOf(c: MhaCase): [Tensor, Tensor, Tensor] {
  const xs = c.inputs.map((x) => torch.tensor(x as number[]).requiresGrad_());
  if (c.mode === "self") return [xs[0]!, xs[0]!, xs[0]!];
  if (c.mode === "kv") return [xs[0]!, xs[1]!, xs[1]!];
  return xs as [Tensor, Tensor, Tensor];
}

for (const backend of [torch.cpuBackend, torch.wasmBackend]) {
  describe(`MultiheadAttention on the ${backend.name} backend`, () => {
    for (const [name, c] of Object.entries(fx.mha as Record<string, MhaCase>)) {
      test(name, () => {
        const prev = torch.setBackend(backend);
        try {
          torch.manualSeed(c.seed);
          const m = makeMha(c);
          assert.equal(String(m), c.repr);
          const sd = m.stateDict();
          assert.deepEqual([...sd.keys()], c.keys);
          assert.deepEqual([...sd.values()].map((t) => [...t.shape]), c.shapes);
          assert.deepEqual([...sd.values()].map((t) => t.dtype.name), c.dtypes);
          for (const [k, t] of sd) close(t, c.params0[k]!, `${name}: initial ${k}`, 1e-7);
          m.train(c.train);
          const [q, k, v] = inputsOf(c);
          const masks = { keyPaddingMask: maskOf(c.masks.key_padding_mask ?? null), attnMask: maskOf(c.masks.attn_mask ?? null) };
          // the fixture drew the inputs from seed + 1; dropout's mask follows in the same stream
          torch.manualSeed(c.seed + 1);
          for (const x of c.inputs) torch.randn(torch.tensor(x as number[]).shape);
          const [out, w] = m(q, k, v, { ...masks, ...options(c.fwd) });
          close(out, c.out, `${name}: output`);
          if (c.weights === null) assert.equal(w, null);
          else close(w!, c.weights, `${name}: weights`);
          // up to the out-projection: torchlet's AddmmBackward0 orders its edges (x, W, b), PyTorch's (b, x, Wᵀ)
          const upTo = c.out_chain.findIndex((n) => /^(Addmm|Mm)Backward0$/.test(n)) + 1;
          assert.deepEqual(chain(out, upTo), c.out_chain.slice(0, upTo));
          if (c.weights_chain) assert.deepEqual(chain(w!, c.weights_chain.length), c.weights_chain);
          backwardWith(w === null ? [out] : [out, w], c.gs);
          const distinct = c.mode === "self" ? [q] : c.mode === "kv" ? [q, k] : [q, k, v];
          distinct.forEach((x, i) => close(x.grad!, c.input_grads[i]!, `${name}: input ${i} grad`, 1e-4));
          for (const [pn, p] of m.namedParameters()) close(p.grad!, c.param_grads[pn]!, `${name}: ${pn}.grad`, 1e-4);
          m.eval();
          const [oe, we] = torch.noGrad(() => m(q.detach(), c.mode === "self" ? q.detach() : k.detach(), c.mode === "self" ? q.detach() : v.detach(), { ...masks, ...options(c.fwd) }));
          close(oe, c.out_eval, `${name}: eval output`);
          if (c.weights_eval !== null) close(we!, c.weights_eval, `${name}: eval weights`);
        } finally {
          torch.setBackend(prev);
        }
      });
    }
  });
}

describe("MultiheadAttention", () => {
  test("loads a PyTorch state dict key for key", () => {
    const c = fx.mha.nobias_biaskv_zeroattn as MhaCase;
    torch.manualSeed(123);
    const m = makeMha(c);
    const sd = new Map(Object.entries(c.params0).map(([k, v]) => [k, torch.tensor(v as number[])]));
    m.loadStateDict(sd);
    for (const [k, t] of m.stateDict()) close(t, c.params0[k]!, `loaded ${k}`, 1e-7);
  });

  test("PyTorch's messages for bad shapes and dtypes", () => {
    const e = fx.errors as Record<string, string>;
    torch.manualSeed(0);
    const m = new nn.MultiheadAttention(8, 2), mk = new nn.MultiheadAttention(8, 2, { kdim: 5, vdim: 6 });
    const q = torch.randn(3, 2, 8), k = torch.randn(4, 2, 8);
    const b = (...s: number[]) => torch.zeros(s, { dtype: torch.bool });
    const cases: [string, () => unknown][] = [
      ["divisible", () => new nn.MultiheadAttention(8, 3)],
      ["query_4d", () => m(q.unsqueeze(0), k, k)],
      ["key_2d", () => m(q, k.at(0), k)],
      ["kpm_3d", () => m(q, k, k, { keyPaddingMask: b(2, 4, 1) })],
      ["attn_mask_1d", () => m(q, k, k, { attnMask: b(4) })],
      ["unbatched_key_3d", () => m(q.select(1, 0), k, k.select(1, 0))],
      ["unbatched_kpm_2d", () => m(q.select(1, 0), k.select(1, 0), k.select(1, 0), { keyPaddingMask: b(1, 4) })],
      ["unbatched_attn_mask_1d", () => m(q.select(1, 0), k.select(1, 0), k.select(1, 0), { attnMask: b(4) })],
      ["unbatched_attn_mask_3d", () => m(q.select(1, 0), k.select(1, 0), k.select(1, 0), { attnMask: b(3, 3, 4) })],
      ["embed_dim", () => m(torch.randn(3, 2, 6), torch.randn(4, 2, 6), torch.randn(4, 2, 6))],
      ["key_value_shape", () => m(q, k, torch.randn(5, 2, 8))],
      ["key_value_seq_separate", () => mk(q, torch.randn(4, 2, 5), torch.randn(5, 2, 6))],
      ["kpm_dtype", () => m(q, k, k, { keyPaddingMask: torch.zeros([2, 4], { dtype: torch.int32 }) })],
      ["attn_mask_dtype", () => m(q, k, k, { attnMask: torch.zeros([3, 4], { dtype: torch.int32 }) })],
      ["attn_mask_2d_shape", () => m(q, k, k, { attnMask: b(3, 3) })],
      ["attn_mask_3d_shape", () => m(q, k, k, { attnMask: b(2, 3, 4) })],
      ["kpm_shape", () => m(q, k, k, { keyPaddingMask: b(2, 5) })],
    ];
    for (const [key, fn] of cases) assert.throws(fn, (err: Error) => err.message === e[key], key);
  });

  test("printing without bias, and the functional form", () => {
    torch.manualSeed(0);
    const m = new nn.MultiheadAttention(8, 2, { bias: false });
    assert.equal(String(m), fx.reprs.mha_nobias);
    const x = torch.randn(3, 2, 8);
    const [a] = m(x, x, x);
    const [b] = nn.functional.multiHeadAttentionForward(x, x, x, 8, 2, m.in_proj_weight, null, null, null, false, 0, m.out_proj.weight, null);
    close(b, a.tolist() as Nested, "functional", 0);
  });
});
