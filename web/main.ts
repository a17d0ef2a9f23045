/**
 * The demo page (web/index.html): inspects a dropped checkpoint (web/inspector.ts), prints the D2L 6.2 walkthrough, trains a small MLP while the loss
 * prints and plots, then shows torchlet's diagnostics of the trained model: the summary, the
 * parameter table, the recorded curves, the autograd graph and the HTML report. Results go on
 * `window.__torchlet` for test/browser.test.ts.
 */
import * as torch from "torchlet";
import { setupInspector } from "./inspector.ts";
import { saveAndReload, seedWalkthrough, trainAndDiagnose } from "./walkthrough.ts";

/** What the page exposes for the browser test. */
export interface PageResult {
  stateDictText: string;
  losses: number[];
  summaryText: string;
  statsText: string;
  /** the report's HTML, as shown in the iframe */
  report: string;
  /** pictures in #pictures (the recorder's curves and the autograd graph) */
  svgCount: number;
  /** whether a fresh model loaded from the page's .pt / safetensors bytes computes what the trained one does */
  roundTrip: { pt: boolean; safetensors: boolean } | null;
  /** the backend the ops ran on ("wasm" where WebAssembly SIMD runs, else "cpu") */
  backend: string;
  /** whether large matmuls may use a second core (a Web Worker; needs a cross-origin isolated page) */
  twoThreads: boolean;
  done: boolean;
  error: string | null;
}

declare global {
  interface Window { __torchlet: PageResult }
}

const EPOCHS = 20;
const $ = (id: string) => document.getElementById(id)!;
const result: PageResult = { stateDictText: "", losses: [], summaryText: "", statsText: "", report: "", svgCount: 0, roundTrip: null, backend: "", twoThreads: false, done: false, error: null };
window.__torchlet = result;

// Lets the browser paint between epochs, so the loss is seen falling.
const nextFrame = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A download link for `bytes`, as a browser saves what it computed. */
function downloadLink(name: string, bytes: Uint8Array): HTMLAnchorElement {
  const a = document.createElement("a");
  a.download = name;
  a.href = URL.createObjectURL(new Blob([bytes.slice()]));
  a.textContent = `${name} (${bytes.length} bytes)`;
  a.dataset.file = name;
  return a;
}

/** Shows the report in the iframe and resolves once it has loaded, sized to its content. */
function showReport(html: string): Promise<void> {
  const frame = $("report") as HTMLIFrameElement;
  return new Promise((resolve) => {
    frame.addEventListener("load", () => {
      frame.style.height = `${frame.contentDocument!.documentElement.scrollHeight + 20}px`;
      resolve();
    }, { once: true });
    frame.srcdoc = html;
  });
}

async function main(): Promise<void> {
  setupInspector();
  // both cores for large matmuls where the page is cross-origin isolated (npm run demo:web serves it so);
  // this demo's MLP is small enough that its products stay on one thread either way
  result.twoThreads = await torch.enableWasmThreadsWeb();
  $("status").textContent = "running the D2L 6.2 walkthrough…";
  result.stateDictText = seedWalkthrough();
  $("seed").textContent = result.stateDictText;
  await nextFrame();

  $("status").textContent = "training…";
  const log = $("log");
  const t0 = performance.now();
  const d = await trainAndDiagnose(EPOCHS, async ({ epoch, loss }, rec) => {
    result.losses.push(loss);
    log.textContent += `epoch ${String(epoch).padStart(2)}  loss ${loss.toFixed(4)}\n`;
    $("live").innerHTML = torch.diagnostics.lineChartSvg([{ name: "loss", values: rec.losses }], `loss per step (epoch ${epoch}/${EPOCHS})`);
    await nextFrame();
  });
  const seconds = (performance.now() - t0) / 1000;
  log.textContent += `\n${String(d.net)}\n`;
  result.backend = torch.backend().name;

  result.summaryText = $("summary").textContent = d.summaryText;
  result.statsText = $("stats").textContent = d.statsText;
  $("pictures").innerHTML = d.pictures.join("");
  result.svgCount = $("pictures").querySelectorAll("svg").length;
  await showReport(d.report);
  result.report = d.report;

  const saved = saveAndReload(d.net);
  result.roundTrip = { pt: saved.ptRoundTrip, safetensors: saved.safetensorsRoundTrip };
  const ok = (b: boolean) => (b ? "same outputs" : "DIFFERENT outputs");
  $("files").append(downloadLink("mlp.pt", saved.pt), " · ", downloadLink("mlp.safetensors", saved.safetensors),
    ` · loaded back into a fresh lazy model: .pt ${ok(saved.ptRoundTrip)}, safetensors ${ok(saved.safetensorsRoundTrip)}`);
  $("status").textContent = `done: loss ${d.losses[0]!.toFixed(4)} → ${d.losses.at(-1)!.toFixed(4)} in ${EPOCHS} epochs`
    + ` (${seconds.toFixed(1)} s with a recorder attached, on the ${result.backend} backend;`
    + ` ${result.twoThreads ? "a Web Worker takes half of large matmuls" : "one thread: the page is not cross-origin isolated"})`;
  result.done = true;
}

main().catch((e: unknown) => {
  result.error = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ""}` : String(e);
  $("status").textContent = result.error;
  $("status").className = "error";
  result.done = true;
});
