/** Dive into Deep Learning 6.6, "File I/O", in TypeScript: PyTorch's own .pt format, both ways. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as torch from "torchlet";
import type { Tensor } from "torchlet";
const { nn } = torch;

const dir = mkdtempSync(join(tmpdir(), "torchlet-d2l-"));
const file = (name: string) => join(dir, name);

// 6.6.1 Loading and saving tensors
const x = torch.arange(4);
torch.save(x, file("x-file"));
console.log(torch.load<Tensor>(file("x-file")));

const y = torch.zeros(4);
torch.save([x, y], file("x-files"));
const [x2, y2] = torch.load<Tensor[]>(file("x-files"));
console.log(x2, y2);

const mydict = { x, y };
torch.save(mydict, file("mydict"));
console.log(torch.load(file("mydict")));

// 6.6.2 Loading and saving model parameters
class MLP extends nn.Module {
  hidden = new nn.LazyLinear(256);
  output = new nn.LazyLinear(10);
  forward(x: Tensor): Tensor {
    return this.output(this.hidden(x).relu());
  }
}
const net = new MLP();
const X = torch.randn(2, 20);
const Y = net(X);
torch.save(net.stateDict(), file("mlp.params"));

const clone = new MLP();
clone.loadStateDict(torch.load(file("mlp.params")));
clone.eval();
const YClone = clone(X);
console.log(YClone.eq(Y));

// The same state dict as safetensors, for the wider ecosystem
torch.saveSafetensors(net.stateDict(), file("mlp.safetensors"));
console.log([...torch.loadSafetensors(file("mlp.safetensors")).keys()]);
