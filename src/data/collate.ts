/**
 * PyTorch's default_collate: turns a list of samples into one batch. Tensors are stacked along a
 * new first dim; numbers become a tensor (int64 when every one is an integer, as Python ints,
 * else float64, as Python floats); bigints int64; booleans bool; strings stay a list; arrays
 * (Python's lists and tuples) and plain objects (dicts) are collated field by field.
 */
import { ShapeError, ValueError } from "../errors.ts";
import { bool, float64, int64 } from "../core/dtype.ts";
import { Tensor } from "../tensor.ts";
import { tensor } from "../ops/creation.ts";
import { stack } from "../ops/movement.ts";

/** The batch default_collate makes from samples of type T. */
export type Collated<T> =
  T extends Tensor ? Tensor
    : T extends number | bigint | boolean ? Tensor
      : T extends string ? string[]
        : T extends ArrayBufferView ? Tensor
          : T extends readonly unknown[] ? { -readonly [K in keyof T]: Collated<T[K]> }
            : T extends object ? { [K in keyof T]: Collated<T[K]> }
              : never;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/** Python's type(elem).__name__ for the error message. */
function typeName(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object" || typeof v === "function") return (v as object).constructor?.name ?? "Object";
  return typeof v;
}

/**
 * Collates samples into a batch, as PyTorch's default_collate.
 * @example defaultCollate([[x0, 0], [x1, 2]]) // [stack([x0, x1]), tensor([0, 2])]
 */
export function defaultCollate<T>(batch: readonly T[]): Collated<T> {
  return collate(batch) as Collated<T>;
}

function collate(batch: readonly unknown[]): unknown {
  if (batch.length === 0) throw new ValueError("default_collate: the batch is empty");
  const elem = batch[0];
  if (elem instanceof Tensor) return stack(batch as Tensor[], 0);
  if (ArrayBuffer.isView(elem)) return stack(batch.map((b) => tensor(b as never)), 0);
  if (typeof elem === "number") {
    const numbers = batch as number[];
    return tensor(numbers, { dtype: numbers.every(Number.isInteger) ? int64 : float64 });
  }
  if (typeof elem === "bigint") return tensor(batch as bigint[], { dtype: int64 });
  if (typeof elem === "boolean") return tensor(batch as boolean[], { dtype: bool });
  if (typeof elem === "string") return [...batch];
  if (isPlainObject(elem)) {
    return Object.fromEntries(Object.keys(elem).map((k) => [k, collate(batch.map((d) => (d as Record<string, unknown>)[k]))]));
  }
  if (Array.isArray(elem)) {
    const size = elem.length;
    if (!batch.every((b) => Array.isArray(b) && b.length === size)) {
      throw new ShapeError("each element in list of batch should be of equal size");
    }
    return Array.from({ length: size }, (_, i) => collate(batch.map((b) => (b as unknown[])[i])));
  }
  if (typeof (elem as { then?: unknown } | undefined)?.then === "function") {
    throw new ValueError("default_collate: the dataset returned a Promise; iterate the DataLoader with `for await`");
  }
  throw new ValueError(
    `default_collate: batch must contain tensors, numbers, dicts or lists; found ${typeName(elem)}`,
  );
}
