// Golden tests: torchlet's generator against PyTorch 1.13's CPU generator, from
// test/fixtures/random.json (written by scripts/fixtures/random.py).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Generator, stateFromBytes, stateToBytes } from "../src/core/generator.ts";
import { fillExponential, fillNormal, fillUniform } from "../src/core/random-float.ts";
import { fillBernoulli, fillBernoulliTensor, multinomial, fillRandint, fillRandperm } from "../src/core/random-int.ts";

type Step =
  | { op: "seed"; seed: string; initialSeed: string }
  | { op: "uniform"; dtype: string; n: number; from: number; to: number; out: number[] }
  | { op: "normal"; dtype: string; n: number; mean: number; std: number; out: number[] }
  | { op: "randint"; dtype: string; n: number; low: string; high: string; out: (number | string)[] }
  | { op: "bernoulli"; dtype: string; n: number; p: number; out: (number | string)[] }
  | { op: "randperm"; n: number; out: string[] }
  | { op: "exponential"; dtype: string; n: number; lambda: number; out: number[] }
  | { op: "bernoulliTensor"; dtype: string; n: number; pdtype: string; p: number[]; out: number[] }
  | {
    op: "multinomial"; rows: number; probs: number[]; numSamples: number; replacement: boolean; dtype: string;
    out: string[];
  }
  | { op: "state"; bytes: string };
interface Case { name: string; seed: string; steps: Step[] }
interface Fixture {
  cases: Case[];
  linear: { seed: number; in: number; out: number; weight: number[]; bias: number[] }[];
  dropout: { seed: number; n: number; p: number; out: number[] }[];
  freshGenerator: { initialSeed: string; rand: number[] };
  digests: (Exclude<Step, { op: "seed" | "state" }> & { name: string; seed: number; sha256: string })[];
}

const fixture = JSON.parse(readFileSync(new URL("./fixtures/random.json", import.meta.url), "utf8")) as Fixture;

function alloc(dtype: string, n: number): Float32Array | Float64Array | Int32Array | BigInt64Array {
  switch (dtype) {
    case "float32": return new Float32Array(n);
    case "float64": return new Float64Array(n);
    case "int32": return new Int32Array(n);
    case "int64": return new BigInt64Array(n);
    default: throw new Error(`fixture dtype ${dtype}`);
  }
}

const asStrings = (a: ArrayLike<number | bigint | string>): string[] => Array.from(a, (v) => String(v));
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Runs one fixture step on `gen` and returns what torchlet produced, next to PyTorch's. */
function run(step: Step, gen: Generator): { got: ArrayLike<number | bigint> | string; want: unknown } | null {
  switch (step.op) {
    case "seed":
      gen.manualSeed(BigInt(step.seed));
      assert.equal(gen.initialSeed(), BigInt(step.initialSeed));
      return null;
    case "state": {
      // The cached double normal goes through libm (see check), so compare it apart.
      const want = stateFromBytes(Buffer.from(step.bytes, "hex"));
      const got = gen.snapshot();
      const [a, b] = [got.nextDoubleNormal, want.nextDoubleNormal];
      assert.ok(a === b || (a !== null && b !== null && ulps(a, b, 52) <= 2), `cached normal ${a} vs ${b}`);
      const same = { ...got, nextDoubleNormal: want.nextDoubleNormal };
      return { got: hex(stateToBytes(same)), want: step.bytes };
    }
    case "uniform": {
      const out = alloc(step.dtype, step.n) as Float32Array | Float64Array;
      fillUniform(out, step.from, step.to, gen);
      return { got: out, want: step.out };
    }
    case "normal": {
      const out = alloc(step.dtype, step.n) as Float32Array | Float64Array;
      fillNormal(out, step.mean, step.std, gen);
      return { got: out, want: step.out };
    }
    case "randint": {
      const out = alloc(step.dtype, step.n);
      fillRandint(out, BigInt(step.low), BigInt(step.high), gen);
      return { got: out, want: step.out };
    }
    case "bernoulli": {
      const out = alloc(step.dtype, step.n);
      fillBernoulli(out, step.p, gen);
      return { got: out, want: step.out };
    }
    case "exponential": {
      const out = alloc(step.dtype, step.n) as Float32Array | Float64Array;
      fillExponential(out, step.lambda, gen);
      return { got: out, want: step.out };
    }
    case "bernoulliTensor": {
      const out = alloc(step.dtype, step.n);
      fillBernoulliTensor(out, (step.pdtype === "float32" ? Float32Array : Float64Array).from(step.p), gen);
      return { got: out, want: step.out };
    }
    case "multinomial": {
      const table = Array.from({ length: Math.max(step.rows, 1) }, () => step.probs).flat();
      const probs = (step.dtype === "float32" ? Float32Array : Float64Array).from(table);
      return { got: multinomial(probs, step.probs.length, step.numSamples, step.replacement, gen), want: step.out };
    }
    case "randperm": {
      const out = new BigInt64Array(step.n);
      fillRandperm(out, gen);
      return { got: out, want: step.out };
    }
  }
}

/** |a - b| in units in the last place of b, for a float with `bits` mantissa bits. */
const ulps = (a: number, b: number, bits: number): number =>
  a === b ? 0 : Math.abs(a - b) / 2 ** (Math.floor(Math.log2(Math.abs(b))) - bits);

/** Largest difference from PyTorch in float64 ulps. */
function ulpDistance(got: ArrayLike<number>, want: number[]): number {
  return want.reduce((worst, b, i) => Math.max(worst, ulps(got[i]!, b, 52)), 0);
}

/**
 * Everything is compared exactly except float64 normals, which go through libm's log/sin/cos:
 * V8's fdlibm and glibc may differ by an ulp there.
 */
function check(step: Step, result: { got: ArrayLike<number | bigint> | string; want: unknown }, where: string): void {
  const { got, want } = result;
  if (typeof got === "string") return assert.equal(got, want, `${where}: state bytes`);
  if ((step.op === "normal" || step.op === "exponential") && step.dtype === "float64") {
    const d = ulpDistance(got as ArrayLike<number>, want as number[]);
    return assert.ok(d <= 2, `${where}: ${d} ulps from PyTorch`);
  }
  if (typeof got[0] === "bigint" || (want as unknown[]).some((v) => typeof v === "string")) {
    return assert.deepEqual(asStrings(got), asStrings(want as (number | string)[]), where);
  }
  assert.deepEqual(Array.from(got as ArrayLike<number>), want, where);
}

describe("Generator against PyTorch 1.13 (test/fixtures/random.json)", () => {
  for (const c of fixture.cases) {
    test(c.name, () => {
      const gen = new Generator();
      c.steps.forEach((step, i) => {
        const result = run(step, gen);
        if (result) check(step, result, `${c.name}, step ${i} (${step.op})`);
      });
    });
  }
});

describe("nn.Linear(4, 8) initial weights after manual_seed", () => {
  for (const l of fixture.linear) {
    test(`seed ${l.seed}: weight then bias, both uniform(±1/√fan_in)`, () => {
      const gen = new Generator(l.seed);
      const bound = 1 / Math.sqrt(l.in);
      const weight = new Float32Array(l.in * l.out);
      const bias = new Float32Array(l.out);
      fillUniform(weight, -bound, bound, gen);
      fillUniform(bias, -bound, bound, gen);
      assert.deepEqual(Array.from(weight), l.weight);
      assert.deepEqual(Array.from(bias), l.bias);
    });
  }
});

describe("F.dropout draws bernoulli_(1 - p)", () => {
  for (const d of fixture.dropout) {
    test(`seed ${d.seed}, p=${d.p}: the mask matches and kept values are 1 / float32(1 - p)`, () => {
      const mask = new Float32Array(d.n);
      fillBernoulli(mask, 1 - d.p, new Generator(d.seed));
      const scale = Math.fround(1 / Math.fround(1 - d.p));
      assert.deepEqual(Array.from(mask, (m) => m * scale), d.out);
    });
  }
});

describe("long streams are bit-identical to PyTorch (SHA-256 of the raw bytes)", () => {
  for (const d of fixture.digests) {
    test(d.name, () => {
      const result = run({ ...d, out: [] } as Step, new Generator(d.seed));
      const bytes = result!.got as Float32Array | Float64Array | BigInt64Array;
      const sha = createHash("sha256").update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      assert.equal(sha.digest("hex"), d.sha256);
    });
  }
});

describe("new Generator()", () => {
  test("starts where a fresh torch.Generator() starts", () => {
    const gen = new Generator();
    assert.equal(gen.initialSeed(), BigInt(fixture.freshGenerator.initialSeed));
    const out = new Float32Array(5);
    fillUniform(out, 0, 1, gen);
    assert.deepEqual(Array.from(out), fixture.freshGenerator.rand);
  });
});
