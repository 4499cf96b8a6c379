/**
 * A state partitioned by card (one worker thread per partition) gives exactly the outcome and
 * the ledger of a single partition: same counts, same balances once shards are summed.
 */
import { join } from 'node:path';
import { postPartitioned } from '../../src/runtime/partitioned-runtime';
import { partitionDirs, partitionOfLine } from '../../src/runtime/state-layout';
import { EmbeddedRuntime } from '../../src/runtime/embedded-runtime';
import { toMinorUnits } from '../../src/domain/money';
import { referenceData, sampleLines, tempDir } from '../support/runtime';
import { stateLedgerSide } from '../../src/recon/run/ledger-state';

async function balancesOf(stateDir: string): Promise<Map<string, bigint>> {
  const sums = new Map<string, bigint>();
  for (const dir of partitionDirs(stateDir)) {
    const runtime = new EmbeddedRuntime({ stateDir: dir });
    try {
      for (const b of await runtime.ledger.balances()) sums.set(`${b.accountId} ${b.currency}`, (sums.get(`${b.accountId} ${b.currency}`) ?? 0n) + toMinorUnits(b.balance, b.currency));
    } finally {
      runtime.close();
    }
  }
  return sums;
}

describe('partitioned post (one worker per card partition)', () => {
  const lines = [...sampleLines(4000, 17, 0.03), 'not json', ''];
  const runtime = { waveSize: 900, batchSize: 200 };

  it('gives the same summary and balances as a single partition, and keeps global line numbers', async () => {
    const single = tempDir();
    const split = tempDir();
    const one = await postPartitioned(lines, 'auths.ndjson', { stateDir: single, partitions: 1, runtime });
    const two = await postPartitioned(lines, 'auths.ndjson', { stateDir: split, partitions: 2, runtime });
    expect(one.partitions).toBe(1);
    expect(two.partitions).toBe(2);
    expect(partitionDirs(split)).toEqual([join(split, 'partitions', 'p0'), join(split, 'partitions', 'p1')]);
    expect({ ...two.summary, elapsedMs: 0 }).toEqual({ ...one.summary, elapsedMs: 0 });
    expect(two.summary.posted).toBeGreaterThan(3000);
    expect(await balancesOf(split)).toEqual(await balancesOf(single));
    // the invalid line keeps its line number in the original file
    const p0 = new EmbeddedRuntime({ stateDir: partitionDirs(split)[0]! });
    try {
      expect(p0.deadLetters.all().map((l) => l.position)).toEqual([4001]);
    } finally {
      p0.close();
    }
  });

  it('re-running against a partitioned state posts nothing new, and the state keeps its partition count', async () => {
    const state = tempDir();
    await postPartitioned(lines.slice(0, 1500), 'a', { stateDir: state, partitions: 2, runtime });
    const again = await postPartitioned(lines.slice(0, 1500), 'a', { stateDir: state, partitions: 4, runtime });
    expect(again.partitions).toBe(2);
    expect(again.summary).toMatchObject({ received: 1500, replayed: 1500, posted: 0 });
  });

  it('reconciliation reads the ledger of every partition (stateLedgerSide)', async () => {
    const state = tempDir();
    await postPartitioned(lines.slice(0, 1200), 'a', { stateDir: state, partitions: 2, runtime });
    const settlement = referenceData.settlementAccounts.find((account) => account.accountId === 'SETTLE-GBP-001')!;
    const side = stateLedgerSide(state, referenceData);
    const entries = side.entries(new Set([settlement.iban]));
    let legs = 0;
    const perPartition: number[] = [];
    for (const dir of partitionDirs(state)) {
      const runtime = new EmbeddedRuntime({ stateDir: dir });
      try {
        const n = (runtime.db.prepare("SELECT count(*) AS n FROM ledger_legs WHERE account_id = 'SETTLE-GBP-001'").get() as { n: number }).n;
        perPartition.push(n);
        legs += n;
      } finally {
        runtime.close();
      }
    }
    expect(perPartition.every((n) => n > 0)).toBe(true);
    expect(entries).toHaveLength(legs);
    expect(entries.every((entry) => entry.accountId === settlement.iban)).toBe(true);
  });

  it('routes every line of a card to the same partition', () => {
    const byToken = new Map<string, Set<number>>();
    for (const line of lines.slice(0, 2000)) {
      const token = JSON.parse(line).panToken as string;
      byToken.set(token, (byToken.get(token) ?? new Set()).add(partitionOfLine(line, 3)));
    }
    expect([...byToken.values()].every((set) => set.size === 1)).toBe(true);
    expect(new Set([...byToken.values()].map((set) => [...set][0])).size).toBe(3);
    expect(partitionOfLine('not json', 3)).toBe(0);
  });
});
