/**
 * The outward-events outbox (`<state>/notify/outward-events.db`) beside another publisher: the
 * workbench publishes write-offs into the same file without any lock of ours while a run releases
 * the events it prepared. A release reads the prepared row, then writes: it must wait for the write
 * lock, never fail because the other publisher committed in between (SQLITE_BUSY_SNAPSHOT).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { OUTWARD_DB_FILE, SqliteOutwardEventPublisher } from '../../../src/adapters/embedded/notify-outward';
import { NOTIFY_DIR } from '../../../src/adapters/embedded/notify-sqlite';
import type { OutwardEvent } from '../../../src/notify/outward';

/** Another publisher: inserts one event after another until cell 0 is set; answers how many. */
const PUBLISHER = `
const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
const { workerData, parentPort } = require('node:worker_threads');
const cell = new Int32Array(workerData.shared);
const db = new Database(workerData.path, { timeout: 5000 });
const insert = db.prepare('INSERT OR IGNORE INTO outward_events (event_id, event_type, body) VALUES (?, ?, ?)');
let n = 0;
while (Atomics.load(cell, 0) === 0) {
  insert.run('other-' + n, 'workbench.write-off-approved', '{}');
  n += 1;
}
db.close();
parentPort.postMessage(n);
`;

describe('SqliteOutwardEventPublisher beside another publisher', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outward-writers-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('every prepared key is released, its events published once, while another connection keeps publishing', async () => {
    const outbox = SqliteOutwardEventPublisher.open(dir);
    const event = (n: number): OutwardEvent => ({ id: `run-event-${n}`, type: 'reconciliation.completed' }) as unknown as OutwardEvent;
    for (let n = 0; n < 200; n += 1) await outbox.prepare(`run-${n}`, [event(n)]);
    const shared = new SharedArrayBuffer(4);
    const publisher = new Worker(PUBLISHER, { eval: true, workerData: { path: join(dir, NOTIFY_DIR, OUTWARD_DB_FILE), shared } });
    const published = new Promise<number>((resolve, reject) => {
      publisher.once('message', resolve);
      publisher.once('error', reject);
    });
    const failures: string[] = [];
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (let n = 0; n < 200; n += 1) {
        try {
          await outbox.release(`run-${n}`);
        } catch (error) {
          failures.push(`run-${n}: ${(error as { code?: string }).code ?? ''} ${(error as Error).message}`);
          break;
        }
      }
    } finally {
      Atomics.store(new Int32Array(shared), 0, 1);
    }
    expect(await published).toBeGreaterThan(0);
    await publisher.terminate();
    expect(failures).toEqual([]);
    expect(await outbox.prepared('run-')).toEqual([]);
    outbox.close();
    const db = new Database(join(dir, NOTIFY_DIR, OUTWARD_DB_FILE), { readonly: true });
    const ours = db.prepare<[], { event_id: string }>("SELECT event_id FROM outward_events WHERE event_id LIKE 'run-event-%'").all();
    expect(ours.map((row) => row.event_id).sort()).toEqual(Array.from({ length: 200 }, (_, n) => `run-event-${n}`).sort());
    db.close();
  });
});
