/**
 * The demo's work, free of the DOM so Node runs the same code: the D2L 6.2 seed walkthrough
 * (examples/parameter-management.ts, printed through `inspect` instead of console.log) and the
 * short training of examples/main.ts. test/browser.test.ts runs both here and in Chromium.
 */
import * as torch from "torchlet";
import { inspect } from "./inspect.ts";
const { nn, optim } = torch;

/** Runs D2L 6.2 after `manualSeed(42)` and returns what `console.log` prints for it in Node. */
export function seedWalkthrough(): string {
  const lines: string[] = [];
  const print = (value: unknown) => lines.push(inspect(value));
  torch.manualSeed(42);

  const net = new nn.Sequential(new nn.LazyLinear(8), new nn.ReLU(), new nn.LazyLinear(1));
  const X = torch.rand(2, 4);
  print(net(X).shape);

  print(net[2]!.stateDict());
  print(net[2]!.bias instanceof nn.Parameter);
  print(net[2]!.weight.data);
  print(net[2]!.weight.grad === null);
  print([...net.namedParameters()].map(([name, p]) => [name, p.shape]));

  const shared = new nn.LazyLinear(8);
  const tied = new nn.Sequential(new nn.LazyLinear(8), new nn.ReLU(), shared, new nn.ReLU(),
                                 shared, new nn.ReLU(), new nn.LazyLinear(1));
  tied(X);
  print(tied[2]!.weight.data.at(0).eq(tied[4]!.weight.data.at(0)));
  tied[2]!.weight.data.at(0, 0).fill_(100);
  print(tied[2]!.weight.data.at(0).eq(tied[4]!.weight.data.at(0)));
  return lines.join("\n") + "\n";
}

/** One epoch's outcome, handed to the caller as training goes. */
export interface EpochReport {
  epoch: number;
  /** Mean MSE over the epoch's batches. */
  loss: number;
  /** Each batch's loss in this epoch, in order. */
  stepLosses: number[];
}

/** The trained network and the epoch losses. */
export interface TrainResult {
  net: torch.nn.Sequential;
  losses: number[];
}

/** examples/main.ts's MLP, lazy: 4 → 32 → 32 → 1 with ReLUs. */
export const makeMlp = () => new nn.Sequential(new nn.LazyLinear(32), new nn.ReLU(), new nn.LazyLinear(32), new nn.ReLU(), new nn.LazyLinear(1));

/** Callbacks of `trainMlp`; none may change the computation. */
export interface TrainHooks {
  /** After the lazy layers are materialized, before the first step (attach recorders here). */
  ready?(net: torch.nn.Sequential): void;
  /** After each step's backward and optimizer step, with that step's loss. */
  step?(loss: torch.Tensor): void;
  /** After every epoch; awaited, so a page can repaint between epochs. */
  epoch?(r: EpochReport): void | Promise<void>;
}

/** Trains examples/main.ts's MLP on y = sin(3x₀) + x₁x₂ - x₃² + noise (seed 0, SGD with momentum). */
export async function trainMlp(epochs: number, hooks: TrainHooks = {}): Promise<TrainResult> {
  torch.manualSeed(0);
  const n = 512;
  const X = torch.rand(n, 4).mul(2).sub(1);
  const [x0, x1, x2, x3] = X.unbind(1) as [torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor];
  const y = x0.mul(3).sin().add(x1.mul(x2)).sub(x3.square()).add(torch.randn(n).mul(0.05)).unsqueeze(1);

  const net = makeMlp();
  net(X.slice(0, 0, 1)); // materialize the lazy layers before handing parameters to the optimizer
  hooks.ready?.(net);
  const lossFn = new nn.MSELoss();
  const optimizer = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
  const batch = 32;
  const losses: number[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const stepLosses: number[] = [];
    for (let i = 0; i < n; i += batch) {
      const loss = lossFn(net(X.slice(0, i, i + batch)), y.slice(0, i, i + batch));
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      stepLosses.push(loss.item() as number);
      hooks.step?.(loss);
    }
    const mean = stepLosses.reduce((a, b) => a + b, 0) / stepLosses.length;
    losses.push(mean);
    await hooks.epoch?.({ epoch, loss: mean, stepLosses });
  }
  return { net, losses };
}

/** The trained model seen through torchlet's diagnostics. */
export interface Diagnosed extends TrainResult {
  recorder: torch.diagnostics.Recorder;
  /** `summary(net, [1, 4])` as its table */
  summaryText: string;
  /** the parameter and gradient statistics table */
  statsText: string;
  /** the recorder's curves (loss, activation mean/std, dead units, gradient norms) and the autograd graph of the last loss */
  pictures: string[];
  /** the self-contained HTML report of the trained model */
  report: string;
}

/**
 * `trainMlp` with a diagnostics Recorder on every Linear and ReLU, then the summary, the statistics
 * table, the pictures and the HTML report. `onEpoch` sees the recorder as it fills.
 */
export async function trainAndDiagnose(
  epochs: number,
  onEpoch: (r: EpochReport, recorder: torch.diagnostics.Recorder) => void | Promise<void> = () => {},
): Promise<Diagnosed> {
  let recorder: torch.diagnostics.Recorder | undefined;
  let last: torch.Tensor | undefined;
  const result = await trainMlp(epochs, {
    ready: (net) => { recorder = new torch.Recorder(net); },
    step: (loss) => { recorder!.recordLoss(loss); recorder!.step(); last = loss; },
    epoch: (r) => onEpoch(r, recorder!),
  });
  const rec = recorder!;
  rec.remove();
  const { net } = result;
  const summary = torch.summary(net, [1, 4]);
  const graph = torch.toGraphSvg(last!, { params: net.namedParameters() });
  return {
    ...result,
    recorder: rec,
    summaryText: String(summary),
    statsText: torch.formatTable(torch.parameterStats(net)),
    pictures: [...torch.diagnostics.recorderPictures(rec), graph],
    report: torch.reportHtml({ model: net, recorder: rec, summary, title: "torchlet: the demo MLP after training" }),
  };
}

/** The trained model's state dict as files, and whether a fresh lazy model loaded from each computes the same. */
export interface Saved {
  /** PyTorch's .pt format (`torch.save` bytes) */
  pt: Uint8Array;
  safetensors: Uint8Array;
  ptRoundTrip: boolean;
  safetensorsRoundTrip: boolean;
}

/** Serializes `net.stateDict()` both ways, loads each into a fresh `makeMlp()`, and compares outputs. */
export function saveAndReload(net: torch.nn.Sequential): Saved {
  const stateDict = net.stateDict();
  const pt = torch.serialize(stateDict);
  const safetensors = torch.serializeSafetensors(stateDict);
  const x = torch.linspace(-1, 1, 32).reshape(8, 4); // no generator draws
  const same = (loaded: torch.LoadValue) => {
    const fresh = makeMlp();
    fresh.loadStateDict(loaded);
    return torch.noGrad(() => torch.equal(fresh(x), net(x)));
  };
  return { pt, safetensors, ptRoundTrip: same(torch.deserialize(pt)), safetensorsRoundTrip: same(torch.deserializeSafetensors(safetensors)) };
}
