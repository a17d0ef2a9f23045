/**
 * nanoGPT's character model, ported line by line from Karpathy's model.py and the loop of its
 * train.py and sample.py: CausalSelfAttention (one `c_attn` projection for q, k, v, a causal mask
 * buffer, `c_proj`), an MLP with GELU, pre-norm Blocks, token and position embeddings with the
 * token table TIED to `lm_head` (one Parameter in two places: `namedParameters` lists it once,
 * `stateDict` has both keys, as PyTorch), nanoGPT's initialization in PyTorch's generator order
 * (so a seed gives PyTorch's weights), AdamW with nanoGPT's weight-decay groups, warm-up and
 * cosine learning rate, gradient clipping, then sampling with `torch.multinomial` (temperature,
 * top-k). PyTorch 1.13 has no scaled_dot_product_attention, so this is nanoGPT's manual path,
 * and its state dict keeps the `attn.bias` mask buffers; scripts/fixtures/gpt.py holds the same
 * model in PyTorch and test/gpt.test.ts compares the two.
 *
 * The text is the Apache-2.0 license that TypeScript ships (node_modules/typescript/LICENSE.txt,
 * there after `npm ci`), else Debian's /usr/share/common-licenses/GPL-3, else this repository's
 * LICENSE; `--text FILE` picks another.
 * Usage: npx tsx examples/gpt.ts [--iters 50] [--n-layer 2] [--n-head 4] [--n-embd 48]
 *   [--block-size 32] [--batch-size 8] [--lr 3e-3] [--dropout 0] [--bias] [--eval-interval 20]
 *   [--eval-iters 2] [--tokens 200] [--temperature 0.8] [--top-k 10] [--seed 1337] [--threads 1]
 *   [--text FILE] [--save FILE.pt]
 * A bigger run (minutes): --iters 2000 --n-layer 4 --n-embd 128 --block-size 64 --batch-size 32 --lr 1e-3 --dropout 0.1 --threads 2
 */
import process from "node:process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as torch from "torchlet";
const { nn } = torch;
const F = nn.functional;

/** nanoGPT's GPTConfig. */
export interface GPTConfig {
  blockSize: number;
  vocabSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  dropout: number;
  /** bias in Linears and LayerNorms, like GPT-2; nanoGPT's default is false */
  bias: boolean;
}

/** LayerNorm but with an optional bias (nanoGPT's own: PyTorch 1.13 has no bias=False). */
export class LayerNorm extends nn.Module {
  static override displayName = "LayerNorm";
  declare weight: torch.nn.Parameter;
  declare bias: torch.nn.Parameter | null;
  constructor(ndim: number, bias: boolean) {
    super();
    this.weight = new nn.Parameter(torch.ones(ndim));
    this.bias = bias ? new nn.Parameter(torch.zeros(ndim)) : null;
  }

  forward(input: torch.Tensor): torch.Tensor {
    return F.layerNorm(input, this.weight.shape, { weight: this.weight, bias: this.bias, eps: 1e-5 });
  }
}

/** Multi-head causal self-attention with q, k, v from one Linear. */
export class CausalSelfAttention extends nn.Module {
  static override displayName = "CausalSelfAttention";
  declare c_attn: torch.nn.Linear;
  declare c_proj: torch.nn.Linear;
  declare attn_dropout: torch.nn.Dropout;
  declare resid_dropout: torch.nn.Dropout;
  declare bias: torch.Tensor;
  readonly nHead: number;
  readonly nEmbd: number;
  constructor(config: GPTConfig) {
    super();
    if (config.nEmbd % config.nHead !== 0) throw new Error(`n_embd ${config.nEmbd} is not a multiple of n_head ${config.nHead}`);
    // key, query, value projections for all heads, but in a batch
    this.c_attn = new nn.Linear(config.nEmbd, 3 * config.nEmbd, { bias: config.bias });
    this.c_proj = new nn.Linear(config.nEmbd, config.nEmbd, { bias: config.bias });
    this.attn_dropout = new nn.Dropout(config.dropout);
    this.resid_dropout = new nn.Dropout(config.dropout);
    this.nHead = config.nHead;
    this.nEmbd = config.nEmbd;
    // causal mask to ensure that attention is only applied to the left in the input sequence
    const n = config.blockSize;
    this.registerBuffer("bias", torch.ones(n, n).tril().view(1, 1, n, n));
  }

  forward(x: torch.Tensor): torch.Tensor {
    const [B, T, C] = x.shape as [number, number, number];
    // query, key, values for all heads in batch, the head moved forward to be a batch dim
    const [q0, k0, v0] = this.c_attn(x).split(this.nEmbd, 2) as [torch.Tensor, torch.Tensor, torch.Tensor];
    const k = k0.view(B, T, this.nHead, C / this.nHead).transpose(1, 2); // (B, nh, T, hs)
    const q = q0.view(B, T, this.nHead, C / this.nHead).transpose(1, 2);
    const v = v0.view(B, T, this.nHead, C / this.nHead).transpose(1, 2);
    // manual attention: (B, nh, T, hs) x (B, nh, hs, T) -> (B, nh, T, T)
    let att = q.matmul(k.transpose(-2, -1)).mul(1.0 / Math.sqrt(k.shape[3]!));
    att = att.maskedFill(this.bias.at(":", ":", `:${T}`, `:${T}`).eq(0), -Infinity);
    att = F.softmax(att, -1);
    att = this.attn_dropout(att);
    let y = att.matmul(v); // (B, nh, T, T) x (B, nh, T, hs) -> (B, nh, T, hs)
    y = y.transpose(1, 2).contiguous().view(B, T, C); // re-assemble all head outputs side by side
    return this.resid_dropout(this.c_proj(y));
  }
}

/** The feed-forward half of a block: 4x wider, GELU, back. */
export class MLP extends nn.Module {
  static override displayName = "MLP";
  declare c_fc: torch.nn.Linear;
  declare gelu: torch.nn.GELU;
  declare c_proj: torch.nn.Linear;
  declare dropout: torch.nn.Dropout;
  constructor(config: GPTConfig) {
    super();
    this.c_fc = new nn.Linear(config.nEmbd, 4 * config.nEmbd, { bias: config.bias });
    this.gelu = new nn.GELU();
    this.c_proj = new nn.Linear(4 * config.nEmbd, config.nEmbd, { bias: config.bias });
    this.dropout = new nn.Dropout(config.dropout);
  }

  forward(x: torch.Tensor): torch.Tensor {
    return this.dropout(this.c_proj(this.gelu(this.c_fc(x))));
  }
}

/** A pre-norm transformer block with residual connections. */
export class Block extends nn.Module {
  static override displayName = "Block";
  declare ln_1: LayerNorm;
  declare attn: CausalSelfAttention;
  declare ln_2: LayerNorm;
  declare mlp: MLP;
  constructor(config: GPTConfig) {
    super();
    this.ln_1 = new LayerNorm(config.nEmbd, config.bias);
    this.attn = new CausalSelfAttention(config);
    this.ln_2 = new LayerNorm(config.nEmbd, config.bias);
    this.mlp = new MLP(config);
  }

  forward(x: torch.Tensor): torch.Tensor {
    x = x.add(this.attn(this.ln_1(x)));
    return x.add(this.mlp(this.ln_2(x)));
  }
}

interface TransformerParts {
  wte: torch.nn.Embedding;
  wpe: torch.nn.Embedding;
  drop: torch.nn.Dropout;
  h: torch.nn.ModuleList<Block[]>;
  ln_f: LayerNorm;
  [key: string]: torch.nn.Module;
}
/** `self.transformer`: a ModuleDict whose entries read as attributes, as in Python. */
type Transformer = torch.nn.ModuleDict<TransformerParts> & TransformerParts;

/** nanoGPT's GPT: embeddings, blocks, final LayerNorm and a head tied to the token embedding. */
export class GPT extends nn.Module {
  static override displayName = "GPT";
  declare transformer: Transformer;
  declare lm_head: torch.nn.Linear;
  readonly config: GPTConfig;
  constructor(config: GPTConfig) {
    super();
    this.config = config;
    this.transformer = new nn.ModuleDict<TransformerParts>({
      wte: new nn.Embedding(config.vocabSize, config.nEmbd),
      wpe: new nn.Embedding(config.blockSize, config.nEmbd),
      drop: new nn.Dropout(config.dropout),
      h: new nn.ModuleList(Array.from({ length: config.nLayer }, () => new Block(config))),
      ln_f: new LayerNorm(config.nEmbd, config.bias),
    }) as Transformer;
    this.lm_head = new nn.Linear(config.nEmbd, config.vocabSize, { bias: false });
    this.transformer.wte.weight = this.lm_head.weight; // weight tying
    // init all weights, then the scaled init of the residual projections, per GPT-2 paper
    this.apply((m) => GPT.initWeights(m));
    for (const [pn, p] of this.namedParameters()) {
      if (pn.endsWith("c_proj.weight")) nn.init.normal_(p, 0.0, 0.02 / Math.sqrt(2 * config.nLayer));
    }
  }

  /** nanoGPT's _init_weights: N(0, 0.02) for Linear and Embedding weights, zero biases. */
  static initWeights(module: torch.nn.Module): void {
    if (module instanceof nn.Linear) {
      nn.init.normal_(module.weight, 0.0, 0.02);
      if (module.bias !== null) nn.init.zeros_(module.bias);
    } else if (module instanceof nn.Embedding) {
      nn.init.normal_(module.weight, 0.0, 0.02);
    }
  }

  /** Parameters, without the position embeddings by default (the tied token table counts once). */
  getNumParams(nonEmbedding = true): number {
    let n = 0;
    for (const p of this.parameters()) n += p.numel();
    return nonEmbedding ? n - this.transformer.wpe.weight.numel() : n;
  }

  /** Logits for every position and the mean cross-entropy when targets are given; else the last position's logits. */
  forward(idx: torch.Tensor, targets: torch.Tensor | null = null): [torch.Tensor, torch.Tensor | null] {
    const [, t] = idx.shape as [number, number];
    if (t > this.config.blockSize) throw new Error(`Cannot forward sequence of length ${t}, block size is only ${this.config.blockSize}`);
    const pos = torch.arange(0, t, { dtype: torch.int64 });
    const tokEmb = this.transformer.wte(idx); // (b, t, n_embd)
    const posEmb = this.transformer.wpe(pos); // (t, n_embd)
    let x = this.transformer.drop(tokEmb.add(posEmb));
    for (const block of this.transformer.h) x = (block as Block)(x);
    x = this.transformer.ln_f(x);
    if (targets !== null) {
      const logits = this.lm_head(x);
      const loss = F.crossEntropy(logits.view(-1, logits.shape[2]!), targets.view(-1), { ignoreIndex: -1 });
      return [logits, loss];
    }
    // inference: only the last position's logits (the list [-1] keeps the time dim)
    return [this.lm_head(x.at(":", [-1], ":")), null];
  }

  /** nanoGPT's configure_optimizers: AdamW, weight decay on every tensor of 2 or more dims only. */
  configureOptimizers(weightDecay: number, learningRate: number, betas: [number, number]): torch.optim.AdamW {
    const params = [...this.namedParameters()].filter(([, p]) => p.requiresGrad);
    const decay = params.filter(([, p]) => p.ndim >= 2).map(([, p]) => p);
    const nodecay = params.filter(([, p]) => p.ndim < 2).map(([, p]) => p);
    const count = (ps: torch.Tensor[]) => ps.reduce((s, p) => s + p.numel(), 0).toLocaleString("en-US");
    console.log(`num decayed parameter tensors: ${decay.length}, with ${count(decay)} parameters`);
    console.log(`num non-decayed parameter tensors: ${nodecay.length}, with ${count(nodecay)} parameters`);
    return new torch.optim.AdamW([
      { params: decay, weightDecay },
      { params: nodecay, weightDecay: 0.0 },
    ], { lr: learningRate, betas });
  }

  /** Extends each row of `idx` by `maxNewTokens` sampled tokens (nanoGPT's generate, under noGrad). */
  generate(idx: torch.Tensor, maxNewTokens: number, temperature = 1.0, topK: number | null = null): torch.Tensor {
    return torch.noGrad(() => {
      for (let i = 0; i < maxNewTokens; i++) {
        // crop the context to the last block_size tokens
        const idxCond = idx.shape[1]! <= this.config.blockSize ? idx : idx.at(":", `-${this.config.blockSize}:`);
        const [out] = (this as GPT)(idxCond) as [torch.Tensor, null];
        let logits = out.at(":", -1, ":").div(temperature);
        if (topK !== null) {
          const { values: v } = torch.topk(logits, Math.min(topK, logits.shape[1]!));
          logits = logits.clone().setAt(logits.lt(v.at(":", [-1])), -Infinity);
        }
        const probs = F.softmax(logits, -1);
        const idxNext = torch.multinomial(probs, 1);
        idx = torch.cat([idx, idxNext], 1);
      }
      return idx;
    });
  }
}

// ---- the character data set, nanoGPT's shakespeare_char prepare.py in a few lines ----

/** Where the training text comes from: --text FILE, else the first of these that exists. */
export function findText(explicit?: string): { path: string; text: string } {
  const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
  const candidates = explicit !== undefined ? [explicit]
    : [here("../node_modules/typescript/LICENSE.txt"), "/usr/share/common-licenses/GPL-3", here("../LICENSE")];
  for (const path of candidates) if (existsSync(path)) return { path, text: readFileSync(path, "utf8") };
  throw new Error(`no training text: none of ${candidates.join(", ")} exists (pass --text FILE)`);
}

/** The sorted characters of `text` and the encode/decode pair over them. */
export function charVocab(text: string): { chars: string[]; encode: (s: string) => number[]; decode: (ids: number[]) => string } {
  const chars = [...new Set(text)].sort();
  const stoi = new Map(chars.map((c, i) => [c, i]));
  return { chars, encode: (s) => [...s].map((c) => stoi.get(c)!), decode: (ids) => ids.map((i) => chars[i]!).join("") };
}

// ---- train.py's loop ----

interface RunOptions {
  iters: number; nLayer: number; nHead: number; nEmbd: number; blockSize: number; batchSize: number;
  lr: number; dropout: number; bias: boolean; evalInterval: number; evalIters: number; tokens: number;
  temperature: number; topK: number; seed: number; threads: number; text: string | undefined; save: string | undefined;
}

function parseOptions(argv: string[]): RunOptions {
  const value = (name: string): string | undefined => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const num = (name: string, fallback: number): number => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${name} expects a number, got '${v}'`);
    return n;
  };
  return {
    iters: num("iters", 50), nLayer: num("n-layer", 2), nHead: num("n-head", 4), nEmbd: num("n-embd", 48),
    blockSize: num("block-size", 32), batchSize: num("batch-size", 8), lr: num("lr", 3e-3), dropout: num("dropout", 0),
    bias: argv.includes("--bias"), evalInterval: num("eval-interval", 20), evalIters: num("eval-iters", 2),
    tokens: num("tokens", 200), temperature: num("temperature", 0.8), topK: num("top-k", 10), seed: num("seed", 1337),
    threads: num("threads", 1), text: value("text"), save: value("save"),
  };
}

/** nanoGPT's get_lr: linear warm-up, then cosine decay to a tenth of the peak. */
function getLr(it: number, o: RunOptions): number {
  const warmup = Math.max(1, Math.floor(o.iters / 10)), minLr = o.lr / 10;
  if (it < warmup) return (o.lr * (it + 1)) / (warmup + 1);
  const ratio = (it - warmup) / Math.max(1, o.iters - warmup);
  return minLr + 0.5 * (1.0 + Math.cos(Math.PI * ratio)) * (o.lr - minLr);
}

function main(o: RunOptions): void {
  torch.setNumThreads(o.threads);
  torch.manualSeed(o.seed);
  const { path, text } = findText(o.text);
  const vocab = charVocab(text);
  const data = torch.tensor(vocab.encode(text), { dtype: torch.int64 });
  const n = Math.floor(0.9 * data.shape[0]!);
  const splits = { train: data.slice(0, 0, n), val: data.slice(0, n) };
  console.log(`text: ${path} (${text.length.toLocaleString("en-US")} characters, vocab ${vocab.chars.length}; train ${n}, val ${data.shape[0]! - n})`);

  /** A batch of blockSize-long windows at random offsets, and the same shifted by one. */
  const getBatch = (split: "train" | "val"): [torch.Tensor, torch.Tensor] => {
    const d = splits[split];
    const ix = torch.randint(0, d.shape[0]! - o.blockSize, [o.batchSize]).tolist() as bigint[];
    const x = torch.stack(ix.map((i) => d.slice(0, Number(i), Number(i) + o.blockSize)));
    const y = torch.stack(ix.map((i) => d.slice(0, Number(i) + 1, Number(i) + 1 + o.blockSize)));
    return [x, y];
  };

  const model = new GPT({
    blockSize: o.blockSize, vocabSize: vocab.chars.length, nLayer: o.nLayer, nHead: o.nHead, nEmbd: o.nEmbd,
    dropout: o.dropout, bias: o.bias,
  });
  console.log(`number of parameters: ${(model.getNumParams() / 1e6).toFixed(2)}M`);
  const optimizer = model.configureOptimizers(0.1, o.lr, [0.9, 0.95]);

  /** Mean loss over evalIters batches of each split, in eval mode without a graph. */
  const estimateLoss = (): Record<"train" | "val", number> => torch.noGrad(() => {
    model.eval();
    const out = { train: 0, val: 0 };
    for (const split of ["train", "val"] as const) {
      for (let k = 0; k < o.evalIters; k++) out[split] += model(...getBatch(split))[1]!.itemNumber() / o.evalIters;
    }
    model.train();
    return out;
  });

  const t0 = performance.now();
  let [X, Y] = getBatch("train");
  for (let iter = 0; iter <= o.iters; iter++) {
    const lr = getLr(iter, o);
    for (const group of optimizer.paramGroups) group.lr = lr;
    if (iter % o.evalInterval === 0 || iter === o.iters) {
      const losses = estimateLoss();
      console.log(`step ${iter}: train loss ${losses.train.toFixed(4)}, val loss ${losses.val.toFixed(4)}`);
    }
    if (iter === o.iters) break;
    const [, loss] = model(X, Y);
    [X, Y] = getBatch("train"); // the next batch, as train.py prefetches it
    loss!.backward();
    nn.utils.clipGradNorm_(model.parameters(), 1.0);
    optimizer.step();
    optimizer.zeroGrad({ setToNone: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${o.iters} iterations in ${seconds.toFixed(1)} s (${((seconds / Math.max(1, o.iters)) * 1000).toFixed(0)} ms per iteration with evaluation)`);

  // the gradients of one more batch, so the table shows gradient norms (the tied row sums both uses)
  const [, loss] = model(...getBatch("train"));
  loss!.backward();
  console.log("\nparameters (tied names joined by '='):");
  console.log(torch.formatTable(torch.parameterStats(model)));

  model.eval();
  const start = torch.tensor([vocab.encode("\n")[0] ?? 0], { dtype: torch.int64 }).view(1, 1);
  const sample = model.generate(start, o.tokens, o.temperature, o.topK);
  const ids = (sample.at(0).tolist() as bigint[]).map(Number);
  console.log(`sample (temperature ${o.temperature}, top-k ${o.topK}):\n${vocab.decode(ids)}\n---`);
  if (o.save !== undefined) {
    torch.save(model.stateDict(), o.save);
    console.log(`state dict written to ${o.save} (torch.load reads it; both tied keys, one storage)`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main(parseOptions(process.argv.slice(2)));
