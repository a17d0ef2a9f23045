/**
 * A tiny static file server for web/ on 127.0.0.1 (node:http, no dependencies), for the demo and
 * the browser test. `node --conditions=source --import tsx web/serve.ts [port]` builds the bundles,
 * serves web/ and prints the URL; the port defaults to an ephemeral one.
 */
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, normalize, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildWeb, kb } from "./build.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".css": "text/css",
};

/**
 * Cross-origin isolation: with these two headers the page gets SharedArrayBuffer, so
 * `torch.enableWasmThreadsWeb()` can start its Web Worker and large matmuls use both cores.
 * Everything the page loads is its own, so require-corp blocks nothing.
 */
const ISOLATED = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };

/** A running server: its base URL and a way to stop it. */
export interface Served {
  url: string;
  close(): Promise<void>;
}

/** Serves the files under `dir` (default web/) on 127.0.0.1:`port` (0: any free port). */
export async function serve(dir = fileURLToPath(new URL(".", import.meta.url)), port = 0): Promise<Served> {
  const base = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = resolve(base, `.${normalize(path.endsWith("/") ? `${path}index.html` : path)}`);
    if (file !== base && !file.startsWith(base + sep)) return void res.writeHead(403).end("forbidden");
    readFile(file).then(
      (body) => res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store", ...ISOLATED }).end(body),
      () => res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}`),
    );
  });
  await new Promise<void>((ok, fail) => server.once("error", fail).listen(port, "127.0.0.1", ok));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("server has no TCP address");
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await buildWeb();
  console.log(`built web/dist/torchlet.js: ${kb(r.libraryBytes)} (${kb(r.libraryGzipBytes)} gzipped)`);
  const { url } = await serve(undefined, Number(process.argv[2] ?? 0));
  console.log(`torchlet demo: ${url}  (Ctrl-C stops)`);
}
