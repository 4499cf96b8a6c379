/**
 * One partition of a partitioned `post`, in its own worker thread: a complete EmbeddedRuntime
 * over its own partition directory, fed numbered input lines by the coordinator
 * (src/runtime/partitioned-runtime.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EmbeddedRuntime } from './embedded-runtime';
import type { InputLine, RuntimeOptions } from './embedded-runtime';

/**
 * A chunk of input: the lines joined by "\n" (cheap to copy between threads), their line numbers,
 * and 1 for each line the coordinator's classifyLine found valid (InputLine.valid).
 */
export type ToWorker = { kind: 'lines'; text: string; lineNumbers: Uint32Array; valid: Uint8Array } | { kind: 'end' };
export type FromWorker =
  | { kind: 'consumed' }
  | { kind: 'progress'; linesRead: number; waves: number }
  | { kind: 'done'; summary: Awaited<ReturnType<EmbeddedRuntime['post']>>; stageTimings: [string, number[]][]; stageEvents: [string, number][] }
  | { kind: 'failed'; message: string };

export interface PartitionWorkerData {
  stateDir: string;
  source: string;
  options: Omit<RuntimeOptions, 'stateDir' | 'overrides' | 'onWaveCommitted' | 'clock' | 'logger'>;
}

const port = parentPort!;
const data = workerData as PartitionWorkerData;
const inbox: ToWorker[] = [];
let wake: (() => void) | undefined;
port.on('message', (message: ToWorker) => {
  inbox.push(message);
  wake?.();
});

async function* lines(): AsyncGenerator<InputLine> {
  for (;;) {
    while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const message = inbox.shift()!;
    if (message.kind === 'end') return;
    port.postMessage({ kind: 'consumed' } satisfies FromWorker);
    const texts = message.text.split('\n');
    for (let i = 0; i < texts.length; i += 1) yield { lineNo: message.lineNumbers[i]!, text: texts[i]!, valid: message.valid[i] === 1 };
  }
}

async function run(): Promise<void> {
  const runtime = new EmbeddedRuntime({
    ...data.options,
    stateDir: data.stateDir,
    onWaveCommitted: (progress) => port.postMessage({ kind: 'progress', ...progress } satisfies FromWorker),
  });
  try {
    const summary = await runtime.post(lines(), data.source);
    port.postMessage({ kind: 'done', summary, stageTimings: [...runtime.stageTimings], stageEvents: [...runtime.stageEvents] } satisfies FromWorker);
  } finally {
    runtime.close();
  }
}

run().catch((error: unknown) => {
  port.postMessage({ kind: 'failed', message: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) } satisfies FromWorker);
});
