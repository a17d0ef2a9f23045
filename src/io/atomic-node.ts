/**
 * Atomic file replacement for Node: the bytes go to a temporary file in the target's own folder
 * (so the rename cannot cross file systems), are flushed to disk, and only then renamed over the
 * target. A crash or an error at any point leaves the previous file whole.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

let counter = 0;

/** Writes in slices so a huge buffer never needs one giant syscall. */
const chunkBytes = 1 << 24;

/** Replaces `path` with `bytes` atomically (write a temp file, fsync, rename). */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  const fd = openSync(temp, "wx", 0o644);
  try {
    try {
      for (let pos = 0; pos < bytes.length;) pos += writeSync(fd, bytes, pos, Math.min(chunkBytes, bytes.length - pos));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (e) {
    try { unlinkSync(temp); } catch { /* already gone: nothing to clean up */ }
    throw e;
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
