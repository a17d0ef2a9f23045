/**
 * A reader thread for Node: positioned reads of a file descriptor into shared memory, done on a
 * worker thread while the main thread computes. Streaming statistics start the read of a tensor's
 * next chunk here, digest the current chunk, then wait for the read: on two cores the disk and the
 * kernel work at the same time, and the synchronous API stays synchronous (`Atomics.wait`).
 *
 * Requests go through shared memory alone (a ring of slot numbers and a doorbell word): a round
 * trip costs ~17 µs of CPU where a postMessage costs ~140 µs. The thread learns each target buffer
 * once, over a MessagePort it drains synchronously (`receiveMessageOnPort`), and forgets it when
 * the main thread's buffer is collected. The thread starts on first use and never keeps the
 * process alive (`unref`). Until it has started, or where a target is not in a SharedArrayBuffer,
 * the caller reads for itself; a read the thread could not finish (an error, a short read) is
 * redone by the caller, so every error and truncation is reported on the main thread, as by a
 * plain read.
 */
import { MessageChannel, Worker } from "node:worker_threads";

/** Reads in flight at once, at most. */
const SLOTS = 32; // a power of two: the ring's index is masked
// control words (Int32): [READY] is 1 once the thread runs; [HEAD] counts requests; the ring of
// requested slots; then per slot: state, buffer id, byte offset, length, fd, result
const READY = 0, HEAD = 1, RING = 2, SLOT = RING + SLOTS, WORDS = 6;
const STATE = 0, BUFFER = 1, OFFSET = 2, LENGTH = 3, FD = 4, RESULT = 5;
const REQUESTED = 1, DONE = 2;
/** Int32 words before the slots' float64 file positions (kept 8-byte aligned). */
const POSITIONS = (SLOT + SLOTS * WORDS + 1) & ~1;
/** A read has this long to finish before the wait gives up (a thread that died answers never). */
const TIMEOUT_MS = 120_000;

const threadCode = `
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { readSync } = require("node:fs");
const { control: sab, port } = workerData;
const c = new Int32Array(sab), positions = new Float64Array(sab, ${POSITIONS} * 4, ${SLOTS});
const buffers = new Map();
const drain = () => {
  for (let m; (m = receiveMessageOnPort(port)) !== undefined;) {
    if (m.message.buffer === undefined) buffers.delete(m.message.id);
    else buffers.set(m.message.id, m.message.buffer);
  }
};
Atomics.store(c, ${READY}, 1);
Atomics.notify(c, ${READY});
for (let tail = 0; ; tail = (tail + 1) | 0) {
  while (Atomics.load(c, ${HEAD}) === tail) Atomics.wait(c, ${HEAD}, tail);
  const slot = Atomics.load(c, ${RING} + (tail & ${SLOTS - 1}));
  const at = ${SLOT} + slot * ${WORDS};
  const length = c[at + ${LENGTH}], position = positions[slot];
  let done = 0;
  try {
    drain();
    const view = new Uint8Array(buffers.get(c[at + ${BUFFER}]), c[at + ${OFFSET}], length);
    while (done < length) {
      const n = readSync(c[at + ${FD}], view, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
  } catch {
    done = -1;
  }
  c[at + ${RESULT}] = done;
  Atomics.store(c, at + ${STATE}, ${DONE});
  Atomics.notify(c, at + ${STATE});
}
`;

interface Reader {
  worker: Worker;
  control: Int32Array;
  positions: Float64Array;
  port: MessageChannel["port1"];
  free: number[];
  ids: WeakMap<SharedArrayBuffer, number>;
  forget: FinalizationRegistry<number>;
  nextId: number;
}

let reader: Reader | null | undefined;

function start(): Reader | null {
  try {
    const sab = new SharedArrayBuffer(4 * POSITIONS + 8 * SLOTS);
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(threadCode, { eval: true, workerData: { control: sab, port: port2 }, transferList: [port2], stdout: false, stderr: false });
    worker.unref();
    port1.unref();
    // a thread that fails or exits takes its slots with it: later reads are the caller's own
    const gone = (): void => { if (reader?.worker === worker) reader = null; };
    worker.on("error", gone);
    worker.on("exit", gone);
    return {
      worker, control: new Int32Array(sab), positions: new Float64Array(sab, 4 * POSITIONS, SLOTS), port: port1,
      free: Array.from({ length: SLOTS }, (_, i) => SLOTS - 1 - i), ids: new WeakMap(),
      forget: new FinalizationRegistry((id) => port1.postMessage({ id })), nextId: 1,
    };
  } catch {
    return null;
  }
}

/** Starts the reader thread now (it takes a few tens of milliseconds to come up), if not started. */
export function warmReadThread(): void {
  if (reader === undefined) reader = start();
}

/** The thread's number for a buffer, telling it the buffer the first time. */
function bufferId(r: Reader, buffer: SharedArrayBuffer): number {
  let id = r.ids.get(buffer);
  if (id === undefined) {
    id = r.nextId++;
    r.ids.set(buffer, id);
    r.port.postMessage({ id, buffer });
    r.forget.register(buffer, id);
  }
  return id;
}

/**
 * Starts reading `target.byteLength` bytes of `fd` at `position` into `target` on the reader
 * thread; the returned function waits for the read and gives the bytes read, or -1 where the
 * thread failed. Null where no thread can take it (not started yet, busy, or `target` is not in
 * shared memory): the caller reads for itself.
 */
export function readOnThread(fd: number, position: number, target: Uint8Array): (() => number) | null {
  if (!(target.buffer instanceof SharedArrayBuffer) || target.byteLength > 2 ** 31 - 1) return null;
  warmReadThread();
  const r = reader;
  if (r === null || r === undefined || Atomics.load(r.control, READY) !== 1) return null;
  const slot = r.free.pop();
  if (slot === undefined) return null;
  const c = r.control, at = SLOT + slot * WORDS;
  c[at + BUFFER] = bufferId(r, target.buffer);
  c[at + OFFSET] = target.byteOffset;
  c[at + LENGTH] = target.byteLength;
  c[at + FD] = fd;
  r.positions[slot] = position;
  Atomics.store(c, at + STATE, REQUESTED);
  const head = Atomics.load(c, HEAD);
  Atomics.store(c, RING + (head & (SLOTS - 1)), slot);
  Atomics.store(c, HEAD, (head + 1) | 0);
  Atomics.notify(c, HEAD);
  let result: number | undefined;
  return () => {
    if (result !== undefined) return result;
    const deadline = Date.now() + TIMEOUT_MS;
    while (Atomics.load(c, at + STATE) === REQUESTED) {
      const left = deadline - Date.now();
      if (left <= 0) {
        // the slot stays taken and the thread is given up: its read may still land in `target`
        if (reader === r) reader = null;
        throw new Error(`a read of ${target.byteLength} bytes at byte ${position} did not finish in ${TIMEOUT_MS / 1000} s`);
      }
      Atomics.wait(c, at + STATE, REQUESTED, left);
    }
    result = c[at + RESULT]!;
    r.free.push(slot);
    return result;
  };
}
