/**
 * The registry's stage of matched ledger entries (written as blocks: an account's entries of a run,
 * thousands a row): every entry of any count, from an array or a generator, is recorded, and a
 * repeat counts once, its first match kept; nothing is visible before commit, nothing after
 * rollback (REC-OUT-3); a registry written before the blocks (one row per entry) is still read.
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

type Row = { account_id: string; entry_id: string; run_id: string; match_id: string };

/**
 * Every (account, entry) the registry holds with the match that counts: the first of the runs in
 * commit order, and within a run the first in stored order. Rows of the per-entry table (registries
 * written before the blocks) come first.
 */
function rows(dir: string): Row[] {
  const db = new Database(join(dir, REGISTRY_FILE), { readonly: true });
  try {
    const found = new Map<string, Row>();
    const keep = (row: Row): void => {
      const key = `${row.account_id}\u0000${row.entry_id}`;
      if (!found.has(key)) found.set(key, row);
    };
    for (const row of db.prepare('SELECT account_id, entry_id, run_id, match_id FROM reconciled_ledger_entries').all() as Row[]) keep(row);
    const blocks = db
      .prepare('SELECT b.account_id, b.run_id, b.entry_ids, b.match_ids FROM reconciled_ledger_blocks b JOIN runs r ON r.run_id = b.run_id ORDER BY r.seq, b.account_id, b.block')
      .all() as { account_id: string; run_id: string; entry_ids: string; match_ids: string }[];
    for (const block of blocks) {
      const entryIds = JSON.parse(block.entry_ids) as string[];
      const matchIds = JSON.parse(block.match_ids) as string[];
      expect(matchIds).toHaveLength(entryIds.length);
      entryIds.forEach((entryId, i) => keep({ account_id: block.account_id, entry_id: entryId, run_id: block.run_id, match_id: matchIds[i]! }));
    }
    return [...found.values()].sort((a, b) => (a.account_id < b.account_id ? -1 : a.account_id > b.account_id ? 1 : a.entry_id < b.entry_id ? -1 : a.entry_id > b.entry_id ? 1 : 0));
  } finally {
    db.close();
  }
}

describe('registry stage of matched ledger entries', () => {
  it('records every entry once, first match kept, whatever the count (around the batch size) and whether an array or a generator', () => {
    // Around the block size (8,192 entries of an account a row) and well under it.
    const counts = fc.oneof(fc.constantFrom(0, 1, 255, 8191, 8192, 8193, 16_384, 16_385), fc.nat({ max: 1500 }));
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

describe('a registry written before the blocks', () => {
  it('its per-entry rows still count as reconciled, beside the blocks of later runs', () => {
    const dir = tempDir('recon-registry-old-');
    const registry = RunRegistry.at(dir);
    registry.stage(record('run-new', [{ accountId: 'A', entryId: 'E2', matchId: 'new-2' }]));
    registry.commit();
    registry.close();
    // What an older version wrote: one row per entry.
    const db = new Database(join(dir, REGISTRY_FILE));
    db.prepare("INSERT INTO runs (run_id, as_of, recorded_at) VALUES ('run-old', '2025-06-01', '2025-06-02T00:00:00.000Z')").run();
    const old = db.prepare("INSERT INTO reconciled_ledger_entries VALUES (?, ?, 'run-old', ?)");
    old.run('A', 'E1', 'old-1');
    old.run('B', 'E1', 'old-b1');
    db.close();
    const reopened = RunRegistry.at(dir);
    expect(reopened.reconciledLedgerKeys(['A', 'B', 'C'])).toEqual(new Set(['A\u0000E1', 'A\u0000E2', 'B\u0000E1']));
    expect(reopened.reconciledLedgerKeys(['B'])).toEqual(new Set(['B\u0000E1']));
    reopened.close();
  });
});
