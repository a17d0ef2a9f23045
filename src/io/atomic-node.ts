/**
 * Atomic file replacement for Node: the bytes stream to a temporary file in the target's own
 * folder (so the rename cannot cross file systems), are flushed to disk, and only then renamed
 * over the target. A crash or an error at any point leaves the previous file whole; a temporary
 * file left by a killed process is removed by the next save to the same path. Failures surface
 * as a FileError naming the target file.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { FileError } from "../errors.ts";

let counter = 0;

/** Writes go out in slices of at most this size, and small chunks are gathered up to it. */
const chunkBytes = 1 << 24;

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes temporary files of earlier saves to `path` whose process no longer runs. */
export function removeStaleTemps(path: string): void {
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return; // the save itself reports a missing folder
  }
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith(".tmp")) continue;
    const m = /^(\d+)\.\d+\.tmp$/.exec(n.slice(prefix.length));
    if (m === null || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    try { unlinkSync(join(dirname(path), n)); } catch { /* another save removed it first */ }
  }
}

function fileError(e: unknown, path: string): unknown {
  if (e instanceof FileError || (e as NodeJS.ErrnoException).code === undefined) return e;
  const err = e as NodeJS.ErrnoException;
  return new FileError(`${path}: cannot write: ${err.code}: ${err.message.replace(/^\w+: /, "")}`, { code: err.code, cause: e });
}

/** Gathers small chunks so the file sees few large writes. */
function* gathered(chunks: Iterable<Uint8Array>): Generator<Uint8Array> {
  let buf: Uint8Array | null = null, used = 0;
  for (const c of chunks) {
    if (c.length >= chunkBytes / 4) {
      if (used > 0) { yield buf!.subarray(0, used); buf = null; used = 0; }
      for (let pos = 0; pos < c.length; pos += chunkBytes) yield c.subarray(pos, Math.min(c.length, pos + chunkBytes));
      continue;
    }
    if (buf === null) buf = new Uint8Array(chunkBytes);
    if (used + c.length > buf.length) { yield buf.subarray(0, used); buf = new Uint8Array(chunkBytes); used = 0; }
    buf.set(c, used);
    used += c.length;
  }
  if (used > 0) yield buf!.subarray(0, used);
}

/** Replaces `path` with the bytes or chunks given, atomically (temp file, fsync, rename). */
export function writeFileAtomic(path: string, data: Uint8Array | Iterable<Uint8Array>): void {
  removeStaleTemps(path);
  const temp = tempName(path);
  try {
    const fd = openSync(temp, "wx", 0o644);
    try {
      try {
        for (const c of gathered(data instanceof Uint8Array ? [data] : data)) {
          for (let pos = 0; pos < c.length;) pos += writeSync(fd, c, pos, c.length - pos);
        }
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
    } catch (e) {
      try { unlinkSync(temp); } catch { /* already gone: nothing to clean up */ }
      throw e;
    }
  } catch (e) {
    throw fileError(e, path);
  }
  syncFolder(dirname(path));
}

/** writeFileAtomic on fs/promises: the event loop keeps running while the file is written. */
export async function writeFileAtomicAsync(path: string, data: Uint8Array | Iterable<Uint8Array>): Promise<void> {
  removeStaleTemps(path);
  const temp = tempName(path);
  try {
    const handle = await open(temp, "wx", 0o644);
    try {
      try {
        for (const c of gathered(data instanceof Uint8Array ? [data] : data)) {
          for (let pos = 0; pos < c.length;) pos += (await handle.write(c, pos, c.length - pos)).bytesWritten;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (e) {
      try { await unlink(temp); } catch { /* already gone: nothing to clean up */ }
      throw e;
    }
  } catch (e) {
    throw fileError(e, path);
  }
  syncFolder(dirname(path));
}

// the rename itself is durable only once the folder is flushed; some platforms cannot open folders
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, "r");
    fsyncSync(fd);
  } catch { /* best effort: Windows cannot fsync a directory */ } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
