/**
 * Helper threads of a run (REC-PERF-1): a `<name>.thread.ts` module started on a worker thread
 * of this process through bin/thread.js, which runs its prebuilt bundle while it is fresh, else its
 * TypeScript source (scripts/bundle-cli.ts bundles every `src/**\/*.thread.ts`). A thread reads its
 * input from `workerData` and talks over `parentPort`; `once` waits for one answer of it.
 */
import { join } from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export const THREAD_ENTRY = join(__dirname, '..', '..', '..', 'bin', 'thread.js');

/** Starts `source` (an absolute path to a `.thread.ts` module) with `data` as its workerData. */
export function startThread(source: string, data: Record<string, unknown>, options: Omit<WorkerOptions, 'workerData'> = {}): Worker {
  if (!source.endsWith('.thread.ts')) throw new Error(`startThread: ${source} is not a .thread.ts module`);
  return new Worker(THREAD_ENTRY, { ...options, workerData: { ...data, threadSource: source } });
}

/**
 * The thread's next message that `accept` recognises; rejects if the thread fails, or exits
 * before sending one.
 */
export function nextMessage<T>(worker: Worker, accept: (message: unknown) => message is T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (message: unknown): void => {
      if (!accept(message)) return;
      cleanup();
      resolve(message);
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`the thread exited (code ${code}) before it answered`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
