/**
 * Another connection writing the same SQLite file while a test works: a thread that commits `sql`
 * (one parameter: a fresh text each time) one row after another, from before `work` begins until it
 * ends. Resolves with how many rows that thread committed.
 */
import { Worker } from 'node:worker_threads';

const WRITER = `
const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
const { workerData, parentPort } = require('node:worker_threads');
const cell = new Int32Array(workerData.shared);
const db = new Database(workerData.path, { timeout: 5000 });
const insert = db.prepare(workerData.sql);
let n = 0;
while (Atomics.load(cell, 0) === 0) {
  insert.run('writer-' + n);
  n += 1;
  if (n === 1) Atomics.store(cell, 1, 1);
}
db.close();
parentPort.postMessage(n);
`;

export async function besideWriter(path: string, sql: string, work: () => Promise<void>): Promise<number> {
  const shared = new SharedArrayBuffer(8);
  const cell = new Int32Array(shared);
  const writer = new Worker(WRITER, { eval: true, workerData: { path, sql, shared } });
  const committed = new Promise<number>((resolve, reject) => {
    writer.once('message', resolve);
    writer.once('error', reject);
  });
  try {
    // The work begins once the writer has committed its first row (a loaded machine starts threads slowly).
    for (const until = Date.now() + 30_000; Atomics.load(cell, 1) === 0;) {
      if (Date.now() > until) throw new Error('the writer thread never committed');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await work();
  } finally {
    Atomics.store(cell, 0, 1);
  }
  const commits = await committed;
  await writer.terminate();
  return commits;
}
