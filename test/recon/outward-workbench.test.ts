/**
 * NOTIFY-1, ADJ-1: an approved write-off's workbench.write-off-approved is never lost and never
 * twice. A fault is injected at a generated point of the approval (the posting record, the
 * publish, the case save: a crash between the booking and the announcement, or between the
 * announcement and the save), the approval is retried as the workbench would (the case is still
 * pending), and the embedded notifier then drains the state's outbox: one event, one booking, one
 * email per operations recipient; a second drain sends nothing.
 */
import fc from 'fast-check';
import { readdirSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteOutwardEventPublisher } from '../../src/adapters/embedded/notify-outward';
import { NOTIFY_DIR, openNotifyDatabase } from '../../src/adapters/embedded/notify-sqlite';
import { NOTIFY_OUTBOX_DIR } from '../../src/adapters/embedded/notify-file-sinks';
import { embeddedNotifyDeps } from '../../src/cli/notify-command';
import { fromMinorUnits } from '../../src/domain/money';
import type { OutwardEvent } from '../../src/notify/outward';
import { applyCaseAction, type ExceptionCase } from '../../src/recon/workbench/cases';
import { actOnLedger } from '../../src/use-cases/post-adjustment/post-adjustment';
import { drainEvents } from '../../src/use-cases/notify/drain';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { tempDir } from '../support/runtime';
import { approver, exceptionCase, memoryLedger, memoryStore, raisedEvent, reconciler } from './workbench/helpers';

const AT = '2026-11-03T09:00:00.000Z';
const root = tempDir('wb-outward-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Fault = 'none' | 'records' | 'publish' | 'save';

const OPERATIONS = [
  { recipientId: 'ops-1', name: 'Ops One', language: 'en', email: 'ops1@bank.example', channels: ['email'] },
  { recipientId: 'ops-2', name: 'Ops Two', language: 'en', email: 'ops2@bank.example', channels: ['email'] },
];

function emails(state: string): string[] {
  const dir = join(state, NOTIFY_OUTBOX_DIR, 'email');
  return existsSync(dir) ? readdirSync(dir) : [];
}

async function drain(state: string) {
  const db = openNotifyDatabase(state);
  const { deps, close } = embeddedNotifyDeps(state, db);
  try {
    return await drainEvents(deps);
  } finally {
    close();
    db.close();
  }
}

/** A case whose write-off someone else proposed, waiting for approval. */
async function pendingCase(amount: string) {
  const store = memoryStore();
  const open = exceptionCase({ amount });
  await store.save(open, raisedEvent(open));
  const { next, event } = applyCaseAction(open, { type: 'propose-write-off', note: 'bank charge' }, reconciler, AT, open.version);
  await store.save(next, event);
  return { store, pending: next };
}

describe('workbench.write-off-approved is never lost, never twice', () => {
  let n = 0;

  it('a fault at any point of the approval, then the approval again: one event, one booking, one email per operations recipient', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 9_999_999 }), fc.boolean(), fc.constantFrom<Fault>('none', 'records', 'publish', 'save'), async (minor, debit, fault) => {
        n += 1;
        const state = join(root, `s${n}`);
        mkdirSync(join(state, NOTIFY_DIR), { recursive: true });
        writeFileSync(join(state, NOTIFY_DIR, 'recipients.json'), JSON.stringify({ operations: OPERATIONS }));
        const outbox = SqliteOutwardEventPublisher.open(state);
        const published: string[] = [];
        let armed = fault;
        const trip = (point: Fault) => {
          if (armed !== point) return;
          armed = 'none';
          throw new Error(`injected fault at ${point}`);
        };
        const { store, pending } = await pendingCase(`${debit ? '-' : ''}${fromMinorUnits(BigInt(minor), 'EUR')}`);
        const ledger = memoryLedger();
        const deps = {
          ...ledger.deps,
          records: {
            writeBatch: async (records: Parameters<typeof ledger.deps.records.writeBatch>[0]) => {
              trip('records');
              await ledger.deps.records.writeBatch(records);
            },
          },
          outward: {
            publish: async (event: OutwardEvent) => {
              trip('publish');
              published.push(event.id);
              await outbox.publish(event);
            },
          },
        };
        const cases = {
          get: (caseId: string) => store.get(caseId),
          save: async (next: ExceptionCase, event: Parameters<typeof store.save>[1]) => {
            if (next.status === 'WRITTEN_OFF') trip('save');
            await store.save(next, event);
          },
        };
        const approve = async () => {
          const current = (await store.get(pending.caseId))!;
          return actOnLedger(deps, cases, current, { type: 'approve-write-off', note: 'agreed' }, approver, AT, current.version);
        };
        if (fault !== 'none') {
          await expect(approve()).rejects.toThrow(`injected fault at ${fault}`);
          // The case is still pending after any fault: the workbench's user approves again.
          expect((await store.get(pending.caseId))!.status).toBe('PENDING_APPROVAL');
        }
        const done = await approve();
        expect(done.case.status).toBe('WRITTEN_OFF');
        outbox.close();

        // One booking, one event id however often it was published.
        expect(ledger.written).toHaveLength(1);
        expect(new Set(published).size).toBe(1);
        const first = await drain(state);
        expect(first.stopped).toEqual([]);
        expect(first.events).toBe(1);
        expect(first.results[0]!.deliveries.map((delivery) => [delivery.recipient, delivery.status]).sort()).toEqual([
          ['ops-1', 'COMPLETED'],
          ['ops-2', 'COMPLETED'],
        ]);
        expect(emails(state)).toHaveLength(OPERATIONS.length);
        const second = await drain(state);
        expect(second.events).toBe(0);
        expect(emails(state)).toHaveLength(OPERATIONS.length);
        rmSync(state, { recursive: true, force: true });
      }),
      { numRuns: fuzzRuns(12), seed: fuzzSeed(7_302) },
    );
  });
});
