/**
 * End to end in a real browser: builds the bundles (web/build.ts), serves web/ on 127.0.0.1, opens
 * the demo page in Debian's Chromium (headless, through playwright-core; never a downloaded
 * browser) and checks what the page printed and drew against the same code run here in Node, and
 * what its checkpoint inspector shows for files given to its input against the `torchlet` command.
 * Skips when /usr/bin/chromium is missing (`apt-get install -y chromium`).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { inspect as nodeInspect } from "node:util";
import type { Browser, Page } from "playwright-core";
import * as torch from "torchlet";
import { buildWeb, kb } from "../web/build.ts";
import type { BuildResult } from "../web/build.ts";
import { serve } from "../web/serve.ts";
import type { Served } from "../web/serve.ts";
import { inspect } from "../web/inspect.ts";
import { main } from "../src/cli/main.ts";
import type { InspectReport } from "../src/io/inspect.ts";
import { Pickler } from "../src/io/pickle.ts";
import type { ZipInput } from "../src/io/zip.ts";
import { zipBytes, zipChunks } from "../src/io/zip.ts";
import { saveAndReload, seedWalkthrough, trainAndDiagnose } from "../web/walkthrough.ts";
import type { Diagnosed } from "../web/walkthrough.ts";
import type { PageResult } from "../web/main.ts";
import type { InspectorResult } from "../web/inspector.ts";

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

// the bundles are built once for both pages' suites
let building: Promise<BuildResult> | undefined;
const buildOnce = () => (building ??= buildWeb());

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
    built = await buildOnce();
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

/** `torchlet <args>` run here in Node: what it prints on stdout. */
function cli(...args: string[]): string {
  let out = "", err = "";
  const code = main(args, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  assert.equal(code, 0, err);
  return out;
}

const afterFirstLine = (text: string) => text.slice(text.indexOf("\n") + 1);

/** Writes `chunks` to `path`, leaving holes where a chunk is `hole` (a sparse file: no disk, no time). */
function writeSparse(path: string, chunks: Iterable<Uint8Array>, hole: Uint8Array): number {
  const fd = openSync(path, "w");
  let pos = 0;
  for (const c of chunks) {
    if (c.buffer !== hole.buffer) for (let p = 0; p < c.length;) p += writeSync(fd, c, p, c.length - p, pos + p);
    pos += c.length;
  }
  ftruncateSync(fd, pos);
  closeSync(fd);
  return pos;
}

/** A 3 GiB safetensors file of three [16384, 16384] float32 tensors, sparse. */
function sparseSafetensors(path: string): number {
  const n = 16384 * 16384 * 4;
  const header: Record<string, unknown> = {};
  for (let i = 0; i < 3; i++) header[`layers.${i}.weight`] = { dtype: "F32", shape: [16384, 16384], data_offsets: [i * n, (i + 1) * n] };
  const json = new TextEncoder().encode(JSON.stringify(header).padEnd(8 * Math.ceil(JSON.stringify(header).length / 8)));
  const head = new Uint8Array(8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(json.length), true);
  head.set(json, 8);
  const hole = new Uint8Array(1 << 26);
  return writeSparse(path, (function* () {
    yield head;
    for (let i = 0; i < (3 * n) / hole.length; i++) yield hole;
  })(), hole);
}

/** A > 4 GiB .pt (zip64, as torch.save writes it past 4 GiB) holding one float32 vector, sparse. */
function sparsePt(path: string, count: number): number {
  const p = new Pickler();
  p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce(); p.mark();
  p.string("embed.weight");
  p.global("torch._utils", "_rebuild_tensor_v2"); p.mark();
  p.mark(); p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu"); p.int(count); p.tuple(); p.persistentId();
  p.int(0); p.mark(); p.int(count); p.tuple(); p.mark(); p.int(1); p.tuple();
  p.bool(false); p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce(); p.tuple(); p.reduce();
  p.setItems();
  const hole = new Uint8Array(1 << 26);
  const data: ZipInput = {
    name: "archive/data/0", size: count * 4, crc: 0,
    *chunks() { for (let pos = 0; pos < count * 4; pos += hole.length) yield hole.subarray(0, Math.min(hole.length, count * 4 - pos)); },
  };
  return writeSparse(path, zipChunks([zipBytes("archive/data.pkl", p.finish()), data, zipBytes("archive/version", new TextEncoder().encode("3\n"))]), hole);
}

describe("the page as a checkpoint inspector in headless Chromium", { skip }, () => {
  let served: Served;
  let browser: Browser;
  let tab: Page;
  const requests: string[] = [];
  const errors: string[] = [];
  const tmp = mkdtempSync(join(tmpdir(), "torchlet-inspector-"));
  const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));

  before(async () => {
    await buildOnce();
    served = await serve();
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"], timeout: 30_000 });
    tab = await browser.newPage();
    tab.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    await tab.goto(served.url);
    // the page has started (its Web Worker helper included) once its status line moves on
    await tab.waitForFunction(() => document.getElementById("status")?.textContent !== "loading…", null, { timeout: 30_000 });
    tab.on("request", (r) => requests.push(r.url())); // from here on: nothing is fetched, let alone uploaded
  });

  after(async () => {
    await browser?.close();
    await served?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Gives the page `paths` through its file input and waits for the statistics and pictures. */
  async function inspectInPage(paths: string[]): Promise<InspectorResult> {
    const runs = await tab.evaluate(() => window.__inspector?.runs ?? 0);
    await tab.setInputFiles("#ckpt-input", paths);
    await tab.waitForFunction((n) => window.__inspector?.runs === n + 1 && window.__inspector.done, runs, { timeout: 60_000 });
    return tab.evaluate(() => window.__inspector);
  }

  const cases: Array<[string, string[], string]> = [
    ["a PyTorch-written .pt (model, optimizer state, RNG bytes)", ["checkpoint-pytorch.pt"], "pt"],
    ["a PyTorch-written .pt of every dtype with NaN and Inf", ["io/dtypes.pt"], "pt"],
    ["a PyTorch-written .pt of views (transposed, sliced, expanded)", ["io/views.pt"], "pt"],
    ["a safetensors file of every dtype", ["io/dtypes.safetensors"], "safetensors"],
    ["a safetensors file with tied tensors", ["io/tied.safetensors"], "safetensors"],
    ["a sharded safetensors checkpoint: the index and its shards", ["io/model.safetensors.index.json", "io/model-00001-of-00002.safetensors", "io/model-00002-of-00002.safetensors"], "sharded-safetensors"],
  ];
  for (const [what, files, format] of cases) {
    test(`${what}: the table and statistics are what \`torchlet inspect --stats\` prints, the report what \`torchlet report\` writes`, async () => {
      const paths = files.map((f) => join(fixtures, f));
      const page = await inspectInPage(paths);
      assert.equal(page.error, null);
      const name = basename(paths[0]!);
      assert.equal(page.tableText.split("\n")[0], `${name} (${format})`);
      assert.equal(afterFirstLine(page.tableText), afterFirstLine(cli("inspect", paths[0]!)));
      assert.equal(afterFirstLine(page.statsText), afterFirstLine(cli("inspect", paths[0]!, "--stats")));
      const json = JSON.parse(cli("inspect", paths[0]!, "--stats", "--json")) as InspectReport;
      const shown = JSON.parse(JSON.stringify(page.report)) as InspectReport; // NaN as null, as the CLI's JSON has it
      assert.deepEqual(shown.tensors, json.tensors);
      assert.deepEqual(shown.totals, json.totals);
      const out = join(tmp, `${name}.html`);
      cli("report", paths[0]!, "-o", out);
      assert.equal(page.reportHtml, readFileSync(out, "utf8"));
      assert.ok(page.sections > 0 && page.sections <= json.tensors.length);
      const drawn = await tab.evaluate(() => document.querySelectorAll("#ckpt-pictures svg").length);
      assert.equal(drawn, (page.reportHtml.match(/<svg/g) ?? []).length);
    });
  }

  test("a 3 GiB safetensors file and a 4 GiB .pt (zip64): the table at once, from a few KiB of headers", async (t) => {
    const files = [["big.safetensors", sparseSafetensors(join(tmp, "big.safetensors"))], ["big.pt", sparsePt(join(tmp, "big.pt"), 2 ** 30 + 16)]] as const;
    for (const [file, size] of files) {
      assert.ok(size > 2 ** 31 + 2 ** 30, `${file}: ${size} bytes`);
      const runs = await tab.evaluate(() => window.__inspector?.runs ?? 0);
      await tab.setInputFiles("#ckpt-input", join(tmp, file));
      await tab.waitForFunction((n) => window.__inspector?.runs === n + 1 && (window.__inspector.tableText !== "" || window.__inspector.done), runs, { timeout: 30_000 });
      const page = await tab.evaluate(() => window.__inspector);
      assert.equal(page.error, null);
      t.diagnostic(`${file} (${size} bytes): the table in ${page.headerMs!.toFixed(0)} ms from ${page.headerBytes} bytes`);
      assert.ok(page.headerBytes! < 2 ** 20, `${page.headerBytes} bytes read for the headers`);
      assert.ok(page.headerMs! < 5000, `${page.headerMs} ms`);
      assert.equal(afterFirstLine(page.tableText), afterFirstLine(cli("inspect", join(tmp, file))));
      await tab.click("#ckpt-stop"); // the statistics would stream all of it; stop them
      await tab.waitForFunction(() => window.__inspector.done, null, { timeout: 30_000 });
      assert.equal(await tab.evaluate(() => window.__inspector.stopped), true);
    }
  });

  test("the page fetched nothing while inspecting, and raised no error", () => {
    assert.deepEqual(requests, []);
    assert.deepEqual(errors, []);
  });
});
