/**
 * The outward-events outbox (`<state>/notify/outward-events.db`) beside another publisher: the
 * workbench publishes write-offs into the same file without any lock of ours while a run releases
 * the events it prepared. A release reads the prepared row, then writes: it must wait for the write
 * lock, never fail because the other publisher committed in between (SQLITE_BUSY_SNAPSHOT).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { OUTWARD_DB_FILE, SqliteOutwardEventPublisher } from '../../../src/adapters/embedded/notify-outward';
import { NOTIFY_DIR } from '../../../src/adapters/embedded/notify-sqlite';
import type { OutwardEvent } from '../../../src/notify/outward';
import { besideWriter } from './support/beside-writer';

/** The other publisher's events (the workbench's write-offs), committed one by one. */
const OTHER_EVENT = "INSERT OR IGNORE INTO outward_events (event_id, event_type, body) VALUES (?, 'workbench.write-off-approved', '{}')";

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
    const failures: string[] = [];
    const published = await besideWriter(join(dir, NOTIFY_DIR, OUTWARD_DB_FILE), OTHER_EVENT, async () => {
      for (let n = 0; n < 200; n += 1) {
        try {
          await outbox.release(`run-${n}`);
        } catch (error) {
          failures.push(`run-${n}: ${(error as { code?: string }).code ?? ''} ${(error as Error).message}`);
          break;
        }
      }
    });
    expect(published).toBeGreaterThan(0);
    expect(failures).toEqual([]);
    expect(await outbox.prepared('run-')).toEqual([]);
    outbox.close();
    const db = new Database(join(dir, NOTIFY_DIR, OUTWARD_DB_FILE), { readonly: true });
    const ours = db.prepare<[], { event_id: string }>("SELECT event_id FROM outward_events WHERE event_id LIKE 'run-event-%'").all();
    expect(ours.map((row) => row.event_id).sort()).toEqual(Array.from({ length: 200 }, (_, n) => `run-event-${n}`).sort());
    db.close();
  });
});
