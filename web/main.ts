/**
 * The demo page (web/index.html): prints the D2L 6.2 walkthrough, trains a small MLP while the loss
 * prints and plots, then draws pictures of the trained weights. Results go on `window.__torchlet`
 * for test/browser.test.ts.
 */
import type * as torch from "torchlet";
import { seedWalkthrough, trainMlp } from "./walkthrough.ts";
import { heatmapSvg, histogramSvg, lineSvg } from "./pictures.ts";

/** What the page exposes for the browser test. */
export interface PageResult {
  stateDictText: string;
  losses: number[];
  svgCount: number;
  done: boolean;
  error: string | null;
}

declare global {
  interface Window { __torchlet: PageResult }
}

const EPOCHS = 20;
const $ = (id: string) => document.getElementById(id)!;
const result: PageResult = { stateDictText: "", losses: [], svgCount: 0, done: false, error: null };
window.__torchlet = result;

// Lets the browser paint between epochs, so the loss is seen falling.
const nextFrame = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * DIAGNOSTICS HOOK: the pictures of the trained model. Until src/diagnostics exports its report
 * pictures, these are the page's own (web/pictures.ts); swap in its SVGs (or its report HTML) here.
 */
function pictures(net: torch.nn.Sequential, losses: number[], stepLosses: number[]): string[] {
  const svgs = [lineSvg(losses, "loss per epoch"), lineSvg(stepLosses, "loss per step")];
  for (const [name, p] of net.namedParameters()) {
    const values = (p.ndim === 2 ? (p.data.tolist() as number[][]).flat() : p.data.tolist() as number[]);
    if (p.ndim === 2 && name === "0.weight") svgs.push(heatmapSvg((p.data.T.tolist() as number[][]), `${name}ᵀ`));
    if (p.ndim === 2) svgs.push(histogramSvg(values, `${name} values`));
  }
  return svgs;
}

async function main(): Promise<void> {
  $("status").textContent = "running the D2L 6.2 walkthrough…";
  result.stateDictText = seedWalkthrough();
  $("seed").textContent = result.stateDictText;
  await nextFrame();

  $("status").textContent = "training…";
  const log = $("log");
  const live = $("pictures");
  const stepLosses: number[] = [];
  const { net, losses } = await trainMlp(EPOCHS, {
    async epoch({ epoch, loss, stepLosses: steps }) {
      stepLosses.push(...steps);
      result.losses.push(loss);
      log.textContent += `epoch ${String(epoch).padStart(2)}  loss ${loss.toFixed(4)}\n`;
      live.innerHTML = lineSvg(result.losses, `loss per epoch (epoch ${epoch}/${EPOCHS})`);
      await nextFrame();
    },
  });
  log.textContent += `\n${String(net)}\n`;

  live.innerHTML = pictures(net, losses, stepLosses).join("");
  result.svgCount = live.querySelectorAll("svg").length;
  $("status").textContent = `done: loss ${losses[0]!.toFixed(4)} → ${losses.at(-1)!.toFixed(4)} in ${EPOCHS} epochs`;
  result.done = true;
}

main().catch((e: unknown) => {
  result.error = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ""}` : String(e);
  $("status").textContent = result.error;
  $("status").className = "error";
  result.done = true;
});
