/**
 * Names that survive minification. Every exported Module and Optimizer class declares its own
 * static `displayName` (its PyTorch name, which is its export name); printing, errors and
 * `summary` read it, not `constructor.name`, which a minifier renames. A new layer that forgets
 * the line fails the first test; the second bundles the library with esbuild's minify defaults
 * and compares what the bundle prints with PyTorch's fixtures.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as source from "../src/index-node.ts";

type Namespace = Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Ctor = Function & { prototype: object };

const nnFixture = JSON.parse(readFileSync(new URL("./fixtures/nn_module.json", import.meta.url), "utf8")) as {
  repr: Record<string, string>; errors: Record<string, string>;
};
const optimFixture = JSON.parse(readFileSync(new URL("./fixtures/optim.json", import.meta.url), "utf8")) as {
  init: Record<string, { shape: number[] }>;
  configs: { optimizer: string; options: Record<string, unknown>; groups: unknown; repr: string }[];
};

/** Every exported class under `ns` (namespaces such as `nn` and `optim` included), with its dotted path. */
function exportedClasses(ns: Namespace, prefix = "", seen = new Set<unknown>()): [string, Ctor][] {
  seen.add(ns);
  return Object.entries(ns).flatMap(([key, v]): [string, Ctor][] => {
    if (typeof v === "function" && /^class\b/.test(Function.prototype.toString.call(v))) return [[prefix + key, v as Ctor]];
    const proto = v !== null && typeof v === "object" ? Object.getPrototypeOf(v) : undefined;
    if ((proto === null || proto === Object.prototype) && !seen.has(v)) return exportedClasses(v as Namespace, `${prefix}${key}.`, seen);
    return [];
  });
}

const extendsFrom = (c: Ctor, base: Ctor): boolean => c === base || c.prototype instanceof base;
const ownDisplayName = (c: Ctor): unknown => (Object.hasOwn(c, "displayName") ? (c as { displayName?: unknown }).displayName : undefined);

/** Problems with the explicit names of the library `torch` (the sources or a bundle of them). */
function nameProblems(torch: Namespace): string[] {
  const nn = torch.nn as Namespace, optim = torch.optim as Namespace;
  const bases = [nn.Module as Ctor, optim.Optimizer as Ctor];
  const problems: string[] = [];
  let checked = 0;
  for (const [path, c] of exportedClasses(torch)) {
    const key = path.slice(path.lastIndexOf(".") + 1);
    if (bases.some((b) => extendsFrom(c, b))) {
      checked++;
      const name = ownDisplayName(c);
      if (name !== key) problems.push(`${path}: static displayName is ${JSON.stringify(name)}, expected "${key}"`);
    } else if (c.prototype instanceof Error) {
      checked++;
      const name = new (c as new (m: string) => Error)("m").name;
      if (name !== key) problems.push(`${path}: error name is "${name}", expected "${key}"`);
    }
  }
  if (checked < 30) problems.push(`only ${checked} modules, optimizers and errors found: the walk missed the namespaces`);
  return problems;
}

describe("explicit class names", () => {
  test("every exported Module and Optimizer class declares `static override displayName = \"<its export name>\"`; every error names itself", () => {
    assert.deepEqual(nameProblems(source as unknown as Namespace), []);
  });

  test("a subclass without its own displayName prints its own class name, as PyTorch does", () => {
    class MyLinear extends source.nn.Linear {}
    assert.equal(String(new MyLinear(2, 3)), "MyLinear(in_features=2, out_features=3, bias=True)");
  });
});

describe("a bundle minified with esbuild's defaults", () => {
  test("prints PyTorch's module reprs, state-dict errors and optimizer reprs, and keeps every explicit name", async () => {
    const { build } = await import("esbuild");
    const out = await build({
      stdin: { contents: 'export * from "./src/index.ts";', resolveDir: fileURLToPath(new URL("..", import.meta.url)), loader: "ts" },
      bundle: true, minify: true, format: "esm", platform: "browser", write: false, logLevel: "silent",
    });
    const code = out.outputFiles[0]!.text;
    assert.doesNotMatch(code, /\bclass ReLU\b/, "the bundle is minified");
    const T = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`) as typeof source;
    assert.deepEqual(nameProblems(T as unknown as Namespace), []);

    const { nn } = T;
    const net = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 1));
    assert.equal(String(net), nnFixture.repr.sequential);
    assert.equal(String(new nn.Sequential(new nn.LazyLinear(8), new nn.ReLU(), new nn.LazyLinear(1))), nnFixture.repr.lazy_before);
    assert.equal(String(new nn.Sequential()), nnFixture.repr.empty_sequential);

    const sd = net.stateDict();
    sd.delete("2.bias");
    sd.set("3.weight", T.zeros([1]));
    sd.set("0.weight", T.zeros([8, 5]));
    assert.throws(() => net.loadStateDict(sd), (e: Error) => e.message === nnFixture.errors.strict_all && e.name === "StateDictError");

    const rows = T.summary(net, [2, 4]).rows.map((r) => r.className);
    assert.deepEqual(rows, ["Sequential", "Linear", "ReLU", "Linear"]);

    const ctors = { SGD: T.optim.SGD, Adam: T.optim.Adam, AdamW: T.optim.AdamW } as Record<string, unknown>;
    const params = Object.values(optimFixture.init).map((e) => T.zeros(e.shape, { requiresGrad: true }));
    const plain = optimFixture.configs.filter((c) => c.groups === null);
    assert.ok(plain.length >= 3);
    for (const c of plain) {
      const options = Object.fromEntries(Object.entries(c.options).map(([k, v]) => [k.replace(/_([a-z])/g, (_, x: string) => x.toUpperCase()), v]));
      const opt = new (ctors[c.optimizer] as new (p: unknown, o: unknown) => object)(params, options);
      assert.equal(String(opt), c.repr);
    }
  });
});
