/**
 * The orderings PyTorch's CPU kernels get from libstdc++ (GCC 12): std::sort (introsort) for an
 * unstable sort, std::partial_sort and std::nth_element for topk. Ties come out in the order
 * those algorithms leave them, so an unstable sort and topk give PyTorch's indices exactly.
 * Each works on a range [first, last) of parallel key and index arrays, moved as pairs.
 */

/** A key ordering: true when `a` goes before `b`. */
export type Less = (a: number | bigint, b: number | bigint) => boolean;

/** PyTorch's ascending order: NaN after everything. */
export const ascending: Less = (a, b) => (a === a && b !== b) || a < b;
/** PyTorch's descending order: NaN before everything. */
export const descending: Less = (a, b) => (a !== a && b === b) || a > b;

/** Parallel arrays of keys and their original positions. */
export interface Pairs { k: (number | bigint)[]; v: number[] }

const THRESHOLD = 16;
const lg = (n: number): number => 31 - Math.clz32(n);

function swap(p: Pairs, i: number, j: number): void {
  const k = p.k[i]!, v = p.v[i]!;
  p.k[i] = p.k[j]!; p.v[i] = p.v[j]!;
  p.k[j] = k; p.v[j] = v;
}

/** std::sort: introsort, then an insertion sort over the nearly sorted whole. */
export function introsort(p: Pairs, first: number, last: number, less: Less): void {
  if (first === last) return;
  introsortLoop(p, first, last, lg(last - first) * 2, less);
  finalInsertionSort(p, first, last, less);
}

function introsortLoop(p: Pairs, first: number, last: number, depth: number, less: Less): void {
  while (last - first > THRESHOLD) {
    if (depth === 0) {
      partialSort(p, first, last, last, less);
      return;
    }
    depth--;
    const cut = partitionPivot(p, first, last, less);
    introsortLoop(p, cut, last, depth, less);
    last = cut;
  }
}

function partitionPivot(p: Pairs, first: number, last: number, less: Less): number {
  const mid = first + ((last - first) >> 1);
  moveMedianToFirst(p, first, first + 1, mid, last - 1, less);
  return unguardedPartition(p, first + 1, last, first, less);
}

function moveMedianToFirst(p: Pairs, result: number, a: number, b: number, c: number, less: Less): void {
  const k = p.k;
  if (less(k[a]!, k[b]!)) {
    if (less(k[b]!, k[c]!)) swap(p, result, b);
    else if (less(k[a]!, k[c]!)) swap(p, result, c);
    else swap(p, result, a);
  } else if (less(k[a]!, k[c]!)) swap(p, result, a);
  else if (less(k[b]!, k[c]!)) swap(p, result, c);
  else swap(p, result, b);
}

function unguardedPartition(p: Pairs, first: number, last: number, pivot: number, less: Less): number {
  const k = p.k;
  for (;;) {
    while (less(k[first]!, k[pivot]!)) first++;
    last--;
    while (less(k[pivot]!, k[last]!)) last--;
    if (!(first < last)) return first;
    swap(p, first, last);
    first++;
  }
}

function finalInsertionSort(p: Pairs, first: number, last: number, less: Less): void {
  if (last - first > THRESHOLD) {
    insertionSort(p, first, first + THRESHOLD, less);
    for (let i = first + THRESHOLD; i < last; i++) unguardedLinearInsert(p, i, less);
  } else {
    insertionSort(p, first, last, less);
  }
}

function insertionSort(p: Pairs, first: number, last: number, less: Less): void {
  if (first === last) return;
  for (let i = first + 1; i < last; i++) {
    if (less(p.k[i]!, p.k[first]!)) {
      const k = p.k[i]!, v = p.v[i]!;
      for (let j = i; j > first; j--) { p.k[j] = p.k[j - 1]!; p.v[j] = p.v[j - 1]!; }
      p.k[first] = k; p.v[first] = v;
    } else {
      unguardedLinearInsert(p, i, less);
    }
  }
}

function unguardedLinearInsert(p: Pairs, last: number, less: Less): void {
  const k = p.k[last]!, v = p.v[last]!;
  let next = last - 1;
  while (less(k, p.k[next]!)) {
    p.k[last] = p.k[next]!; p.v[last] = p.v[next]!;
    last = next;
    next--;
  }
  p.k[last] = k; p.v[last] = v;
}

/** std::partial_sort: the smallest `middle - first` in order at the front (a heap select and sort). */
export function partialSort(p: Pairs, first: number, middle: number, last: number, less: Less): void {
  heapSelect(p, first, middle, last, less);
  // sort_heap
  for (let end = middle; end - first > 1;) {
    end--;
    popHeap(p, first, end, end, less);
  }
}

function heapSelect(p: Pairs, first: number, middle: number, last: number, less: Less): void {
  makeHeap(p, first, middle, less);
  for (let i = middle; i < last; i++) if (less(p.k[i]!, p.k[first]!)) popHeap(p, first, middle, i, less);
}

function makeHeap(p: Pairs, first: number, last: number, less: Less): void {
  const len = last - first;
  if (len < 2) return;
  for (let parent = (len - 2) >> 1; ; parent--) {
    adjustHeap(p, first, parent, len, p.k[first + parent]!, p.v[first + parent]!, less);
    if (parent === 0) return;
  }
}

function popHeap(p: Pairs, first: number, last: number, result: number, less: Less): void {
  const k = p.k[result]!, v = p.v[result]!;
  p.k[result] = p.k[first]!; p.v[result] = p.v[first]!;
  adjustHeap(p, first, 0, last - first, k, v, less);
}

function adjustHeap(p: Pairs, first: number, hole: number, len: number, k: number | bigint, v: number, less: Less): void {
  const top = hole;
  let child = hole;
  while (child < (len - 1) >> 1) {
    child = 2 * (child + 1);
    if (less(p.k[first + child]!, p.k[first + child - 1]!)) child--;
    p.k[first + hole] = p.k[first + child]!; p.v[first + hole] = p.v[first + child]!;
    hole = child;
  }
  if ((len & 1) === 0 && child === (len - 2) >> 1) {
    child = 2 * (child + 1);
    p.k[first + hole] = p.k[first + child - 1]!; p.v[first + hole] = p.v[first + child - 1]!;
    hole = child - 1;
  }
  // push_heap
  let parent = (hole - 1) >> 1;
  while (hole > top && less(p.k[first + parent]!, k)) {
    p.k[first + hole] = p.k[first + parent]!; p.v[first + hole] = p.v[first + parent]!;
    hole = parent;
    parent = (hole - 1) >> 1;
  }
  p.k[first + hole] = k; p.v[first + hole] = v;
}

/** std::nth_element: the element of rank `nth` at `nth`, smaller ones before it. */
export function nthElement(p: Pairs, first: number, nth: number, last: number, less: Less): void {
  if (first === last || nth === last) return;
  let depth = lg(last - first) * 2;
  while (last - first > 3) {
    if (depth === 0) {
      heapSelect(p, first, nth + 1, last, less);
      swap(p, first, nth);
      return;
    }
    depth--;
    const cut = partitionPivot(p, first, last, less);
    if (cut <= nth) first = cut;
    else last = cut;
  }
  insertionSort(p, first, last, less);
}

/** A stable sort (std::stable_sort's result: ties keep their order). */
export function stableSort(p: Pairs, less: Less): void {
  const order = p.v.map((_, i) => i).sort((i, j) => (less(p.k[i]!, p.k[j]!) ? -1 : less(p.k[j]!, p.k[i]!) ? 1 : 0));
  const k = order.map((i) => p.k[i]!), v = order.map((i) => p.v[i]!);
  p.k = k;
  p.v = v;
}
