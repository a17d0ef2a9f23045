/**
 * docs/PYTORCH.md, the PyTorch -> torchlet table, built from the sources so that it cannot drift:
 * every value the library exports (namespaces walked, the methods of Tensor, Module, Optimizer and
 * Generator included) is paired with the PyTorch name its doc comment cites (`as torch.nn.Linear`)
 * or, failing that, its own path in snake_case (`nn.functional.crossEntropy` ->
 * `torch.nn.functional.cross_entropy`), kept only when PyTorch 1.13 has that name
 * (test/fixtures/pytorch_names.json, from scripts/fixtures/pytorch_names.py). The same pairs give
 * the API reference its links to PyTorch's pages (scripts/typedoc-pytorch.ts reads docs/api/pytorch.json).
 *   npx tsx scripts/pytorch-docs.ts           writes docs/PYTORCH.md and docs/api/pytorch.json
 *   npx tsx scripts/pytorch-docs.ts --check   the same, but exit 1 instead of rewriting a stale docs/PYTORCH.md,
 *                                             and exit 1 if a top-level export has no doc comment (CI)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("..", import.meta.url));
const names = new Set((JSON.parse(readFileSync(`${root}test/fixtures/pytorch_names.json`, "utf8")) as { names: string[] }).names);
/** Classes whose methods users look up one by one. */
const WITH_METHODS = new Set(["Tensor", "nn.Module", "optim.Optimizer", "Generator"]);

/** One exported value: its torchlet path, the first sentence of its doc comment, its PyTorch name. */
export interface Entry { path: string; summary: string; pytorch: string | null; member: boolean }

/** `crossEntropy` -> `cross_entropy`, `requiresGrad_` -> `requires_grad_`, `lrScheduler` -> `lr_scheduler`; classes keep their names. */
function snake(segment: string): string {
  return /^[A-Z]/.test(segment) ? segment : segment.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/** Names that match a PyTorch name by spelling only (`torch.layout` is the sparse/strided enum). */
const NOT_PYTORCH = new Set(["Layout", "version"]);

/**
 * The PyTorch name for `path`: its own path in snake_case (`torch.nn.functional.cross_entropy`) or,
 * for a class, in lower case (`DType` -> `torch.dtype`) when PyTorch has it; else, for a function,
 * the PyTorch name its doc comment gives as its counterpart ("as torch.load", "torch.load: ...").
 */
function pytorchName(path: string, comment: string, member: boolean): string | null {
  if (NOT_PYTORCH.has(path)) return null;
  const segments = path.split(".").map(snake);
  const own = `torch.${segments.join(".")}`;
  const lower = `torch.${[...segments.slice(0, -1), segments.at(-1)!.toLowerCase()].join(".")}`;
  const found = [own, lower].find((n) => names.has(n));
  if (found || member) return found ?? null;
  const cited = [...comment.matchAll(/(?:^|\bas |\blike )`?(torch(?:\.[A-Za-z_]\w*)+)/g)].map((m) => m[1]!).filter((n) => names.has(n));
  return cited[0] ?? null;
}

/** PyTorch 1.13's documentation page for a name. */
export function pytorchUrl(name: string): string {
  const base = "https://pytorch.org/docs/1.13/";
  const owner = name.slice(0, name.lastIndexOf("."));
  if (name === "torch.Tensor") return `${base}tensors.html`;
  if (name === "torch.linalg") return `${base}linalg.html`;
  if (name.startsWith("torch.nn.init.")) return `${base}nn.init.html#${name}`;
  if (name.startsWith("torch.utils.data.")) return `${base}data.html#${name}`;
  if (["torch.nn.Module", "torch.Generator", "torch.autograd.Function"].includes(owner)) return `${base}generated/${owner}.html#${name}`;
  if (/^torch\.(dtype|u?int\d+|float\d+|bfloat16|bool)$/.test(name)) return `${base}tensor_attributes.html#torch.dtype`;
  return `${base}generated/${name}.html`;
}

function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const end = flat.search(/\.(\s|$)/);
  return (end >= 0 ? flat.slice(0, end + 1) : flat).replace(/\|/g, "\\|");
}

/** Every exported value of the library, walked from src/index-node.ts. */
export function collect(): Entry[] {
  const config = ts.readConfigFile(`${root}tsconfig.json`, (p) => ts.sys.readFile(p));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram([`${root}src/index-node.ts`], { ...options, noEmit: true });
  const checker = program.getTypeChecker();
  const entry = checker.getSymbolAtLocation(program.getSourceFile(`${root}src/index-node.ts`)!)!;
  const out: Entry[] = [];
  const doc = (s: ts.Symbol) => ts.displayPartsToString(s.getDocumentationComment(checker));

  const walk = (moduleSymbol: ts.Symbol, prefix: string) => {
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const s = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const path = prefix + exported.name;
      if (s.flags & ts.SymbolFlags.ValueModule) { walk(s, `${path}.`); continue; }
      if (!(s.flags & ts.SymbolFlags.Value)) continue;
      const comment = doc(exported) || doc(s);
      out.push({ path, summary: firstSentence(comment), pytorch: pytorchName(path, comment, false), member: false });
      if (s.flags & ts.SymbolFlags.Class && WITH_METHODS.has(path)) {
        for (const member of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(s))) {
          const decl = member.valueDeclaration;
          if (!decl || member.name.startsWith("_") || member.name.startsWith("#") || member.name.startsWith("__@")) continue;
          if (ts.getCombinedModifierFlags(decl as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
          const mc = doc(member);
          out.push({ path: `${path}.${member.name}`, summary: firstSentence(mc), pytorch: pytorchName(`${path}.${member.name}`, mc, true), member: true });
        }
      }
    }
  };
  walk(entry, "");
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const RULES = `# PyTorch → torchlet

torchlet keeps PyTorch's names and behaviour; what changes is what JavaScript forces. The rules
first, then every name, generated from the doc comments of the sources
(\`npx tsx scripts/pytorch-docs.ts\`; CI checks this file is current): each export is paired with
the PyTorch name its doc comment cites, or its own name in snake_case, when PyTorch 1.13 has it.

| PyTorch | torchlet |
|---|---|
| \`snake_case\` names | camelCase: \`state_dict()\` → \`stateDict()\`, \`F.cross_entropy\` → \`nn.functional.crossEntropy\` |
| in-place ops end in \`_\` | the same \`_\`: \`x.add_(1)\`, \`nn.init.zeros_(w)\`, \`p.requiresGrad_(false)\` |
| required arguments positional | the same: \`new nn.Linear(4, 8)\`, \`torch.cat([a, b], 1)\` |
| keyword arguments | one trailing options object: \`new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false })\`, \`x.sum({ dim: 1, keepdim: true })\` |
| tuples | arrays: \`kernel_size=(3, 3)\` → \`kernelSize: [3, 3]\`, \`x.shape\` is \`number[]\` |
| \`None\` | \`null\` |
| \`t[i]\`, \`t[i, j]\` | \`t.at(i)\`, \`t.at(i, j)\`; slices: \`t.slice(dim, start, end, step)\` |
| \`net[2]\` of a \`Sequential\` | \`net[2]\` (typed by the child) or \`net.at(2)\` |
| \`dict\` (a state dict, \`ModuleDict\` entries) | \`Map\`: \`net.stateDict().get("0.weight")\`; \`loadStateDict\` takes a \`Map\` or a plain object |
| \`t.item()\` | \`t.item()\` (\`number \\| boolean \\| bigint\`; int64 beyond 2^53 is a \`bigint\`); \`t.itemNumber()\` is typed \`number\` |
| \`t.tolist()\` | \`t.tolist()\`; \`JSON.stringify(t)\` writes \`{ dtype, shape, data }\` |
| \`with torch.no_grad():\` | \`noGrad(() => …)\` (an async callback keeps it off until its promise settles) |
| \`torch.tensor([1, 2])\` (int64) | \`tensor([1, 2])\` is float32 (JavaScript has one number type); \`tensor([1n, 2n])\` or \`{ dtype: int64 }\` for integers |
| \`torch.save(obj, path)\` / \`torch.load(path)\` | the same under Node; \`serialize(obj)\` / \`deserialize(bytes)\` everywhere (browsers: \`fetch\` the bytes) |
| \`print(net)\`, \`repr(t)\` | \`String(net)\`, \`console.log(t)\`: PyTorch's text |
| \`torch.__version__\` | \`version\` |
`;

/** The table as Markdown. */
export function render(entries: Entry[]): string {
  const mapped = entries.filter((e) => e.pytorch !== null);
  const rows = mapped.map((e) => `| [\`${e.pytorch}\`](${pytorchUrl(e.pytorch!)}) | \`${e.path}\` | ${e.summary} |`);
  const own = entries.filter((e) => e.pytorch === null).map((e) => `\`${e.path}\``);
  return `${RULES}
## Every name (${mapped.length})

| PyTorch | torchlet | what it does |
|---|---|---|
${rows.join("\n")}

## torchlet's own (${own.length})
No PyTorch name of their own (backends, file formats, diagnostics, TypeScript helpers):
${own.join(", ")}.
`;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const entries = collect();
  const text = render(entries);
  const target = `${root}docs/PYTORCH.md`;
  mkdirSync(`${root}docs/api`, { recursive: true });
  const links = Object.fromEntries(entries.filter((e) => e.pytorch).map((e) => [e.path, { name: e.pytorch, url: pytorchUrl(e.pytorch!) }]));
  writeFileSync(`${root}docs/api/pytorch.json`, `${JSON.stringify(links, null, 1)}\n`);
  if (process.argv.includes("--check")) {
    const undocumented = entries.filter((e) => !e.member && e.summary === "").map((e) => e.path);
    if (undocumented.length) {
      console.error(`exports without a doc comment: ${undocumented.join(", ")}`);
      process.exit(1);
    }
    const current = readFileSync(target, "utf8");
    if (current !== text) {
      console.error("docs/PYTORCH.md is stale: run `npx tsx scripts/pytorch-docs.ts` and commit it");
      process.exit(1);
    }
    console.log("docs/PYTORCH.md is current.");
  } else {
    writeFileSync(target, text);
    console.log(`docs/PYTORCH.md: ${entries.filter((e) => e.pytorch).length} PyTorch names, ${entries.filter((e) => !e.pytorch).length} of torchlet's own`);
  }
}
