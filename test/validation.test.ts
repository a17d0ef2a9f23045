/**
 * JavaScript callers reach the library unchecked by TypeScript (plain JS, `as any`, JSON-fed
 * data): wrong arguments get an Error naming the op and the argument, in PyTorch's words where
 * it has them, instead of NaN, a silent conversion or an internal TypeError (issue 10 item 5).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as torch from "../src/index.ts";

/* eslint-disable @typescript-eslint/no-explicit-any */
const loose = (v: unknown): any => v;

function rejects(f: () => unknown, message: string | RegExp): void {
  assert.throws(f, (e: Error) => (typeof message === "string" ? e.message === message : message.test(e.message)), String(message));
}

describe("arguments from JavaScript callers", () => {
  const x = torch.tensor([1, 2]);
  test("an operand that is neither a tensor nor a number", () => {
    rejects(() => x.add(loose([1, 2])), "add(): argument 'other' (position 1) must be Tensor or a number, not an array (wrap it with torch.tensor)");
    rejects(() => x.mul(loose("3")), "mul(): argument 'other' (position 1) must be Tensor or a number, not string");
    rejects(() => x.sub(loose(null)), "sub(): argument 'other' (position 1) must be Tensor or a number, not null");
    assert.deepEqual(x.tolist(), [1, 2]);
  });
  test("softmax without a dim", () => {
    rejects(() => x.softmax(loose(undefined)), "softmax(): argument 'dim' (position 1) must be int, not undefined");
  });
  test("a dtype given by name", () => {
    rejects(() => torch.zeros(2, loose({ dtype: "float32" })), "zeros(): argument 'dtype' must be torch.dtype (e.g. torch.float32), not the string \"float32\"");
    rejects(() => torch.linspace(0, 1, 3, loose({ dtype: "int64" })), /linspace\(\): argument 'dtype' must be torch.dtype/);
  });
  test("impossible sizes", () => {
    rejects(() => torch.zeros(-1), "zeros(): sizes must be non-negative integers, but got [-1]");
    rejects(() => torch.ones(1.5), "ones(): sizes must be non-negative integers, but got [1.5]");
    rejects(() => torch.zeros(1e10), "zeros(): 10000000000 elements are more than one tensor can hold here (at most 4294967295)");
    rejects(() => torch.eye(-1), "n must be greater or equal to 0, got -1");
    rejects(() => torch.eye(2, -3), "m must be greater or equal to 0, got -3");
    rejects(() => torch.linspace(0, 1, 2.5), "linspace(): argument 'steps' must be int, not 2.5");
    rejects(() => torch.linspace(0, 1, -1), "number of steps must be non-negative");
  });
  test("a Parameter of integers that requires grad, and a Parameter of a plain array", () => {
    rejects(() => new torch.nn.Parameter(torch.tensor([1n])), "Only Tensors of floating point and complex dtype can require gradients");
    assert.equal(new torch.nn.Parameter(torch.tensor([1n]), false).requiresGrad, false);
    rejects(() => new torch.nn.Parameter(loose([1, 2])), "Parameter(): data must be a Tensor, not an array");
  });
  test("a plain array into a module", () => {
    rejects(() => new torch.nn.Linear(2, 1)(loose([1, 2])), "linear(): argument 'input' (position 1) must be Tensor, not an array (wrap it with torch.tensor)");
  });
  test("an optimizer over something that is not a tensor", () => {
    rejects(() => new torch.optim.SGD(loose([1]), { lr: 0.1 }), "optimizer can only optimize Tensors, but one of the params is number");
    rejects(() => new torch.optim.SGD(loose([null]), { lr: 0.1 }), "optimizer can only optimize Tensors, but one of the params is null");
  });
});
