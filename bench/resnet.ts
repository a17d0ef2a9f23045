// A ResNet-style CNN's training step against PyTorch 1.13 + torchvision 0.14: ResNet-18 (10 classes)
// from examples/resnet.ts, train mode, a batch of 3x32x32 images, cross-entropy, backward,
// SGD(lr 0.01, momentum 0.9).step(), zeroGrad(); PyTorch runs torchvision.models.resnet18 on the
// same inputs (bench/pytorch_resnet.py); bench/steps.ts runs the four contenders and prints the table.
//   npx tsx bench/resnet.ts [--batch 16] [--size 32] [--rounds 5] [--seconds 1]
//   node --cpu-prof --import tsx bench/resnet.ts --profile --seconds 20   torchlet alone, for a profile
// The model is the example's, so torchlet is loaded from src/ through tsx (examples import "torchlet",
// which tsconfig maps to src/index-node.ts).
import * as torch from "../src/index-node.ts";
import { resnet18 } from "../examples/resnet.ts";
import { argValue, lcgArray } from "./lib.ts";
import { runStepBench } from "./steps.ts";

const batch = Number(argValue("--batch") ?? 16), size = Number(argValue("--size") ?? 32);
const rounds = Number(argValue("--rounds") ?? 5), seconds = Number(argValue("--seconds") ?? 1);

/** The training step, as a user writes it. */
function torchletStep(): () => void {
  torch.manualSeed(0);
  const model = resnet18({ numClasses: 10 });
  model.train();
  const images = torch.tensor(lcgArray(batch * 3 * size * size, 5)).reshape(batch, 3, size, size);
  const labels = torch.tensor(Array.from({ length: batch }, (_, i) => i % 10), { dtype: torch.int64 });
  const lossFn = new torch.nn.CrossEntropyLoss();
  const opt = new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  return () => {
    lossFn(model(images), labels).backward();
    opt.step();
    opt.zeroGrad();
  };
}

await runStepBench({
  name: "resnet", title: `ResNet-18 training step, batch ${batch} of 3x${size}x${size} (SGD, momentum)`,
  step: torchletStep(), setNumThreads: torch.setNumThreads, peer: "pytorch_resnet.py",
  args: ["--batch", String(batch), "--size", String(size)], rounds, seconds,
});
