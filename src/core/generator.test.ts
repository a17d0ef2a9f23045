import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_SEED, Generator, RNG_STATE_BYTES, stateFromBytes, stateToBytes,
} from "./generator.ts";
import { fillExponential, fillNormal, fillNormalSerial, fillUniform } from "./random-float.ts";
import { fillBernoulli, fillBernoulliTensor, fillRandint, fillRandperm, multinomial, randperm } from "./random-int.ts";
import { ValueError } from "../errors.ts";

describe("Generator", () => {
  test("an unseeded generator starts from ATen's default seed", () => {
    assert.equal(new Generator().initialSeed(), DEFAULT_SEED);
    assert.equal(new Generator().random(), new Generator(DEFAULT_SEED).random());
  });

  test("the reference mt19937 output for seed 5489 (C++ std::mt19937's 10000th draw)", () => {
    const g = new Generator(5489);
    for (let i = 0; i < 9999; i++) g.random();
    assert.equal(g.random(), 4123659995);
  });

  test("seeds are uint64: negatives wrap, only the low 32 bits seed the stream", () => {
    assert.equal(new Generator(-1).initialSeed(), (1n << 64n) - 1n);
    assert.equal(new Generator(2n ** 32n + 17n).random(), new Generator(17).random());
    assert.equal(new Generator(2n ** 32n + 17n).initialSeed(), 2n ** 32n + 17n);
  });

  test("seeds that are not integers in [-2^63, 2^64) throw ValueError", () => {
    assert.throws(() => new Generator(1.5), ValueError);
    assert.throws(() => new Generator(2n ** 64n), /Overflow when unpacking long/);
    assert.throws(() => new Generator(-(2n ** 63n) - 1n), ValueError);
  });

  test("random64 puts the first draw in the high half; random53 keeps its low 53 bits", () => {
    const [a, b, c] = [new Generator(3), new Generator(3), new Generator(3)];
    const hi = BigInt(a.random());
    const lo = BigInt(a.random());
    const wide = b.random64();
    assert.equal(wide, (hi << 32n) | lo);
    assert.equal(BigInt(c.random53()), wide & ((1n << 53n) - 1n));
  });

  test("randomInto gives the same stream as random(), across twists", () => {
    const a = new Generator(11);
    const b = new Generator(11);
    a.random();
    b.random();
    const block = b.randomInto(new Uint32Array(1500));
    for (let i = 0; i < 1500; i++) assert.equal(block[i], a.random());
    assert.equal(a.random(), b.random());
  });

  test("manualSeed drops the cached normal sample", () => {
    const g = new Generator(0);
    const first = g.normalDouble();
    g.normalDouble();
    g.manualSeed(0);
    assert.equal(g.normalDouble(), first);
  });
});

describe("snapshot / restore", () => {
  test("a snapshot is a copy that restores the stream and the cached normal", () => {
    const g = new Generator(7);
    g.normalDouble();
    const snap = g.snapshot();
    const expected = [g.normalDouble(), g.random(), g.normalDouble()];
    assert.notEqual(g.snapshot().nextDoubleNormal, snap.nextDoubleNormal);
    g.restore(snap);
    assert.deepEqual([g.normalDouble(), g.random(), g.normalDouble()], expected);
    const other = new Generator(1).restore(structuredClone(snap));
    assert.equal(other.normalDouble(), expected[0]);
    assert.equal(other.initialSeed(), 7n);
  });

  test("an invalid state throws and leaves the generator unchanged", () => {
    const g = new Generator(5);
    const before = g.snapshot();
    assert.throws(() => g.restore({ ...before, left: 0 }), ValueError);
    assert.throws(() => g.restore({ ...before, mt: new Uint32Array(10) }), /624 words/);
    assert.deepEqual(g.snapshot(), before);
  });

  test("stateToBytes / stateFromBytes round-trip torch.get_rng_state()'s 5056 bytes", () => {
    const g = new Generator(2n ** 63n + 5n);
    g.random();
    g.normalDouble();
    const bytes = stateToBytes(g.snapshot());
    assert.equal(bytes.length, RNG_STATE_BYTES);
    assert.deepEqual(stateFromBytes(bytes), g.snapshot());
    assert.throws(() => stateFromBytes(new Uint8Array(100)), /5056 bytes/);
  });
});

describe("fills", () => {
  test("fillNormalSerial is one normal_distribution<double> sample per element at any size", () => {
    const a = new Generator(9);
    const b = new Generator(9);
    const out = new Float64Array(20);
    fillNormalSerial(out, 1, 2, a);
    assert.deepEqual(Array.from(out), Array.from({ length: 20 }, () => b.normalDouble() * 2 + 1));
  });

  test("bad arguments throw PyTorch's messages and draw nothing", () => {
    const g = new Generator(0);
    const before = g.snapshot();
    assert.throws(() => fillUniform(new Float32Array(2), 2, 1, g),
      /uniform_ expects to return a \[from, to\) range, but found from=2 > to=1/);
    assert.throws(() => fillUniform(new Float32Array(2), -3e38, 3e38, g), /to-from <= std::numeric_limits<Float>::max\(\)/);
    assert.throws(() => fillNormal(new Float32Array(2), 0, -1, g), /normal expects std >= 0.0, but found std -1/);
    assert.throws(() => fillBernoulli(new Float32Array(2), 1.5, g), /bernoulli_ expects p to be in \[0, 1\], but got p=1.5/);
    assert.throws(() => fillRandint(new BigInt64Array(2), 5, 5, g),
      /random_ expects 'from' to be less than 'to', but got from=5 >= to=5/);
    assert.throws(() => fillRandint(new Int32Array(2), 0, 2 ** 40, g), /to - 1 is out of bounds for int/);
    assert.throws(() => fillRandint(new Int32Array(2), 0.5, 3, g), ValueError);
    assert.throws(() => randperm(-1, g), ValueError);
    assert.throws(() => fillExponential(new Float32Array(2), -1, g), /exponential_ expects lambda >= 0.0, but found lambda=-1/);
    assert.throws(() => fillBernoulliTensor(new Float32Array(2), new Float32Array([0.5, 1.5]), g), /p_in >= 0 && p_in <= 1/);
    assert.throws(() => fillBernoulliTensor(new Float32Array(2), new Float32Array(3), g), /broadcast p first/);
    const p = new Float32Array([0.5, 0.5, 0, 0]);
    assert.throws(() => multinomial(p, 2, 3, false, g), /cannot sample n_sample > prob_dist.size\(-1\) samples without replacement/);
    assert.throws(() => multinomial(p, 2, 1, true, g), /sum of probabilities <= 0/);
    assert.throws(() => multinomial(new Float32Array([1, -1]), 2, 1, true, g), /element < 0/);
    assert.throws(() => multinomial(new Float32Array([1, 2, 3]), 2, 1, true, g), /rows of 2/);
    assert.deepEqual(g.snapshot(), before);
  });

  test("randperm of 0 and 1 elements draws nothing", () => {
    const g = new Generator(0);
    const before = g.snapshot();
    assert.deepEqual(Array.from(randperm(0, g)), []);
    assert.deepEqual(Array.from(randperm(1, g)), [0n]);
    assert.deepEqual(g.snapshot(), before);
  });

  test("fillRandperm writes a permutation into any numeric array", () => {
    const out = new Float32Array(50);
    fillRandperm(out, new Generator(1));
    assert.deepEqual(Array.from(out).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  });
});
