/**
 * The package as its users meet it: package.json's exports map and publishing fields, the
 * `version` export, and the small conveniences of issue 14 (`itemNumber`, `toJSON`, `noGrad`
 * around an `await`). `npm run test:consumer` checks the packed tarball from fresh projects.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index-node.ts";
import { nn } from "../src/index-node.ts";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

/** Every condition name used anywhere in an exports map. */
function conditions(map: unknown): string[] {
  if (map === null || typeof map !== "object") return [];
  return Object.entries(map).flatMap(([k, v]) => [...(k.startsWith(".") ? [] : [k]), ...conditions(v)]);
}

describe("package.json", () => {
  test("`version` is package.json's", () => {
    assert.equal(torch.version, pkg.version);
  });

  test("exports: Node gets index-node and its types, everything else index and its types; no source condition", () => {
    assert.deepEqual(pkg.exports["."], {
      node: { types: "./dist/index-node.d.ts", default: "./dist/index-node.js" },
      types: "./dist/index.d.ts",
      default: "./dist/index.js",
    });
    assert.equal(pkg.exports["./package.json"], "./package.json");
    assert.deepEqual(conditions(pkg.exports).filter((c) => !["node", "types", "default"].includes(c)), []);
  });

  test("publishing fields: bin path as npm keeps it, no tests or AssemblyScript, metadata present", () => {
    for (const path of Object.values(pkg.bin as Record<string, string>)) assert.doesNotMatch(path, /^\.\//, "npm rewrites a leading ./");
    assert.ok(pkg.files.includes("!src/**/*.test.ts") && pkg.files.includes("!src/**/assembly"));
    for (const key of ["repository", "homepage", "bugs", "keywords", "license", "engines"]) assert.ok(pkg[key], key);
    assert.equal(pkg.devDependencies["@tensorflow/tfjs"], undefined, "TF.js belongs to bench/package.json");
  });
});

describe("values and types", () => {
  test("itemNumber() is the value as a number (typed number), as float(t.item())", () => {
    const loss = torch.tensor([0.5, 1.5]).mean();
    const n: number = loss.itemNumber();
    assert.equal(n, 1);
    assert.equal(torch.tensor(true).itemNumber(), 1);
    assert.equal(torch.tensor([2n ** 60n], { dtype: torch.int64 }).sum().itemNumber(), 2 ** 60);
    assert.throws(() => torch.zeros([2]).itemNumber(), /only one element tensors can be converted/);
  });

  test("JSON.stringify writes dtype, shape and data only; int64 beyond 2^53 as a string", () => {
    const x = torch.tensor([[1, 2], [3, 4]], { requiresGrad: true });
    assert.equal(JSON.stringify(x.mul(2)), '{"dtype":"float32","shape":[2,2],"data":[[2,4],[6,8]]}');
    const big = torch.tensor([1n, 2n ** 60n], { dtype: torch.int64 });
    assert.equal(JSON.stringify(big), '{"dtype":"int64","shape":[2],"data":[1,"1152921504606846976"]}');
    assert.equal(JSON.stringify(torch.tensor(true)), '{"dtype":"bool","shape":[],"data":true}');
    assert.equal(JSON.stringify(new nn.Linear(2, 1, { bias: false }).weight).startsWith('{"dtype":"float32","shape":[1,2],"data":[['), true);
  });

  test("noGrad with an async callback records nothing until its promise settles", async () => {
    const w = torch.ones([2], { requiresGrad: true });
    const seen: boolean[] = [];
    const out = await torch.noGrad(async () => {
      seen.push(torch.isGradEnabled());
      await new Promise((r) => setTimeout(r, 1));
      seen.push(torch.isGradEnabled());
      return w.mul(2);
    });
    assert.deepEqual(seen, [false, false]);
    assert.equal(out.requiresGrad, false);
    assert.equal(torch.isGradEnabled(), true);
    await assert.rejects(torch.noGrad(async () => { await null; throw new Error("inside"); }), /inside/);
    assert.equal(torch.isGradEnabled(), true, "restored after a rejection too");
    assert.equal(torch.noGrad(() => w.mul(2)).requiresGrad, false);
    assert.equal(torch.isGradEnabled(), true);
  });

  test("a named `nn` import works as a namespace of types: `hidden: nn.Linear`", () => {
    class Net extends nn.Module {
      static override displayName = "Net";
      hidden: nn.Linear;
      constructor() { super(); this.hidden = new nn.Linear(2, 3); }
      forward(x: torch.Tensor): torch.Tensor { return this.hidden(x); }
    }
    assert.equal(String(new Net()), "Net(\n  (hidden): Linear(in_features=2, out_features=3, bias=True)\n)");
  });
});
