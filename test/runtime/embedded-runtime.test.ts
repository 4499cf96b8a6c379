import { readFileSync } from 'node:fs';
import { EmbeddedRuntime } from '../../src/runtime/embedded-runtime';
import type { RunSummary } from '../../src/runtime/embedded-runtime';
import { TransientStoreError } from '../../src/ports';
import type { LedgerStore } from '../../src/ports';
import { parsePostingLines } from '../../src/domain/posting-record';
import { allFiles, outboxLines, sampleLines, tempDir } from '../support/runtime';

function categoriesSum(s: RunSummary): number {
  return s.invalid + s.notApproved + s.replayed + s.duplicates + s.rejected + s.declined + s.review + s.posted + s.failed + s.pending;
}

async function run(lines: string[], options: Partial<ConstructorParameters<typeof EmbeddedRuntime>[0]> = {}, stateDir = tempDir()) {
  const runtime = new EmbeddedRuntime({ stateDir, waveSize: 700, ...options });
  try {
    const summary = await runtime.post(lines, 'input.ndjson');
    return { summary, balances: await runtime.ledger.balances(), stateDir, runtime };
  } finally {
    runtime.close();
  }
}

describe('embedded runtime: the posting pipeline end to end', () => {
  const lines = sampleLines(3000, 5, 0.03);
  /** The 3,000 lines posted into a fresh state once for the two cases that start from that run (the second re-runs it after the first has read it). */
  let firstRun: ReturnType<typeof run> | undefined;
  const postedOnce = () => (firstRun ??= run(lines));

  it('posts, parks duplicates, declines, rejects; every category adds up and the ledger balances', async () => {
    const { summary, balances, stateDir } = await postedOnce();
    expect(summary.received).toBe(3000);
    expect(categoriesSum(summary)).toBe(3000);
    expect(summary.duplicates).toBeGreaterThan(40);
    expect(summary.posted).toBeGreaterThan(2500);
    expect(summary.notApproved).toBeGreaterThan(0);
    expect(summary.declined + summary.review + summary.rejected).toBeGreaterThan(0);
    expect(summary.pending).toBe(0);
    for (const [currency, totals] of Object.entries(summary.ledger)) expect([currency, totals.debits]).toEqual([currency, totals.credits]);
    // every posted transaction has its complete record in the outbox, and nothing else is there
    const records = parsePostingLines(outboxLines(stateDir).join('\n'));
    expect(new Set(records.map((r) => r.sequenceId)).size).toBe(summary.posted);
    expect(balances.length).toBeGreaterThan(100);
  });

  it('re-running the same input against the same state posts nothing new', async () => {
    const first = await postedOnce();
    const outboxBefore = outboxLines(first.stateDir);
    const again = await run(lines, {}, first.stateDir);
    expect(again.summary).toMatchObject({ received: 3000, replayed: 3000, posted: 0, duplicates: 0 });
    expect(again.balances).toEqual(first.balances);
    // The outbox as it was before the re-run (captured then), not the same directory read twice.
    expect(outboxBefore.length).toBeGreaterThan(0);
    expect(outboxLines(again.stateDir)).toEqual(outboxBefore);
  });

  it('the JSON-serialising bus (AWS-identical bodies) gives the same ledger as the in-process fast path', async () => {
    const fast = await run(lines.slice(0, 1000));
    const serialised = await run(lines.slice(0, 1000), { serialiseMessages: true });
    expect(serialised.balances).toEqual(fast.balances);
    expect({ ...serialised.summary, elapsedMs: 0 }).toEqual({ ...fast.summary, elapsedMs: 0 });
  });

  it('FUSE-1: the fused and the staged topology give the same outcomes, ledger and posting records', async () => {
    const input = lines.slice(0, 1500);
    const fused = await run(input, { topology: 'fused' });
    const staged = await run(input, { topology: 'staged' });
    expect({ ...fused.summary, elapsedMs: 0 }).toEqual({ ...staged.summary, elapsedMs: 0 });
    // Balances equal to the minor unit; versions count balance updates, which follow batch shapes.
    const amounts = (balances: typeof fused.balances) => balances.map(({ accountId, currency, balance }) => ({ accountId, currency, balance }));
    expect(amounts(fused.balances)).toEqual(amounts(staged.balances));
    expect(outboxLines(fused.stateDir)).toEqual(outboxLines(staged.stateDir));
    expect(fused.summary.posted).toBeGreaterThan(1000);
  });

  it('hot account: 1,000 payments to one merchant in one batch update its balance once', async () => {
    const merchant = { id: 'MER-00001', name: 'Elmstead Clothing', mcc: '5651', country: 'GB' };
    const oneMerchant = sampleLines(1000, 99, 0).map((line, i) => {
      const auth = JSON.parse(line);
      return JSON.stringify({ ...auth, responseCode: '00', merchant, amount: { value: `${(i % 50) + 1}.00`, currency: 'GBP' }, billingAmount: undefined, conversionRate: undefined });
    });
    const { summary, balances } = await run(oneMerchant, { batchSize: 1000, waveSize: 1000 });
    expect(summary.posted).toBeGreaterThan(900);
    const settle = balances.find((b) => b.accountId === 'SETTLE-GBP-001')!;
    expect(settle.version).toBe(1);
    expect(Number(settle.balance)).toBeGreaterThan(0);
  });

  it('a throttled dedup store is retried and never taken for a duplicate', async () => {
    let calls = 0;
    const { summary } = await run(lines.slice(0, 500), {
      overrides: {
        dedupStore: (real) => ({
          claim: async (claim, now) => {
            calls += 1;
            if (calls % 3 === 0) throw new TransientStoreError('ThrottlingException: rate exceeded');
            return real.claim(claim, now);
          },
        }),
      },
    });
    const clean = await run(lines.slice(0, 500));
    expect(calls).toBeGreaterThan(500);
    expect({ ...summary, elapsedMs: 0 }).toEqual({ ...clean.summary, elapsedMs: 0 });
  });

  it('a permanently failing posting is re-driven by the sweeper, then failed with its reason', async () => {
    const victim = JSON.parse(lines.find((l) => JSON.parse(l).responseCode === '00')!).authorizationId as string;
    let attempts = 0;
    const { summary, runtime } = await run(lines.slice(0, 300), {
      sweeper: { maxAttempts: 2, pageSize: 100 },
      overrides: {
        ledgerStore: (real): LedgerStore => ({
          recordPostings: async (sequences) => {
            if (sequences.some((sequence) => sequence.authorizationId === victim)) {
              attempts += 1;
              throw new Error('core banking adapter rejected the account');
            }
            return real.recordPostings(sequences);
          },
          balances: () => real.balances(),
        }),
      },
    });
    expect(summary.failed).toBe(1);
    expect(categoriesSum(summary)).toBe(300);
    expect(attempts).toBeGreaterThanOrEqual(5 * 3); // 5 deliveries x (1 + 2 re-drives), each in a batch
    const reopened = new EmbeddedRuntime({ stateDir: runtime.db.name.replace(/\/ledgerline\.db$/, '') });
    try {
      const failed = await reopened.transactions.listByStatus('FAILED', 10);
      expect(failed).toHaveLength(1);
      // Fused (FUSE-1): the payment failed inside the hot path, which is what re-drives it.
      expect(failed[0]).toMatchObject({ authorizationId: victim, status: 'FAILED', stage: 'hot-path', attempts: 2 });
      expect(failed[0]!.lastError).toContain('core banking adapter rejected the account');
    } finally {
      reopened.close();
    }
  });
});

describe('embedded runtime: bad input', () => {
  const pan = '4111111111111111';
  const good = sampleLines(20, 3, 0);

  it('ING-2, ING-3: impossible timestamps and zero amounts are dead letters naming the field, never FAILED or posted', async () => {
    const timestamps = ['2026-13-01T10:00:00Z', '2026-11-01T25:00:00Z', '2026-11-01T10:00:00+99:99', '2026-12-31T23:59:60Z', '2026-02-30T10:00:00Z', '0000-01-01T10:00:00Z', '9999-12-31T10:00:00Z'];
    const approved = good.map((line) => JSON.parse(line)).filter((auth) => auth.responseCode === '00');
    const bad = [
      ...timestamps.map((transmittedAt, i) => JSON.stringify({ ...approved[i], transmittedAt })),
      JSON.stringify({ ...approved[7], amount: { ...approved[7].amount, value: '0' } }),
      JSON.stringify({ ...approved[8], amount: { ...approved[8].amount, value: '0.00' } }),
    ];
    const { summary, stateDir } = await run([...bad, ...good.slice(12)]);
    expect(summary).toMatchObject({ invalid: 9, failed: 0, pending: 0 });
    const reopened = new EmbeddedRuntime({ stateDir });
    try {
      const letters = reopened.deadLetters.all();
      expect(letters.map((l) => l.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(letters.slice(0, 7).every((l) => l.reason.startsWith('transmittedAt: '))).toBe(true);
      expect(letters.slice(7).every((l) => l.reason.startsWith('zero amount'))).toBe(true);
      expect(await reopened.transactions.listByStatus('FAILED', 10)).toEqual([]);
    } finally {
      reopened.close();
    }
    // nothing was dated from an impossible day
    expect(outboxLines(stateDir).some((line) => /20260230|20261301|99991231|00000101/.test(line))).toBe(false);
  });

  it('counts and keeps every bad line with its line number and reason, and keeps going', async () => {
    const bad = [
      good[0]!,
      'this is not json',
      JSON.stringify({ ...JSON.parse(good[1]!), amount: { value: '12.345', currency: 'GBP' } }),
      JSON.stringify({ ...JSON.parse(good[2]!), stan: undefined }),
      JSON.stringify({ ...JSON.parse(good[3]!), merchant: { ...JSON.parse(good[3]!).merchant, name: `Shop ${pan}` } }),
      JSON.stringify({ ...JSON.parse(good[4]!), panToken: pan }),
      JSON.stringify({ ...JSON.parse(good[5]!), terminalId: '\\u0034111111111111111' }).replace('\\\\u', '\\u'),
      '',
      good[6]!,
    ];
    const { summary, stateDir, runtime } = await run(bad);
    expect(summary.received).toBe(8); // the blank line is not a record
    expect(summary.invalid).toBe(6);
    expect(categoriesSum(summary)).toBe(8);
    const reopened = new EmbeddedRuntime({ stateDir });
    try {
      const letters = reopened.deadLetters.all();
      expect(letters.map((l) => l.position)).toEqual([2, 3, 4, 5, 6, 7]);
      expect(letters[0]!.reason).toMatch(/^not JSON/);
      // The reason names the path and the rule, never the value (README: reasons never show a value).
      expect(letters[1]!.reason).toBe('amount.value: has 3 decimal places; GBP allows 2');
      expect(letters[2]!.reason).toContain('missing required field "stan"');
      expect(letters[3]!.reason).toContain('PAN-like');
      expect(letters[4]!.reason).toContain('PAN-like');
      expect(letters[5]!.reason).toContain('PAN-like');
    } finally {
      reopened.close();
    }
    void runtime;
    // PCI: the PAN digits reached no file in the state directory
    for (const file of allFiles(stateDir)) {
      const content = readFileSync(file);
      expect(content.includes(pan)).toBe(false);
      expect(content.includes('4111 1111')).toBe(false);
    }
  });
});
