// Type-level checks of a TypeScript consumer: namespace types through a named import, typed
// values, and the Node-only functions present under the node condition.
import { nn, optim, tensor, noGrad, type Tensor, type TensorJSON } from "torchlet";
import * as torch from "torchlet";

class Net extends nn.Module {
  static override displayName = "Net";
  hidden: nn.Linear;
  out: nn.Linear;
  constructor() {
    super();
    this.hidden = new nn.Linear(4, 8);
    this.out = new nn.Linear(8, 1);
  }
  forward(x: Tensor): Tensor { return this.out(this.hidden(x).relu()); }
}

const net = new Net();
const opt: optim.SGD = new optim.SGD(net.parameters(), { lr: 0.1 });
const lossFn = new nn.MSELoss();
let total: number = 0;
for (let i = 0; i < 2; i++) {
  opt.zeroGrad();
  const loss = lossFn(net(torch.rand(2, 4)), tensor([[1], [0]]));
  loss.backward();
  opt.step();
  total += loss.itemNumber();
}
const json: TensorJSON = net.out.weight.toJSON();
const seq: nn.Sequential<[nn.Linear, nn.ReLU]> = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU());
const first: nn.Linear = seq[0];
const evaluated: Promise<Tensor> = noGrad(async () => net(torch.rand(1, 4)));
const checkpoint = (path: string): void => torch.save(net.stateDict(), path);
torch.setNumThreads(1);
export { total, json, first, evaluated, checkpoint };
