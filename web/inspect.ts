/**
 * `inspect(value)`: the text Node's `util.inspect` (and so `console.log`) prints, for the values the
 * D2L walkthrough prints, without Node. A browser has no `util.inspect`; this lets the page print the
 * very bytes `node examples/parameter-management.ts` prints (test/browser.test.ts compares the two).
 *
 * Covered: Map, Array, string, number, bigint, boolean, null, undefined, and objects with their own
 * `toString` (Tensor, Module), whose extra lines are indented like Node indents custom inspect output.
 * Not covered: plain objects, Sets, and Node's grouping of arrays of more than 6 short items.
 */

const BREAK_LENGTH = 80; // util.inspect's breakLength
const COMPACT = 3; // util.inspect's compact: the 3 innermost levels may share a line
const DEPTH = 2; // util.inspect's depth: deeper containers print as [Array] / [Map]

interface Formatted {
  text: string;
  /** Depth of the last container formatted inside (Node's ctx.currentDepth after the children). */
  lastDepth: number;
}

/** Formats `value` as `console.log(value)` prints it in Node. */
export function inspect(value: unknown): string {
  return format(value, 0, 0).text;
}

function format(value: unknown, depth: number, indent: number): Formatted {
  if (depth > DEPTH && (value instanceof Map || Array.isArray(value))) {
    return { text: value instanceof Map ? "[Map]" : "[Array]", lastDepth: -1 };
  }
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => pair(k, v, depth, indent));
    return container(entries, `Map(${value.size}) {`, "}", depth, indent);
  }
  if (Array.isArray(value)) {
    const entries = value.map((v) => format(v, depth + 1, indent + 2));
    return container(entries, "[", "]", depth, indent);
  }
  return { text: primitive(value).replaceAll("\n", `\n${" ".repeat(indent)}`), lastDepth: -1 };
}

function pair(k: unknown, v: unknown, depth: number, indent: number): Formatted {
  const key = format(k, depth + 1, indent + 2);
  const val = format(v, depth + 1, indent + 2);
  return { text: `${key.text} => ${val.text}`, lastDepth: Math.max(key.lastDepth, val.lastDepth) };
}

function primitive(value: unknown): string {
  if (typeof value === "string") return value.includes("'") && !value.includes('"') ? `"${value}"` : `'${value.replaceAll("'", "\\'")}'`;
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number" && Object.is(value, -0)) return "-0";
  return String(value);
}

// Node's reduceToSingleString: one line when the entries are at most COMPACT levels deep, hold no
// newline, and fit in BREAK_LENGTH; otherwise one entry per line, indented by two.
function container(entries: Formatted[], open: string, close: string, depth: number, indent: number): Formatted {
  const lastDepth = entries.reduce((d, e) => (e.lastDepth >= 0 ? e.lastDepth : d), depth);
  const output = entries.map((e) => e.text);
  if (output.length === 0) return { text: open.endsWith("{") ? `${open}}` : `${open}${close}`, lastDepth };
  const start = output.length + indent + open.length + 10;
  const total = output.reduce((n, s) => n + s.length, output.length + start);
  const joined = output.join(", ");
  if (lastDepth - depth < COMPACT && total <= BREAK_LENGTH && !joined.includes("\n")) {
    return { text: `${open} ${joined} ${close}`, lastDepth };
  }
  const pad = `\n${" ".repeat(indent)}`;
  return { text: `${open}${pad}  ${output.join(`,${pad}  `)}${pad}${close}`, lastDepth };
}
