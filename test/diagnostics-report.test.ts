import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import * as torch from "../src/index.ts";
import { Recorder, reportHtml, toDot, toGraphSvg, autogradGraph } from "../src/diagnostics/index.ts";
import { writeReport } from "../src/diagnostics/report-node.ts";
import { runReport } from "../src/cli/report.ts";
import { save, saveSafetensors } from "../src/io/files-node.ts";
import { fixtureDir } from "./io-helpers.ts";

const { nn } = torch;
const dir = mkdtempSync(join(tmpdir(), "torchlet-report-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const count = (s: string, re: RegExp) => s.match(re)?.length ?? 0;

function assertSelfContained(html: string): void {
  assert.doesNotMatch(html, /https?:|<script|<link|<img|@import|url\((?!#)/i);
  assert.match(html, /^<!DOCTYPE html>/);
}

describe("reportHtml", () => {
  test("one picture per expected histogram, heat map and curve, and no URL or script", () => {
    torch.manualSeed(1);
    const net = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 1));
    const rec = new Recorder(net);
    let loss = torch.zeros(1);
    for (let i = 0; i < 3; i++) {
      loss = net(torch.rand(5, 3)).square().mean();
      net.zeroGrad();
      loss.backward();
      rec.recordLoss(loss);
      rec.step();
    }
    rec.remove();
    const html = reportHtml({ model: net, recorder: rec, title: "MLP <test>" });
    assertSelfContained(html);
    // 2 weights x (values, gradient, heat map) + 2 biases x (values, gradient) + loss + 4 layer statistics
    assert.equal(count(html, /<svg/g), 6 + 4 + 1 + 4);
    assert.equal(count(html, /data-kind="heatmap"/g), 2);
    assert.equal(count(html, /data-kind="line"/g), 5);
    assert.match(html, /<title>MLP &lt;test&gt;<\/title>/);
    assert.equal(count(html, /<h3>/g), 4);
    assert.match(html, /data-kind="line".*<text[^>]*>0 Linear<\/text>/);
    const withGraph = reportHtml({ model: net, graph: loss });
    assertSelfContained(withGraph);
    assert.equal(count(withGraph, /data-kind="graph"/g), 1);
    assert.match(withGraph, /<tspan[^>]*>0\.weight<\/tspan>/);
  });

  test("a tied parameter is drawn once; a state dict without gradients gets no gradient picture", () => {
    const shared = new nn.Linear(2, 2);
    const html = reportHtml({ stateDict: new nn.Sequential(shared, shared).stateDict() });
    assertSelfContained(html);
    assert.equal(count(html, /<h3>/g), 2);
    assert.match(html, /<h3>0\.weight = 1\.weight \[2, 2\] float32<\/h3>/);
    assert.equal(count(html, /<svg/g), 3);
    assert.throws(() => reportHtml({}), /reportHtml: give a model or a stateDict/);
  });

  test("writeReport writes the page to a file", () => {
    const path = join(dir, "model.html");
    const calls: [number, number][] = [];
    assert.equal(writeReport(path, { model: new nn.Linear(2, 3), progress: (d, t) => calls.push([d, t]) }), path);
    assert.deepEqual(calls, [[6, 9], [9, 9]]);
    assert.equal(count(readFileSync(path, "utf8"), /<svg/g), 3);
  });
});

describe("toDot and toGraphSvg", () => {
  test("list grad_fn names, AccumulateGrad per leaf and named leaves with their shapes", () => {
    const a = torch.rand(2, 3).requiresGrad_(), b = torch.rand(2, 3).requiresGrad_(), c = torch.rand(2, 3);
    const out = a.mul(b).add(c).sum();
    const dot = toDot(out, { params: { a, b } });
    assert.match(dot, /^digraph \{\n/);
    const labels = [...dot.matchAll(/label="([^"]*)"/g)].map((m) => m[1]).sort();
    // c does not require grad: no edge reaches it, as in PyTorch
    assert.deepEqual(labels, [" ()", "AccumulateGrad", "AccumulateGrad", "AddBackward0", "MulBackward0", "SumBackward0", "a\\n (2, 3)", "b\\n (2, 3)"].sort());
    assert.equal(count(dot, / -> /g), 7);
    const g = autogradGraph(out);
    assert.deepEqual(g.nodes.filter((n) => n.kind === "leaf").map((n) => n.label), [" (2, 3)", " (2, 3)"]);
  });

  test("a module's parameters are named; the SVG draws one box per node", () => {
    const net = new nn.Sequential(new nn.Linear(3, 2), new nn.ReLU());
    const y = net(torch.rand(4, 3)).sum();
    const params = new Map(net.namedParameters());
    assert.match(toDot(y, { params }), /label="0\.weight\\n \(2, 3\)" fillcolor=lightblue/);
    const svg = toGraphSvg(y, { params });
    assert.equal(count(svg, /<svg/g), 1);
    assert.equal(count(svg, /<g data-node/g), autogradGraph(y).nodes.length);
    assert.doesNotMatch(svg, /http/);
    assert.match(toGraphSvg(y, { standalone: true }), /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  });
});

function run(...args: string[]): { code: number; out: string; err: string } {
  let out = "", err = "";
  const code = runReport(args, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

describe("torchlet report", () => {
  test("writes the report of a safetensors file and of a .pt file", () => {
    const st = join(dir, "small.safetensors"), html = join(dir, "small.html");
    saveSafetensors({ w: torch.tensor([[1, 2], [3, 4]]), b: torch.tensor([1, 2]) }, st);
    const r = run(st, "-o", html);
    assert.deepEqual([r.code, r.err], [0, ""]);
    assert.match(r.out, /wrote .*small\.html \(2 tensors from .*small\.safetensors\)/);
    const page = readFileSync(html, "utf8");
    assertSelfContained(page);
    assert.equal(count(page, /<svg/g), 3); // w: values and heat map; b: values
    assert.match(page, /<title>small\.safetensors<\/title>/);

    const pt = join(dir, "ckpt.pt");
    save(new Map<string, unknown>([["model", new nn.Linear(2, 3).stateDict()], ["epoch", 3]]) as never, pt);
    assert.equal(run(pt, "-o", html, "--title", "checkpoint").code, 0);
    assert.match(readFileSync(html, "utf8"), /<h3>model\.weight \[3, 2\] float32<\/h3>/);
  });

  test("a PyTorch checkpoint with tied weights shows them once, and a zero-size matrix gets no heat map", () => {
    const html = join(dir, "tied.html");
    assert.equal(run(join(fixtureDir, "tied.pt"), "-o", html).code, 0);
    const page = readFileSync(html, "utf8");
    assert.deepEqual(page.match(/<h3>[^<]*<\/h3>/g), ["<h3>0.weight = 1.weight [2, 2] float32</h3>", "<h3>0.bias [2] float32</h3>", "<h3>1.bias [2] float32</h3>"]);
    assert.equal(run(join(fixtureDir, "dtypes.safetensors"), "-o", html).code, 0);
    assert.match(readFileSync(html, "utf8"), /<p class="warn">float16: 1 NaN, 3 Inf<\/p>/);
  });

  test("bad usage is exit code 2; a missing or bad file is one line on stderr and exit code 1", () => {
    assert.equal(run().code, 2);
    assert.equal(run("a", "b").code, 2);
    assert.equal(run("x.pt", "-o").code, 2);
    const missing = run(join(dir, "nope.safetensors"), "-o", join(dir, "x.html"));
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^torchlet report: .*nope\.safetensors/);
  });
});
