/**
 * ADJ-1 exactly once over the DynamoDB ledger (dynalite, the rehearsal's stand-in): approving
 * twice, five approvers at once, and a crash between the ledger write and the case save then a
 * retry each leave one journal item for the adjustment and balances moved by exactly its amount.
 */
import { DynamoLedgerStore, legsFromLedgerItems } from '../../src/adapters/aws/dynamo-ledger-store';
import { referenceDataAccountResolver } from '../../src/adapters/aws/workbench-ledger';
import { toMinorUnits } from '../../src/domain/money';
import type { PostingRecord } from '../../src/ports';
import { type Actor, applyCaseAction, type CaseEvent, type ExceptionCase } from '../../src/recon/workbench/cases';
import { actOnLedger, type WorkbenchLedgerDeps } from '../../src/use-cases/post-adjustment/post-adjustment';
import { DynamoLedgerTable } from '../adapters/contracts/support/dynamo-ledger';
import { approver, exceptionCase, memoryStore, raisedEvent, reconciler } from '../recon/workbench/helpers';

const table = new DynamoLedgerTable();
const AT = '2026-11-05T09:00:00.000Z';

beforeAll(async () => {
  await table.start();
});

afterAll(async () => {
  await table.stop();
});

async function setUp() {
  await table.clear();
  const ledger = new DynamoLedgerStore({ client: table.client, tableName: table.tableName, retryBaseDelayMs: 1 });
  const written: PostingRecord[] = [];
  const deps: WorkbenchLedgerDeps = {
    ledger,
    records: { writeBatch: async (records) => void written.push(...records) },
    // Reference data resolves the account by id.
    accounts: referenceDataAccountResolver(async () => ({ account: async (id: string) => (id === 'SETTLE-EUR-001' ? ({ accountId: id, currency: 'EUR' } as never) : undefined) })),
  };
  const store = memoryStore();
  const open = exceptionCase({ accountId: 'SETTLE-EUR-001', amount: '-250.10' });
  await store.save(open, raisedEvent(open));
  const proposed = applyCaseAction(open, { type: 'propose-write-off', note: 'charge' }, reconciler, AT, 1);
  await store.save(proposed.next, proposed.event);
  let crash = false;
  const cases = {
    get: (caseId: string) => store.get(caseId),
    save: async (next: ExceptionCase, event: CaseEvent) => {
      if (crash) {
        crash = false;
        throw new Error('crash');
      }
      return store.save(next, event);
    },
  };
  const balance = async (accountId: string) => {
    const found = (await ledger.balances()).find((b) => b.accountId === accountId);
    return found ? toMinorUnits(found.balance, found.currency) : 0n;
  };
  const journal = async () => new Set(legsFromLedgerItems(await table.items()).map((leg) => leg.sequenceId));
  return { deps, store, cases, pending: proposed.next, written, balance, journal, crashNextSave: () => (crash = true) };
}

describe('ADJ-1 on the DynamoDB ledger', () => {
  it('approving twice books one journal item', async () => {
    const { deps, cases, pending, balance, journal, store } = await setUp();
    await actOnLedger(deps, cases, pending, { type: 'approve-write-off' }, approver, AT, 2);
    const now = (await store.get(pending.caseId))!;
    await expect(actOnLedger(deps, cases, now, { type: 'approve-write-off' }, approver, AT, now.version)).rejects.toThrow(/WRITTEN_OFF/);
    expect((await journal()).size).toBe(1);
    expect(await balance('SETTLE-EUR-001')).toBe(-25010n);
    expect(await balance('WRITEOFF-EUR')).toBe(25010n);
  });

  it('five approvers at once book one journal item, and each is answered with it', async () => {
    const { deps, cases, pending, balance, journal } = await setUp();
    const approvers = Array.from({ length: 5 }, (_, i): Actor => ({ user: `a${i}@bank.example`, roles: ['approver'] }));
    const outcomes = await Promise.all(approvers.map((actor) => actOnLedger(deps, cases, pending, { type: 'approve-write-off' }, actor, AT, 2)));
    expect(new Set(outcomes.map((outcome) => outcome.case.resolution?.adjustment?.adjustmentId)).size).toBe(1);
    expect((await journal()).size).toBe(1);
    expect(await balance('SETTLE-EUR-001')).toBe(-25010n);
  });

  it('a crash between the ledger write and the case save, then a retry: one journal item', async () => {
    const { deps, cases, pending, balance, journal, crashNextSave, written } = await setUp();
    crashNextSave();
    await expect(actOnLedger(deps, cases, pending, { type: 'approve-write-off' }, approver, AT, 2)).rejects.toThrow('crash');
    expect((await journal()).size).toBe(1);
    const { case: done } = await actOnLedger(deps, cases, pending, { type: 'approve-write-off' }, approver, AT, 2);
    expect(done.status).toBe('WRITTEN_OFF');
    expect((await journal()).size).toBe(1);
    expect(await balance('SETTLE-EUR-001')).toBe(-25010n);
    // The record was written on both attempts: the same record id, which core banking keeps once.
    expect(new Set(written.map((record) => record.recordId)).size).toBe(1);
    await expect(deps.ledger.hasSequence(done.resolution!.adjustment!.sequenceId)).resolves.toBe(true);
  });

  it('a statement account (an IBAN) resolves through the reconciliation’s account map; a failed reference data open is tried again', async () => {
    let opens = 0;
    const resolver = referenceDataAccountResolver(
      async () => {
        opens += 1;
        if (opens === 1) throw new Error('throttled');
        return { account: async (id: string) => (id === 'SETTLE-EUR-001' ? ({ accountId: id, currency: 'EUR' } as never) : undefined) };
      },
      { NL26VAYB8060476890: 'SETTLE-EUR-001' },
    );
    await expect(resolver.ledgerAccount('NL26VAYB8060476890')).rejects.toThrow('throttled');
    await expect(resolver.ledgerAccount('NL26VAYB8060476890')).resolves.toEqual({ accountId: 'SETTLE-EUR-001', currency: 'EUR' });
    await expect(resolver.ledgerAccount('SETTLE-EUR-001')).resolves.toEqual({ accountId: 'SETTLE-EUR-001', currency: 'EUR' });
    await expect(resolver.ledgerAccount('toString')).resolves.toBeUndefined();
    expect(opens).toBe(2);
  });

  it('an account reference data does not know is refused, naming it; nothing is booked', async () => {
    const { deps, cases, pending, journal } = await setUp();
    const unknown = { ...pending, accountId: 'GB00UNKNOWN' };
    await expect(actOnLedger(deps, cases, unknown, { type: 'approve-write-off' }, approver, AT, 2)).rejects.toThrow(/account GB00UNKNOWN of case .* is not a ledger account/);
    expect((await journal()).size).toBe(0);
  });
});
