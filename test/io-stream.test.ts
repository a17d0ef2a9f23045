/**
 * Streaming tensors of several chunks from files: the reader thread reads chunk i + 1 while chunk i
 * is digested (Node), a Blob's next slice is asked for early (browsers); the bytes, the statistics
 * and the errors are the same as reading each chunk when it is needed.
 */
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { diffCheckpoints } from "../src/cli/diff.ts";
import { DType } from "../src/core/dtype.ts";
import { FormatError } from "../src/errors.ts";
import { readCheckpoint, readCheckpointAsync } from "../src/io/checkpoint.ts";
import { openCheckpointFile } from "../src/io/files-node.ts";
import { addStatsAsync, inspectCheckpoint, tensorStats } from "../src/io/inspect.ts";
import type { RawTensor } from "../src/io/raw.ts";
import { rawFromData } from "../src/io/raw.ts";
import { readOnThread, warmReadThread } from "../src/io/read-thread-node.ts";
import { writeSafetensors } from "../src/io/safetensors.ts";
import { openCheckpoint } from "../src/io/serialize.ts";
import type { AsyncByteSource } from "../src/io/source.ts";
import { bytesSource } from "../src/io/source.ts";
import { chunkElements, tensorChunks, tensorChunksAsync } from "../src/io/tensor-stream.ts";

const dir = mkdtempSync(join(tmpdir(), "torchlet-stream-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Values with NaN, ±Inf, zeros and a spread, so every statistic has something to say. */
function values(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    out[i] = i % 100_003 === 7 ? NaN : i % 200_003 === 11 ? -Infinity : i % 4099 === 0 ? 0 : (x / 2 ** 32 - 0.5) * (1 + (i % 7));
  }
  return out;
}

// 2.5 chunks of float32 (3 reads), 2.25 of float64, 3.1 of float16, 2 of int64 (ends on a chunk)
const n32 = chunkElements * 2 + (chunkElements >> 1), n64 = chunkElements * 2 + (chunkElements >> 2);
const n16 = chunkElements * 3 + 12345, nInt = chunkElements * 2;
function tensors(seed: number): Map<string, RawTensor> {
  return new Map<string, RawTensor>([
    ["f32", rawFromData(DType.float32, [n32 / 512, 512], Float32Array.from(values(n32, seed)))],
    ["small", rawFromData(DType.float32, [3], Float32Array.of(1, -2, 3))],
    ["f64", rawFromData(DType.float64, [n64], values(n64, seed + 1))],
    ["f16", rawFromData(DType.float16, [n16], Uint16Array.from({ length: n16 }, (_, i) => (i * 40503) & 0x7bff))],
    ["i64", rawFromData(DType.int64, [nInt], BigInt64Array.from({ length: nInt }, (_, i) => BigInt(i % 1000) - 500n))],
  ]);
}

const pathA = join(dir, "a.safetensors"), pathB = join(dir, "b.safetensors");
let bytesA: Uint8Array, bytesB: Uint8Array;

/** Resolves once the reader thread answers, so the tests below go through it and not around it. */
async function readThreadUp(): Promise<void> {
  warmReadThread();
  const fd = openSync(pathA, "r");
  try {
    for (let i = 0; i < 500; i++) {
      const wait = readOnThread(fd, 0, new Uint8Array(new SharedArrayBuffer(8)));
      if (wait !== null) {
        assert.equal(wait(), 8);
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    closeSync(fd);
  }
  assert.fail("the reader thread did not start in 5 s");
}

before(async () => {
  bytesA = writeSafetensors(tensors(1));
  bytesB = writeSafetensors(tensors(2));
  writeFileSync(pathA, bytesA);
  writeFileSync(pathB, bytesB);
  await readThreadUp();
});

describe("the reader thread", () => {
  test("reads ranges into shared buffers, at offsets inside them, short at the end of the file", () => {
    const fd = openSync(pathA, "r");
    try {
      const sab = new SharedArrayBuffer(1 << 20), other = new SharedArrayBuffer(4096);
      const targets = [new Uint8Array(sab, 0, 1000), new Uint8Array(sab, 4096, 65536), new Uint8Array(other, 100, 3000)];
      const positions = [0, 123_457, bytesA.length - 1000];
      const waits = targets.map((t, i) => readOnThread(fd, positions[i]!, t));
      assert.ok(waits.every((w) => w !== null), "in flight at once");
      waits.forEach((w, i) => {
        const got = w!();
        const want = bytesA.subarray(positions[i]!, positions[i]! + targets[i]!.length);
        assert.equal(got, want.length);
        assert.deepEqual(targets[i]!.subarray(0, got), want);
      });
      assert.equal(waits[0]!(), 1000, "waiting twice gives the same answer");
      assert.equal(readOnThread(fd, 0, new Uint8Array(1000)), null, "not shared memory: the caller reads for itself");
      assert.equal(readOnThread(fd, -1 + 2 ** 40, new Uint8Array(new SharedArrayBuffer(16)))!(), 0, "past the end: nothing");
      assert.equal(readOnThread(123456, 0, new Uint8Array(new SharedArrayBuffer(16)))!(), -1, "a bad descriptor fails on the thread");
    } finally {
      closeSync(fd);
    }
  });

  test("a file's chunks, read ahead, are the tensor's elements in order; statistics match bytes in memory", () => {
    const want = tensors(1);
    const file = openCheckpointFile(pathA), memory = readCheckpoint(bytesSource(bytesA, pathA));
    for (const [name, t] of file.tensors) {
      const parts: number[] = [];
      for (const c of tensorChunks(t)) {
        assert.equal(c.weight, 1);
        assert.ok(c.values.length <= chunkElements);
        for (const v of c.values) parts.push(v);
      }
      const data = want.get(name)!.storage.data as ArrayLike<number | bigint>;
      assert.equal(parts.length, data.length, name);
      const expected = Array.from(data, Number);
      const decoded = name === "f16" ? Array.from(tensorChunks(memory.tensors.get(name)!), (c) => Array.from(c.values)).flat() : expected;
      assert.deepEqual(parts, decoded, name);
    }
    assert.deepEqual(inspectCheckpoint(pathA, file, { stats: true }).tensors, inspectCheckpoint(pathA, memory, { stats: true }).tensors);
  });

  test("a caller that stops early leaves no read behind to spoil the next stream", () => {
    const file = openCheckpointFile(pathA), memory = readCheckpoint(bytesSource(bytesA, pathA));
    for (const name of ["f32", "f64", "f16"]) {
      for (const c of tensorChunks(file.tensors.get(name)!)) {
        assert.ok(c.values.length > 0);
        break;
      }
      assert.deepEqual(tensorStats(file.tensors.get(name)!), tensorStats(memory.tensors.get(name)!), name);
    }
  });

  test("two files streamed in step (diff) compare as from memory", () => {
    const fa = openCheckpointFile(pathA), fb = openCheckpointFile(pathB);
    const ma = readCheckpoint(bytesSource(bytesA, "a")), mb = readCheckpoint(bytesSource(bytesB, "b"));
    const d = diffCheckpoints("a", fa, "b", fb), m = diffCheckpoints("a", ma, "b", mb);
    assert.deepEqual(d, m);
    assert.deepEqual([d.summary.changed, d.summary.same], [2, 3]); // f16, i64 and small do not depend on the seed
  });

  test("a file truncated mid-stream fails with an error naming it, and the next stream is right", () => {
    const path = join(dir, "cut.safetensors");
    writeFileSync(path, bytesA);
    const file = openCheckpointFile(path);
    const f32 = file.tensors.get("f32")!;
    const at = (t: RawTensor): number => (t.storage as unknown as { from: { offset: number } }).from.offset;
    const cut = at(f32) + chunkElements * 4 + 1000; // inside the second chunk
    truncateSync(path, cut);
    const chunks: number[] = [];
    assert.throws(() => { for (const c of tensorChunks(f32)) chunks.push(c.values.length); },
      (e: unknown) => e instanceof FormatError && e.message.includes(path) && /truncated/.test(e.message));
    assert.deepEqual(chunks, [chunkElements], "the first chunk came, the second did not");
    for (const [name, t] of file.tensors) {
      const end = at(t) + t.shape.reduce((a, b) => a * b, t.dtype.itemsize);
      if (end > cut) assert.throws(() => tensorStats(t), (e: unknown) => e instanceof FormatError && e.message.includes(path), name);
      else assert.doesNotThrow(() => tensorStats(t), name);
    }
    const memory = readCheckpoint(bytesSource(bytesA, pathA));
    assert.deepEqual(tensorStats(openCheckpointFile(pathA).tensors.get("f32")!), tensorStats(memory.tensors.get("f32")!));
  });
});

describe("asynchronous sources", () => {
  test("a Blob streamed with the next slice asked for early gives the file's statistics", async () => {
    const opened = await openCheckpoint(new File([readFileSync(pathA)], "a.safetensors"));
    const report = await addStatsAsync(inspectCheckpoint("a.safetensors", opened), opened);
    assert.deepEqual(report.tensors, inspectCheckpoint("a.safetensors", openCheckpointFile(pathA), { stats: true }).tensors);
  });

  test("a source that comes up short mid-stream fails naming it; one that stops early leaves nothing unhandled", async () => {
    const blob = new Blob([new Uint8Array(bytesA)]);
    const slice = async (offset: number, length: number): Promise<Uint8Array> => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    let big = 0;
    const short: AsyncByteSource = {
      async: true, name: "short.safetensors", size: bytesA.length,
      read: async (offset, length) => (length > 1 << 20 && ++big > 2 ? (await slice(offset, length)).subarray(0, length - 4) : slice(offset, length)),
    };
    const seen: number[] = [];
    const f32 = (await readCheckpointAsync(short)).tensors.get("f32")!;
    await assert.rejects(async () => { for await (const c of tensorChunksAsync(f32)) seen.push(c.values.length); },
      (e: unknown) => e instanceof FormatError && /short\.safetensors: the file changed or was truncated/.test(e.message));
    assert.deepEqual(seen, [chunkElements, chunkElements]);
    // the read of the next chunk fails after the caller has stopped: nobody awaits it, and that is no unhandled rejection
    let failed = 0;
    const failing: AsyncByteSource = {
      ...short, name: "gone.safetensors",
      read: async (offset, length) => {
        if (length > 1 << 20 && failed++ > 0) throw new Error("gone");
        return slice(offset, length);
      },
    };
    const it = tensorChunksAsync((await readCheckpointAsync(failing)).tensors.get("f64")!);
    assert.equal((await it.next()).value!.values.length, chunkElements);
    await it.return(undefined);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(failed, 2);
  });
});
