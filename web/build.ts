/**
 * Builds the browser bundles with esbuild: web/dist/torchlet.js (the whole library, src/index.ts,
 * one minified ES module) and web/dist/main.js (the demo page, importing "torchlet" through the
 * page's import map, so the page runs the library bundle itself).
 * `node --conditions=source --import tsx web/build.ts` builds and prints the sizes.
 */
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Sizes of the library bundle in bytes. */
export interface BuildResult {
  outdir: string;
  libraryBytes: number;
  libraryGzipBytes: number;
  pageBytes: number;
}

const common = {
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  // no keepNames: modules print their explicit static displayName, which minifying keeps
  minify: true,
  sourcemap: true,
  logLevel: "warning",
  absWorkingDir: root,
} as const;

/** Builds both bundles into web/dist/ (or `outdir`) and returns their sizes. */
export async function buildWeb(outdir = `${root}web/dist`): Promise<BuildResult> {
  await build({ ...common, entryPoints: ["src/index.ts"], outfile: `${outdir}/torchlet.js` });
  await build({ ...common, entryPoints: ["web/main.ts"], outfile: `${outdir}/main.js`, external: ["torchlet"] });
  const lib = readFileSync(`${outdir}/torchlet.js`);
  return {
    outdir,
    libraryBytes: lib.length,
    libraryGzipBytes: gzipSync(lib, { level: 9 }).length,
    pageBytes: readFileSync(`${outdir}/main.js`).length,
  };
}

/** "127.3 KB" */
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await buildWeb();
  console.log(`web/dist/torchlet.js  ${kb(r.libraryBytes)} (${kb(r.libraryGzipBytes)} gzipped)`);
  console.log(`web/dist/main.js      ${kb(r.pageBytes)} (the demo page, imports torchlet.js)`);
}
