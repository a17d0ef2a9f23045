/** Dive into Deep Learning 6.3, "Parameter Initialization", in TypeScript. */
import * as torch from "torchlet";
const { nn } = torch;

torch.manualSeed(0);
const net = new nn.Sequential(new nn.LazyLinear(8), new nn.ReLU(), new nn.LazyLinear(1));
const X = torch.rand(2, 4);
console.log(net(X).shape);

// 6.3.1 Built-in initialization; LazyLinear is a Linear, so `instanceof nn.Linear` covers it
function initNormal(module: torch.nn.Module): void {
  if (module instanceof nn.Linear) {
    nn.init.normal_(module.weight, 0, 0.01);
    nn.init.zeros_(module.bias!);
  }
}
net.apply(initNormal);
console.log(net[0].weight.data.at(0), net[0].bias!.data.at(0));

function initConstant(module: torch.nn.Module): void {
  if (module instanceof nn.Linear) {
    nn.init.constant_(module.weight, 1);
    nn.init.zeros_(module.bias!);
  }
}
net.apply(initConstant);
console.log(net[0].weight.data.at(0), net[0].bias!.data.at(0));

// Different initializers for different layers
const initXavier = (module: torch.nn.Module) => { if (module instanceof nn.Linear) nn.init.xavierUniform_(module.weight); };
const init42 = (module: torch.nn.Module) => { if (module instanceof nn.Linear) nn.init.constant_(module.weight, 42); };
net[0].apply(initXavier);
net[2].apply(init42);
console.log(net[0].weight.data.at(0));
console.log(net[2].weight.data);

// 6.3.1.1 Custom initialization: U(-10, 10), then keep only weights with |w| >= 5
function myInit(module: torch.nn.Module): void {
  if (module instanceof nn.Linear) {
    console.log("Init", ...[...module.namedParameters()].map(([name, param]) => [name, param.shape]));
    nn.init.uniform_(module.weight, -10, 10);
    module.weight.data.mul_(module.weight.data.abs().ge(5));
  }
}
net.apply(myInit);
console.log(net[0].weight.slice(0, 0, 2));

// Setting values directly through .data
net[0].weight.data.add_(1);
net[0].weight.data.at(0, 0).fill_(42);
console.log(net[0].weight.data.at(0));
