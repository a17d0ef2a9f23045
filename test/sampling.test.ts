// Golden tests: torch.randperm, multinomial, bernoulli, normal and Generator state against
// PyTorch 1.13, from test/fixtures/sampling.json (written by scripts/fixtures/sampling.py).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import type { DType, Tensor } from "../src/index.ts";

interface Probs { data: number[] | number[][]; dtype: string }
interface Step {
  op: string;
  gen?: "g";
  n?: number;
  dtype?: string;
  probs?: Probs;
  numSamples?: number;
  replacement?: boolean;
  shape?: number[];
  p?: number | Probs;
  mean?: number | Probs;
  std?: number | Probs;
  size?: number[];
  bytes?: string;
  out?: (number | string)[];
}
interface Case { name: string; seed: string; gSeed: string | null; steps: (Step & { shape?: number[] })[] }
interface Fixture { cases: Case[]; randpermDigests: { seed: number; n: number; sha256: string }[] }

const fixture = JSON.parse(readFileSync(new URL("./fixtures/sampling.json", import.meta.url), "utf8")) as Fixture;
const dtypeOf = (name: string): DType => (torch as unknown as Record<string, DType>)[name]!;
const probsOf = (p: Probs): Tensor => torch.tensor(p.data, { dtype: dtypeOf(p.dtype) });
const num = (v: number | Probs): number | Tensor => (typeof v === "number" ? v : probsOf(v));

/** Runs one fixture step; returns the tensor it made, or the state bytes as hex. */
function run(step: Step, g: torch.Generator): Tensor | string | null {
  const generator = step.gen === "g" ? g : torch.defaultGenerator;
  switch (step.op) {
    case "randperm": return torch.randperm(step.n!, { dtype: dtypeOf(step.dtype!), generator });
    case "multinomial":
      return torch.multinomial(probsOf(step.probs!), step.numSamples!, { replacement: step.replacement!, generator });
    case "bernoulli": return torch.bernoulli(probsOf(step.probs!), { generator });
    case "bernoulliScalar": return torch.bernoulli(torch.zeros(step.shape!, { dtype: dtypeOf(step.dtype!) }), step.p as number, { generator });
    case "bernoulli_": return torch.zeros(step.shape!, { dtype: dtypeOf(step.dtype!) }).bernoulli_(num(step.p!), { generator });
    case "normal": {
      const [mean, std] = [num(step.mean!), num(step.std!)];
      if (step.size) return torch.normal(mean as number, std as number, step.size, { dtype: dtypeOf(step.dtype!), generator });
      return torch.normal(mean, std, { generator });
    }
    case "rand": return torch.rand(step.n!, { generator });
    case "state": return Buffer.from(generator.getState().tolist() as number[]).toString("hex");
    case "setState": {
      generator.setState(torch.tensor(Array.from(Buffer.from(step.bytes!, "hex")), { dtype: torch.uint8 }));
      return null;
    }
    default: throw new Error(`fixture op ${step.op}`);
  }
}

/** Values as the fixture stores them: floats as numbers, int64 as strings. */
function flat(t: Tensor): (number | string)[] {
  const list = ([t.flatten().tolist()] as unknown[]).flat(Infinity) as (number | bigint | boolean)[];
  return list.map((v) => (t.dtype === torch.int64 ? String(v) : Number(v)));
}

/**
 * Exact, except float64 normals: their N(0, 1) goes through libm's log/sin/cos, where V8's
 * fdlibm and glibc may differ in the last bit (see test/random.test.ts).
 */
function check(step: Step & { shape?: number[]; dtype?: string }, got: Tensor, where: string): void {
  assert.deepEqual(got.shape, step.shape, `${where}: shape`);
  assert.equal(got.dtype.name, step.dtype, `${where}: dtype`);
  const values = flat(got);
  if (step.op === "normal" && got.dtype === torch.float64) {
    values.forEach((v, i) => {
      const want = step.out![i] as number;
      assert.ok(Math.abs((v as number) - want) <= 4e-16 * Math.max(1, Math.abs(want)), `${where}[${i}]: ${v} vs ${want}`);
    });
    return;
  }
  assert.deepEqual(values, step.out, where);
}

describe("sampling ops against PyTorch 1.13 (test/fixtures/sampling.json)", () => {
  for (const c of fixture.cases) {
    test(c.name, () => {
      torch.manualSeed(BigInt(c.seed));
      const g = new torch.Generator();
      if (c.gSeed !== null) g.manualSeed(BigInt(c.gSeed));
      c.steps.forEach((step, i) => {
        const got = run(step, g);
        const where = `${c.name}, step ${i} (${step.op})`;
        if (typeof got === "string") assert.equal(got, step.bytes, `${where}: state bytes`);
        else if (got !== null) check(step, got, where);
      });
    });
  }
});

describe("randperm of large n is bit-identical to PyTorch (SHA-256 of the int64 bytes)", () => {
  for (const d of fixture.randpermDigests) {
    test(`randperm(${d.n}) seed=${d.seed}`, () => {
      const t = torch.randperm(d.n, { generator: new torch.Generator(d.seed) });
      const data = t.storage.data as BigInt64Array;
      const sha = createHash("sha256").update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      assert.equal(sha.digest("hex"), d.sha256);
    });
  }
});

describe("Generator state", () => {
  test("getState is PyTorch's uint8 tensor of 5056 bytes and setState resumes the stream", () => {
    const g = new torch.Generator(9);
    torch.randn(3, { generator: g });
    const state = g.getState();
    assert.equal(state.dtype, torch.uint8);
    assert.deepEqual(state.shape, [5056]);
    const a = torch.randn(5, { generator: g }).tolist();
    g.setState(state);
    assert.deepEqual(torch.randn(5, { generator: g }).tolist(), a);
    assert.deepEqual(new torch.Generator().setState(state).initialSeed(), 9n);
  });

  test("torch.getRngState / setRngState and manualSeed / initialSeed act on the default generator", () => {
    const saved = torch.getRngState();
    try {
      assert.equal(torch.manualSeed(42), torch.defaultGenerator);
      assert.equal(torch.initialSeed(), 42n);
      const state = torch.getRngState();
      const a = torch.rand(4).tolist();
      torch.setRngState(state);
      assert.deepEqual(torch.rand(4).tolist(), a);
    } finally {
      torch.setRngState(saved);
    }
  });

  test("seed() seeds from entropy and reports the seed it used", () => {
    const g = new torch.Generator();
    const s = g.seed();
    assert.equal(g.initialSeed(), s);
    assert.deepEqual(torch.rand(3, { generator: g }).tolist(), torch.rand(3, { generator: new torch.Generator(s) }).tolist());
  });

  test("a bad state is refused in PyTorch's words and changes nothing", () => {
    const g = new torch.Generator(3);
    const before = g.getState();
    assert.throws(() => g.setState(torch.zeros(5056)), /RNG state must be a torch.ByteTensor/);
    assert.throws(() => g.setState(torch.zeros(5, { dtype: torch.uint8 })), /5056 bytes/);
    assert.deepEqual(g.getState().tolist(), before.tolist());
  });
});

describe("sampling errors, in PyTorch's words", () => {
  test("randperm", () => {
    assert.throws(() => torch.randperm(-1), /Trying to create tensor with negative dimension -1: \[-1\]/);
    assert.throws(() => torch.randperm(2.5), /must be an integer/);
    assert.throws(() => torch.randperm(3, { dtype: torch.bool }), /"randperm" not implemented for 'Bool'/);
    assert.throws(() => torch.randperm(129, { dtype: torch.int8 }), /value cannot be converted to type int8_t without overflow/);
    assert.throws(() => torch.randperm(2050, { dtype: torch.float16 }), /n cannot be greater than 2049 for Half type./);
    assert.throws(() => torch.randperm(2 ** 24 + 2, { dtype: torch.float32 }), /n cannot be greater than 2\^24\+1 for Float type./);
    assert.throws(() => torch.randperm(3, { generator: {} as torch.Generator }), /argument 'generator' must be torch.Generator/);
  });

  test("multinomial", () => {
    assert.throws(() => torch.multinomial(torch.tensor([1n, 2n]), 1), /multinomial only supports floating-point dtypes for input, got: Long/);
    assert.throws(() => torch.multinomial(torch.ones(2, 2, 2), 1), /prob_dist must be 1 or 2 dim/);
    assert.throws(() => torch.multinomial(torch.ones(2), 3), /cannot sample n_sample > prob_dist.size\(-1\) samples without replacement/);
    assert.throws(() => torch.multinomial(torch.zeros(2), 1), /invalid multinomial distribution \(sum of probabilities <= 0\)/);
    assert.throws(() => torch.multinomial(torch.tensor([1, -1]), 1), /probability tensor contains either `inf`, `nan` or element < 0/);
  });

  test("bernoulli and normal", () => {
    assert.throws(() => torch.bernoulli(torch.tensor([0.5, 2])), /Expected p_in >= 0 && p_in <= 1 to be true, but got false./);
    assert.throws(() => torch.ones(3).bernoulli_(2), /bernoulli_ expects p to be in \[0, 1\], but got p=2/);
    assert.throws(() => torch.bernoulli(torch.tensor([1n, 0n])), /"bernoulli_tensor_cpu_p_" not implemented for 'Long'/);
    assert.throws(() => torch.normal(torch.zeros(3), -1), /normal expects std >= 0.0, but found std -1/);
    assert.throws(() => torch.normal(torch.zeros(3), torch.ones(3).neg()), /normal expects all elements of std >= 0.0/);
    assert.throws(() => torch.normal(torch.zeros(3, { dtype: torch.int64 }), 1), /"normal_kernel_cpu" not implemented for 'Long'/);
    assert.throws(() => torch.normal(torch.zeros(3), torch.ones(4)), /size/);
    const leaf = torch.ones(2, { requiresGrad: true });
    assert.throws(() => leaf.bernoulli_(0.5), /a leaf Variable that requires grad is being used in an in-place operation/);
  });

  test("a failing call draws nothing", () => {
    const g = new torch.Generator(4);
    const before = g.getState();
    assert.throws(() => torch.multinomial(torch.tensor([1, -1]), 1, { generator: g }));
    assert.throws(() => torch.bernoulli(torch.tensor([0.5, 2]), { generator: g }));
    assert.throws(() => torch.normal(torch.zeros(3), -1, { generator: g }));
    assert.deepEqual(g.getState().tolist(), before.tolist());
  });

  test("results never require grad", () => {
    const mean = torch.zeros(3, { requiresGrad: true });
    assert.equal(torch.normal(mean, 1).requiresGrad, false);
    assert.equal(torch.bernoulli(torch.full([2], 0.5, { requiresGrad: true })).requiresGrad, false);
  });
});
