import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import { StateDictError, UninitializedError, type Tensor } from "../src/index.ts";

const { nn } = torch;
const fx = JSON.parse(readFileSync(new URL("./fixtures/nn_module.json", import.meta.url), "utf8"));

interface Vals { shape: number[]; data: number[] }
function assertClose(t: Tensor, want: Vals, tol = 1e-6, what = ""): void {
  assert.deepEqual([...t.shape], want.shape, `${what} shape`);
  const got = t.double().contiguousData() as Float64Array;
  want.data.forEach((v, i) => {
    assert.ok(Math.abs(got[i]! - v) <= tol * Math.max(1, Math.abs(v)), `${what}[${i}]: ${got[i]} vs PyTorch ${v}`);
  });
}

class MLP extends nn.Module {
  hidden = new nn.LazyLinear(256);
  out = new nn.LazyLinear(10);
  forward(X: Tensor): Tensor {
    return this.out(this.hidden(X).relu());
  }
}

describe("Module printing", () => {
  test("Sequential of Linear and ReLU", () => {
    assert.equal(String(new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 1))), fx.repr.sequential);
  });
  test("Linear without bias", () => {
    assert.equal(String(new nn.Linear(3, 2, { bias: false })), fx.repr.nobias);
  });
  test("lazy layers before and after their first call", () => {
    const lazy = new nn.Sequential(new nn.LazyLinear(8), new nn.ReLU(), new nn.LazyLinear(1));
    assert.equal(String(lazy), fx.repr.lazy_before);
    lazy(torch.zeros(2, 4));
    assert.equal(String(lazy), fx.repr.lazy_after);
  });
  test("nested custom modules", () => {
    const net = new nn.Sequential(new MLP(), new nn.Linear(10, 20), new nn.Sequential(new nn.Linear(20, 4), new nn.ReLU()));
    assert.equal(String(net), fx.repr.nested);
  });
  test("parameters, uninitialized parameters and an empty Sequential", () => {
    assert.equal(String(new nn.LazyLinear(3).weight), fx.repr.uninitialized_param);
    assert.equal(String(new nn.Parameter(torch.tensor([1, 2]))), fx.repr.parameter);
    assert.equal(String(new nn.Sequential()), fx.repr.empty_sequential);
  });
  test("extraRepr of a custom module", () => {
    class Scale extends nn.Module {
      constructor(readonly factor: number) { super(); }
      forward(x: Tensor): Tensor { return x.mul(this.factor); }
      override extraRepr(): string { return `factor=${this.factor}`; }
    }
    assert.equal(String(new nn.Sequential(new Scale(2))), "Sequential(\n  (0): Scale(factor=2)\n)");
  });
});

describe("registration by assignment", () => {
  test("parameters, submodules and buffers register in assignment order", () => {
    class Net extends nn.Module {
      w = new nn.Parameter(torch.zeros(4, 3));
      hidden = new nn.Linear(3, 2);
      plain = 5;
      constructor() {
        super();
        this.registerBuffer("running", torch.ones(2));
        this.registerBuffer("scratch", torch.ones(1), { persistent: false });
      }
      forward(x: Tensor): Tensor { return this.hidden(x.matmul(this.w)); }
    }
    const net = new Net();
    assert.deepEqual([...net.namedParameters()].map(([n]) => n), ["w", "hidden.weight", "hidden.bias"]);
    assert.deepEqual([...net.namedBuffers()].map(([n]) => n), ["running", "scratch"]);
    assert.deepEqual([...net.stateDict().keys()], ["w", "running", "hidden.weight", "hidden.bias"]);
    assert.deepEqual([...net.namedChildren()].map(([n]) => n), ["hidden"]);
    assert.equal(net.plain, 5);
    assert.deepEqual(net(torch.ones(2, 4)).shape, [2, 2]);
  });
  test("replacing a parameter keeps its place; assigning a plain tensor to it is refused", () => {
    const lin = new nn.Linear(2, 2);
    const p = new nn.Parameter(torch.zeros(2, 2));
    lin.weight = p;
    assert.equal([...lin.parameters()][0], p);
    assert.throws(() => { (lin as unknown as { weight: Tensor }).weight = torch.zeros(2, 2); },
      /cannot assign 'torch.FloatTensor' as parameter 'weight' \(torch.nn.Parameter or None expected\)/);
  });
  test("hooks run around forward and are removable", () => {
    const lin = new nn.Linear(2, 2);
    const seen: string[] = [];
    const pre = lin.registerForwardPreHook(() => { seen.push("pre"); });
    const post = lin.registerForwardHook((_m, _a, out) => { seen.push("post"); return (out as Tensor).mul(0); });
    const y = lin(torch.ones(1, 2));
    assert.deepEqual(seen, ["pre", "post"]);
    assert.deepEqual(y.tolist(), [[0, 0]]);
    pre.remove(); post.remove();
    lin(torch.ones(1, 2));
    assert.deepEqual(seen, ["pre", "post"]);
  });
  test("apply visits children first; train/eval reach every module", () => {
    const net = new nn.Sequential(new nn.Linear(2, 2), new nn.Sequential(new nn.ReLU()));
    const order: string[] = [];
    net.apply((m) => order.push(m.getName()));
    assert.deepEqual(order, ["Linear", "ReLU", "Sequential", "Sequential"]);
    net.eval();
    assert.ok([...net.modules()].every((m) => !m.training));
    net.train();
    assert.ok([...net.modules()].every((m) => m.training));
  });
  test("Sequential indexing, length, iteration, append and slicing", () => {
    const a = new nn.Linear(2, 3), b = new nn.ReLU(), c = new nn.Linear(3, 1);
    const net = new nn.Sequential(a, b);
    net.append(c);
    assert.equal(net.length, 3);
    assert.equal(net[0], a);
    assert.equal(net.at(-1), c);
    assert.deepEqual([...net], [a, b, c]);
    const head = net.slice(0, 2);
    assert.ok(head instanceof nn.Sequential);
    assert.equal(head.at(1), b);
    assert.throws(() => net.at(3), /out of range/);
  });
});

describe("uninitialized parameters", () => {
  test("using one before the first forward pass says to call forward", () => {
    const lazy = new nn.LazyLinear(3);
    assert.throws(() => lazy.weight.shape, (e: unknown) => e instanceof UninitializedError && /Call `forward` to initialize/.test(e.message));
    assert.throws(() => lazy.weight.add(1), UninitializedError);
    assert.ok(lazy instanceof nn.Linear);
    assert.ok(lazy.weight instanceof nn.UninitializedParameter);
    assert.equal(String(lazy.stateDict().get("weight")), "<UninitializedParameter>");
  });
  test("loading a state dict materializes a lazy module with the loaded shapes", () => {
    const src = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 1));
    const lazy = new nn.Sequential(new nn.LazyLinear(8), new nn.ReLU(), new nn.LazyLinear(1));
    lazy.loadStateDict(src.stateDict());
    const x = torch.rand(3, 4);
    assert.ok(torch.equal(lazy(x), src(x)));
    assert.equal(String(lazy), fx.repr.lazy_after);
  });
});

describe("stateDict and loadStateDict", () => {
  test("strict loading reports every problem in PyTorch's words and changes nothing", () => {
    const net = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 1));
    const before = net.stateDict();
    const snapshot = new Map([...before].map(([k, v]) => [k, v.clone()]));
    const sd = net.stateDict();
    sd.delete("2.bias");
    sd.set("3.weight", torch.zeros(1));
    sd.set("0.weight", torch.zeros(8, 5));
    sd.set("2.weight", torch.full([1, 8], 9));
    assert.throws(() => net.loadStateDict(sd), (e: unknown) => e instanceof StateDictError && e.message === fx.errors.strict_all);
    for (const [k, v] of net.stateDict()) assert.ok(torch.equal(v, snapshot.get(k)!), `${k} changed`);
  });
  test("non-strict loading still refuses size mismatches, and reports missing and unexpected keys", () => {
    const net = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 1));
    assert.throws(() => net.loadStateDict({ "0.weight": torch.zeros(8, 5) }, { strict: false }), { message: fx.errors.nonstrict_mismatch });
    const r = net.loadStateDict(new Map([["0.weight", torch.zeros(8, 4)], ["x", torch.zeros(1)]]), { strict: false });
    assert.deepEqual(r, { missingKeys: fx.errors.nonstrict_result.missing, unexpectedKeys: fx.errors.nonstrict_result.unexpected });
    assert.ok(torch.equal(net[0].weight, torch.zeros(8, 4)));
  });
  test("state dict values share storage with the parameters but are outside the graph", () => {
    const lin = new nn.Linear(2, 2);
    const w = lin.stateDict().get("weight")!;
    assert.equal(w.requiresGrad, false);
    w.at(0, 0).fill_(42);
    assert.equal(lin.weight.at(0, 0).item(), 42);
  });
  test("a round trip into a fresh model gives identical outputs", () => {
    const a = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 1));
    const b = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 1));
    const x = torch.randn(5, 4);
    assert.ok(!torch.equal(a(x), b(x)));
    b.loadStateDict(a.stateDict());
    assert.ok(torch.equal(a(x), b(x)));
  });
});

describe("tied parameters", () => {
  test("gradients from both uses add up, as in PyTorch; names and optimizers see one parameter", () => {
    const t = fx.tied;
    torch.manualSeed(t.seed);
    const shared = new nn.LazyLinear(8);
    const tied = new nn.Sequential(new nn.LazyLinear(8), new nn.ReLU(), shared, new nn.ReLU(), shared, new nn.ReLU(), new nn.LazyLinear(1));
    const X = torch.rand(2, 4);
    assertClose(X, t.X, 0, "X");
    const y = tied(X);
    assertClose(y, t.y, 1e-6, "y");
    y.mul(y).sum().backward();
    assert.deepEqual([...tied.namedParameters()].map(([n]) => n), t.names);
    assert.deepEqual([...tied.stateDict().keys()], t.stateKeys);
    for (const [name, p] of tied.namedParameters()) {
      assertClose(p, t.params[name], 1e-6, name);
      assertClose(p.grad!, t.grads[name], 1e-5, `${name}.grad`);
    }
    assert.equal(tied[2].weight, tied[4].weight);
  });
});

describe("initialization", () => {
  for (const seed of [0, 42]) {
    test(`Linear(4, 8) after manualSeed(${seed}) has PyTorch's weights`, () => {
      torch.manualSeed(seed);
      const lin = new nn.Linear(4, 8);
      assertClose(lin.weight, fx.init[`linear_${seed}`].weight, 0, "weight");
      assertClose(lin.bias!, fx.init[`linear_${seed}`].bias, 0, "bias");
    });
  }
  test("the nn.init functions consume the generator as PyTorch's do", () => {
    const want = fx.init.sequence;
    torch.manualSeed(3);
    const w = torch.empty(5, 4);
    const { init } = nn;
    init.xavierUniform_(w); assertClose(w, want.xavierUniform, 1e-7, "xavierUniform");
    init.xavierNormal_(w); assertClose(w, want.xavierNormal, 1e-6, "xavierNormal");
    init.kaimingUniform_(w, { mode: "fan_out", nonlinearity: "relu" }); assertClose(w, want.kaimingUniform, 1e-7, "kaimingUniform");
    init.kaimingNormal_(w); assertClose(w, want.kaimingNormal, 1e-6, "kaimingNormal");
    init.normal_(w, 1, 0.01); assertClose(w, want.normal, 1e-6, "normal");
    init.uniform_(w, -2, 3); assertClose(w, want.uniform, 1e-7, "uniform");
    init.truncNormal_(w, { std: 0.5, a: -0.5, b: 0.5 }); assertClose(w, want.truncNormal, 1e-5, "truncNormal");
    init.eye_(w); assertClose(w, want.eye, 0, "eye");
    for (const [k, v] of Object.entries(want.gains as Record<string, number>)) {
      const [name, param] = k === "leaky_relu_0.2" ? ["leaky_relu", 0.2] : [k, undefined];
      assert.equal(init.calculateGain(name as Parameters<typeof init.calculateGain>[0], param), v, k);
    }
  });
});

describe("Module utilities", () => {
  test("namedParameters options: prefix, recurse and removeDuplicate", () => {
    const shared = new nn.Linear(2, 2);
    const net = new nn.Sequential(shared, new nn.ReLU(), shared);
    assert.deepEqual([...net.namedParameters()].map(([n]) => n), ["0.weight", "0.bias"]);
    assert.deepEqual([...net.namedParameters({ removeDuplicate: false })].map(([n]) => n), ["0.weight", "0.bias", "2.weight", "2.bias"]);
    assert.deepEqual([...net.namedParameters({ prefix: "enc" })].map(([n]) => n), ["enc.0.weight", "enc.0.bias"]);
    assert.deepEqual([...net.namedParameters({ recurse: false })], []);
    assert.deepEqual([...net.namedModules()].map(([n]) => n), ["", "0", "1"]);
    assert.deepEqual([...net.children()].length, 2);
  });
  test("zeroGrad zeroes in place by default (PyTorch 1.13) and can reset to null", () => {
    const lin = new nn.Linear(3, 1);
    lin(torch.ones(2, 3)).sum().backward();
    const g = lin.weight.grad!;
    lin.zeroGrad();
    assert.equal(lin.weight.grad, g);
    assert.deepEqual(g.tolist(), [[0, 0, 0]]);
    lin.zeroGrad({ setToNone: true });
    assert.equal(lin.weight.grad, null);
  });
  test("requiresGrad_ freezes every parameter; to(float64) converts parameters and buffers", () => {
    const lin = new nn.Linear(3, 1);
    lin.registerBuffer("scale", torch.ones(1));
    lin.requiresGrad_(false);
    assert.ok([...lin.parameters()].every((p) => !p.requiresGrad));
    lin.to(torch.float64);
    assert.equal(lin.weight.dtype, torch.float64);
    assert.equal(lin.stateDict().get("scale")!.dtype, torch.float64);
    assert.equal(lin(torch.ones(2, 3, { dtype: torch.float64 })).dtype, torch.float64);
  });
  test("ModuleList and ModuleDict register their children", () => {
    const list = new nn.ModuleList([new nn.Linear(2, 3), new nn.Linear(3, 1)]);
    assert.equal(list.length, 2);
    assert.deepEqual([...list.namedParameters()].map(([n]) => n), ["0.weight", "0.bias", "1.weight", "1.bias"]);
    const dict = new nn.ModuleDict({ enc: new nn.Linear(2, 2), act: new nn.ReLU() });
    assert.deepEqual(dict.keys(), ["enc", "act"]);
    assert.ok(dict.get("enc") instanceof nn.Linear);
    assert.equal(String(dict), "ModuleDict(\n  (enc): Linear(in_features=2, out_features=2, bias=True)\n  (act): ReLU()\n)");
    assert.equal(String(list), "ModuleList(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): Linear(in_features=3, out_features=1, bias=True)\n)");
  });
  test("loadStateDict refuses what is not a dict of tensors", () => {
    const lin = new nn.Linear(2, 2);
    assert.throws(() => lin.loadStateDict(torch.zeros(2) as never), /expected a Map or object of tensors/);
  });
});

describe("linear's activation option fuses the ReLU into the kernel's store", () => {
  const F = torch.nn.functional;
  for (const b of [torch.cpuBackend, torch.wasmBackend]) {
    // 3x5 -> 4 stays in TypeScript; 64x96 -> 80 goes to the SIMD kernel, which applies the ReLU in its store
    for (const [m, k, n] of [[3, 5, 4], [64, 96, 80]] as const) {
      test(`${b.name} backend, ${m}x${k} -> ${n}: the same bits, gradients and graph as linear then relu`, () => {
        const prev = torch.setBackend(b);
        try {
          torch.manualSeed(7);
          const lin = new nn.Linear(k, n);
          const x = torch.randn(m, k);
          x.storage.data[0] = NaN; // NaN passes through ReLU, as in PyTorch
          const fused = F.linear(x, lin.weight, lin.bias, { activation: "relu" }), plain = F.linear(x, lin.weight, lin.bias).relu();
          assert.ok(torch.equal(fused.isnan(), plain.isnan()));
          const noNaN = (t: Tensor) => t.where(t.isnan().logicalNot(), 0);
          assert.ok(torch.equal(noNaN(fused), noNaN(plain)), "fused and unfused outputs differ");
          assert.equal(fused.gradFn?.name, "ReluBackward0");
          assert.equal((fused.gradFn!.edges[0] as torch.autograd.Node).name, "AddmmBackward0");
          const y = torch.randn(m, n), x2 = torch.randn(m, k);
          F.linear(x2, lin.weight, lin.bias, { activation: "relu" }).sub(y).square().sum().backward();
          const fusedGrad = lin.weight.grad!.clone();
          lin.zeroGrad();
          F.linear(x2, lin.weight, lin.bias).relu().sub(y).square().sum().backward();
          assert.ok(torch.equal(lin.weight.grad!, fusedGrad), "weight gradients differ");
        } finally {
          torch.setBackend(prev);
        }
      });
    }
  }
  test("an unknown activation is refused, naming it", () => {
    const lin = new nn.Linear(2, 2);
    assert.throws(() => F.linear(torch.randn(1, 2), lin.weight, lin.bias, { activation: "gelu" as never }), /activation must be "relu" or null, not "gelu"/);
  });

  test("a hook on the Linear sees its own output, before the ReLU", () => {
    const net = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU());
    let seen: Tensor | null = null;
    const handle = (net[0] as torch.nn.Linear).registerForwardHook((_m, _args, out) => { seen = out as Tensor; });
    const out = net(torch.randn(16, 4));
    handle.remove();
    assert.ok(seen !== null && (seen as Tensor).lt(0).any().item(), "the hook should see negative pre-activations");
    assert.ok(torch.equal(out, (seen as unknown as Tensor).relu()));
  });
});

// Expected values below are what PyTorch 1.13 prints for the same lines (seed 0).
describe("module behaviour real models rely on (issue 11 item 2)", () => {
  const close = (a: number[][], b: number[][]) => a.forEach((r, i) => r.forEach((v, j) => assert.ok(Math.abs(v - b[i]![j]!) < 1e-5, `${v} vs ${b[i]![j]}`)));

  test("registerFullBackwardHook sees gradInput and gradOutput, and may replace gradInput", () => {
    torch.manualSeed(0);
    const lin = new nn.Linear(3, 2);
    const x = torch.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const seen: [(number[][] | null)[], number[][][]][] = [];
    lin.registerFullBackwardHook((_m, gi, go) => {
      seen.push([gi.map((g) => (g === null ? null : (g.tolist() as number[][]))), go.map((g) => g!.tolist() as number[][])]);
      return [gi[0]!.mul(2)];
    });
    const y = lin(x);
    assert.equal(y.gradFn?.name, "BackwardHookFunctionBackward");
    y.mul(torch.tensor([[1, 2], [3, 4]])).sum().backward();
    assert.equal(seen.length, 1);
    close(seen[0]![0][0]!, [[-0.8541117310523987, -0.1350221037864685, -0.16554388403892517], [-1.7125459909439087, 0.03967159986495972, -0.8062730431556702]]);
    close(seen[0]![1][0]!, [[1, 2], [3, 4]]);
    close(x.grad!.tolist() as number[][], [[-1.7082234621047974, -0.270044207572937, -0.33108776807785034], [-3.4250919818878174, 0.07934319972991943, -1.6125460863113403]]);
  });

  test("a full backward hook on a module whose input needs no gradient gets gradInput (null,)", () => {
    torch.manualSeed(0);
    const lin = new nn.Linear(3, 2);
    const seen: unknown[] = [];
    lin.registerFullBackwardHook((_m, gi, go) => { seen.push([gi, go.map((g) => g!.tolist())]); });
    lin(torch.ones(1, 3)).sum().backward();
    assert.deepEqual(seen, [[[null], [[[1, 1]]]]]);
  });

  test("a hooked Linear is not fused with the ReLU after it, and remove() disarms the hook", () => {
    const net = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU());
    let calls = 0;
    const h = net[0].registerFullBackwardHook(() => { calls++; });
    net(torch.ones([1, 2], { requiresGrad: true })).sum().backward();
    h.remove();
    net(torch.ones([1, 2], { requiresGrad: true })).sum().backward();
    assert.equal(calls, 1);
  });

  test("getSubmodule / getParameter / getBuffer by dotted path, with PyTorch's errors", () => {
    const net = new nn.Sequential(new nn.Sequential(new nn.Linear(2, 2)), new nn.ReLU());
    assert.equal(net.getSubmodule("0.0").getName(), "Linear");
    assert.equal(net.getSubmodule(""), net);
    assert.deepEqual(net.getParameter("0.0.weight").shape, [2, 2]);
    assert.deepEqual(net.getParameter("0.0.bias").shape, [2]);
    const errors: [() => unknown, string][] = [
      [() => net.getSubmodule("0.1"), "Sequential has no attribute `1`"],
      [() => net.getSubmodule("1.weight"), "ReLU has no attribute `weight`"],
      [() => net.getSubmodule("0.0.weight"), "`weight` is not an nn.Module"],
      [() => net.getSubmodule("foo"), "Sequential has no attribute `foo`"],
      [() => net.getParameter("0.0"), "`0` is not an nn.Parameter"],
      [() => net.getParameter("0.0.nope"), "Linear has no attribute `nope`"],
      [() => net.getParameter("x.y"), "Sequential has no attribute `x`"],
    ];
    for (const [f, message] of errors) assert.throws(f, (e: Error) => e.message === message, message);
    const m = new nn.Sequential(new nn.Linear(2, 2));
    m[0].registerBuffer("running_mean", torch.zeros(2));
    assert.deepEqual(m.getBuffer("0.running_mean").shape, [2]);
    assert.throws(() => m.getBuffer("0.weight"), (e: Error) => e.message === "`weight` is not a buffer");
    assert.throws(() => m.getBuffer("0.nope"), (e: Error) => e.message === "Linear has no attribute `nope`");
  });

  test("Sequential is indexed by position whatever its children are named (D2L 6.2's rgnet[0][1])", () => {
    const rgnet = new nn.Sequential();
    rgnet.registerModule("block 0", new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU()));
    const block = rgnet[0] as InstanceType<typeof nn.Sequential>;
    assert.equal(String(block[1]!), "ReLU()");
    assert.equal(rgnet[-1], block);
    assert.throws(() => rgnet[3], (e: Error) => e.message === "index 3 is out of range");
    assert.throws(() => rgnet[-2], (e: Error) => e.message === "index -2 is out of range");
  });
});

describe("lazy modules materialize in place (issue 11 item 3)", () => {
  test("an optimizer built before the first call trains the real weights", () => {
    torch.manualSeed(0);
    const net = new nn.Sequential(new nn.LazyLinear(4), new nn.ReLU(), new nn.LazyLinear(1));
    const params = [...net.parameters()];
    const opt = new torch.optim.SGD(net.parameters(), { lr: 0.1 });
    const X = torch.rand(8, 3), y = torch.rand(8, 1);
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) {
      opt.zeroGrad();
      const loss = nn.functional.mseLoss(net(X), y);
      loss.backward();
      opt.step();
      losses.push(Number(loss.item()));
    }
    assert.ok(params.every((p, i) => p === [...net.parameters()][i]), "the same Parameter objects");
    assert.ok(params.every((p) => !(p instanceof nn.UninitializedParameter) && p instanceof nn.Parameter));
    assert.ok(losses[4]! < losses[0]!, `loss goes down: ${losses.join(", ")}`);
  });
});
