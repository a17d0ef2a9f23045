/**
 * torch.nn.functional.pad: constant, reflect, replicate and circular padding (negative amounts
 * crop). Every mode is one gather through per-dim index maps (`Backend.pad`) and one node named
 * as PyTorch's: ConstantPadNdBackward0, ReflectionPad2DBackward0, ReplicationPad1DBackward0, ...
 */
import { ShapeError, ValueError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import { record } from "../autograd/record.ts";
import type { DerivativeKey } from "../autograd/derivatives.ts";
import { contiguousData, wrap } from "./elementwise.ts";

/** How F.pad fills: a constant, the mirror image without the edge, the edge repeated, or wrapping around. */
export type PadMode = "constant" | "reflect" | "replicate" | "circular";

/** Options of F.pad. */
export interface PadOptions { mode?: PadMode; value?: number }

const MODES: readonly string[] = ["constant", "reflect", "replicate", "circular"];

/** Where output index o of a dim padded by (left, right) reads from, or -1 for the constant. */
function indexMap(mode: PadMode, size: number, left: number, right: number): Int32Array {
  const out = new Int32Array(Math.max(0, size + left + right));
  for (let o = 0; o < out.length; o++) {
    const i = o - left;
    switch (mode) {
      case "constant": out[o] = i >= 0 && i < size ? i : -1; break;
      case "reflect": out[o] = i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i; break;
      case "replicate": out[o] = Math.min(Math.max(i, 0), size - 1); break;
      // PyTorch wraps within what is left after cropping
      case "circular": {
        const lo = Math.max(-left, 0), kept = size - lo - Math.max(-right, 0), j = o - Math.max(left, 0);
        out[o] = lo + (((j % kept) + kept) % kept);
        break;
      }
    }
  }
  return out;
}

const KEYS: Record<"reflect" | "replicate", readonly DerivativeKey[]> = {
  reflect: ["reflectionPad1d", "reflectionPad2d", "reflectionPad3d"],
  replicate: ["replicationPad1d", "replicationPad2d", "replicationPad3d"],
};

/**
 * Pads the last `padding.length / 2` dims: `padding` lists (left, right) pairs from the last dim
 * backwards, as PyTorch's `pad`.
 */
export function pad(x: Tensor, padding: readonly number[], options: PadOptions = {}): Tensor {
  const mode = options.mode ?? "constant";
  if (!MODES.includes(mode)) throw new ValueError(`Unrecognised padding mode ${String(mode)}`);
  if (padding.length % 2 !== 0) throw new ShapeError("Padding length must be divisible by 2");
  if (padding.length > 2 * x.ndim) throw new ShapeError("Padding length too large");
  if (mode === "constant") return constantPad(x, padding, options.value ?? 0);
  if (options.value !== undefined && options.value !== 0) throw new ShapeError(`Padding mode "${mode}" doesn't take in value argument`);
  const k = padding.length / 2;
  if (mode === "circular") return circularPad(x, padding);
  if (!((k === 1 || k === 2 || k === 3) && (x.ndim === k + 1 || x.ndim === k + 2))) {
    throw new ShapeError("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now");
  }
  const sizes = x.shape.slice(x.ndim - k);
  if (mode === "reflect") {
    const args = [4, 6, 8];
    for (let i = k - 1; i >= 0; i--) {
      const l = padding[2 * (k - 1 - i)]!, r = padding[2 * (k - 1 - i) + 1]!, dim = x.ndim - k + i;
      if (l >= sizes[i]! || r >= sizes[i]!) {
        throw new ShapeError(`Argument #${args[k - 1 - i]}: Padding size should be less than the corresponding input dimension, but got: padding (${l}, ${r}) at dimension ${dim} of input ${x.ndim}`);
      }
    }
  }
  return gather(x, padding, mode, 0, KEYS[mode][k - 1]!);
}

/** constant_pad_nd: negative amounts crop (checked as the narrow PyTorch runs for them), positive ones fill. */
function constantPad(x: Tensor, padding: readonly number[], value: number): Tensor {
  const k = padding.length / 2;
  for (let d = x.ndim - k; d < x.ndim; d++) {
    const l = padding[2 * (x.ndim - d - 1)]!, r = padding[2 * (x.ndim - d - 1) + 1]!;
    let size = x.shape[d]!;
    if (l < 0) size = narrowed(size, -l, size + l);
    if (r < 0) narrowed(size, 0, size + r);
  }
  for (let d = x.ndim - k; d < x.ndim; d++) {
    const l = padding[2 * (x.ndim - d - 1)]!, r = padding[2 * (x.ndim - d - 1) + 1]!;
    if (x.shape[d]! + l + r < 0) {
      throw new ShapeError(`The input size ${x.shape[d]}, plus negative padding ${l} and ${r} resulted in a negative output size, which is invalid. Check dimension ${d} of your input.`);
    }
  }
  return gather(x, padding, "constant", value, "constantPad");
}

/** The size narrow(start, length) leaves, with narrow's message when it does not fit. */
function narrowed(size: number, start: number, length: number): number {
  if (start < 0 || length < 0 || start + length > size) {
    throw new ShapeError(`start (${start}) + length (${length}) exceeds dimension size (${size}).`);
  }
  return length;
}

/** PyTorch's _pad_circular: batched input only, at most one wrap around each side. */
function circularPad(x: Tensor, padding: readonly number[]): Tensor {
  const k = padding.length / 2;
  if (padding.length + 4 !== 2 * x.ndim) throw new ShapeError(`Invalid padding size, expected ${2 * (x.ndim - 2)} but got ${padding.length}`);
  for (let i = 0; i < k; i++) {
    const size = x.shape[2 + i]!, l = padding[2 * (k - 1 - i)]!, r = padding[2 * (k - 1 - i) + 1]!;
    if (l > size || r > size) throw new ShapeError("Padding value causes wrapping around more than once.");
    if (size + l + r < 0) throw new ShapeError("Negative padding value is resulting in an empty dimension.");
  }
  return gather(x, padding, "circular", 0, "padCircular");
}

function gather(x: Tensor, padding: readonly number[], mode: PadMode, value: number, key: DerivativeKey): Tensor {
  const k = padding.length / 2, lead = x.ndim - k;
  const maps: Int32Array[] = [];
  for (let d = lead; d < x.ndim; d++) {
    maps.push(indexMap(mode, x.shape[d]!, padding[2 * (x.ndim - d - 1)]!, padding[2 * (x.ndim - d - 1) + 1]!));
  }
  const outShape = [...x.shape.slice(0, lead), ...maps.map((m) => m.length)];
  const data = backend().pad(x.storage.data, x.layout, outShape, maps, value);
  return record(key, [x], wrap(data, outShape, x.dtype), { shape: x.shape, padMaps: maps });
}

/** The gradient of a pad: each output gradient added into the cell it was read from. */
export function padBackward(g: Tensor, shape: readonly number[], maps: readonly Int32Array[]): Tensor {
  return wrap(backend().padBackward(contiguousData(g), shape, maps, g.dtype), shape, g.dtype);
}
