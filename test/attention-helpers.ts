/** Shared by the attention and transformer tests: the fixture and comparisons with PyTorch's values. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import type { Tensor } from "../src/index.ts";
import { Node } from "../src/autograd/node.ts";

/** A nested list of numbers, as PyTorch's tolist(). */
export type Nested = number | Nested[];
/** The fixture, with the strings "inf" and "-inf" read back as numbers. */
export const fx = JSON.parse(readFileSync(new URL("./fixtures/attention.json", import.meta.url), "utf8"),
  (_, v: unknown) => (v === "inf" ? Infinity : v === "-inf" ? -Infinity : v));

export const flat = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
/** Every value of `t` within tol (relative to 1 + |expected|) of PyTorch's. */
export function close(t: Tensor, want: Nested, what: string, tol = 1e-5): void {
  const got = flat(t.tolist() as Nested), exp = flat(want);
  assert.equal(got.length, exp.length, `${what}: ${got.length} values, expected ${exp.length}`);
  got.forEach((g, i) => assert.ok(g === exp[i] || Math.abs(g - exp[i]!) <= tol * (1 + Math.abs(exp[i]!)), `${what}[${i}]: ${g} vs ${exp[i]}`));
}

/** A mask from the fixture: its values in its dtype. */
export interface MaskSpec { dtype: string; shape: number[]; data: Nested }
/** The mask tensor a fixture spec describes. */
export function maskOf(spec: MaskSpec | null): Tensor | null {
  if (spec === null) return null;
  const dtype = spec.dtype === "bool" ? torch.bool : spec.dtype === "float32" ? torch.float32 : torch.float64;
  return torch.tensor(flat(spec.data), { dtype }).reshape(spec.shape);
}

/** Backward of Σ output·g (plus Σ weights·gw) in one pass. */
export function backwardWith(outs: Tensor[], gs: Nested[]): void {
  outs.map((o, i) => o.mul(torch.tensor(flat(gs[i]!)).reshape(o.shape)).sum()).reduce((a, b) => a.add(b)).backward();
}

/** The grad_fn names from `t` backwards along each node's first edge (PyTorch's next_functions[0]). */
export function chain(t: Tensor, depth: number): string[] {
  const names: string[] = [];
  let edge: Node | Tensor | null | undefined = t.gradFn;
  while (edge && names.length < depth) {
    if (!(edge instanceof Node)) { names.push("AccumulateGrad"); break; }
    names.push(edge.name);
    edge = edge.edges.find((e) => e !== null);
  }
  return names;
}

