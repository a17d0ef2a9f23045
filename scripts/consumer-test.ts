/**
 * The consumer test: `npm pack`, then the tarball installed into fresh projects outside the
 * repository (test/consumer/ copied to a temporary directory) and used as users do: Node ESM,
 * CommonJS require, TypeScript strict (nodenext and bundler, with the oldest supported TypeScript
 * and the repository's), an esbuild and a Vite browser bundle run in Chromium, the `torchlet`
 * command, publint and are-the-types-wrong. Needs the npm registry (or its cache) and Debian's
 * Chromium. `npm run test:consumer`; CI runs it.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, type ExecFileSyncOptions } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));
const CHROMIUM = process.env.TORCHLET_CHROMIUM ?? "/usr/bin/chromium";
/** The oldest TypeScript the README promises, and the tools the consumers' own projects would have. */
const TOOLS = ["typescript@5.0.4", "vite@8", "publint@0.3", "@arethetypeswrong/cli@0.18"];

const work = mkdtempSync(join(tmpdir(), "torchlet-consumer-"));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; version: string };
const seedLines = readFileSync(join(root, "test/fixtures/seed.txt"), "utf8").split("\n");
const reprs = JSON.parse(readFileSync(join(root, "test/fixtures/nn_module.json"), "utf8")).repr as Record<string, string>;
/** What PyTorch prints for the seed's model and its last layer's weight (manual_seed(42), rand(2, 4)). */
const expected = { repr: reprs.lazy_after!, weight: seedLines.find((l) => l.startsWith("tensor([[ 0.1795"))! };

let tarball = "";
const nodeDir = join(work, "node"), browserDir = join(work, "browser"), toolsDir = join(work, "tools");

function run(file: string, args: string[], cwd: string, options: ExecFileSyncOptions = {}): string {
  try {
    return execFileSync(file, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...options }) as string;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(" ")} (in ${cwd}) failed: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`, { cause: e });
  }
}
const npm = (args: string[], cwd: string) => run("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], cwd);
const tool = (bin: string, args: string[], cwd: string) => run(process.execPath, [join(toolsDir, "node_modules", bin), ...args], cwd);
const repoTsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

before(() => {
  const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], root)) as { filename: string }[];
  tarball = join(work, packed[0]!.filename);
  cpSync(join(root, "test/consumer/node"), nodeDir, { recursive: true });
  cpSync(join(root, "test/consumer/browser"), browserDir, { recursive: true });
  cpSync(join(root, "examples/parameter-management.ts"), join(nodeDir, "seed.ts"));
  for (const dir of [nodeDir, browserDir]) {
    run("npm", ["init", "-y"], dir);
    run("npm", ["pkg", "set", "type=module"], dir);
  }
  npm(["install", tarball, "@types/node@20"], nodeDir);
  npm(["install", tarball], browserDir);
  npm(["install", "--prefix", toolsDir, ...TOOLS], work);
}, { timeout: 600_000 });

after(() => rmSync(work, { recursive: true, force: true }));

describe("the packed tarball", () => {
  test("holds the build, the sources for declaration maps, LICENSE; no tests, no AssemblyScript", () => {
    const files = run("tar", ["-tzf", tarball], work).split("\n").filter(Boolean).map((f) => f.replace(/^package\//, ""));
    for (const f of ["LICENSE", "README.md", "bin/torchlet.js", "dist/index.js", "dist/index.d.ts", "dist/index-node.d.ts", "dist/index.d.ts.map", "src/index.ts"]) {
      assert.ok(files.includes(f), f);
    }
    assert.deepEqual(files.filter((f) => /\.test\.|(^|\/)test\/|\/assembly\/|^bench\/|^scripts\//.test(f)), []);
    const kernels = readFileSync(join(nodeDir, "node_modules/torchlet/dist/backend/wasm/kernels.generated.d.ts"), "utf8");
    assert.ok(kernels.length < 1000, `the kernel constants are typed string, not 25 KB literals (${kernels.length} bytes)`);
  });

  test("installs torchlet and its one dependency only; nothing of the repository leaks in", () => {
    const installed = readdirSync(join(browserDir, "node_modules")).filter((n) => !n.startsWith("."));
    assert.deepEqual(installed.sort(), ["fflate", "torchlet"]);
    const manifest = readFileSync(join(browserDir, "node_modules/torchlet/package.json"), "utf8");
    assert.doesNotMatch(manifest, /"source"|\.\/src\//, "no source condition in the published exports");
  });

  test("publint and are-the-types-wrong (ESM-only profile) find nothing", () => {
    const lint = tool("publint/src/cli.js", ["--strict", "--pack", "false", join(nodeDir, "node_modules/torchlet")], work);
    assert.doesNotMatch(lint, /warning|error|suggestion/i, lint);
    tool("@arethetypeswrong/cli/dist/index.js", [tarball, "--profile", "esm-only", "--format", "ascii"], work);
  });
});

describe("a Node project", () => {
  const check = (out: string) => {
    const r = JSON.parse(out);
    assert.equal(r.version, pkg.version);
    assert.equal(r.packageVersion, pkg.version);
    assert.equal(r.repr, expected.repr);
    assert.equal(r.weight, expected.weight);
    assert.deepEqual(r.nodeOnly, ["function", "function"]);
  };
  test("ESM: import and import of package.json", () => check(run(process.execPath, ["main.mjs"], nodeDir)));
  test("CommonJS: require() on a supported Node", () => check(run(process.execPath, ["main.cjs"], nodeDir)));

  for (const [label, tsc] of [["TypeScript 5.0", join(toolsDir, "node_modules/typescript/bin/tsc")], ["the repository's TypeScript", repoTsc]] as const) {
    test(`${label}, strict, nodenext: compiles, and the walkthrough prints what PyTorch prints`, () => {
      rmSync(join(nodeDir, "out"), { recursive: true, force: true });
      run(process.execPath, [tsc, "-p", "tsconfig.json"], nodeDir);
      assert.equal(run(process.execPath, ["out/seed.js"], nodeDir), seedLines.join("\n"));
    });
  }

  test("the torchlet command: --version, and inspect of the checkpoint main.mjs saved", () => {
    assert.match(run("npx", ["--no-install", "torchlet", "--version"], nodeDir), /^torchlet \d+\.\d+\.\d+|^\d+\.\d+\.\d+/);
    const out = run("npx", ["--no-install", "torchlet", "inspect", "mlp.pt"], nodeDir);
    for (const key of ["0.weight", "0.bias", "2.weight", "2.bias"]) assert.match(out, new RegExp(key.replace(".", "\\.")));
  });
});

/** Serves `dir` on 127.0.0.1; `/` is index.html. */
async function serve(dir: string): Promise<{ url: string; server: Server }> {
  const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
  const server = createServer((req, res) => {
    const path = join(dir, (req.url ?? "/").split("?")[0] === "/" ? "index.html" : decodeURIComponent(req.url!.split("?")[0]!));
    try {
      const body = readFileSync(path);
      res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, server };
}

/** Opens the page in Chromium and returns what it set as `globalThis.result`. */
async function runInChromium(dir: string): Promise<unknown> {
  const { url, server } = await serve(dir);
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as { result?: unknown }).result !== undefined, null, { timeout: 60_000 }).catch(() => undefined);
    assert.deepEqual(errors, []);
    return await page.evaluate(() => (globalThis as { result?: unknown }).result);
  } finally {
    await browser.close();
    server.close();
  }
}

/** Total and gzipped bytes of the .js files under `dir`. */
function jsBytes(dir: string): string {
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".js")).map((f) => join(dir, f));
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const gz = files.reduce((n, f) => n + gzipSync(readFileSync(f)).length, 0);
  return `${(bytes / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped`;
}

describe("a browser project", () => {
  const check = (r: unknown) => assert.deepEqual(r, { version: pkg.version, ...expected, nodeOnly: ["undefined", "undefined"] });

  for (const [label, tsc] of [["TypeScript 5.0", join(toolsDir, "node_modules/typescript/bin/tsc")], ["the repository's TypeScript", repoTsc]] as const) {
    test(`${label}, strict, bundler, no Node types: compiles; save and setNumThreads are compile errors`, () => {
      run(process.execPath, [tsc, "-p", "tsconfig.json"], browserDir);
    });
  }

  test("esbuild (bundle, minify) in Chromium prints PyTorch's model and numbers", async (t) => {
    const { build } = await import("esbuild");
    await build({
      entryPoints: [join(browserDir, "main.ts")], outfile: join(browserDir, "esbuild/main.js"), absWorkingDir: browserDir,
      bundle: true, minify: true, format: "esm", platform: "browser", logLevel: "error",
    });
    cpSync(join(browserDir, "index.html"), join(browserDir, "esbuild/index.html"));
    run("sed", ["-i", "s|/main.ts|/main.js|", join(browserDir, "esbuild/index.html")], browserDir);
    t.diagnostic(`esbuild bundle: ${jsBytes(join(browserDir, "esbuild"))}`);
    check(await runInChromium(join(browserDir, "esbuild")));
  });

  test("Vite (vite build, defaults) in Chromium prints PyTorch's model and numbers", async (t) => {
    tool("vite/bin/vite.js", ["build", "--logLevel", "warn"], browserDir);
    t.diagnostic(`Vite bundle: ${jsBytes(join(browserDir, "dist"))}`);
    check(await runInChromium(join(browserDir, "dist")));
  });
});
