// A CommonJS consumer: require() of the ES module package (Node >= 20.19).
const torch = require("torchlet");
const pkg = require("torchlet/package.json");

torch.manualSeed(42);
const net = new torch.nn.Sequential(new torch.nn.LazyLinear(8), new torch.nn.ReLU(), new torch.nn.LazyLinear(1));
net(torch.rand(2, 4));
console.log(JSON.stringify({
  version: torch.version, packageVersion: pkg.version, repr: String(net), weight: String(net.at(2).weight.data),
  nodeOnly: [typeof torch.save, typeof torch.setNumThreads],
}));
