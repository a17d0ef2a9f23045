/**
 * End to end in a real browser: builds the bundles (web/build.ts), serves web/ on 127.0.0.1, opens
 * the demo page in Debian's Chromium (headless, through playwright-core; never a downloaded
 * browser) and checks what the page printed and drew against the same code run here in Node.
 * Skips when /usr/bin/chromium is missing (`apt-get install -y chromium`).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect as nodeInspect } from "node:util";
import type { Browser } from "playwright-core";
import * as torch from "torchlet";
import { buildWeb, kb } from "../web/build.ts";
import type { BuildResult } from "../web/build.ts";
import { serve } from "../web/serve.ts";
import type { Served } from "../web/serve.ts";
import { inspect } from "../web/inspect.ts";
import { main } from "../src/cli/main.ts";
import { saveAndReload, seedWalkthrough, trainAndDiagnose } from "../web/walkthrough.ts";
import type { Diagnosed } from "../web/walkthrough.ts";
import type { PageResult } from "../web/main.ts";

// Debian's Chromium; TORCHLET_CHROMIUM points elsewhere (and, set to a missing path, shows the skip)
const CHROMIUM = process.env.TORCHLET_CHROMIUM ?? "/usr/bin/chromium";
// CI sets TORCHLET_REQUIRE_CHROMIUM=1 so that a missing browser fails instead of skipping
const skip = existsSync(CHROMIUM) || process.env.TORCHLET_REQUIRE_CHROMIUM === "1"
  ? false
  : `${CHROMIUM} is missing: install Debian's Chromium with \`apt-get install -y chromium\``;

describe("inspect (web/inspect.ts)", () => {
  test("prints what Node's util.inspect prints", () => {
    const t2 = torch.tensor([[1.5, -2], [3, 4.25]]);
    const values: unknown[] = [
      [2, 1], [], new Map(), "it's", "plain", true, null, undefined, -0, 3n, t2,
      new Map([["weight", t2], ["bias", torch.tensor([0.5, -1])]]),
      [["a.weight", [8, 4]], ["a.bias", [8]]],
      [["0.weight", [8, 4]], ["0.bias", [8]], ["2.weight", [1, 8]], ["2.bias", [1]]],
      [[[[1]]]], [[[1]], [2]], [t2, t2],
      new Map([["short", 1]]),
    ];
    for (const v of values) assert.equal(inspect(v), nodeInspect(v), nodeInspect(v));
  });
});

/** One <svg> as measured in the browser. */
interface Picture { kind: string; title: string; width: number; height: number; marks: number }

// Runs in the browser: every <svg>, its box, and how many of its data marks (bars, cells, lines,
// boxes; not the background, the axes or <defs>) have a nonzero bounding box.
const measure = (): Picture[] => [...document.querySelectorAll<SVGSVGElement>("svg")].map((svg) => {
  const box = svg.getBoundingClientRect();
  const view = svg.viewBox.baseVal;
  const marks = [...svg.querySelectorAll<SVGGraphicsElement>("rect, path, line, polyline, circle")].filter((m) => {
    if (m.closest("defs") || m.getAttribute("stroke") === "#888") return false;
    const b = m.getBBox();
    return (b.width > 0 || b.height > 0) && !(b.width >= view.width && b.height >= view.height);
  });
  return { kind: svg.dataset.kind ?? "", title: svg.querySelector("title")?.textContent ?? "", width: box.width, height: box.height, marks: marks.length };
});

const kindsIn = (html: string) => [...html.matchAll(/<svg[^>]*data-kind="([a-z]+)"/g)].map((m) => m[1]!);

function assertDrawn(pictures: Picture[], expectedKinds: string[]): void {
  assert.deepEqual(pictures.map((p) => p.kind), expectedKinds);
  for (const p of pictures) {
    assert.ok(p.width > 0 && p.height > 0, `"${p.title}" has a box: ${JSON.stringify(p)}`);
    assert.ok(p.marks > 0, `"${p.title}" draws something: ${JSON.stringify(p)}`);
  }
}

/** What the page reports, plus what the test read and measured in it. */
interface Observed extends PageResult {
  seedShown: string;
  logShown: string;
  pictures: Picture[];
  reportPictures: Picture[];
}

describe("the demo page in headless Chromium", { skip }, () => {
  let built: BuildResult;
  let served: Served;
  let browser: Browser;
  let page: Observed;
  let node: Diagnosed; // the same training and diagnostics, run here in Node
  let standalone: { pictures: Picture[]; requests: string[] };
  let cliReport: { pictures: Picture[]; requests: string[] };
  const errors: string[] = [];
  const shots = mkdtempSync(join(tmpdir(), "torchlet-browser-"));

  before(async () => {
    built = await buildWeb();
    served = await serve();
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ], // playwright gives every launch a fresh, empty --user-data-dir of its own
      timeout: 30_000,
    });
    const tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    tab.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    tab.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
    tab.on("requestfailed", (r) => errors.push(`requestfailed: ${r.url()}`));
    await tab.goto(served.url);
    node = await trainAndDiagnose(20); // while the page trains
    await tab.waitForFunction(() => window.__torchlet?.done === true, null, { timeout: 40_000 });
    const texts = await tab.evaluate(() => ({
      ...window.__torchlet,
      seedShown: document.getElementById("seed")!.textContent ?? "",
      logShown: document.getElementById("log")!.textContent ?? "",
    }));
    const report = await (await tab.$("#report"))!.contentFrame();
    page = { ...texts, pictures: await tab.evaluate(measure), reportPictures: await report!.evaluate(measure) };
    await tab.screenshot({ path: join(shots, "demo.png"), fullPage: true });
    for (const name of ["mlp.pt", "mlp.safetensors"]) { // saved as a user saves them: a click on the link
      const [download] = await Promise.all([tab.waitForEvent("download"), tab.click(`a[data-file="${name}"]`)]);
      await download.saveAs(join(shots, name));
    }

    // the report as a file of its own, as `writeReport` leaves it, and `torchlet report` of the checkpoint the page saved
    writeFileSync(join(built.outdir, "report.html"), node.report);
    const cli = main(["report", join(shots, "mlp.pt"), "-o", join(built.outdir, "cli-report.html")], {
      stdout: { write: () => true },
      stderr: { write: (text: string) => errors.push(`torchlet report: ${text}`) },
    });
    assert.equal(cli, 0, errors.join("\n"));
    standalone = await openAlone("report.html", "report.png");
    cliReport = await openAlone("cli-report.html", "cli-report.png");
  });

  /** Opens web/dist/`file` in a tab of its own: its pictures, and every URL the tab requested. */
  async function openAlone(file: string, screenshot: string): Promise<{ pictures: Picture[]; requests: string[] }> {
    const requests: string[] = [];
    const tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // a favicon fetch is the browser's own doing, not the report's
    tab.on("request", (r) => { if (!r.url().endsWith("/favicon.ico")) requests.push(r.url()); });
    tab.on("pageerror", (e) => errors.push(`${file} pageerror: ${e.message}`));
    await tab.goto(new URL(`dist/${file}`, served.url).href);
    const pictures = await tab.evaluate(measure);
    await tab.screenshot({ path: join(shots, screenshot), fullPage: true });
    return { pictures, requests };
  }

  after(async () => {
    await browser?.close();
    await served?.close();
  });

  test("the bundle builds and the page runs without errors", (t) => {
    t.diagnostic(`web/dist/torchlet.js ${kb(built.libraryBytes)}, ${kb(built.libraryGzipBytes)} gzipped`);
    t.diagnostic(`the page ran on the ${page.backend} backend`);
    assert.equal(page.error, null);
    assert.deepEqual(errors, []);
    // web/serve.ts serves the page cross-origin isolated, so the Web Worker helper starts there
    assert.equal(page.twoThreads, true, "torch.enableWasmThreadsWeb() should start a Web Worker on the demo page");
  });

  test("the page prints the D2L 6.2 walkthrough as Node prints it, with PyTorch's numbers", () => {
    const pytorch = readFileSync(new URL("./fixtures/seed.txt", import.meta.url), "utf8");
    assert.equal(page.stateDictText, seedWalkthrough()); // the same code and seed, run here in Node
    assert.equal(page.stateDictText, pytorch);
    assert.equal(page.seedShown, pytorch);
    assert.match(page.seedShown, /'weight' => tensor\(\[\[ 0\.1795, -0\.2155, -0\.3500, -0\.1366, -0\.2712, {2}0\.2901, {2}0\.1018, {2}0\.1464\]\]\)/);
    assert.match(page.seedShown, /'bias' => tensor\(\[0\.1118\]\)/);
  });

  test("the loss falls in the page as it does in Node", () => {
    assert.equal(page.losses.length, 20);
    assert.ok(page.losses.at(-1)! < page.losses[0]! / 10, `losses ${page.losses.join(", ")}`);
    assert.deepEqual(page.losses, node.losses); // with a Recorder attached in both: hooks only observe
    assert.equal(page.backend, torch.backend().name); // the WebAssembly SIMD backend, where both support it
    assert.match(page.logShown, /epoch 20 {2}loss \d\.\d{4}/);
    assert.ok(page.logShown.includes(String(node.net)), `the page prints the network as Node does:\n${page.logShown}`); // class names survive minifying
  });

  test("the summary, the parameter table and the report are the ones Node makes", () => {
    assert.equal(page.summaryText, node.summaryText);
    assert.equal(page.statsText, node.statsText);
    assert.equal(page.report, node.report);
    assert.match(page.summaryText, /Linear/);
  });

  test("every picture in the page is drawn", () => {
    const expected = ["line", ...kindsIn(node.pictures.join(""))]; // the live loss chart, then the diagnostics
    assert.ok(expected.includes("graph") && expected.filter((k) => k === "line").length >= 2, expected.join());
    assertDrawn(page.pictures, expected);
    assert.equal(page.svgCount, expected.length - 1);
  });

  test("the report shows every picture drawn, in the page and as a file of its own, with no request but itself", () => {
    const kinds = kindsIn(node.report);
    assert.ok(kinds.length >= 15 && kinds.includes("heatmap") && kinds.includes("histogram"), kinds.join());
    assertDrawn(page.reportPictures, kinds);
    assertDrawn(standalone.pictures, kinds);
    assert.deepEqual(standalone.requests, [new URL("dist/report.html", served.url).href]);
  });

  test("the model trained and saved in the page loads in Node: Node's bytes, the same tensors", () => {
    assert.deepEqual(page.roundTrip, { pt: true, safetensors: true });
    const saved = saveAndReload(node.net);
    assert.deepEqual({ pt: saved.ptRoundTrip, safetensors: saved.safetensorsRoundTrip }, { pt: true, safetensors: true });
    const pt = readFileSync(join(shots, "mlp.pt"));
    const safetensors = readFileSync(join(shots, "mlp.safetensors"));
    assert.ok(pt.equals(saved.pt), "the page's mlp.pt is byte for byte what Node writes");
    assert.ok(safetensors.equals(saved.safetensors), "the page's mlp.safetensors is byte for byte what Node writes");
    const expected = node.net.stateDict();
    const fromPt = torch.load<Map<string, torch.Tensor>>(join(shots, "mlp.pt"));
    const fromSafetensors = torch.loadSafetensors(join(shots, "mlp.safetensors"));
    assert.deepEqual([...fromPt.keys()], [...expected.keys()]);
    assert.deepEqual([...fromSafetensors.keys()], [...expected.keys()].sort()); // safetensors headers list names sorted
    for (const loaded of [fromPt, fromSafetensors]) {
      for (const [name, t] of expected) assert.ok(torch.equal(loaded.get(name)!, t), name);
    }
  });

  test("`torchlet report` of the trained model's checkpoint opens with every picture drawn", () => {
    const html = readFileSync(join(built.outdir, "cli-report.html"), "utf8");
    const kinds = kindsIn(html); // a state dict has no gradients: values and heat maps
    assert.deepEqual([...kinds].sort(), [...Array(6).fill("histogram"), ...Array(3).fill("heatmap")].sort());
    assertDrawn(cliReport.pictures, kinds);
    assert.deepEqual(cliReport.requests, [new URL("dist/cli-report.html", served.url).href]);
  });

  test("screenshots are saved", (t) => {
    for (const name of ["demo.png", "report.png", "cli-report.png"]) {
      const png = join(shots, name);
      assert.ok(statSync(png).size > 10_000);
      t.diagnostic(`screenshot: ${png}`);
    }
  });
});
