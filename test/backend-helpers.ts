// Helpers shared by the tests that hold the WebAssembly backend against the TypeScript reference.
import assert from "node:assert/strict";
import * as torch from "../src/index.ts";

/** Runs `fn` with `b` as the active backend, then restores the previous one. */
export const onBackend = <T>(b: torch.Backend, fn: () => T): T => {
  const prev = torch.setBackend(b);
  try { return fn(); } finally { torch.setBackend(prev); }
};

/** Asserts `got` holds the very bits of `want` (-0 and NaN included), naming the first that differs. */
export function sameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]), `${what}: element ${i} is ${got[i]}, the reference ${want[i]}`);
}
