/** Dive into Deep Learning 6.4, "Lazy Initialization", in TypeScript. */
import * as torch from "torchlet";
const { nn } = torch;

torch.manualSeed(0);
const net = new nn.Sequential(new nn.LazyLinear(256), new nn.ReLU(), new nn.LazyLinear(10));

// Before any input the parameters have no shape
console.log(net[0].weight);
console.log(String(net));

// The first batch fixes every shape, then initialization runs
const X = torch.rand(2, 20);
net(X);
console.log([...net.namedParameters()].map(([name, p]) => [name, p.shape]));
console.log(String(net));
