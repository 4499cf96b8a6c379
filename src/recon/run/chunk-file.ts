/**
 * A file written from pieces of text while the caller goes on rendering (REC-PERF-1). The pieces
 * are gathered into chunks of about 1 MB, each encoded once and written at its own offset by
 * libuv's thread pool, so the write system calls (and the final fsync) run on another core while
 * this thread renders the next chunk. At most `inFlight` chunks are pending: memory stays bounded
 * whatever the file's size. Nothing is left half-written on a failure: the first failed write
 * stops the file and its error is thrown (the caller's staging directory is removed).
 */
import { open } from 'node:fs/promises';

const CHUNK = 1 << 20;
const IN_FLIGHT = 4;

export interface ChunkFileOptions {
  /** fsync before closing (a staged result file); load files read back at once need not. */
  fsync?: boolean;
}

export async function writeChunksAsync(path: string, content: string | Iterable<string>, options: ChunkFileOptions = {}): Promise<void> {
  const handle = await open(path, 'w');
  let failure: unknown;
  const pending = new Set<Promise<void>>();
  let position = 0;
  const put = async (text: string): Promise<void> => {
    const bytes = Buffer.from(text, 'utf8');
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
    if (failure !== undefined) throw failure;
  };
  try {
    if (typeof content === 'string') await put(content);
    else {
      let buffer = '';
      for (const piece of content) {
        buffer += piece;
        if (buffer.length >= CHUNK) {
          await put(buffer);
          buffer = '';
        }
      }
      if (buffer.length > 0) await put(buffer);
    }
    await Promise.all(pending);
    if (failure !== undefined) throw failure;
    if (options.fsync) await handle.sync();
  } finally {
    await Promise.allSettled(pending);
    await handle.close();
  }
}
