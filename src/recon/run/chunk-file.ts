/**
 * A file written from pieces of text while the caller goes on rendering (REC-PERF-1). The pieces
 * — typically one CSV record each, or ~1 MB of bytes a renderer encoded itself (CsvBytes) — are
 * encoded straight into a ~1 MB buffer as they come (bytes are written as they are), and
 * each full buffer is written at its own offset by libuv's thread pool, so the write system calls
 * (and the final fsync) run on another core while this thread renders the next records. No piece
 * outlives its encoding: the caller never builds a megabyte string out of a hundred thousand
 * concatenations that the garbage collector copies and the encoder then has to flatten. At most
 * `inFlight` buffers are pending: memory stays bounded whatever the file's size. Nothing is left
 * half-written on a failure: the first failed write stops the file and its error is thrown (the
 * caller's staging directory is removed). Each piece is encoded on its own, so a piece never ends
 * inside a surrogate pair (a whole record never does).
 */
import { open } from 'node:fs/promises';

const CHUNK = 1 << 20;
const IN_FLIGHT = 4;
/** A piece up to this many characters is encoded into the current buffer (UTF-8: at most 3 bytes a UTF-16 unit). */
const SMALL = 1 << 16;
const CAPACITY = CHUNK + 3 * SMALL;

export interface ChunkFileOptions {
  /** fsync before closing (a staged result file); load files read back at once need not. */
  fsync?: boolean;
}

export async function writeChunksAsync(path: string, content: string | Iterable<string | Uint8Array>, options: ChunkFileOptions = {}): Promise<void> {
  const handle = await open(path, 'w');
  let failure: unknown;
  const pending = new Set<Promise<void>>();
  let position = 0;
  const put = async (bytes: Uint8Array): Promise<void> => {
    const at = position;
    position += bytes.length;
    const write = handle.write(bytes, 0, bytes.length, at).then(
      () => undefined,
      (error: unknown) => {
        failure ??= error;
      },
    );
    const settled = write.then(() => {
      pending.delete(settled);
    });
    pending.add(settled);
    if (pending.size >= IN_FLIGHT) await Promise.race(pending);
    // A turn of the event loop a piece: what other work finished meanwhile (DuckDB's copies of the
    // files written before) is heard while a long file renders, not only when it ends.
    else await new Promise((resolve) => setImmediate(resolve));
    if (failure !== undefined) throw failure;
  };
  try {
    if (typeof content === 'string') await put(Buffer.from(content, 'utf8'));
    else {
      // The buffer being filled; a full one is handed to the pool and a fresh one taken (the
      // handed one is still being written).
      let buffer = Buffer.allocUnsafe(CAPACITY);
      let used = 0;
      const flush = async (): Promise<void> => {
        if (used === 0) return;
        const full = buffer.subarray(0, used);
        buffer = Buffer.allocUnsafe(CAPACITY);
        used = 0;
        await put(full);
      };
      for (const piece of content) {
        if (typeof piece !== 'string') {
          // Bytes already encoded (a CsvBytes piece): written as they are, after what came before.
          await flush();
          if (piece.length > 0) await put(piece);
          continue;
        }
        if (piece.length > SMALL) {
          await flush();
          await put(Buffer.from(piece, 'utf8'));
          continue;
        }
        used += buffer.write(piece, used, 'utf8');
        if (used >= CHUNK) await flush();
      }
      await flush();
    }
    await Promise.all(pending);
    if (failure !== undefined) throw failure;
    if (options.fsync) await handle.sync();
  } finally {
    await Promise.allSettled(pending);
    await handle.close();
  }
}
