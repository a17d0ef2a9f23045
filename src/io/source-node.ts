/**
 * Files as byte sources for Node: positioned reads on a file descriptor, so a checkpoint of any
 * size is read range by range. Only regular files are opened: a device such as /dev/zero would
 * never end and a FIFO would block forever, so both are refused by name before any read.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import type { Stats } from "node:fs";
import { open } from "node:fs/promises";
import { FileError } from "../errors.ts";
import { readOnThread } from "./read-thread-node.ts";
import type { AsyncByteSource, ByteSource } from "./source.ts";

/** A file opened for reading; it is closed by `close()` or once nothing refers to it any more. */
export interface FileSource extends ByteSource {
  /** Reads `target.byteLength` bytes at `offset` straight into a typed array; returns the bytes read. */
  readInto(offset: number, target: ArrayBufferView): number;
  /**
   * Starts reading `target.byteLength` bytes at `offset` into `target` and returns a function that
   * waits for them and gives the bytes read (fewer at the end of the file, as `readInto`). In
   * between, the caller computes: a target in shared memory is read on the reader thread
   * (read-thread-node.ts), any other is read before this returns.
   */
  readAhead(offset: number, target: Uint8Array): () => number;
  close(): void;
}

/** An asynchronously read file (fs/promises). */
export interface AsyncFileSource extends AsyncByteSource {
  close(): Promise<void>;
}

// lazy tensors keep their file's source alive; when the last one is collected the descriptor closes
const closer = new FinalizationRegistry<number>((fd) => { try { closeSync(fd); } catch { /* already closed */ } });

/** O_NONBLOCK keeps a FIFO swapped in after the check from blocking the open (it means nothing for regular files). */
const openFlags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Reads are split so no single call asks for more than 1 GiB. */
const maxRead = 1 << 30;

function kind(st: Stats): string {
  return st.isDirectory() ? "a directory" : st.isFIFO() ? "a FIFO" : st.isCharacterDevice() ? "a character device"
    : st.isBlockDevice() ? "a block device" : st.isSocket() ? "a socket" : "not a regular file";
}

function checkRegular(st: Stats, path: string): void {
  if (!st.isFile()) throw new FileError(`${path}: is ${kind(st)}, not a regular file; checkpoints are read from regular files only`);
}

function openError(e: unknown, path: string): FileError {
  const err = e as NodeJS.ErrnoException;
  return new FileError(`${path}: cannot open: ${err.message}`, { code: err.code, cause: e });
}

/** Opens a regular file for random access; throws FileError naming the path. */
export function openFileSource(path: string): FileSource {
  let fd: number;
  try {
    fd = openSync(path, openFlags);
  } catch (e) {
    throw openError(e, path);
  }
  let st: Stats;
  try {
    st = fstatSync(fd);
    checkRegular(st, path);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  let open = true;
  // in bytes: a tensor over 4 GiB has more bytes than a Uint8Array may hold, but fewer elements
  const readInto = (offset: number, target: ArrayBufferView): number => {
    if (!open) throw new FileError(`${path}: read after the file was closed`);
    let pos = 0;
    while (pos < target.byteLength) {
      const n = readSync(fd, target as NodeJS.ArrayBufferView, pos, Math.min(maxRead, target.byteLength - pos), offset + pos);
      if (n === 0) break;
      pos += n;
    }
    return pos;
  };
  const source: FileSource = {
    name: path, size: st.size, fresh: true,
    read: (offset, length) => {
      if (!open) throw new FileError(`${path}: read after the file was closed`);
      const out = new Uint8Array(length);
      let pos = 0;
      while (pos < length) {
        const n = readSync(fd, out, pos, Math.min(maxRead, length - pos), offset + pos);
        if (n === 0) break;
        pos += n;
      }
      return pos === length ? out : out.subarray(0, pos);
    },
    readInto,
    readAhead: (offset, target) => {
      if (!open) throw new FileError(`${path}: read after the file was closed`);
      const wait = readOnThread(fd, offset, target);
      if (wait === null) {
        const n = readInto(offset, target);
        return () => n;
      }
      return () => {
        let n: number;
        try {
          n = wait();
        } catch (e) {
          throw new FileError(`${path}: ${(e as Error).message}`, { cause: e });
        }
        // a read the thread could not finish is done again here, to report what went wrong
        return n === target.byteLength ? n : readInto(offset, target);
      };
    },
    close: () => {
      if (!open) return;
      open = false;
      closer.unregister(source);
      closeSync(fd);
    },
  };
  closer.register(source, fd, source);
  return source;
}

/** Opens a regular file for asynchronous random access (fs/promises); throws FileError naming the path. */
export async function openFileSourceAsync(path: string): Promise<AsyncFileSource> {
  let handle;
  try {
    handle = await open(path, openFlags);
  } catch (e) {
    throw openError(e, path);
  }
  try {
    const st = await handle.stat();
    checkRegular(st, path);
    return {
      async: true, name: path, size: st.size,
      read: async (offset, length) => {
        const out = new Uint8Array(length);
        let pos = 0;
        while (pos < length) {
          const { bytesRead } = await handle.read(out, pos, Math.min(maxRead, length - pos), offset + pos);
          if (bytesRead === 0) break;
          pos += bytesRead;
        }
        return pos === length ? out : out.subarray(0, pos);
      },
      close: () => handle.close(),
    };
  } catch (e) {
    await handle.close();
    throw e;
  }
}
