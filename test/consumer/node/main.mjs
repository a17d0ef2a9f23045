// A Node ESM consumer: the quick start with named imports, a checkpoint for the CLI, the version.
import * as torch from "torchlet";
import { manualSeed, nn, rand, version } from "torchlet";
import pkg from "torchlet/package.json" with { type: "json" };

manualSeed(42);
const net = new nn.Sequential(new nn.LazyLinear(8), new nn.ReLU(), new nn.LazyLinear(1));
net(rand(2, 4));
torch.save(net.stateDict(), "mlp.pt");
console.log(JSON.stringify({
  version, packageVersion: pkg.version, repr: String(net), weight: String(net.at(2).weight.data),
  nodeOnly: [typeof torch.save, typeof torch.setNumThreads],
}));
