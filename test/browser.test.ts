/**
 * End to end in a real browser: builds the bundles (web/build.ts), serves web/ on 127.0.0.1, opens
 * the demo page in Debian's Chromium (headless, through playwright-core; never a downloaded
 * browser) and checks what the page printed and drew against the same code run here in Node.
 * Skips when /usr/bin/chromium is missing (`apt-get install -y chromium`).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
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
import { seedWalkthrough, trainMlp } from "../web/walkthrough.ts";
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

/** What the page reports, plus what the test measured in it. */
interface Observed extends PageResult {
  seedShown: string;
  logShown: string;
  pictures: { kind: string; width: number; height: number; marks: number; drawnMarks: number }[];
}

describe("the demo page in headless Chromium", { skip }, () => {
  let built: BuildResult;
  let served: Served;
  let browser: Browser;
  let page: Observed;
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
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    tab.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    tab.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
    tab.on("requestfailed", (r) => errors.push(`requestfailed: ${r.url()}`));
    await tab.goto(served.url);
    await tab.waitForFunction(() => window.__torchlet?.done === true, null, { timeout: 40_000 });
    page = await tab.evaluate(() => ({
      ...window.__torchlet,
      seedShown: document.getElementById("seed")!.textContent ?? "",
      logShown: document.getElementById("log")!.textContent ?? "",
      // measured in the page: the picture's box, and how many of its marks (lines, bars, cells) have area
      pictures: [...document.querySelectorAll<SVGSVGElement>("#pictures svg")].map((svg) => {
        const box = svg.getBoundingClientRect();
        const marks = [...svg.querySelectorAll<SVGGraphicsElement>("polyline, path, rect, circle")].slice(1);
        const drawn = marks.filter((m) => { const b = m.getBBox(); return b.width > 0 || b.height > 0; });
        return { kind: svg.dataset.kind ?? "", width: box.width, height: box.height, marks: marks.length, drawnMarks: drawn.length };
      }),
    }));
    await tab.screenshot({ path: join(shots, "demo.png"), fullPage: true });
  });

  after(async () => {
    await browser?.close();
    await served?.close();
  });

  test("the bundle builds and the page runs without errors", (t) => {
    t.diagnostic(`web/dist/torchlet.js ${kb(built.libraryBytes)}, ${kb(built.libraryGzipBytes)} gzipped`);
    assert.equal(page.error, null);
    assert.deepEqual(errors, []);
  });

  test("the page prints the D2L 6.2 walkthrough as Node prints it, with PyTorch's numbers", () => {
    const pytorch = readFileSync(new URL("./fixtures/seed.txt", import.meta.url), "utf8");
    assert.equal(page.stateDictText, seedWalkthrough()); // the same code and seed, run here in Node
    assert.equal(page.stateDictText, pytorch);
    assert.equal(page.seedShown, pytorch);
    assert.match(page.seedShown, /'weight' => tensor\(\[\[ 0\.1795, -0\.2155, -0\.3500, -0\.1366, -0\.2712, {2}0\.2901, {2}0\.1018, {2}0\.1464\]\]\)/);
    assert.match(page.seedShown, /'bias' => tensor\(\[0\.1118\]\)/);
  });

  test("the loss falls in the page as it does in Node", async () => {
    const { net, losses } = await trainMlp(page.losses.length);
    assert.equal(page.losses.length, 20);
    assert.ok(page.losses.at(-1)! < page.losses[0]! / 10, `losses ${page.losses.join(", ")}`);
    assert.deepEqual(page.losses, losses);
    assert.match(page.logShown, /epoch 20 {2}loss \d\.\d{4}/);
    assert.ok(page.logShown.includes(String(net)), `the page prints the network as Node does:\n${page.logShown}`); // class names survive minifying
  });

  test("every picture is drawn", () => {
    const kinds = page.pictures.map((p) => p.kind);
    assert.deepEqual(kinds, ["line", "line", "heatmap", "histogram", "histogram", "histogram"]);
    assert.equal(page.svgCount, kinds.length);
    for (const p of page.pictures) {
      assert.ok(p.width > 0 && p.height > 0, `${p.kind} has a box: ${JSON.stringify(p)}`);
      assert.ok(p.marks > 0 && p.drawnMarks > 0, `${p.kind} has marks with area: ${JSON.stringify(p)}`);
    }
  });

  test("a screenshot is saved", (t) => {
    const png = join(shots, "demo.png");
    assert.ok(statSync(png).size > 10_000);
    t.diagnostic(`screenshot: ${png}`);
  });
});
