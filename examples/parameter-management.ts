/**
 * Dive into Deep Learning 6.2, "Parameter Management", in TypeScript. Run it with
 * `npx tsx --conditions=source examples/parameter-management.ts`; after the same seed it prints
 * what PyTorch prints (test/seed.test.ts checks that against PyTorch's own output).
 */
import * as torch from "torchlet";
const { nn } = torch;

torch.manualSeed(42);

// 6.2 A simple MLP with one hidden layer
const net = new nn.Sequential(new nn.LazyLinear(8), new nn.ReLU(), new nn.LazyLinear(1));
const X = torch.rand(2, 4);
console.log(net(X).shape);

// 6.2.1 Parameter access: index into the Sequential, then read the layer's state dict
console.log(net[2].stateDict());
console.log(net[2].bias instanceof nn.Parameter);
console.log(net[2].weight.data);
console.log(net[2].weight.grad === null);
console.log([...net.namedParameters()].map(([name, p]) => [name, p.shape]));

// 6.2.2 Tied parameters: one layer object used twice is one set of tensors
const shared = new nn.LazyLinear(8);
const tied = new nn.Sequential(new nn.LazyLinear(8), new nn.ReLU(), shared, new nn.ReLU(),
                               shared, new nn.ReLU(), new nn.LazyLinear(1));
tied(X);
console.log(tied[2].weight.data.at(0).eq(tied[4].weight.data.at(0)));
tied[2].weight.data.at(0, 0).fill_(100);
// the same tensor, not just equal values
console.log(tied[2].weight.data.at(0).eq(tied[4].weight.data.at(0)));
