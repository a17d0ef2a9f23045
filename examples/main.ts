/**
 * The main demo (`npm start`): the D2L 6.2 parameter-management walkthrough, then training the
 * same kind of MLP on a built-in synthetic regression data set with SGD.
 */
import * as torch from "torchlet";
const { nn, optim } = torch;

console.log("== Dive into Deep Learning 6.2: parameter management ==");
await import("./parameter-management.ts");

console.log("\n== Training the MLP: y = sin(3x₀) + x₁x₂ - x₃² + noise ==");
torch.manualSeed(0);
const n = 512;
const X = torch.rand(n, 4).mul(2).sub(1);
const [x0, x1, x2, x3] = X.unbind(1) as [torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor];
const y = x0.mul(3).sin().add(x1.mul(x2)).sub(x3.square()).add(torch.randn(n).mul(0.05)).unsqueeze(1);

const net = new nn.Sequential(new nn.LazyLinear(32), new nn.ReLU(), new nn.LazyLinear(32), new nn.ReLU(), new nn.LazyLinear(1));
net(X.slice(0, 0, 1)); // materialize the lazy layers before handing parameters to the optimizer
const lossFn = new nn.MSELoss();
const optimizer = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
const batch = 32;

for (let epoch = 1; epoch <= 20; epoch++) {
  let total = 0;
  for (let i = 0; i < n; i += batch) {
    const loss = lossFn(net(X.slice(0, i, i + batch)), y.slice(0, i, i + batch));
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    total += (loss.item() as number) * batch;
  }
  if (epoch === 1 || epoch % 5 === 0) console.log(`epoch ${String(epoch).padStart(2)}  loss ${(total / n).toFixed(4)}`);
}
console.log(String(net));
