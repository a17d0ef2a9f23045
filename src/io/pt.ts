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
import type { RawStorage, RawTensor } from "./raw.ts";
import { asBytes, checkViewFits, decodeElements, encodeElements, isRawTensor, maxDepth } from "./raw.ts";
import type { ZipReader } from "./zip.ts";
import { looksLikeZip, openZip, writeZip } from "./zip.ts";

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

/** Reads a torch.save archive into plain values; throws FormatError naming `name` and the problem. */
export function readPt(input: Uint8Array | ArrayBuffer, name = "<bytes>"): PtValue {
  const bytes = asBytes(input);
  if (!looksLikeZip(bytes)) {
    throw new FormatError(`${name}: not a zip archive. torchlet reads the format torch.save has written since PyTorch 1.6; ` +
      `a legacy file (_use_new_zipfile_serialization=False) must be re-saved with torch.save in PyTorch >= 1.6`);
  }
  const zip = openZip(bytes, name);
  const prefix = archivePrefix(zip, name);
  checkVersion(zip, prefix, name);
  const bigEndian = readByteOrder(zip, prefix, name);
  const pkl = zip.read(zip.entries.get(`${prefix}/data.pkl`)!);
  return unpickle(pkl, name, torchHooks(zip, prefix, name, bigEndian)) as PtValue;
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

function torchHooks(zip: ZipReader, prefix: string, name: string, bigEndian: boolean): PickleHooks {
  const storages = new Map<string, RawStorage>();
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
    persistentLoad: (pid) => loadStorage(pid, { zip, prefix, name, bigEndian, storages }),
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
  zip: ZipReader; prefix: string; name: string; bigEndian: boolean; storages: Map<string, RawStorage>;
}

function loadStorage(pid: unknown, ctx: StorageContext): RawStorage {
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
  const data = decodeElements(zip.read(entry), dtype, count, ctx.bigEndian);
  const storage = { dtype, data };
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
  if (typeof storage !== "object" || storage === null || !ArrayBuffer.isView((storage as RawStorage).data)) {
    throw new FormatError(`${name}: _rebuild_tensor_v2 got no storage`);
  }
  const st = storage as RawStorage;
  const shape = intList(size, `${name}: tensor size`);
  const strides = intList(stride, `${name}: tensor stride`);
  if (typeof offset !== "number") throw new FormatError(`${name}: tensor storage offset is not an int`);
  checkViewFits(shape, strides, offset, st.data.length, `${name}: tensor (the file is corrupt)`);
  return { dtype: st.dtype, shape, strides, offset, storage: st, requiresGrad: requiresGrad === true };
}

function rebuildParameter(args: readonly unknown[]): RawTensor {
  const [data, requiresGrad] = args;
  if (!isRawTensor(data)) throw new Error("the parameter's data is not a tensor");
  return { ...data, parameter: true, requiresGrad: requiresGrad !== false };
}

/** Writes `obj` as torch.save does; torch.load(path, weights_only=True) in PyTorch 1.13 reads it. */
export function writePt(obj: PtValue): Uint8Array {
  const w = new PtWriter();
  w.value(obj);
  const files: Array<[string, Uint8Array]> = [["archive/data.pkl", w.pickler.finish()], ["archive/byteorder", ascii("little")]];
  for (const [storage, key] of w.storageKeys) files.push([`archive/data/${key}`, encodeElements(storage.data)]);
  files.push(["archive/version", ascii("3\n")]);
  return writeZip(files);
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

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
      case "string": return p.string(v);
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
    checkViewFits(t.shape, t.strides, t.offset, t.storage.data.length, "torch.save: tensor", ValueError);
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
