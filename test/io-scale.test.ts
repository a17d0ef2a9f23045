/**
 * Issue 13: checkpoints read by byte range (zip64, Blobs, lazy tensors, shards) and the hostile
 * inputs of the probe, each refused or answered at the cost of what the file holds.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { DType } from "../src/core/dtype.ts";
import { FileError, FormatError, StateDictError, ValueError } from "../src/errors.ts";
import { addStatsAsync, inspectCheckpoint, tensorStats } from "../src/io/inspect.ts";
import { checkpointReportHtml, checkpointReportHtmlAsync } from "../src/diagnostics/checkpoint-report.ts";
import { parseShardIndex, readCheckpoint } from "../src/io/checkpoint.ts";
import {
  load, loadAsync, loadSafetensors, loadSafetensorsAsync, loadSafetensorsFile, openCheckpointFile, save, saveAsync,
  saveSafetensors, saveSafetensorsAsync,
} from "../src/io/files-node.ts";
import { LazyStorage } from "../src/io/lazy.ts";
import { Pickler } from "../src/io/pickle.ts";
import { readPt, writePt } from "../src/io/pt.ts";
import type { RawTensor } from "../src/io/raw.ts";
import { rawFromData } from "../src/io/raw.ts";
import { readSafetensors, writeSafetensors } from "../src/io/safetensors.ts";
import { deserializeAsync, deserializeSafetensorsAsync, openCheckpoint } from "../src/io/serialize.ts";
import type { ByteSource } from "../src/io/source.ts";
import { blobSource, bytesSource, parseAsync } from "../src/io/source.ts";
import type { ZipInput } from "../src/io/zip.ts";
import { openZip, writeZip, zipBytes, zipChunks } from "../src/io/zip.ts";
import { Linear } from "../src/nn/linear.ts";
import { Sequential } from "../src/nn/container.ts";
import { tensor } from "../src/ops/creation.ts";
import type { Tensor } from "../src/tensor.ts";
import { fixture, fixtureDir } from "./io-helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "torchlet-scale-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const blobPart = (name: string): Uint8Array<ArrayBuffer> => new Uint8Array(fixture(name));

/** A pickle of `{'w': tensor}` whose storage '0' holds `count` float32 elements, viewed with `shape`/`strides`. */
function tensorPickle(count: number, shape: number[], strides: number[]): Uint8Array {
  const p = new Pickler();
  p.emptyDict(); p.mark(); p.string("w");
  p.global("torch._utils", "_rebuild_tensor_v2"); p.mark();
  p.mark(); p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu"); p.int(count); p.tuple(); p.persistentId();
  p.int(0);
  p.mark(); for (const s of shape) p.int(s); p.tuple();
  p.mark(); for (const s of strides) p.int(s); p.tuple();
  p.bool(false); p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce(); p.tuple(); p.reduce();
  p.setItems();
  return p.finish();
}

/**
 * A sparse source: the chunks of a zip stream kept except the data of entries marked zero, which
 * read back as zeros. It lets a test open a > 4 GiB archive without 4 GiB of memory or disk.
 */
function sparseSource(chunks: Iterable<Uint8Array>, name: string): ByteSource {
  const parts: Array<{ at: number; bytes: Uint8Array | number }> = [];
  let size = 0;
  for (const c of chunks) {
    parts.push({ at: size, bytes: c.length > 1 << 20 && c.every((b, i) => i > 64 || b === 0) ? c.length : c.slice() });
    size += c.length;
  }
  return {
    name, size,
    read: (offset, length) => {
      const out = new Uint8Array(length);
      for (const p of parts) {
        const len = typeof p.bytes === "number" ? p.bytes : p.bytes.length;
        if (p.at + len <= offset || p.at >= offset + length || typeof p.bytes === "number") continue;
        const from = Math.max(offset, p.at), to = Math.min(offset + length, p.at + len);
        out.set(p.bytes.subarray(from - p.at, to - p.at), from - offset);
      }
      return out;
    },
  };
}

/** A zip input of `size` zero bytes produced 256 MiB at a time (never held whole). */
function zeros(name: string, size: number): ZipInput {
  const block = new Uint8Array(Math.min(size, 1 << 28));
  return {
    name, size, crc: 0,
    *chunks() { for (let pos = 0; pos < size; pos += block.length) yield block.subarray(0, Math.min(block.length, size - pos)); },
  };
}

describe("random access and zip64", () => {
  test("a > 4 GiB .pt in zip64 form opens from its headers; the storage stays in the file", () => {
    const count = 2 ** 30 + 16; // 4 GiB + 64 bytes of float32
    const files = [zipBytes("archive/data.pkl", tensorPickle(count, [count], [1])), zeros("archive/data/0", count * 4), zipBytes("archive/version", text("3\n"))];
    const source = sparseSource(zipChunks(files), "big.pt");
    assert.ok(source.size > 2 ** 32);
    const zip = openZip(source);
    const entry = zip.entries.get("archive/data/0")!;
    assert.equal(entry.size, count * 4);
    assert.equal(zip.dataStart(entry) % 64, 0);
    const ckpt = readCheckpoint(source);
    const w = ckpt.tensors.get("w")!;
    assert.deepEqual(w.shape, [count]);
    assert.ok(w.storage instanceof LazyStorage && !w.storage.loaded);
    const report = inspectCheckpoint("big.pt", ckpt);
    assert.deepEqual(report.totals, { tensors: 1, params: count, bytes: count * 4, storageBytes: count * 4 });
  });

  test("small archives written in zip64 form read back the same", () => {
    const d = readPt(fixture("mlp.pt"));
    const zip = openZip(fixture("mlp.pt"), "mlp.pt");
    const again = writeZip([...zip.entries.values()].map((e) => [e.name, zip.read(e).slice()] as const), { zip64: true });
    assert.notDeepEqual(again, fixture("mlp.pt"));
    const back = readPt(again) as Map<string, RawTensor>;
    for (const [k, t] of d as Map<string, RawTensor>) assert.deepEqual(back.get(k)!.storage.data, t.storage.data, k);
  });

  test("a Blob is read by slices: headers through parseAsync, tensors on demand", async () => {
    let reads = 0;
    const blob = new Blob([blobPart("dtypes.safetensors")]);
    const counting = { ...blobSource(blob, "dtypes.safetensors"), read: (o: number, n: number) => { reads++; return blob.slice(o, o + n).arrayBuffer().then((b) => new Uint8Array(b)); } };
    const ckpt = await parseAsync(counting, (s) => readCheckpoint(s, counting));
    assert.ok(reads <= 3, `${reads} reads for the header`);
    const f32 = ckpt.tensors.get("float32")!;
    assert.throws(() => f32.storage.data, /asynchronous source/);
    const values = await (f32.storage as LazyStorage).readAsync();
    assert.deepEqual(values, readSafetensors(fixture("dtypes.safetensors")).tensors.get("float32")!.storage.data);
    const opened = await openCheckpoint(new Blob([blobPart("mlp.pt")]), "mlp.pt");
    assert.equal(opened.format, "pt");
    assert.equal(opened.tensors.size, 4);
  });

  test("deserializeAsync reads a Response, a Blob or bytes to the same tensors", async () => {
    const want = (readPt(fixture("mlp.pt")) as Map<string, RawTensor>).get("0.weight")!.storage.data;
    for (const input of [new Response(blobPart("mlp.pt")), new Blob([blobPart("mlp.pt")]), fixture("mlp.pt")]) {
      const sd = await deserializeAsync<Map<string, Tensor>>(input, { name: "mlp.pt" });
      assert.deepEqual(sd.get("0.weight")!.storage.data, want);
    }
    const st = await deserializeSafetensorsAsync(new Blob([blobPart("dtypes.safetensors")]));
    assert.deepEqual(st.metadata, { format: "pt", note: "written by io.py" });
    await assert.rejects(deserializeAsync(new Response("nope", { status: 404 }), { name: "x.pt" }), /x\.pt: HTTP 404/);
  });

  test("statistics and the report of a Blob equal the file's, number for number; shards come as several Files", async () => {
    for (const name of ["dtypes.pt", "views.pt", "dtypes.safetensors", "tied.safetensors"]) {
      const fromFile = readCheckpoint(bytesSource(fixture(name), name));
      const opened = await openCheckpoint(new File([blobPart(name)], name));
      const seen: number[] = [];
      const report = await addStatsAsync(inspectCheckpoint(name, opened), opened, { progress: (done) => seen.push(done) });
      assert.deepEqual(report, inspectCheckpoint(name, fromFile, { stats: true }), name);
      assert.equal(seen.at(-1), report.totals.bytes);
      assert.equal(await checkpointReportHtmlAsync(opened, name), checkpointReportHtml(fromFile, name), name);
    }
    const files = ["model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
    const sharded = await openCheckpoint(files.map((f) => new File([blobPart(f)], f)));
    assert.equal(sharded.format, "sharded-safetensors");
    assert.deepEqual([...sharded.tensors.keys()], [...parseShardIndex(new TextDecoder().decode(fixture(files[0]!))).weightMap.keys()]);
    await assert.rejects(openCheckpoint(files.slice(0, 2).map((f) => new File([blobPart(f)], f))),
      /model\.safetensors\.index\.json: names the shard 'model-00002-of-00002\.safetensors', which is not among the files given/);
    await assert.rejects(openCheckpoint(files.slice(1).map((f) => new File([blobPart(f)], f))), /expected one checkpoint file, or one \*\.index\.json with its shards; got 2 files with 0 indexes/);
    const stop = new AbortController();
    stop.abort();
    await assert.rejects(addStatsAsync(inspectCheckpoint("x", sharded), sharded, { signal: stop.signal }), { name: "AbortError" });
  });
});

describe("lazy loading", () => {
  test("load(path, { lazy: true }) reads a tensor's bytes on first use only", () => {
    const path = join(dir, "lazy.pt");
    save(new Map([["a", tensor([1, 2, 3])], ["b", tensor([[4, 5], [6, 7]])]]), path);
    const sd = load<Map<string, Tensor>>(path, { lazy: true });
    const a = sd.get("a")!.storage as unknown as LazyStorage;
    assert.ok(a instanceof LazyStorage && !a.loaded);
    assert.deepEqual(sd.get("b")!.tolist(), [[4, 5], [6, 7]]);
    assert.equal(a.loaded, false);
    assert.deepEqual(sd.get("a")!.add(1).tolist(), [2, 3, 4]);
    assert.equal(a.loaded, true);
    sd.get("a")!.mul_(2);
    assert.deepEqual(sd.get("a")!.tolist(), [2, 4, 6], "in-place writes to a lazy tensor stick");
  });

  test("loadStateDict from a lazy dict copies tensor by tensor and releases each", () => {
    const net = new Sequential(new Linear(3, 4), new Linear(4, 2));
    const path = join(dir, "net.safetensors");
    saveSafetensors(net.stateDict(), path);
    const lazy = loadSafetensors(path, { lazy: true });
    const clone = new Sequential(new Linear(3, 4), new Linear(4, 2));
    clone.loadStateDict(lazy);
    for (const [k, t] of lazy) {
      assert.equal((t.storage as unknown as LazyStorage).loaded, false, `${k} released after the copy`);
      assert.deepEqual(clone.stateDict().get(k)!.tolist(), net.stateDict().get(k)!.tolist());
    }
  });

  test("a lazy loadStateDict reads raw tensors straight into the parameters, and copies views", () => {
    const net = new Sequential(new Linear(3, 4), new Linear(4, 2));
    const path = join(dir, "direct.pt");
    // the second layer's weight is saved as a transposed view: it takes the copy path
    const sd = net.stateDict();
    sd.set("1.weight", sd.get("1.weight")!.T.contiguous().T);
    save(sd, path);
    const lazy = load<Map<string, Tensor>>(path, { lazy: true });
    const clone = new Sequential(new Linear(3, 4), new Linear(4, 2));
    const direct: string[] = [];
    for (const [k, t] of lazy) {
      const st = t.storage as unknown as LazyStorage, readInto = st.readInto.bind(st);
      st.readInto = (target) => { const ok = readInto(target); if (ok) direct.push(k); return ok; };
    }
    const before = clone.getParameter("0.weight")._version.value;
    clone.loadStateDict(lazy);
    assert.deepEqual(direct, ["0.weight", "0.bias", "1.bias"], "contiguous tensors read straight in; the view is copied");
    assert.equal(clone.getParameter("0.weight")._version.value, before + 1, "a direct read counts as a write, as copy_");
    for (const [k, t] of net.stateDict()) assert.deepEqual(clone.stateDict().get(k)!.tolist(), t.tolist(), k);
    for (const [k, t] of lazy) assert.equal((t.storage as unknown as LazyStorage).loaded, false, `${k} not held after loading`);
  });

  test("sharded checkpoints: safetensors and PyTorch .bin shards with their index load as one state dict", () => {
    const net = new Sequential(new Linear(3, 4), new Linear(4, 2));
    const sd = net.stateDict();
    const names = [...sd.keys()];
    for (const [kind, ext] of [["safetensors", "safetensors"], ["bin", "bin"]] as const) {
      const shardNames = [`model-00001-of-00002.${ext}`, `model-00002-of-00002.${ext}`];
      const weightMap: Record<string, string> = {};
      names.forEach((n, i) => { weightMap[n] = shardNames[i < 2 ? 0 : 1]!; });
      shardNames.forEach((file, s) => {
        const part = new Map(names.filter((_, i) => (i < 2 ? 0 : 1) === s).map((n) => [n, sd.get(n)!]));
        if (kind === "safetensors") saveSafetensors(part, join(dir, file)); else save(part, join(dir, file));
      });
      const index = join(dir, `model.${ext}.index.json`);
      writeFileSync(index, JSON.stringify({ metadata: {}, weight_map: weightMap }));
      for (const loaded of [load<Map<string, Tensor>>(index, { lazy: true }), loadSafetensors(index)]) {
        assert.deepEqual([...loaded.keys()], names, kind);
        for (const n of names) assert.deepEqual(loaded.get(n)!.tolist(), sd.get(n)!.tolist(), `${kind} ${n}`);
      }
      assert.equal(openCheckpointFile(index).format, kind === "bin" ? "sharded-pt" : "sharded-safetensors");
    }
  });
});

describe("hostile and odd inputs cost what they are", () => {
  test("zip entries that share compressed bytes are refused before anything inflates", () => {
    const bytes = writeZip([["archive/data.pkl", new Uint8Array(100)], ["archive/version", text("3\n")]]);
    // point the second central entry's local-header offset at the first entry
    const v = new DataView(bytes.buffer);
    let dirAt = v.getUint32(bytes.length - 6, true);
    dirAt += 46 + v.getUint16(dirAt + 28, true) + v.getUint16(dirAt + 30, true);
    v.setUint32(dirAt + 42, 0, true);
    assert.throws(() => openZip(bytes, "bomb.pt"), (e: unknown) => e instanceof FormatError && /^bomb\.pt: zip entry .* overlaps/.test(e.message));
  });

  test("an expanded (stride-0) view of 2^40 elements: statistics and report cost its one-element storage", () => {
    const base = rawFromData(DType.float32, [1], new Float32Array([2.5]));
    const huge: RawTensor = { ...base, shape: [2 ** 20, 2 ** 20], strides: [0, 0] };
    const path = join(dir, "expanded.pt");
    writeFileSync(path, writePt(new Map([["e", huge], ["mixed", { ...rawFromData(DType.float32, [3], new Float32Array([1, 2, 4])), shape: [1000, 3], strides: [0, 1] }]])));
    const start = performance.now();
    const ckpt = openCheckpointFile(path);
    const e = tensorStats(ckpt.tensors.get("e")!);
    assert.deepEqual(e, { min: 2.5, max: 2.5, mean: 2.5, std: 0, nan: 0, inf: 0 });
    const m = tensorStats(ckpt.tensors.get("mixed")!);
    const values = Array.from({ length: 3000 }, (_, i) => [1, 2, 4][i % 3]!);
    const mean = values.reduce((s, x) => s + x, 0) / 3000;
    assert.ok(Math.abs(m.mean! - mean) < 1e-12);
    assert.ok(Math.abs(m.std! - Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / 2999)) < 1e-12);
    const html = checkpointReportHtml(ckpt, "expanded");
    assert.match(html, /<h3>e \[1048576, 1048576\] float32<\/h3>/);
    assert.ok(performance.now() - start < 2000, `took ${performance.now() - start} ms`);
  });

  test("a safetensors header with 200 000 tensors parses in linear time", () => {
    const timed = (n: number): number => {
      const header: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) header[`t${i}`] = { dtype: "F32", shape: [0], data_offsets: [0, 0] };
      const json = text(JSON.stringify(header));
      const bytes = new Uint8Array(8 + json.length);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
      bytes.set(json, 8);
      const start = performance.now();
      const { tensors } = readSafetensors(bytes, "many.safetensors");
      const report = inspectCheckpoint("many.safetensors", { format: "safetensors", tensors, metadata: {} });
      assert.equal(report.totals.tensors, n);
      return performance.now() - start;
    };
    const small = timed(50_000), large = timed(200_000);
    // four times the tensors: linear parsing takes about four times as long, quadratic sixteen
    assert.ok(large < 8 * small + 1000, `50 000 tensors in ${small.toFixed(0)} ms, 200 000 in ${large.toFixed(0)} ms`);
  });

  test("a device or a FIFO is refused by name, never read", () => {
    assert.throws(() => load("/dev/zero"), (e: unknown) => e instanceof FileError && /^\/dev\/zero: is a character device, not a regular file/.test(e.message));
    assert.throws(() => openCheckpointFile(dir), /is a directory, not a regular file/);
    const fifo = join(dir, "pipe.pt");
    if (spawnSync("mkfifo", [fifo]).status === 0) {
      assert.throws(() => loadSafetensors(fifo), (e: unknown) => e instanceof FileError && /pipe\.pt: is a FIFO/.test(e.message));
    }
  });

  test("a user's metadata round-trips through torchlet's own files; what cannot be written is refused first", () => {
    const w = rawFromData(DType.float32, [2], new Float32Array([1, 2]));
    const meta = { description: "w", format: "pt" };
    const back = readSafetensors(writeSafetensors(new Map([["w", w]]), meta));
    assert.deepEqual([...back.tensors.keys()], ["w"]);
    assert.deepEqual(back.metadata, meta);
    const proto = readSafetensors(writeSafetensors(new Map([["__proto__", w], ["x", w]])));
    assert.deepEqual([...proto.tensors.keys()].sort(), ["__proto__", "x"]);
    assert.equal(proto.tensors.get("__proto__")!.storage, proto.tensors.get("x")!.storage);
    const path = join(dir, "refused.safetensors");
    for (const [tensors, metadata, pattern] of [
      [new Map([["__metadata__", w]]), {}, /cannot be named '__metadata__'/],
      [new Map([["bad\ud800", w]]), {}, /tensor name 'bad…' holds a lone surrogate/],
      [new Map([["w", w]]), { "k\udc00": "v" }, /lone surrogate/],
      [new Map([["w", w]]), { "torchlet.tied": "{}" }, /reserved/],
    ] as const) {
      assert.throws(() => saveSafetensors(new Map([...tensors].map(([k]) => [k, tensor([1, 2])])), path, { metadata }), (e: unknown) => e instanceof ValueError && pattern.test(e.message));
      assert.equal(existsSync(path), false);
    }
    assert.throws(() => save({ ["k\ud800"]: 1 }, join(dir, "refused.pt")), /lone surrogate/);
    assert.equal(existsSync(join(dir, "refused.pt")), false);
  });

  test("a pickle returns only documented types: no callable as data, no tensor as a dict key", () => {
    const archive = (pkl: Uint8Array): Uint8Array => writeZip([["archive/data.pkl", pkl], ["archive/version", text("3\n")]]);
    const callable = new Pickler();
    callable.global("collections", "OrderedDict");
    assert.throws(() => readPt(archive(callable.finish()), "c.pt"), /c\.pt: the pickle returns the global 'collections\.OrderedDict' as data/);
    const keyed = tensorPickle(1, [1], [1]).slice();
    // {'w': t} -> {t: 'w'}: swap SETITEMS' key and value by rebuilding with the tensor first
    const p = new Pickler();
    p.emptyDict(); p.mark();
    p.global("torch._utils", "_rebuild_tensor_v2"); p.mark();
    p.mark(); p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu"); p.int(1); p.tuple(); p.persistentId();
    p.int(0); p.mark(); p.int(1); p.tuple(); p.mark(); p.int(1); p.tuple(); p.bool(false);
    p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce(); p.tuple(); p.reduce();
    p.string("w"); p.setItems();
    assert.ok(keyed.length > 0);
    const bytes = writeZip([["archive/data.pkl", p.finish()], ["archive/data/0", new Uint8Array(4)], ["archive/version", text("3\n")]]);
    assert.throws(() => readPt(bytes, "k.pt"), /k\.pt: a dict key is a tensor/);
  });

  test("loadStateDict takes only real tensors", () => {
    const net = new Linear(2, 1);
    const fake = { shape: [1, 2], copy_: () => undefined };
    assert.throws(() => net.loadStateDict(new Map<string, unknown>([["weight", fake], ["bias", tensor([0])]]) as never),
      (e: unknown) => e instanceof StateDictError && /While copying the parameter named "weight", expected torch\.Tensor/.test(e.message));
  });

  test("a failed write is a FileError naming the file; a killed save's temporary file is removed by the next save", () => {
    const target = join(dir, "no-such-folder", "x.pt");
    assert.throws(() => save({ a: 1 }, target), (e: unknown) => e instanceof FileError && e.code === "ENOENT" && e.message.startsWith(`${target}: cannot write`));
    if (process.getuid?.() !== 0) {
      const ro = join(dir, "readonly");
      execFileSync("mkdir", [ro]);
      chmodSync(ro, 0o500);
      assert.throws(() => saveSafetensors({ a: tensor([1]) }, join(ro, "x.safetensors")), (e: unknown) => e instanceof FileError && e.code === "EACCES" && /readonly\/x\.safetensors: cannot write/.test(e.message));
      chmodSync(ro, 0o700);
    }
    const path = join(dir, "model.pt");
    const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid!;
    writeFileSync(join(dir, `.model.pt.${dead}.0.tmp`), "partial");
    writeFileSync(join(dir, `.model.pt.${process.pid}.999.tmp`), "ours, in flight");
    save({ a: 1 }, path);
    const temps = readdirSync(dir).filter((f) => f.startsWith(".model.pt."));
    assert.deepEqual(temps, [`.model.pt.${process.pid}.999.tmp`]);
  });
});

describe("async file APIs", () => {
  test("saveAsync/loadAsync and saveSafetensorsAsync/loadSafetensorsAsync round-trip and stay atomic", async () => {
    const sd = new Map([["w", tensor([[1, 2], [3, 4]])], ["b", tensor([5, 6])]]);
    const pt = join(dir, "async.pt"), st = join(dir, "async.safetensors");
    await saveAsync(sd, pt);
    await saveSafetensorsAsync(sd, st, { metadata: { note: "async" } });
    for (const back of [await loadAsync<Map<string, Tensor>>(pt), await loadSafetensorsAsync(st), await loadAsync<Map<string, Tensor>>(pt, { lazy: true })]) {
      assert.deepEqual(back.get("w")!.tolist(), [[1, 2], [3, 4]]);
      assert.deepEqual(back.get("b")!.tolist(), [5, 6]);
    }
    assert.deepEqual(loadSafetensorsFile(st).metadata, { note: "async" });
    await assert.rejects(saveAsync(sd, join(dir, "missing", "x.pt")), (e: unknown) => e instanceof FileError && e.code === "ENOENT");
    await assert.rejects(loadAsync("/dev/zero"), FileError);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(".async")), []);
  });

  test("the sharded fixture and bytes sources agree with the file readers", () => {
    const viaBytes = readCheckpoint(bytesSource(fixture("mlp.pt"), "mlp.pt"));
    const viaFile = openCheckpointFile(join(fixtureDir, "mlp.pt"));
    assert.deepEqual([...viaBytes.tensors.keys()], [...viaFile.tensors.keys()]);
    for (const [k, t] of viaFile.tensors) assert.deepEqual(t.storage.data, viaBytes.tensors.get(k)!.storage.data);
  });
});
