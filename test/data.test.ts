// torch.utils.data against PyTorch 1.13: batch order over epochs, samplers, randomSplit and the
// default generator's state after each pass, from test/fixtures/data.json (written by
// scripts/fixtures/data.py); then the collate rules, datasets, errors and async loading.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import type { Tensor } from "../src/index.ts";

const {
  DataLoader, TensorDataset, IterableDataset, Dataset, Subset, ConcatDataset, randomSplit, defaultCollate,
  RandomSampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler, BatchSampler,
} = torch.utils.data;

interface Pass<B> { batches: B[]; rand: number[] }
interface Fixture {
  loaders: {
    seed: number; n: number; batchSize: number | null; shuffle: boolean; dropLast: boolean; genSeed: number | null;
    length: number; passes: Pass<number[] | number>[];
  }[];
  iterables: { n: number; batchSize: number | null; dropLast: boolean; length: number; passes: Pass<number[] | number>[] }[];
  samplers: { name: string; seed: number; length: number; passes: Pass<number | number[]>[] }[];
  splits: { name: string; seed: number; n: number; lengths: number[]; genSeed: number | null; indices: number[][]; rand: number[] }[];
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/data.json", import.meta.url), "utf8")) as Fixture;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const rand2 = (): number[] => torch.rand(2).tolist() as number[];

/** Runs `passes` passes over an iterable, converting each batch, with torch.rand(2) after each. */
function passes<B>(iterable: Iterable<unknown>, count: number, convert: (b: unknown) => B): Pass<B>[] {
  return range(count).map(() => ({ batches: Array.from(iterable, convert), rand: rand2() }));
}

describe("DataLoader batch order and draws match PyTorch's, epoch after epoch", () => {
  for (const c of fixture.loaders) {
    const name = `n=${c.n} batchSize=${c.batchSize} shuffle=${c.shuffle} dropLast=${c.dropLast}` +
      `${c.genSeed === null ? "" : ` generator=${c.genSeed}`} seed=${c.seed}`;
    test(name, () => {
      torch.manualSeed(c.seed);
      const generator = c.genSeed === null ? undefined : new torch.Generator(c.genSeed);
      const loader = new DataLoader(new TensorDataset(torch.arange(c.n)), {
        batchSize: c.batchSize, shuffle: c.shuffle, dropLast: c.dropLast, generator,
      });
      assert.equal(loader.length, c.length);
      const got = passes(loader, c.passes.length, (b) => (b as Tensor[])[0]!.tolist() as number[] | number);
      assert.deepEqual(got, c.passes);
    });
  }
});

class Stream extends IterableDataset<number> {
  constructor(readonly n: number) { super(); }
  override get length(): number { return this.n; }
  override *[Symbol.iterator](): Iterator<number> { yield* range(this.n); }
}

describe("DataLoader over an IterableDataset", () => {
  for (const c of fixture.iterables) {
    test(`n=${c.n} batchSize=${c.batchSize} dropLast=${c.dropLast}`, () => {
      torch.manualSeed(7);
      const loader = new DataLoader(new Stream(c.n), { batchSize: c.batchSize, dropLast: c.dropLast });
      assert.equal(loader.length, c.length);
      assert.deepEqual(passes(loader, c.passes.length, (b) => (b instanceof torch.Tensor ? b.tolist() : b) as number[]), c.passes);
    });
  }
});

describe("samplers match PyTorch's", () => {
  const make: Record<string, () => Iterable<number | number[]> & { length: number }> = {
    "RandomSampler(range(10))": () => new RandomSampler(range(10)),
    "RandomSampler(range(10), numSamples=25)": () => new RandomSampler(range(10), { numSamples: 25 }),
    "RandomSampler(range(10), numSamples=4)": () => new RandomSampler(range(10), { numSamples: 4 }),
    "RandomSampler(range(10), replacement, numSamples=70)": () => new RandomSampler(range(10), { replacement: true, numSamples: 70 }),
    "RandomSampler(range(6), generator=seed 5)": () => new RandomSampler(range(6), { generator: new torch.Generator(5) }),
    "SubsetRandomSampler([3, 5, 7, 11, 13])": () => new SubsetRandomSampler([3, 5, 7, 11, 13]),
    "WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 12)": () => new WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 12),
    "WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5, replacement=false)":
      () => new WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5, { replacement: false }),
    "BatchSampler(RandomSampler(range(10)), 3, false)": () => new BatchSampler(new RandomSampler(range(10)), 3, false),
    "BatchSampler(SequentialSampler(range(10)), 3, true)": () => new BatchSampler(new SequentialSampler(range(10)), 3, true),
  };
  for (const c of fixture.samplers) {
    test(`${c.name} seed=${c.seed}`, () => {
      torch.manualSeed(c.seed);
      const sampler = make[c.name]!();
      assert.equal(sampler.length, c.length);
      assert.deepEqual(passes(sampler, c.passes.length, (i) => i as number), c.passes);
    });
  }
});

describe("randomSplit matches PyTorch's", () => {
  for (const c of fixture.splits) {
    test(c.name, () => {
      torch.manualSeed(c.seed);
      const generator = c.genSeed === null ? undefined : new torch.Generator(c.genSeed);
      const parts = randomSplit(range(c.n), c.lengths, { generator });
      assert.deepEqual(parts.map((p) => p.indices), c.indices);
      assert.deepEqual(parts.map((p) => range(p.length).map((i) => p.getItem(i))), c.indices);
      assert.deepEqual(rand2(), c.rand);
    });
  }

  test("errors", () => {
    assert.throws(() => randomSplit(range(5), [2, 2]), /Sum of input lengths does not equal the length of the input dataset!/);
    assert.throws(() => randomSplit(range(5), [1.5, -0.5]), /Fraction at index 0 is not between 0 and 1/);
  });
});

describe("default collate", () => {
  test("tensors stack; integers become int64, other numbers float64; bigints int64; booleans bool; strings stay", () => {
    const [x, label, weight, id, flag, name] = defaultCollate([
      [torch.tensor([1, 2]), 3, 0.5, 7n, true, "a"],
      [torch.tensor([3, 4]), 1, 2, 8n, false, "b"],
    ]);
    assert.equal(x.toString(), "tensor([[1., 2.],\n        [3., 4.]])");
    assert.equal(label.toString(), "tensor([3, 1])");
    assert.equal(weight.toString(), "tensor([0.5000, 2.0000], dtype=torch.float64)");
    assert.equal(id.toString(), "tensor([7, 8])");
    assert.equal(flag.toString(), "tensor([ True, False])");
    assert.deepEqual(name, ["a", "b"]);
  });

  test("objects collate key by key and nested arrays element by element", () => {
    const out = defaultCollate([{ a: 0, b: [1, { c: 2 }] }, { a: 100, b: [3, { c: 4 }] }]);
    assert.equal(out.a.toString(), "tensor([  0, 100])");
    assert.equal(out.b[0].toString(), "tensor([1, 3])");
    assert.equal((out.b[1] as { c: Tensor }).c.toString(), "tensor([2, 4])");
  });

  test("errors in PyTorch's words", () => {
    assert.throws(() => defaultCollate([[1, 2], [3]]), /each element in list of batch should be of equal size/);
    assert.throws(() => defaultCollate([null, null]), /batch must contain tensors, numbers, dicts or lists; found null/);
    assert.throws(() => defaultCollate([new Map(), new Map()]), /found Map/);
  });
});

describe("datasets", () => {
  test("TensorDataset items are rows; a loader's batch is [x, y]", () => {
    const x = torch.arange(12).reshape([6, 2]);
    const y = torch.arange(6);
    const ds = new TensorDataset(x, y);
    assert.equal(ds.length, 6);
    assert.deepEqual(ds.getItem(2).map((t) => t.tolist()), [[4, 5], 2]);
    const [xb, yb] = [...new DataLoader(ds, { batchSize: 4 })][1]!;
    assert.deepEqual([xb!.tolist(), yb!.tolist()], [[[8, 9], [10, 11]], [4, 5]]);
    assert.throws(() => new TensorDataset(x, torch.arange(5)), /Size mismatch between tensors/);
  });

  test("Subset and ConcatDataset index as PyTorch, plain arrays included", () => {
    const sub = new Subset(["a", "b", "c", "d"], [3, 1]);
    assert.deepEqual([sub.getItem(0), sub.getItem(1), sub.getItem(-1), sub.length], ["d", "b", "b", 2]);
    const cat = new ConcatDataset<string>([["a", "b"], sub, ["e"]]);
    assert.deepEqual(cat.cumulativeSizes, [2, 4, 5]);
    assert.deepEqual(range(5).map((i) => cat.getItem(i)), ["a", "b", "d", "b", "e"]);
    assert.equal(cat.getItem(-1), "e");
    assert.throws(() => cat.getItem(-6), /absolute value of index should not exceed dataset length/);
    assert.throws(() => new ConcatDataset([]), /datasets should not be an empty iterable/);
    assert.throws(() => new ConcatDataset([new Stream(3) as never]), /ConcatDataset does not support IterableDataset/);
  });
});

describe("DataLoader options and errors, in PyTorch's words", () => {
  const ds = range(10);
  test("mutually exclusive options", () => {
    assert.throws(() => new DataLoader(ds, { sampler: new SequentialSampler(ds), shuffle: true }), /sampler option is mutually exclusive with shuffle/);
    assert.throws(() => new DataLoader(ds, { batchSampler: new BatchSampler(new SequentialSampler(ds), 2, false), batchSize: 3 }),
      /batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last/);
    assert.throws(() => new DataLoader(ds, { batchSize: null, dropLast: true }), /batch_size=None option disables auto-batching/);
    assert.throws(() => new DataLoader(new Stream(3), { shuffle: true }), /expected unspecified shuffle option, but got shuffle=true/);
    assert.throws(() => new DataLoader(ds, { batchSize: 0 }), /batch_size should be a positive integer value, but got batch_size=0/);
    assert.throws(() => new DataLoader(ds, { batch_size: 2 } as never), /unexpected option\(s\) batch_size/);
    assert.throws(() => new RandomSampler([], {}), /num_samples should be a positive integer value, but got num_samples=0/);
  });

  test("a batchSampler and a custom collateFn", () => {
    const loader = new DataLoader(ds, {
      batchSampler: new BatchSampler(new SequentialSampler(ds), 4, true), collateFn: (xs: number[]) => xs.join(","),
    });
    assert.deepEqual([...loader], ["0,1,2,3", "4,5,6,7"]);
    assert.equal(loader.length, 2);
  });
});

class Lazy extends Dataset<Promise<Tensor[]>> {
  loading = 0;
  maxLoading = 0;
  get length(): number { return 7; }
  async getItem(i: number): Promise<Tensor[]> {
    this.maxLoading = Math.max(this.maxLoading, ++this.loading);
    await new Promise((r) => setTimeout(r, 1));
    this.loading--;
    return [torch.tensor([i, -i]), torch.tensor(i % 2)];
  }
}

class AsyncStream extends IterableDataset<number> {
  override async *[Symbol.asyncIterator](): AsyncIterator<number> {
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 1));
      yield i;
    }
  }
}

describe("async datasets with for await", () => {
  test("a Promise-returning getItem loads a batch concurrently and shuffles as the sync loader", async () => {
    const ds = new Lazy();
    torch.manualSeed(3);
    const got: number[][] = [];
    for await (const [x, y] of new DataLoader(ds, { batchSize: 3, shuffle: true })) {
      assert.deepEqual(x!.shape.slice(1), [2]);
      got.push((x!.select(1, 0).tolist() as number[]));
      assert.deepEqual(y!.tolist(), (x!.select(1, 0).tolist() as number[]).map((i) => i % 2));
    }
    assert.ok(ds.maxLoading > 1, "samples of a batch load at the same time");
    torch.manualSeed(3);
    const want = [...new DataLoader(range(7), { batchSize: 3, shuffle: true })].map((b) => b.tolist());
    assert.deepEqual(got, want);
  });

  test("an async IterableDataset", async () => {
    const got: unknown[] = [];
    for await (const b of new DataLoader(new AsyncStream(), { batchSize: 2 })) got.push(b.tolist());
    assert.deepEqual(got, [[0, 1], [2, 3], [4]]);
  });

  test("sync iteration over async data says to use for await", () => {
    assert.throws(() => [...new DataLoader(new Lazy(), { batchSize: 2 })], /for await/);
    assert.throws(() => [...new DataLoader(new AsyncStream(), { batchSize: 2 })], /for await/);
  });
});
