/**
 * PyTorch's torch.save format since 1.6: a zip archive holding `<archive>/data.pkl` (a protocol-2
 * pickle whose tensors point at storages through persistent ids), one record per storage under
 * `<archive>/data/<key>`, and `<archive>/version`. Reading allows only the globals a weights file
 * needs, the same set torch.load(weights_only=True) trusts.
 */
import { DType } from "../core/dtype.ts";
import { FormatError, ValueError } from "../errors.ts";
import type { PickleCallable, PickleHooks } from "./pickle.ts";
import { Pickler, isTuple, unpickle } from "./pickle.ts";
import { LazyStorage, storageNumel } from "./lazy.ts";
import type { RawStorage, RawTensor } from "./raw.ts";
import { byteChunks, checkViewFits, isRawTensor, maxDepth } from "./raw.ts";
import type { AnyByteSource, ByteSource } from "./source.ts";
import { bytesSource } from "./source.ts";
import type { ZipReader } from "./zip.ts";
import { checkZipNames, concatChunks, crc32, looksLikeZip, openZip, zipBytes, zipChunks } from "./zip.ts";

/** A value torch.save can hold: tensors, dicts (Map = OrderedDict), lists, scalars, nested. */
export type PtValue =
  | RawTensor | Map<PtKey, PtValue> | { [key: string]: PtValue } | PtValue[] | readonly PtValue[]
  | number | string | boolean | null | bigint | Uint8Array;
/** A dict key in a saved tree. */
export type PtKey = string | number | bigint | boolean | null;

const storageClasses: ReadonlyArray<readonly [string, DType]> = [
  ["FloatStorage", DType.float32], ["DoubleStorage", DType.float64], ["HalfStorage", DType.float16],
  ["BFloat16Storage", DType.bfloat16], ["LongStorage", DType.int64], ["IntStorage", DType.int32],
  ["CharStorage", DType.int8], ["ByteStorage", DType.uint8], ["BoolStorage", DType.bool],
];
const storageName = new Map(storageClasses.map(([n, d]) => [d, n]));

/** The highest archive format version PyTorch 1.13 reads (kMaxSupportedFileFormatVersion, caffe2/serialize/versions.h). */
const maxVersion = 10;

interface StorageType extends PickleCallable { dtype: DType }

/** Options of readPt. */
export interface ReadPtOptions {
  /**
   * Where tensor bytes are read from when used (default: `source`). The header parse may run over
   * a prefetching copy of an asynchronous source; its storages then read from the real one.
   */
  target?: AnyByteSource;
}

/**
 * Reads a torch.save archive into plain values; throws FormatError naming the file and the
 * problem. Only the directory, the small records and the pickle are read: each storage is a
 * LazyStorage that reads its bytes when first used.
 */
export function readPt(input: Uint8Array | ArrayBuffer | ByteSource, name?: string, options: ReadPtOptions = {}): PtValue {
  const source = input instanceof Uint8Array || input instanceof ArrayBuffer ? bytesSource(input, name) : input;
  if (!looksLikeZip(source.read(0, Math.min(4, source.size)))) {
    throw new FormatError(`${source.name}: not a zip archive. torchlet reads the format torch.save has written since PyTorch 1.6; ` +
      `a legacy file (_use_new_zipfile_serialization=False) must be re-saved with torch.save in PyTorch >= 1.6`);
  }
  const zip = openZip(source);
  const fileName = source.name;
  const prefix = archivePrefix(zip, fileName);
  checkVersion(zip, prefix, fileName);
  const bigEndian = readByteOrder(zip, prefix, fileName);
  const pkl = zip.read(zip.entries.get(`${prefix}/data.pkl`)!);
  const ctx: StorageContext = { zip, prefix, name: fileName, bigEndian, storages: new Map(), target: options.target ?? source };
  return checkResult(unpickle(pkl, fileName, torchHooks(ctx)), fileName);
}

/**
 * The unpickled value, checked to hold only the documented types (tensors, dicts with scalar
 * keys, lists, scalars, strings, bytes): an allow-listed callable or a bare storage returned as
 * data, or a tensor used as a dict key, is refused rather than handed out as an internal record.
 */
function checkResult(value: unknown, name: string): PtValue {
  const seen = new Set<object>();
  const walk = (v: unknown, depth: number): void => {
    if (v === null || ["number", "string", "boolean", "bigint"].includes(typeof v) || v instanceof Uint8Array) return;
    if (typeof v !== "object") throw new FormatError(`${name}: the pickle holds a ${typeof v}, which a weights file cannot hold`);
    if (isRawTensor(v) || seen.has(v)) return;
    if (depth > maxDepth) throw new FormatError(`${name}: containers are nested more than ${maxDepth} deep`);
    seen.add(v);
    if (Array.isArray(v)) {
      for (const item of v) walk(item, depth + 1);
    } else if (v instanceof Map) {
      for (const [k, item] of v) {
        if (typeof k === "object" && k !== null) throw new FormatError(`${name}: a dict key is a ${isRawTensor(k) ? "tensor" : "container"}; keys must be strings, numbers, booleans or None`);
        walk(item, depth + 1);
      }
    } else {
      const what = typeof (v as PickleCallable).pickleName === "string" ? `the global '${(v as PickleCallable).pickleName}'` : "a storage or object";
      throw new FormatError(`${name}: the pickle returns ${what} as data; a weights file holds only tensors, dicts, lists and scalars`);
    }
  };
  walk(value, 0);
  return value as PtValue;
}

function archivePrefix(zip: ZipReader, name: string): string {
  for (const entry of zip.entries.keys()) {
    const m = /^([^/]+)\/data\.pkl$/.exec(entry);
    if (m) return m[1]!;
  }
  throw new FormatError(`${name}: the zip archive has no <archive>/data.pkl record; it was not written by torch.save`);
}

function recordText(zip: ZipReader, path: string, name: string): string | undefined {
  const e = zip.entries.get(path);
  if (e === undefined) return undefined;
  if (e.size > 64) throw new FormatError(`${name}: record '${path}' is ${e.size} bytes, too long for its purpose`);
  return new TextDecoder().decode(zip.read(e)).trim();
}

function checkVersion(zip: ZipReader, prefix: string, name: string): void {
  const text = recordText(zip, `${prefix}/version`, name) ?? recordText(zip, `${prefix}/.data/version`, name);
  if (text === undefined) throw new FormatError(`${name}: the archive has no version record; it was not written by torch.save`);
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1 || v > maxVersion) {
    throw new FormatError(`${name}: archive format version '${text}' is not supported (1 to ${maxVersion})`);
  }
}

function readByteOrder(zip: ZipReader, prefix: string, name: string): boolean {
  const order = recordText(zip, `${prefix}/byteorder`, name) ?? "little";
  if (order !== "little" && order !== "big") throw new FormatError(`${name}: byteorder record '${order}' is neither 'little' nor 'big'`);
  return order === "big";
}

function callable(pickleName: string, name: string, call: (args: readonly unknown[]) => unknown): PickleCallable {
  return {
    pickleName,
    call: (args) => {
      try {
        return call(args);
      } catch (e) {
        if (e instanceof FormatError) throw e;
        throw new FormatError(`${name}: ${pickleName} got invalid arguments: ${(e as Error).message}`);
      }
    },
  };
}

function torchHooks(ctx: StorageContext): PickleHooks {
  const name = ctx.name;
  const allowed = new Map<string, PickleCallable>([
    ["collections.OrderedDict", callable("collections.OrderedDict", name, orderedDict)],
    ["collections.Counter", callable("collections.Counter", name, counter)],
    ["torch._utils._rebuild_tensor_v2", callable("torch._utils._rebuild_tensor_v2", name, (a) => rebuildTensor(a, name))],
    ["torch._utils._rebuild_parameter", callable("torch._utils._rebuild_parameter", name, rebuildParameter)],
    ["torch._utils._rebuild_parameter_with_state", callable("torch._utils._rebuild_parameter_with_state", name, rebuildParameter)],
  ]);
  for (const [cls, dtype] of storageClasses) {
    const st: StorageType = { ...callable(`torch.${cls}`, name, () => { throw new Error("storages are only loaded through persistent ids"); }), dtype };
    allowed.set(`torch.${cls}`, st);
  }
  return {
    resolveGlobal: (module, n) => {
      const g = allowed.get(`${module}.${n}`);
      if (g === undefined && module === "torch" && n.endsWith("Storage")) {
        throw new FormatError(`${name}: tensors stored as torch.${n} have a dtype torchlet does not support; ` +
          `convert them in PyTorch to one of float32, float64, float16, bfloat16, int64, int32, int8, uint8 or bool before saving`);
      }
      return g;
    },
    persistentLoad: (pid) => loadStorage(pid, ctx),
    // OrderedDict carries `_metadata` (module versions) as instance state; torchlet has no use for it
    build: (target, state) => target instanceof Map && state instanceof Map,
  };
}

function orderedDict(args: readonly unknown[]): Map<unknown, unknown> {
  if (args.length !== 0) throw new Error(`expected no arguments, got ${args.length}`);
  return new Map();
}

/** A Counter (MultiStepLR's milestones in a scheduler state dict) loads as a Map of its counts. */
function counter(args: readonly unknown[]): Map<unknown, unknown> {
  if (args.length > 1 || (args.length === 1 && !(args[0] instanceof Map))) throw new Error("expected a dict of counts");
  return new Map(args[0] as Map<unknown, unknown> | undefined);
}

interface StorageContext {
  zip: ZipReader; prefix: string; name: string; bigEndian: boolean; storages: Map<string, LazyStorage>; target: AnyByteSource;
}

function loadStorage(pid: unknown, ctx: StorageContext): LazyStorage {
  const { zip, prefix, name, storages } = ctx;
  if (!isTuple(pid) || pid.length !== 5 || pid[0] !== "storage") {
    throw new FormatError(`${name}: a persistent id is not ('storage', type, key, location, numel); only storages may be loaded`);
  }
  const [, type, key, , count] = pid;
  if (typeof type !== "object" || type === null || !((type as StorageType).dtype instanceof DType)) {
    throw new FormatError(`${name}: a persistent id names no storage class`);
  }
  const dtype = (type as StorageType).dtype;
  if (typeof key !== "string" || typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
    throw new FormatError(`${name}: a storage id has a bad key or element count`);
  }
  const cached = storages.get(key);
  if (cached !== undefined) {
    if (cached.dtype !== dtype) throw new FormatError(`${name}: storage '${key}' is read as both ${cached.dtype} and ${dtype}`);
    return cached;
  }
  const entry = zip.entries.get(`${prefix}/data/${key}`);
  if (entry === undefined) throw new FormatError(`${name}: storage record '${prefix}/data/${key}' is missing`);
  if (entry.size < count * dtype.itemsize) {
    throw new FormatError(`${name}: storage '${key}' claims ${count} ${dtype} elements (${count * dtype.itemsize} bytes) but its record has ${entry.size} bytes`);
  }
  const start = zip.dataStart(entry);
  const stored = entry.method === 0;
  const storage = new LazyStorage(dtype, count, {
    source: ctx.target, offset: start, length: stored ? count * dtype.itemsize : entry.compressedSize, bigEndian: ctx.bigEndian,
    ...(stored ? {} : { inflated: entry.size }),
  });
  if (!stored && entry.method !== 8) zip.read(entry);
  storages.set(key, storage);
  return storage;
}

function intList(v: unknown, what: string): number[] {
  if (!isTuple(v) && !Array.isArray(v)) throw new FormatError(`${what} is not a tuple`);
  if (!v.every((x) => typeof x === "number")) throw new FormatError(`${what} holds a value that is not an int`);
  return [...(v as number[])];
}

function rebuildTensor(args: readonly unknown[], name: string): RawTensor {
  if (args.length < 6 || args.length > 7) throw new FormatError(`${name}: _rebuild_tensor_v2 expects 6 or 7 arguments, got ${args.length}`);
  const [storage, offset, size, stride, requiresGrad] = args;
  if (!(storage instanceof LazyStorage)) {
    throw new FormatError(`${name}: _rebuild_tensor_v2 got no storage`);
  }
  const st = storage as RawStorage;
  const shape = intList(size, `${name}: tensor size`);
  const strides = intList(stride, `${name}: tensor stride`);
  if (typeof offset !== "number") throw new FormatError(`${name}: tensor storage offset is not an int`);
  checkViewFits(shape, strides, offset, storageNumel(st), `${name}: tensor (the file is corrupt)`);
  return { dtype: st.dtype, shape, strides, offset, storage: st, requiresGrad: requiresGrad === true };
}

function rebuildParameter(args: readonly unknown[]): RawTensor {
  const [data, requiresGrad] = args;
  if (!isRawTensor(data)) throw new Error("the parameter's data is not a tensor");
  return { ...data, parameter: true, requiresGrad: requiresGrad !== false };
}

/** Writes `obj` as torch.save does; torch.load(path, weights_only=True) in PyTorch 1.13 reads it. */
export function writePt(obj: PtValue): Uint8Array {
  return concatChunks(ptChunks(obj));
}

/**
 * `obj` in torch.save's format as a stream of chunks (zip64 past 4 GiB), for writing to a file
 * without a whole-file buffer. Everything that can be refused (an unsavable value, a bad view) is
 * refused by this call, before the first chunk exists.
 */
export function ptChunks(obj: PtValue): Iterable<Uint8Array> {
  const w = new PtWriter();
  w.value(obj);
  const files = [zipBytes("archive/data.pkl", w.pickler.finish()), zipBytes("archive/byteorder", ascii("little"))];
  for (const [storage, key] of w.storageKeys) {
    // a storage still in its file is read twice (for the CRC, then to write) and never kept
    const lazy = storage instanceof LazyStorage;
    const read = (): Uint8Array[] => byteChunks(lazy ? storage.read() : storage.data);
    const first = read();
    let crc = 0, size = 0;
    for (const c of first) { crc = crc32(c, crc); size += c.length; }
    files.push({ name: `archive/data/${key}`, size, crc, chunks: () => (lazy ? read() : first) });
  }
  files.push(zipBytes("archive/version", ascii("3\n")));
  checkZipNames(files);
  return zipChunks(files);
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Refuses a string with a lone surrogate, which UTF-8 cannot hold (it would be silently changed). */
function checkText(s: string, what: string): string {
  if (/\p{Cs}/u.test(s)) throw new ValueError(`torch.save: ${what} '${s.replace(/\p{Cs}/gu, "\\u{?}")}' holds a lone surrogate, which UTF-8 cannot encode`);
  return s;
}

class PtWriter {
  readonly pickler = new Pickler();
  readonly storageKeys = new Map<RawStorage, string>();
  readonly #memo = new Map<object, number>();
  #depth = 0;

  value(v: PtValue | undefined): void {
    if (this.#depth > maxDepth) throw new ValueError(`torch.save: containers are nested more than ${maxDepth} deep`);
    const p = this.pickler;
    if (v === null || v === undefined) return p.none();
    switch (typeof v) {
      case "boolean": return p.bool(v);
      case "bigint": return p.int(v);
      case "string": return p.string(checkText(v, "a string"));
      case "number": return Number.isSafeInteger(v) && !Object.is(v, -0) ? p.int(v) : p.float(v);
    }
    const seen = this.#memo.get(v);
    if (seen !== undefined) return p.get(seen);
    if (isRawTensor(v)) return this.tensor(v);
    if (v instanceof Uint8Array) return this.pickler.bytes(v);
    this.#depth++;
    try {
      if (v instanceof Map) return this.dict(v, true);
      if (Array.isArray(v)) return this.list(v);
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto === Object.prototype || proto === null) return this.dict(new Map(Object.entries(v)), false, v);
    } finally {
      this.#depth--;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    throw new ValueError(`torch.save: cannot save a ${(proto as { constructor?: { name?: string } })?.constructor?.name ?? typeof v}; ` +
      "save tensors, Maps, plain objects, arrays, numbers, strings, booleans, null, bigints or Uint8Arrays");
  }

  list(v: readonly PtValue[]): void {
    this.pickler.emptyList();
    this.#memo.set(v, this.pickler.put());
    if (v.length === 0) return;
    this.pickler.mark();
    for (const item of v) this.value(item);
    this.pickler.appends();
  }

  dict(entries: Map<unknown, PtValue>, ordered: boolean, identity: object = entries): void {
    const p = this.pickler;
    if (ordered) this.emptyOrderedDict();
    else p.emptyDict();
    this.#memo.set(identity, p.put());
    if (entries.size === 0) return;
    p.mark();
    for (const [k, item] of entries) {
      if (typeof k === "object" && k !== null) throw new ValueError("torch.save: dict keys must be strings, numbers, booleans, null or bigints");
      if (typeof k === "string") checkText(k, "a dict key");
      this.value(k as PtKey);
      this.value(item);
    }
    p.setItems();
  }

  tensor(t: RawTensor): void {
    const p = this.pickler;
    if (t.parameter) {
      p.global("torch._utils", "_rebuild_parameter");
      p.mark();
    }
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.mark();
    this.storage(t);
    p.int(t.offset);
    this.ints(t.shape);
    this.ints(t.strides);
    p.bool(!t.parameter && (t.requiresGrad ?? false));
    this.emptyOrderedDict();
    p.tuple();
    p.reduce();
    if (t.parameter) {
      p.bool(t.requiresGrad ?? true);
      this.emptyOrderedDict();
      p.tuple();
      p.reduce();
    }
    this.#memo.set(t, p.put());
  }

  storage(t: RawTensor): void {
    const p = this.pickler;
    const cls = storageName.get(t.dtype);
    if (cls === undefined || t.storage.dtype !== t.dtype) throw new ValueError(`torch.save: a ${t.dtype} tensor over ${t.storage.dtype} storage cannot be saved`);
    checkViewFits(t.shape, t.strides, t.offset, storageNumel(t.storage), "torch.save: tensor", ValueError);
    let key = this.storageKeys.get(t.storage);
    if (key === undefined) this.storageKeys.set(t.storage, (key = String(this.storageKeys.size)));
    p.mark();
    p.string("storage");
    p.global("torch", cls);
    p.string(key);
    p.string("cpu");
    p.int(t.storage.data.length);
    p.tuple();
    p.persistentId();
  }

  ints(values: readonly number[]): void {
    this.pickler.mark();
    for (const v of values) this.pickler.int(v);
    this.pickler.tuple();
  }

  emptyOrderedDict(): void {
    this.pickler.global("collections", "OrderedDict");
    this.pickler.emptyTuple();
    this.pickler.reduce();
  }
}
