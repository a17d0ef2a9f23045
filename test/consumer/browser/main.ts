// A browser consumer, bundled by esbuild and by Vite with their defaults: named imports (what
// tree-shaking keeps), the printed model, and Node-only functions absent from the types.
import * as torch from "torchlet";
import { manualSeed, nn, rand, version } from "torchlet";

manualSeed(42);
const net = new nn.Sequential(new nn.LazyLinear(8), new nn.ReLU(), new nn.LazyLinear(1));
net(rand(2, 4));
const hidden: nn.Linear = net[2];

const nodeOnly = [
  // @ts-expect-error torch.save is Node-only: the browser entry's types do not declare it
  typeof torch.save,
  // @ts-expect-error setNumThreads is Node-only too
  typeof torch.setNumThreads,
];
const result = { version, repr: String(net), weight: String(hidden.weight.data), nodeOnly };
(globalThis as { result?: unknown }).result = result;
document.body.textContent = JSON.stringify(result);
