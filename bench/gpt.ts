// A small GPT training step against PyTorch 1.13: nanoGPT's model (examples/gpt.ts here,
// scripts/fixtures/gpt.py there) with 2 layers, 4 heads, 128 dims, block 64, batch 8, vocab 65;
// forward, cross-entropy, backward, AdamW with nanoGPT's groups, zero_grad(set_to_none); the peer is
// bench/pytorch_gpt.py, and bench/steps.ts runs the four contenders (each side on one thread and on
// two) and prints the table. The model code is examples/gpt.ts, so torchlet runs from src/ through
// tsx here (the same JavaScript as dist/, transpiled by esbuild instead of tsc).
//   npx tsx bench/gpt.ts [--rounds 7] [--seconds 0.5]
//   node --cpu-prof --import tsx bench/gpt.ts --profile --seconds 10   torchlet alone, one thread
import * as torch from "../src/index-node.ts";
import { GPT } from "../examples/gpt.ts";
import { argValue } from "./lib.ts";
import { runStepBench } from "./steps.ts";

const CONFIG = { blockSize: 64, vocabSize: 65, nLayer: 2, nHead: 4, nEmbd: 128, dropout: 0, bias: false };
const BATCH = 8;
const rounds = Number(argValue("--rounds") ?? 7), seconds = Number(argValue("--seconds") ?? 0.5);

/** The training step, built as pytorch_gpt.py builds it. */
function torchletStep(): () => void {
  torch.manualSeed(0);
  const model = new GPT(CONFIG);
  model.train();
  const opt = model.configureOptimizers(0.1, 1e-3, [0.9, 0.95]);
  const x = torch.randint(0, CONFIG.vocabSize, [BATCH, CONFIG.blockSize]);
  const y = torch.randint(0, CONFIG.vocabSize, [BATCH, CONFIG.blockSize]);
  return () => {
    const [, loss] = model(x, y);
    loss!.backward();
    opt.step();
    opt.zeroGrad({ setToNone: true });
  };
}

await runStepBench({
  name: "gpt",
  title: `small GPT training step: ${CONFIG.nLayer} layers, ${CONFIG.nHead} heads, ${CONFIG.nEmbd} dims, block ${CONFIG.blockSize}, batch ${BATCH}, vocab ${CONFIG.vocabSize} (AdamW)`,
  step: torchletStep(), setNumThreads: torch.setNumThreads, peer: "pytorch_gpt.py", rounds, seconds,
});
