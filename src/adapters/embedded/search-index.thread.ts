/**
 * Builds a big first import's reference search index on its own thread (REC-PERF-1, WB-1: see
 * ./workbench-search.ts) while the import writes the cases and their list indexes. The importing
 * thread waits for it synchronously, inside its transaction: so the answer goes over `port`, read
 * with receiveMessageOnPort, and `signal[0]` says when it is there (1) or that there is none (2).
 *
 * Messages: in  workerData { texts, first, port, signal }
 *           out on port { rows } (SearchIndexRows) or { failed: message }
 */
import { type MessagePort, workerData } from 'node:worker_threads';
import { buildSearchIndexRows } from './workbench-search';

const { texts, first, port, signal } = workerData as { texts: string[]; first: number; port: MessagePort; signal: SharedArrayBuffer };
const state = new Int32Array(signal);
try {
  const rows = buildSearchIndexRows(texts, first);
  // The index's bytes are moved to the importing thread, not copied.
  port.postMessage({ rows }, [rows.dataBytes.buffer as ArrayBuffer]);
  Atomics.store(state, 0, 1);
} catch (error) {
  port.postMessage({ failed: error instanceof Error ? error.message : String(error) });
  Atomics.store(state, 0, 2);
} finally {
  Atomics.notify(state, 0);
  port.close();
}
