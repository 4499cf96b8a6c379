/**
 * NOTIFY-1, REC-1: a committed reconciliation run is announced (reconciliation.completed through the
 * state's notify outbox) exactly once, whatever crashes between its registry commit and the
 * announcement: its events are prepared before the commit and settled at the next run (published
 * when the registry holds the run, dropped when the run never committed). Generated sequences of
 * statements and crash points; the invariant is the outbox's events = one per committed run's
 * account, each once, and nothing left prepared.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { OUTWARD_DB_FILE } from '../../src/adapters/embedded/notify-outward';
import { NOTIFY_DIR } from '../../src/adapters/embedded/notify-sqlite';
import type { OutwardEvent } from '../../src/notify/outward';
import { runInbox } from '../../src/recon/run/inbox';
import { reconcile } from '../../src/recon/run/reconcile';
import { RunRegistry } from '../../src/recon/run/registry';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { tempDir } from '../support/runtime';
import { writeState, writeText } from './run/helpers';

const root = tempDir('recon-outward-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An MT940 statement of ACC-0000001's IBAN (reference data), its own statement id and sequence number. */
function statement(n: number, amount: string): string {
  return [
    `:20:STMT-OUTWARD-${n}`,
    ':25:GB93LDGL67874444189555',
    `:28C:${n}/1`,
    ':60F:C240101GBP100,00',
    `:61:2401020102D${amount}NMSCNONREF//BANKREF-${n}`,
    ':86:CARD PAYMENT',
    ':62F:C240102GBP87,66',
    '-',
    '',
  ].join('\r\n');
}

function outbox(state: string): { events: OutwardEvent[]; prepared: string[] } {
  const file = join(state, NOTIFY_DIR, OUTWARD_DB_FILE);
  if (!existsSync(file)) return { events: [], prepared: [] };
  const db = new Database(file, { readonly: true });
  try {
    const events = (db.prepare('SELECT body FROM outward_events ORDER BY seq').all() as { body: string }[]).map((row) => JSON.parse(row.body) as OutwardEvent);
    const prepared = (db.prepare('SELECT prepared_key FROM outward_prepared ORDER BY seq').all() as { prepared_key: string }[]).map((row) => row.prepared_key);
    return { events, prepared };
  } finally {
    db.close();
  }
}

function committedRuns(out: string): string[] {
  const registry = RunRegistry.at(out);
  try {
    return registry.exists ? [...registry.runIds()].sort() : [];
  } finally {
    registry.close();
  }
}

const runOf = (event: OutwardEvent): string => (event.type === 'reconciliation.completed' ? event.data.runId : `not a run: ${event.type}`);

type Crash = 'none' | 'before-commit' | 'after-commit';

function hooksFor(crash: Crash) {
  const boom = (where: string) => () => {
    throw new Error(`injected crash ${where}`);
  };
  if (crash === 'before-commit') return { beforeRegistryCommit: boom('before the registry commit') };
  if (crash === 'after-commit') return { afterRegistryCommit: boom('between the registry commit and the announcement') };
  return undefined;
}

describe('reconciliation.completed is never lost, never twice', () => {
  let case_ = 0;

  it('a crash between the registry commit and the announcement: the next run publishes it, once; a crash before the commit announces nothing', async () => {
    const dir = join(root, 'fixed');
    const state = writeState(join(dir, 'state'));
    const out = join(dir, 'out');
    const first = writeText(dir, 'first.sta', statement(1, '12,34'));
    await expect(reconcile({ statements: [first], ledger: { stateDir: state }, out, hooks: hooksFor('after-commit') })).rejects.toThrow(/injected crash between/);
    const [runId] = committedRuns(out);
    expect(runId).toBeDefined();
    expect(outbox(state)).toEqual({ events: [], prepared: [expect.stringContaining(runId!)] });

    // The next run (here: the same file again, nothing new) settles it.
    const again = await reconcile({ statements: [first], ledger: { stateDir: state }, out });
    expect(again.committed).toBe(false);
    const after = outbox(state);
    expect(after.prepared).toEqual([]);
    expect(after.events).toEqual([
      expect.objectContaining({ type: 'reconciliation.completed', data: expect.objectContaining({ runId, accountId: 'GB93LDGL67874444189555', matched: 1, exceptions: 0 }) }),
    ]);
    await reconcile({ statements: [first], ledger: { stateDir: state }, out });
    expect(outbox(state).events).toHaveLength(1);

    // A crash before the commit: the run is undone, its preparation dropped at the next run.
    const second = writeText(dir, 'second.sta', statement(2, '99,99'));
    await expect(reconcile({ statements: [second], ledger: { stateDir: state }, out, hooks: hooksFor('before-commit') })).rejects.toThrow(/injected crash before/);
    expect(committedRuns(out)).toEqual([runId]);
    expect(outbox(state).prepared).toHaveLength(1);
    const committed = await reconcile({ statements: [second], ledger: { stateDir: state }, out });
    expect(committed.committed).toBe(true);
    const final = outbox(state);
    expect(final.prepared).toEqual([]);
    expect(final.events.map((event) => runOf(event))).toEqual([runId, committedRuns(out).find((id) => id !== runId)]);
    expect(final.events[1]).toMatchObject({ data: { matched: 0, exceptions: 1, unmatchedTotal: { value: '99.99', currency: 'GBP' } } });
  });

  it('the inbox settles at its start what a crash left prepared, and its runs are announced like reconcile runs', async () => {
    const dir = join(root, 'inbox-case');
    const state = writeState(join(dir, 'state'));
    const out = join(dir, 'out');
    const inbox = join(dir, 'inbox');
    mkdirSync(inbox, { recursive: true });
    const crashed = writeText(dir, 'crashed.sta', statement(11, '12,34'));
    await expect(reconcile({ statements: [crashed], ledger: { stateDir: state }, out, hooks: hooksFor('after-commit') })).rejects.toThrow(/injected crash/);
    expect(outbox(state).events).toEqual([]);
    // An empty inbox: no file, no run, but the committed run is announced.
    const messages: string[] = [];
    expect(await runInbox({ dir: inbox, out, ledger: { stateDir: state }, once: true, progress: (message) => messages.push(message) })).toEqual([]);
    expect(outbox(state)).toEqual({ events: [expect.objectContaining({ type: 'reconciliation.completed' })], prepared: [] });
    expect(messages).toContain('announced 1 committed run(s) a crash had left unannounced');
    // A file dropped in the inbox: its run is announced too.
    renameSync(writeText(dir, 'next.sta', statement(12, '50,00')), join(inbox, 'next.sta'));
    const [event] = await runInbox({ dir: inbox, out, ledger: { stateDir: state }, once: true });
    expect(event).toMatchObject({ outcome: 'reconciled' });
    expect(outbox(state).events.map(runOf).sort()).toEqual(committedRuns(out));
  });

  it('announces to the state given as notifyState rather than to the ledger side', async () => {
    const dir = join(root, 'other');
    const state = writeState(join(dir, 'state'));
    const notified = writeState(join(dir, 'notified'));
    const file = writeText(dir, 's.sta', statement(7, '12,34'));
    await reconcile({ statements: [file], ledger: { stateDir: state }, out: join(dir, 'out'), notifyState: notified });
    expect(outbox(notified).events).toHaveLength(1);
    expect(outbox(state).events).toEqual([]);
  });

  it('generated statements and crash points: the outbox holds one event per committed run, each once, nothing prepared', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ amount: fc.constantFrom('12,34', '50,00', '7,00'), crash: fc.constantFrom<Crash>('none', 'before-commit', 'after-commit') }), { minLength: 1, maxLength: 4 }),
        async (plan) => {
          case_ += 1;
          const dir = join(root, `gen-${case_}`);
          const state = writeState(join(dir, 'state'));
          const out = join(dir, 'out');
          for (const [i, step] of plan.entries()) {
            const file = writeText(dir, `s${i}.sta`, statement(i + 1, step.amount));
            const hooks = hooksFor(step.crash);
            if (hooks) await expect(reconcile({ statements: [file], ledger: { stateDir: state }, out, hooks })).rejects.toThrow(/injected crash/);
            // Retried as an operator would: the statement again (a re-upload when it did commit).
            await reconcile({ statements: [file], ledger: { stateDir: state }, out });
          }
          const runs = committedRuns(out);
          expect(runs).toHaveLength(plan.length);
          const { events, prepared } = outbox(state);
          expect(prepared).toEqual([]);
          expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
          expect(events.map((event) => runOf(event)).sort()).toEqual(runs);
          rmSync(dir, { recursive: true, force: true });
        },
      ),
      { numRuns: fuzzRuns(6), seed: fuzzSeed(7_301) },
    );
  });
});
