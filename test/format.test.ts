import { describe, test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dtypes } from "../src/core/dtype.ts";
import type { DTypeName } from "../src/core/dtype.ts";
import {
  formatTensor, formatFixed, formatExponential, setPrintOptions, getPrintOptions,
} from "../src/core/format.ts";
import type { FormatInput, PrintOptions, PrintProfile } from "../src/core/format.ts";
import { ValueError } from "../src/errors.ts";

interface Case {
  name: string;
  shape: number[];
  dtype: DTypeName;
  values: (string | number)[];
  requires_grad: boolean;
  grad_fn: string | null;
  options: { precision?: number; threshold?: number; edgeitems?: number; linewidth?: number;
    sci_mode?: boolean; profile?: PrintProfile };
  repr: string;
}

const fixture = JSON.parse(readFileSync(new URL("./fixtures/format.json", import.meta.url), "utf8")) as {
  cases: Case[];
  numbers: Record<string, string>[];
};

/** Python's repr of a float back to the same double. */
function pyFloat(s: string): number {
  if (s === "nan") return NaN;
  if (s === "inf") return Infinity;
  if (s === "-inf") return -Infinity;
  return Number(s);
}

function toInput(c: Case): FormatInput {
  const dtype = dtypes[c.dtype];
  const values = c.values.map((v) =>
    dtype.isFloatingPoint ? pyFloat(String(v)) : c.dtype === "int64" ? BigInt(v) : Number(v));
  return { shape: c.shape, dtype, get: (i) => values[i]!, requiresGrad: c.requires_grad, gradFn: c.grad_fn };
}

function applyOptions(c: Case): void {
  const o = c.options;
  const opts: Partial<PrintOptions> & { profile?: PrintProfile } = {};
  if (o.profile !== undefined) opts.profile = o.profile;
  if (o.precision !== undefined) opts.precision = o.precision;
  if (o.threshold !== undefined) opts.threshold = o.threshold;
  if (o.edgeitems !== undefined) opts.edgeitems = o.edgeitems;
  if (o.linewidth !== undefined) opts.linewidth = o.linewidth;
  if (o.sci_mode !== undefined) opts.sciMode = o.sci_mode;
  setPrintOptions(opts);
}

describe("formatTensor", () => {
  afterEach(() => setPrintOptions({ profile: "default" }));

  for (const c of fixture.cases) {
    test(`prints ${c.name} as PyTorch's repr`, () => {
      applyOptions(c);
      assert.equal(formatTensor(toInput(c)), c.repr);
    });
  }

  test("per-call options override the global ones for that call only", () => {
    const c = fixture.cases.find((x) => x.name === "precision 2")!;
    assert.equal(formatTensor(toInput(c), { precision: 2 }), c.repr);
    assert.equal(getPrintOptions().precision, 4);
  });

  test("accepts int64 elements given as plain numbers", () => {
    const input: FormatInput = { shape: [3], dtype: dtypes.int64, get: (i) => [1, -20, 300][i]! };
    assert.equal(formatTensor(input), "tensor([  1, -20, 300])");
  });
});

describe("setPrintOptions", () => {
  afterEach(() => setPrintOptions({ profile: "default" }));

  test("profiles set PyTorch's presets", () => {
    setPrintOptions({ profile: "short" });
    assert.deepEqual(getPrintOptions(),
      { precision: 2, threshold: 1000, edgeitems: 2, linewidth: 80, sciMode: null });
    setPrintOptions({ profile: "full" });
    assert.equal(getPrintOptions().threshold, Infinity);
  });

  test("a call without sciMode resets it to automatic, as torch.set_printoptions does", () => {
    setPrintOptions({ sciMode: true });
    assert.equal(getPrintOptions().sciMode, true);
    setPrintOptions({ precision: 3 });
    assert.deepEqual(getPrintOptions(),
      { precision: 3, threshold: 1000, edgeitems: 3, linewidth: 80, sciMode: null });
  });

  test("rejects bad values and unknown profiles with a ValueError naming the option", () => {
    assert.throws(() => setPrintOptions({ precision: -1 }), ValueError);
    assert.throws(() => setPrintOptions({ precision: 101 }), /precision must be an integer from 0 to 100, got 101/);
    assert.throws(() => formatTensor({ shape: [], dtype: dtypes.float32, get: () => 1 }, { edgeitems: 1.5 }),
      /edgeitems must be a non-negative integer/);
    assert.throws(() => setPrintOptions({ profile: "long" as PrintProfile }), /unknown profile 'long'/);
    assert.equal(getPrintOptions().precision, 4);
  });
});

describe("formatFixed and formatExponential", () => {
  const specs = Object.keys(fixture.numbers[0]!).filter((k) => k !== "value");
  test(`match Python's format on ${fixture.numbers.length} values, ties and -0 included`, () => {
    for (const row of fixture.numbers) {
      const x = pyFloat(row.value!);
      for (const spec of specs) {
        if (row[spec] === undefined) continue;
        const [, digits, kind] = /^\{:\.(\d+)([ef])\}$/.exec(spec)!;
        const got = kind === "f" ? formatFixed(x, Number(digits)) : formatExponential(x, Number(digits));
        assert.equal(got, row[spec], `${spec}.format(${row.value})`);
      }
    }
  });

  test("print Python's exponent with at least two digits", () => {
    assert.equal(formatExponential(1000, 4), "1.0000e+03");
    assert.equal(formatExponential(1e-5, 4), "1.0000e-05");
    assert.equal(formatExponential(1e300, 4), "1.0000e+300");
  });

  test("round exact ties half to even where JavaScript rounds them up", () => {
    assert.equal(formatFixed(0.125, 2), "0.12");
    assert.equal(formatFixed(2.5, 0), "2");
    assert.equal(formatFixed(-1.03125, 4), "-1.0312");
    assert.equal(formatExponential(12344.5, 4), "1.2344e+04");
    assert.equal(formatExponential(12345.5, 4), "1.2346e+04");
    assert.equal(formatExponential(0.0625, 1), "6.2e-02");
    assert.equal(formatFixed(1e22, 4), "10000000000000000000000.0000");
  });
});
