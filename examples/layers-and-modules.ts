/** Dive into Deep Learning 6.1, "Layers and Modules", in TypeScript. */
import * as torch from "torchlet";
import type { Tensor } from "torchlet";
const { nn } = torch;
const F = nn.functional;

torch.manualSeed(0);
const X = torch.rand(2, 20);

// 6.1 A Sequential of built-in layers
const net = new nn.Sequential(new nn.LazyLinear(256), new nn.ReLU(), new nn.LazyLinear(10));
console.log(net(X).shape);

// 6.1.1 A custom module: parameters register by plain assignment
class MLP extends nn.Module {
  hidden = new nn.LazyLinear(256);
  out = new nn.LazyLinear(10);
  forward(X: Tensor): Tensor {
    return this.out(F.relu(this.hidden(X)));
  }
}
const mlp = new MLP();
console.log(mlp(X).shape);

// 6.1.2 The Sequential module, written by hand
class MySequential extends nn.Module {
  constructor(...modules: torch.nn.Module[]) {
    super();
    modules.forEach((module, idx) => this.registerModule(String(idx), module));
  }
  forward(X: Tensor): Tensor {
    for (const module of this.children()) X = module(X);
    return X;
  }
}
const mySeq = new MySequential(new nn.LazyLinear(256), new nn.ReLU(), new nn.LazyLinear(10));
console.log(mySeq(X).shape);

// 6.1.3 Code in forward: a constant weight, control flow, and one layer used twice
class FixedHiddenMLP extends nn.Module {
  // not a Parameter: a constant that training never changes
  randWeight = torch.rand(20, 20);
  linear = new nn.LazyLinear(20);
  forward(X: Tensor): Tensor {
    X = this.linear(X);
    X = F.relu(X.matmul(this.randWeight).add(1));
    X = this.linear(X);
    while ((X.abs().sum().item() as number) > 1) X = X.div(2);
    return X.sum();
  }
}
const fixed = new FixedHiddenMLP();
console.log(fixed(X));

class NestMLP extends nn.Module {
  net = new nn.Sequential(new nn.LazyLinear(64), new nn.ReLU(), new nn.LazyLinear(32), new nn.ReLU());
  linear = new nn.LazyLinear(16);
  forward(X: Tensor): Tensor {
    return this.linear(this.net(X));
  }
}
const chimera = new nn.Sequential(new NestMLP(), new nn.LazyLinear(20), new FixedHiddenMLP());
console.log(chimera(X));
console.log(String(chimera));
