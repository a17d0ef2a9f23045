/**
 * The autograd graph behind a tensor, drawn like torchviz's make_dot: one box per grad_fn node
 * (its PyTorch name), an AccumulateGrad node above each leaf that requires grad, the leaf itself
 * in light blue with its name (when `params` names it) and shape, and the output in green.
 * As Graphviz DOT text, or as an SVG laid out here in layers (no Graphviz needed).
 */
import { Node } from "../autograd/node.ts";
import type { Tensor } from "../tensor.ts";
import { escapeXml } from "./svg.ts";

/** Names for leaves: a Map or object of name → tensor (e.g. `new Map(net.namedParameters())`). */
export type ParamNames = ReadonlyMap<string, Tensor> | Iterable<[string, Tensor]> | { readonly [name: string]: Tensor };

/** Options of toDot and toGraphSvg. */
export interface GraphOptions {
  /** names of the parameters and inputs, to label the leaves */
  params?: ParamNames;
}

/** One drawn node. */
export interface GraphNode {
  id: string;
  label: string;
  kind: "output" | "op" | "accumulate" | "leaf";
}

/** The graph as nodes and edges (from input side to output side, as torchviz draws them). */
export interface Graph { nodes: GraphNode[]; edges: [string, string][] }

const sizeText = (s: readonly number[]) => `(${s.join(", ")})`;

function nameMap(params: ParamNames | undefined): Map<Tensor, string> {
  const out = new Map<Tensor, string>();
  if (!params) return out;
  const entries = params instanceof Map || Symbol.iterator in Object(params)
    ? [...(params as Iterable<[string, Tensor]>)] : Object.entries(params as Record<string, Tensor>);
  for (const [name, t] of entries) if (!out.has(t)) out.set(t, name);
  return out;
}

const tensorLabel = (name: string | undefined, shape: readonly number[]) => `${name ? `${name}\n` : ""} ${sizeText(shape)}`;

/** Collects nodes under stable ids; each key (a Node, a leaf, or a box of a leaf) is added once. */
class GraphBuilder {
  readonly graph: Graph = { nodes: [], edges: [] };
  readonly #ids = new Map<object, string>();
  constructor(readonly names: Map<Tensor, string>) {}

  add(key: object, label: string, kind: GraphNode["kind"]): [string, boolean] {
    const known = this.#ids.get(key);
    if (known) return [known, false];
    const id = `n${this.#ids.size}`;
    this.#ids.set(key, id);
    this.graph.nodes.push({ id, label, kind });
    return [id, true];
  }

  /** A leaf's AccumulateGrad node (keyed by the tensor) fed by the leaf's own box. */
  leaf(t: Tensor): string {
    const [acc, isNew] = this.add(t, "AccumulateGrad", "accumulate");
    if (isNew) this.graph.edges.push([this.add({ leafOf: t }, tensorLabel(this.names.get(t), t.shape), "leaf")[0], acc]);
    return acc;
  }
}

/** Walks the gradFn chain of `root` (each node once) into nodes and edges. */
export function autogradGraph(root: Tensor, options: GraphOptions = {}): Graph {
  const b = new GraphBuilder(nameMap(options.params));
  const [out] = b.add({ output: root }, tensorLabel(b.names.get(root), root.shape), "output");
  if (!root.gradFn) {
    if (root.requiresGrad) b.graph.edges.push([b.leaf(root), out]);
    return b.graph;
  }
  const stack: [Node, string][] = [[root.gradFn, b.add(root.gradFn, root.gradFn.name, "op")[0]]];
  b.graph.edges.push([stack[0]![1], out]);
  while (stack.length) {
    const [node, id] = stack.pop()!;
    for (const e of node.edges) {
      if (e === null) continue;
      if (e instanceof Node) {
        const [child, isNew] = b.add(e, e.name, "op");
        b.graph.edges.push([child, id]);
        if (isNew) stack.push([e, child]);
      } else b.graph.edges.push([b.leaf(e), id]);
    }
  }
  return b.graph;
}

const dotString = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
const FILL: Record<GraphNode["kind"], string> = { output: "darkolivegreen1", op: "lightgrey", accumulate: "lightgrey", leaf: "lightblue" };

/**
 * The autograd graph of `t` as Graphviz DOT, like torchviz's make_dot.
 * @example toDot(loss, { params: new Map(net.namedParameters()) })  // then: dot -Tsvg
 */
export function toDot(t: Tensor, options: GraphOptions = {}): string {
  const g = autogradGraph(t, options);
  const lines = [
    "digraph {",
    '\tgraph [size="12,12"]',
    "\tnode [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 shape=box style=filled]",
    ...g.nodes.map((n) => `\t${n.id} [label=${dotString(n.label)} fillcolor=${FILL[n.kind]}]`),
    ...g.edges.map(([a, b]) => `\t${a} -> ${b}`),
    "}",
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * Rows of the drawing, top to bottom: a node's distance to the output is its longest path to it,
 * so each leaf sits just above the op that uses it. Within a row, nodes are ordered by the mean
 * position of the nodes they feed (the row below is ordered first), which keeps edges short.
 */
function rowsOf(g: Graph): GraphNode[][] {
  const succ = new Map<string, string[]>(g.nodes.map((n) => [n.id, []]));
  const pred = new Map<string, string[]>(g.nodes.map((n) => [n.id, []]));
  for (const [a, b] of g.edges) { succ.get(a)!.push(b); pred.get(b)!.push(a); }
  // longest path to the output, in Kahn's order from the output up (no recursion: graphs can be deep)
  const waiting = new Map(g.nodes.map((n) => [n.id, succ.get(n.id)!.length]));
  const dist = new Map<string, number>(g.nodes.map((n) => [n.id, 0]));
  const queue = g.nodes.filter((n) => waiting.get(n.id) === 0).map((n) => n.id);
  for (let q = 0; q < queue.length; q++) {
    const id = queue[q]!;
    for (const p of pred.get(id)!) {
      dist.set(p, Math.max(dist.get(p)!, dist.get(id)! + 1));
      const left = waiting.get(p)! - 1;
      waiting.set(p, left);
      if (left === 0) queue.push(p);
    }
  }
  let last = 0;
  for (const d of dist.values()) if (d > last) last = d;
  const rows: GraphNode[][] = Array.from({ length: last + 1 }, () => []);
  for (const n of g.nodes) rows[last - dist.get(n.id)!]!.push(n);
  const place = new Map<string, number>();
  for (let r = last; r >= 0; r--) {
    const key = (n: GraphNode) => {
      const below = succ.get(n.id)!.map((id) => place.get(id)).filter((x) => x !== undefined);
      return below.length ? below.reduce((a, b) => a + b, 0) / below.length : 0;
    };
    rows[r]!.sort((a, b) => key(a) - key(b));
    rows[r]!.forEach((n, i) => place.set(n.id, (i + 0.5) / rows[r]!.length));
  }
  return rows;
}

// darkolivegreen1 is an X11 name Graphviz knows and SVG does not
const SVG_FILL: Record<GraphNode["kind"], string> = { output: "#caff70", op: "#d3d3d3", accumulate: "#d3d3d3", leaf: "#add8e6" };
const BOX_H = 30, ROW = 64, CHAR = 6.6, GAP = 16, MARGIN = 12;

/**
 * The autograd graph of `t` as a standalone SVG (layers from the leaves at the top down to the
 * output), for pages; `standalone: true` adds the xmlns an .svg file needs.
 */
export function toGraphSvg(t: Tensor, options: GraphOptions & { standalone?: boolean } = {}): string {
  const g = autogradGraph(t, options);
  const rows = rowsOf(g);
  const width = (n: GraphNode) => Math.max(...n.label.split("\n").map((l) => l.length)) * CHAR + 16;
  const rowWidth = rows.map((r) => r.reduce((s, n) => s + width(n) + GAP, -GAP));
  const W = rowWidth.reduce((a, b) => Math.max(a, b), 120) + 2 * MARGIN;
  const pos = new Map<string, { x: number; y: number; w: number }>();
  rows.forEach((r, i) => {
    let x = (W - rowWidth[i]!) / 2;
    for (const n of r) { pos.set(n.id, { x, y: MARGIN + i * ROW, w: width(n) }); x += width(n) + GAP; }
  });
  const H = rows.length * ROW - (ROW - BOX_H) + 2 * MARGIN;
  const edges = g.edges.map(([a, b]) => {
    const p = pos.get(a)!, q = pos.get(b)!;
    return `<line x1="${(p.x + p.w / 2).toFixed(1)}" y1="${p.y + BOX_H}" x2="${(q.x + q.w / 2).toFixed(1)}" y2="${q.y}" stroke="#555" marker-end="url(#arrow)"/>`;
  }).join("");
  const boxes = g.nodes.map((n) => {
    const p = pos.get(n.id)!;
    const lines = n.label.split("\n");
    const label = lines.map((l, i) => `<tspan x="${(p.x + p.w / 2).toFixed(1)}" dy="${i === 0 ? 0 : 11}">${escapeXml(l)}</tspan>`).join("");
    const y0 = p.y + BOX_H / 2 + 4 - (lines.length - 1) * 5.5;
    return `<g data-node="${escapeXml(n.kind)}"><rect x="${p.x.toFixed(1)}" y="${p.y}" width="${p.w.toFixed(1)}" height="${BOX_H}" fill="${SVG_FILL[n.kind]}" stroke="#333"/>`
      + `<text y="${y0.toFixed(1)}" text-anchor="middle" font-size="10" font-family="monospace">${label}</text></g>`;
  }).join("");
  const ns = options.standalone ? ' xmlns="http://www.w3.org/2000/svg"' : "";
  const defs = '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>';
  return `<svg${ns} class="picture" data-kind="graph" width="${W.toFixed(0)}" height="${H}" viewBox="0 0 ${W.toFixed(0)} ${H}" role="img"><title>autograd graph</title>${defs}${edges}${boxes}</svg>`;
}
