/**
 * Training with diagnostics: the MLP of examples/main.ts on y = sin(3x₀) + x₁x₂ - x₃² + noise,
 * with a progress bar and the running loss on stderr, a model summary, a Recorder on every
 * Linear and ReLU, then the parameter table and an HTML report of the trained model.
 * Usage: tsx --conditions=source examples/train-report.ts [report.html]
 */
import process from "node:process";
import { resolve } from "node:path";
import * as torch from "torchlet";
import { formatTable, parameterStats, Recorder, summary, writeReport } from "torchlet";
const { nn, optim } = torch;
const { progressLine } = torch.diagnostics;

torch.manualSeed(0);
const n = 512;
const X = torch.rand(n, 4).mul(2).sub(1);
const [x0, x1, x2, x3] = X.unbind(1) as [torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor];
const y = x0.mul(3).sin().add(x1.mul(x2)).sub(x3.square()).add(torch.randn(n).mul(0.05)).unsqueeze(1);

const net = new nn.Sequential(new nn.LazyLinear(32), new nn.ReLU(), new nn.LazyLinear(32), new nn.ReLU(), new nn.LazyLinear(1));
// the summary's example batch materializes the lazy layers, as net(X.slice(0, 0, 1)) would
console.log(String(summary(net, X.slice(0, 0, 1))));

const lossFn = new nn.MSELoss();
const optimizer = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
const recorder = new Recorder(net);
const epochs = 20, batch = 32, steps = epochs * Math.ceil(n / batch);
// a bar only on a terminal: redrawn lines would be noise in a log file or a test's captured output
const bar = process.stderr.isTTY ? (s: string) => process.stderr.write(s) : () => {};
// on a terminal, an epoch line first erases the bar, which the next step redraws below it
const log = (s: string) => { bar("\r\x1b[2K"); console.log(s); };
let last: torch.Tensor | null = null;

for (let epoch = 1, step = 0; epoch <= epochs; epoch++) {
  let total = 0;
  for (let i = 0; i < n; i += batch) {
    const loss = lossFn(net(X.slice(0, i, i + batch)), y.slice(0, i, i + batch));
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    recorder.recordLoss(loss);
    recorder.step();
    last = loss;
    total += (loss.item() as number) * batch;
    // the running loss: the mean over this epoch's batches so far
    bar(progressLine(++step, steps, { label: "training", suffix: `epoch ${epoch}/${epochs}  loss ${(total / (i + batch)).toFixed(4)}` }));
  }
  if (epoch === 1 || epoch % 5 === 0) log(`epoch ${String(epoch).padStart(2)}  loss ${(total / n).toFixed(4)}`);
}
recorder.remove();

console.log("\nParameters after training:");
console.log(formatTable(parameterStats(net)));
const path = resolve(process.argv[2] ?? "report.html");
writeReport(path, { model: net, recorder, graph: last ?? undefined, title: "MLP trained on sin(3x₀) + x₁x₂ - x₃²" });
console.log(`report written to ${path}`);
