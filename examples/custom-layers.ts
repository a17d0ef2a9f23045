/** Dive into Deep Learning 6.5, "Custom Layers", in TypeScript. */
import * as torch from "torchlet";
import type { Tensor } from "torchlet";
const { nn } = torch;
const F = nn.functional;

torch.manualSeed(0);

// 6.5.1 A layer without parameters
class CenteredLayer extends nn.Module {
  forward(X: Tensor): Tensor {
    return X.sub(X.mean());
  }
}
const layer = new CenteredLayer();
console.log(layer(torch.tensor([1, 2, 3, 4, 5])));

const net = new nn.Sequential(new nn.LazyLinear(128), new CenteredLayer());
const Y = net(torch.rand(4, 8));
console.log(Y.mean());

// 6.5.2 A layer with parameters
class MyLinear extends nn.Module {
  weight: torch.nn.Parameter;
  bias: torch.nn.Parameter;
  constructor(inUnits: number, units: number) {
    super();
    this.weight = new nn.Parameter(torch.randn(inUnits, units));
    this.bias = new nn.Parameter(torch.randn(units));
  }
  forward(X: Tensor): Tensor {
    return F.relu(X.matmul(this.weight.data).add(this.bias.data));
  }
}
const linear = new MyLinear(5, 3);
console.log(linear.weight);
console.log(linear(torch.rand(2, 5)));

const net2 = new nn.Sequential(new MyLinear(64, 8), new MyLinear(8, 1));
console.log(net2(torch.rand(2, 64)));
