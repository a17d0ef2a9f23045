/**
 * torchvision 0.14's ResNet (torchvision/models/resnet.py), ported line by line: conv3x3/conv1x1,
 * BasicBlock, Bottleneck, ResNet with `_make_layer` and the same submodule names (conv1, bn1, relu,
 * maxpool, layer1..4, avgpool, fc, downsample.0/.1) and the same initialization loop, so that
 * `torch.manualSeed(s); resnet18({ numClasses: 10 })` holds the very weights of
 * `torch.manual_seed(s); torchvision.models.resnet18(num_classes=10)`, and a torchvision
 * `state_dict()` saved with torch.save loads key for key.
 *
 * Run it: builds ResNet-18, freezes the stem (conv1, bn1) and prints the model summary and the
 * parameter table, loads a torchvision state dict if one is given, then trains a few SGD steps on
 * a small synthetic image set (four classes of stripes and checkerboards) and prints the loss.
 * Usage: npx tsx examples/resnet.ts [--weights resnet18.pt] [--steps 6] [--batch 16] [--size 32]
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import * as torch from "torchlet";
import type { Tensor } from "torchlet";
const { nn } = torch;

/** 3x3 convolution with padding. */
export function conv3x3(inPlanes: number, outPlanes: number, stride = 1, groups = 1, dilation = 1): torch.nn.Conv2d {
  return new nn.Conv2d(inPlanes, outPlanes, 3, { stride, padding: dilation, groups, bias: false, dilation });
}

/** 1x1 convolution. */
export function conv1x1(inPlanes: number, outPlanes: number, stride = 1): torch.nn.Conv2d {
  return new nn.Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });
}

/** How a block is built: torchvision's positional block arguments after (inplanes, planes). */
interface BlockOptions {
  stride?: number;
  downsample?: torch.nn.Module | null;
  groups?: number;
  baseWidth?: number;
  dilation?: number;
}

/** Two 3x3 convolutions and the identity (ResNet-18 and -34). */
export class BasicBlock extends nn.Module {
  static override displayName = "BasicBlock";
  static expansion = 1;
  conv1: torch.nn.Conv2d;
  bn1: torch.nn.BatchNorm2d;
  relu: torch.nn.ReLU;
  conv2: torch.nn.Conv2d;
  bn2: torch.nn.BatchNorm2d;
  downsample: torch.nn.Module | null;
  stride: number;

  constructor(inplanes: number, planes: number, o: BlockOptions = {}) {
    super();
    const { stride = 1, groups = 1, baseWidth = 64, dilation = 1 } = o;
    if (groups !== 1 || baseWidth !== 64) throw new Error("BasicBlock only supports groups=1 and base_width=64");
    if (dilation > 1) throw new Error("Dilation > 1 not supported in BasicBlock");
    // Both this.conv1 and this.downsample layers downsample the input when stride != 1
    this.conv1 = conv3x3(inplanes, planes, stride);
    this.bn1 = new nn.BatchNorm2d(planes);
    this.relu = new nn.ReLU();
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = new nn.BatchNorm2d(planes);
    this.downsample = o.downsample ?? null;
    this.stride = stride;
  }

  forward(x: Tensor): Tensor {
    let identity = x;
    let out = this.conv1(x);
    out = this.bn1(out);
    out = this.relu(out);
    out = this.conv2(out);
    out = this.bn2(out);
    if (this.downsample !== null) identity = this.downsample(x) as Tensor;
    out = out.add_(identity);
    return this.relu(out);
  }
}

/** 1x1, 3x3 (with the stride: ResNet V1.5), 1x1 convolutions and the identity (ResNet-50 and up). */
export class Bottleneck extends nn.Module {
  static override displayName = "Bottleneck";
  static expansion = 4;
  conv1: torch.nn.Conv2d;
  bn1: torch.nn.BatchNorm2d;
  conv2: torch.nn.Conv2d;
  bn2: torch.nn.BatchNorm2d;
  conv3: torch.nn.Conv2d;
  bn3: torch.nn.BatchNorm2d;
  relu: torch.nn.ReLU;
  downsample: torch.nn.Module | null;
  stride: number;

  constructor(inplanes: number, planes: number, o: BlockOptions = {}) {
    super();
    const { stride = 1, groups = 1, baseWidth = 64, dilation = 1 } = o;
    const width = Math.trunc(planes * (baseWidth / 64.0)) * groups;
    // Both this.conv2 and this.downsample layers downsample the input when stride != 1
    this.conv1 = conv1x1(inplanes, width);
    this.bn1 = new nn.BatchNorm2d(width);
    this.conv2 = conv3x3(width, width, stride, groups, dilation);
    this.bn2 = new nn.BatchNorm2d(width);
    this.conv3 = conv1x1(width, planes * Bottleneck.expansion);
    this.bn3 = new nn.BatchNorm2d(planes * Bottleneck.expansion);
    this.relu = new nn.ReLU();
    this.downsample = o.downsample ?? null;
    this.stride = stride;
  }

  forward(x: Tensor): Tensor {
    let identity = x;
    let out = this.conv1(x);
    out = this.bn1(out);
    out = this.relu(out);
    out = this.conv2(out);
    out = this.bn2(out);
    out = this.relu(out);
    out = this.conv3(out);
    out = this.bn3(out);
    if (this.downsample !== null) identity = this.downsample(x) as Tensor;
    out = out.add_(identity);
    return this.relu(out);
  }
}

type Block = typeof BasicBlock | typeof Bottleneck;

/** ResNet's keyword arguments (torchvision's names in camelCase). */
export interface ResNetOptions {
  numClasses?: number;
  zeroInitResidual?: boolean;
  groups?: number;
  widthPerGroup?: number;
  replaceStrideWithDilation?: [boolean, boolean, boolean] | null;
}

/** torchvision.models.ResNet(block, layers). */
export class ResNet extends nn.Module {
  static override displayName = "ResNet";
  private inplanes = 64;
  private dilation = 1;
  private readonly groups: number;
  private readonly baseWidth: number;
  conv1: torch.nn.Conv2d;
  bn1: torch.nn.BatchNorm2d;
  relu: torch.nn.ReLU;
  maxpool: torch.nn.MaxPool2d;
  layer1: torch.nn.Sequential;
  layer2: torch.nn.Sequential;
  layer3: torch.nn.Sequential;
  layer4: torch.nn.Sequential;
  avgpool: torch.nn.AdaptiveAvgPool2d;
  fc: torch.nn.Linear;

  constructor(block: Block, layers: [number, number, number, number], o: ResNetOptions = {}) {
    super();
    const { numClasses = 1000, zeroInitResidual = false, groups = 1, widthPerGroup = 64 } = o;
    // each element says whether to replace the 2x2 stride with a dilated convolution instead
    const replace = o.replaceStrideWithDilation ?? [false, false, false];
    if (replace.length !== 3) {
      throw new Error(`replace_stride_with_dilation should be None or a 3-element tuple, got ${JSON.stringify(replace)}`);
    }
    this.groups = groups;
    this.baseWidth = widthPerGroup;
    this.conv1 = new nn.Conv2d(3, this.inplanes, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = new nn.BatchNorm2d(this.inplanes);
    this.relu = new nn.ReLU();
    this.maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = this.makeLayer(block, 64, layers[0]);
    this.layer2 = this.makeLayer(block, 128, layers[1], 2, replace[0]);
    this.layer3 = this.makeLayer(block, 256, layers[2], 2, replace[1]);
    this.layer4 = this.makeLayer(block, 512, layers[3], 2, replace[2]);
    this.avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.fc = new nn.Linear(512 * block.expansion, numClasses);

    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) {
        nn.init.kaimingNormal_(m.weight, { mode: "fan_out", nonlinearity: "relu" });
      } else if (m instanceof nn.BatchNorm2d || m instanceof nn.GroupNorm) {
        nn.init.constant_(m.weight!, 1);
        nn.init.constant_(m.bias!, 0);
      }
    }

    // Zero-initialize the last BN in each residual branch, so that the residual branch starts
    // with zeros and each residual block behaves like an identity (https://arxiv.org/abs/1706.02677)
    if (zeroInitResidual) {
      for (const m of this.modules()) {
        if (m instanceof Bottleneck && m.bn3.weight !== null) nn.init.constant_(m.bn3.weight, 0);
        else if (m instanceof BasicBlock && m.bn2.weight !== null) nn.init.constant_(m.bn2.weight, 0);
      }
    }
  }

  private makeLayer(block: Block, planes: number, blocks: number, stride = 1, dilate = false): torch.nn.Sequential {
    let downsample: torch.nn.Module | null = null;
    const previousDilation = this.dilation;
    if (dilate) {
      this.dilation *= stride;
      stride = 1;
    }
    if (stride !== 1 || this.inplanes !== planes * block.expansion) {
      downsample = new nn.Sequential(
        conv1x1(this.inplanes, planes * block.expansion, stride),
        new nn.BatchNorm2d(planes * block.expansion),
      );
    }
    const layers: torch.nn.Module[] = [];
    layers.push(new block(this.inplanes, planes, {
      stride, downsample, groups: this.groups, baseWidth: this.baseWidth, dilation: previousDilation,
    }));
    this.inplanes = planes * block.expansion;
    for (let i = 1; i < blocks; i++) {
      layers.push(new block(this.inplanes, planes, { groups: this.groups, baseWidth: this.baseWidth, dilation: this.dilation }));
    }
    return new nn.Sequential(...layers);
  }

  forward(x: Tensor): Tensor {
    x = this.conv1(x);
    x = this.bn1(x);
    x = this.relu(x);
    x = this.maxpool(x) as Tensor; // a Tensor: returnIndices is off

    x = this.layer1(x);
    x = this.layer2(x);
    x = this.layer3(x);
    x = this.layer4(x);

    x = this.avgpool(x);
    x = torch.flatten(x, 1);
    return this.fc(x);
  }
}

/** ResNet-18 (torchvision.models.resnet18 without weights). */
export function resnet18(options: ResNetOptions = {}): ResNet {
  return new ResNet(BasicBlock, [2, 2, 2, 2], options);
}

/** ResNet-34 (torchvision.models.resnet34 without weights). */
export function resnet34(options: ResNetOptions = {}): ResNet {
  return new ResNet(BasicBlock, [3, 4, 6, 3], options);
}

/** ResNet-50 (torchvision.models.resnet50 without weights). */
export function resnet50(options: ResNetOptions = {}): ResNet {
  return new ResNet(Bottleneck, [3, 4, 6, 3], options);
}

/**
 * `n` images of 3 x size x size in four classes: stripes running in one of four directions
 * (horizontal, vertical, two diagonals), each with a random phase and contrast, plus noise.
 */
export function syntheticImages(n: number, size: number): [Tensor, Tensor] {
  const idx = torch.arange(size);
  const rows = idx.view(size, 1), cols = idx.view(1, size);
  const directions = [rows.add(cols.mul(0)), cols.add(rows.mul(0)), rows.add(cols), rows.sub(cols)];
  const images: Tensor[] = [], labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 4;
    const stripes = directions[k]!.mul(0.9).add(torch.rand(1).mul(6)).sin().mul(torch.rand(1).add(0.5));
    images.push(stripes.expand(3, size, size).add(torch.randn(3, size, size).mul(0.5)));
    labels.push(k);
  }
  return [torch.stack(images), torch.tensor(labels, { dtype: torch.int64 })];
}

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
};

function main(): void {
  const steps = Number(arg("steps") ?? 6), batch = Number(arg("batch") ?? 16), size = Number(arg("size") ?? 32);
  const weights = arg("weights");

  torch.manualSeed(0);
  if (weights !== undefined) {
    // a torchvision checkpoint: the number of classes comes from its fc layer
    const stateDict = torch.load<Map<string, Tensor>>(weights);
    const model = resnet18({ numClasses: stateDict.get("fc.weight")?.shape[0] ?? 1000 });
    model.loadStateDict(stateDict);
    model.eval();
    const logits = torch.noGrad(() => model(torch.randn(1, 3, 64, 64)));
    const { indices } = logits.at(0).topk(5);
    console.log(`loaded ${stateDict.size} tensors from ${weights}; top-5 classes of a random image: ${String(indices.tolist())}`);
  }

  const model = resnet18({ numClasses: 4 });
  // a frozen stem: its parameters show as not trainable and get no gradient
  model.conv1.requiresGrad_(false);
  model.bn1.requiresGrad_(false);
  // in eval mode: a summary's forward pass must not move the BatchNorm running statistics
  model.eval();
  console.log(String(torch.summary(model, [1, 3, size, size])));

  const [X, y] = syntheticImages(4 * batch, size);
  const optimizer = new torch.optim.SGD([...model.parameters()].filter((p) => p.requiresGrad), { lr: 0.05, momentum: 0.9 });
  const lossFn = new nn.CrossEntropyLoss();
  model.train();
  for (let step = 0; step < steps; step++) {
    const at = (step * batch) % X.shape[0]!;
    const xb = X.slice(0, at, at + batch), yb = y.slice(0, at, at + batch);
    const t0 = performance.now();
    const loss = lossFn(model(xb), yb);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    console.log(`step ${step + 1}/${steps}  loss ${loss.itemNumber().toFixed(4)}  (${Math.round(performance.now() - t0)} ms)`);
  }
  console.log(torch.formatTable(torch.parameterStats(model)));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
