/**
 * The registry's stage of matched ledger entries (written many rows a statement): every entry
 * of any count, from an array or a generator, is recorded once (a repeat is ignored, the first
 * kept); nothing is visible before commit, nothing after rollback (REC-OUT-3).
 */
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { REGISTRY_FILE, RunRegistry, type MatchedLedgerEntry, type RunRecord } from '../../../src/recon/run/registry';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { tempDir } from '../../support/runtime';

const record = (runId: string, matchedLedger: Iterable<MatchedLedgerEntry>): RunRecord => ({
  runId,
  asOf: '2025-06-30',
  recordedAt: '2025-07-01T00:00:00.000Z',
  files: [{ contentHash: `hash-${runId}`, runId, file: 'statement.sta', format: 'mt940', statementLines: 1 }],
  statements: [],
  matchedLedger,
});

function* generated(entries: MatchedLedgerEntry[]): Generator<MatchedLedgerEntry> {
  yield* entries;
}

function rows(dir: string): { account_id: string; entry_id: string; run_id: string; match_id: string }[] {
  const db = new Database(join(dir, REGISTRY_FILE), { readonly: true });
  try {
    return db.prepare('SELECT account_id, entry_id, run_id, match_id FROM reconciled_ledger_entries ORDER BY account_id, entry_id').all() as never;
  } finally {
    db.close();
  }
}

describe('registry stage of matched ledger entries', () => {
  it('records every entry once, first match kept, whatever the count (around the batch size) and whether an array or a generator', () => {
    const counts = fc.oneof(fc.constantFrom(0, 1, 255, 256, 257, 511, 512, 513, 1000), fc.nat({ max: 1500 }));
    fc.assert(
      fc.property(counts, fc.nat({ max: 40 }), fc.boolean(), fc.nat(), (count, accounts, asGenerator, salt) => {
        const entries: MatchedLedgerEntry[] = Array.from({ length: count }, (_, i) => ({
          accountId: `ACC${(i * 7 + salt) % (accounts + 1)}`,
          // Some ids repeat within an account: the first match is the one kept.
          entryId: `E${(i * 13 + salt) % Math.max(1, count - (salt % 5))}`,
          matchId: `M${i}`,
        }));
        const expected = new Map<string, MatchedLedgerEntry>();
        for (const e of entries) if (!expected.has(`${e.accountId}\u0000${e.entryId}`)) expected.set(`${e.accountId}\u0000${e.entryId}`, e);
        const dir = tempDir('recon-registry-stage-');
        const registry = RunRegistry.at(dir);
        registry.stage(record('run-1', asGenerator ? generated(entries) : entries));
        registry.commit();
        const accountIds = new Set(entries.map((e) => e.accountId));
        expect(registry.reconciledLedgerKeys(accountIds)).toEqual(new Set(expected.keys()));
        registry.close();
        expect(rows(dir)).toEqual(
          [...expected.values()]
            .map((e) => ({ account_id: e.accountId, entry_id: e.entryId, run_id: 'run-1', match_id: e.matchId }))
            .sort((a, b) => (a.account_id < b.account_id ? -1 : a.account_id > b.account_id ? 1 : a.entry_id < b.entry_id ? -1 : a.entry_id > b.entry_id ? 1 : 0)),
        );
      }),
      { numRuns: fuzzRuns(40), seed: fuzzSeed(7710) },
    );
  });

  it('a later run keeps the earlier run’s match of an entry; a rolled-back stage leaves nothing', () => {
    const dir = tempDir('recon-registry-stage-');
    const registry = RunRegistry.at(dir);
    const first = Array.from({ length: 300 }, (_, i) => ({ accountId: 'A', entryId: `E${i}`, matchId: `first-${i}` }));
    registry.stage(record('run-1', first));
    registry.commit();
    registry.stage(
      record(
        'run-2',
        Array.from({ length: 600 }, (_, i) => ({ accountId: 'A', entryId: `E${i}`, matchId: `second-${i}` })),
      ),
    );
    registry.rollback();
    expect(registry.runIds()).toEqual(['run-1']);
    expect(registry.reconciledLedgerKeys(['A']).size).toBe(300);
    registry.stage(record('run-3', generated(Array.from({ length: 600 }, (_, i) => ({ accountId: 'A', entryId: `E${i}`, matchId: `third-${i}` })))));
    registry.commit();
    registry.close();
    const all = rows(dir);
    expect(all).toHaveLength(600);
    expect(
      all
        .filter((r) => r.run_id === 'run-1')
        .map((r) => r.match_id)
        .sort(),
    ).toEqual(first.map((e) => e.matchId).sort());
    expect(all.filter((r) => r.run_id === 'run-3')).toHaveLength(300);
  });
});
