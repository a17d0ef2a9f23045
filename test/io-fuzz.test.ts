/**
 * Thousands of seeded mutations of valid files of both formats: each must load or throw
 * FormatError, never another error, a crash or a hang. Three mutators: raw bytes of the whole
 * file, the pickle inside an otherwise valid zip, and the JSON header of a safetensors file.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FormatError } from "../src/errors.ts";
import { readPt } from "../src/io/pt.ts";
import { readSafetensors } from "../src/io/safetensors.ts";
import { deserialize, deserializeSafetensors } from "../src/io/serialize.ts";
import { openZip, writeZip } from "../src/io/zip.ts";
import { diffCheckpoints } from "../src/cli/diff.ts";
import { tensorStats } from "../src/io/inspect.ts";
import { parseShardIndex, readCheckpoint, readSharded } from "../src/io/checkpoint.ts";
import { bytesSource } from "../src/io/source.ts";
import { fixture } from "./io-helpers.ts";

/** mulberry32: a tiny seeded generator, so every run mutates the same way. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const interesting = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xffffffff, 0x40000000];

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  let b = src.slice();
  const n = 1 + Math.floor(r() * 6);
  for (let k = 0; k < n && b.length > 0; k++) {
    const at = Math.floor(r() * b.length);
    switch (Math.floor(r() * 7)) {
      case 0: b[at] = Math.floor(r() * 256); break;
      case 1: b[at]! ^= 1 << Math.floor(r() * 8); break;
      case 2: b = b.slice(0, at); break;
      case 3: b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + Math.floor(r() * 8))]); break;
      case 4: b = Uint8Array.from([...b.subarray(0, at), ...Array.from({ length: 1 + Math.floor(r() * 8) }, () => Math.floor(r() * 256)), ...b.subarray(at)]); break;
      case 5: {
        const v = interesting[Math.floor(r() * interesting.length)]!;
        for (let i = 0; i < 4 && at + i < b.length; i++) b[at + i] = (v >>> (8 * i)) & 0xff;
        break;
      }
      default: b.copyWithin(at, Math.floor(r() * b.length), Math.floor(r() * b.length));
    }
  }
  return b;
}

interface Tally { loaded: number; refused: number; slowestMs: number }

/** Runs `read` on a mutated input; anything but success or FormatError fails the test. */
function check(read: (b: Uint8Array) => unknown, bytes: Uint8Array, tally: Tally, what: string): void {
  const start = performance.now();
  try {
    read(bytes);
    tally.loaded++;
  } catch (e) {
    if (!(e instanceof FormatError)) {
      assert.fail(`${what}: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
    }
    tally.refused++;
  }
  tally.slowestMs = Math.max(tally.slowestMs, performance.now() - start);
}

const ptFiles = ["dtypes.pt", "views.pt", "nested.pt", "mlp.pt", "tied.pt"].map((f) => [f, fixture(f)] as const);
const stFiles = ["dtypes.safetensors", "tied.safetensors", "model-00001-of-00002.safetensors"].map((f) => [f, fixture(f)] as const);

/** Rebuilds a .pt with a mutated data.pkl, so the zip layer passes and the unpickler is tested. */
function withMutatedPickle(file: Uint8Array, r: () => number): Uint8Array {
  const zip = openZip(file, "fuzz");
  const files: Array<[string, Uint8Array]> = [...zip.entries.values()].map((e) =>
    [e.name, e.name.endsWith("data.pkl") ? mutate(zip.read(e), r) : zip.read(e)]);
  return writeZip(files);
}

/** Rewrites a safetensors header with a mutated JSON text, keeping the length prefix right. */
function withMutatedHeader(file: Uint8Array, r: () => number): Uint8Array {
  const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = mutate(file.subarray(8, 8 + n), r);
  const out = new Uint8Array(8 + header.length + file.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(file.subarray(8 + n), 8 + header.length);
  return out;
}

const report = (name: string, t: Tally): void =>
  console.log(`# ${name}: ${t.loaded} loaded, ${t.refused} refused with FormatError, slowest ${t.slowestMs.toFixed(1)} ms`);

describe("fuzzing the readers", () => {
  test("mutated and truncated .pt files load or throw FormatError", () => {
    const r = rng(0x5eed), tally: Tally = { loaded: 0, refused: 0, slowestMs: 0 };
    for (let i = 0; i < 3000; i++) {
      const [name, file] = ptFiles[i % ptFiles.length]!;
      const bytes = i % 2 === 0 ? mutate(file, r) : withMutatedPickle(file, r);
      check((b) => deserialize(b, { name }), bytes, tally, `${name} mutation ${i}`);
    }
    report(".pt", tally);
    assert.ok(tally.refused > 1000 && tally.slowestMs < 1000);
  });

  test("mutated and truncated safetensors files load or throw FormatError", () => {
    const r = rng(0xfeed), tally: Tally = { loaded: 0, refused: 0, slowestMs: 0 };
    for (let i = 0; i < 3000; i++) {
      const [name, file] = stFiles[i % stFiles.length]!;
      const bytes = i % 2 === 0 ? mutate(file, r) : withMutatedHeader(file, r);
      check((b) => deserializeSafetensors(b, { name }), bytes, tally, `${name} mutation ${i}`);
    }
    report("safetensors", tally);
    assert.ok(tally.refused > 1000 && tally.slowestMs < 1000);
  });

  test("every prefix of a valid file is refused, never half-loaded", () => {
    for (const [name, file] of [...ptFiles.slice(0, 2), ...stFiles.slice(0, 1)]) {
      const read = name.endsWith(".pt") ? readPt : readSafetensors;
      for (let len = 0; len < file.length; len++) {
        assert.throws(() => read(file.subarray(0, len), name), FormatError, `${name} cut at ${len}`);
      }
    }
  });

  test("lazy reads, zip64 archives, statistics and diff of mutated files: FormatError or a result", () => {
    const r = rng(0x1a2b), tally: Tally = { loaded: 0, refused: 0, slowestMs: 0 };
    const zip64 = ptFiles.map(([name, file]) => {
      const zip = openZip(file, name);
      return [name, writeZip([...zip.entries.values()].map((e) => [e.name, zip.read(e).slice()] as const), { zip64: true })] as const;
    });
    const all = [...ptFiles, ...zip64, ...stFiles];
    for (let i = 0; i < 3000; i++) {
      const [name, file] = all[i % all.length]!;
      const bytes = mutate(file, r);
      check((b) => {
        const ckpt = readCheckpoint(bytesSource(b, name));
        for (const t of ckpt.tensors.values()) {
          assert.ok(t.storage.data.length >= 0); // a lazy read of every storage
          tensorStats(t);
        }
        diffCheckpoints("a", readCheckpoint(bytesSource(file, name)), name, ckpt);
      }, bytes, tally, `${name} mutation ${i}`);
    }
    report("lazy/zip64/diff", tally);
    assert.ok(tally.refused > 500 && tally.loaded > 100 && tally.slowestMs < 1000);
  });

  test("mutated shard indexes and shards: FormatError or a checkpoint", () => {
    const r = rng(0x5ad), tally: Tally = { loaded: 0, refused: 0, slowestMs: 0 };
    const index = fixture("model.safetensors.index.json");
    const shards = new Map(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"].map((f) => [f, fixture(f)]));
    for (let i = 0; i < 1000; i++) {
      const mutateIndex = i % 2 === 0;
      const text = new TextDecoder().decode(mutateIndex ? mutate(index, r) : index);
      const victim = [...shards.keys()][i % 2]!;
      const bad = mutateIndex ? shards.get(victim)! : mutate(shards.get(victim)!, r);
      check(() => {
        const ckpt = readSharded(parseShardIndex(text, "index.json"), (f) => {
          const bytes = f === victim ? bad : shards.get(f);
          if (bytes === undefined) throw new FormatError(`index.json: no shard ${f}`);
          return readCheckpoint(bytesSource(bytes, f));
        }, "index.json");
        for (const t of ckpt.tensors.values()) tensorStats(t);
      }, new Uint8Array(0), tally, `shard mutation ${i}`);
    }
    report("shards", tally);
    assert.ok(tally.refused > 100 && tally.loaded > 10 && tally.slowestMs < 1000);
  });
});
