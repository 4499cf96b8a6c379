/**
 * FLOW-3 / FLOW-4, generated: for random drop shares, inputs, topologies and batch shapes, a
 * fault-dropped run repaired by the audit converges to the clean run (ledger and posting records),
 * and a repair run twice, and concurrently with a normal run on the same state, posts nothing twice.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { SqliteFlowFacts } from '../../src/adapters/embedded/flow-facts';
import { SqliteLedgerStore } from '../../src/adapters/embedded/ledger-store';
import { EmbeddedRuntime } from '../../src/runtime/embedded-runtime';
import type { RuntimeOptions } from '../../src/runtime/embedded-runtime';
import { EmbeddedFlowRepairer, reemitInRuntime } from '../../src/runtime/flow-repair';
import { runAuditFlow } from '../../src/use-cases/audit-flow/audit-flow';
import { outboxLines, tempDir } from '../support/runtime';
import { orderIndependentLines } from './support';

const clock = { now: () => new Date() };

async function postInto(stateDir: string, lines: readonly string[], options: Omit<RuntimeOptions, 'stateDir'> = {}): Promise<number> {
  const runtime = new EmbeddedRuntime({ ...options, stateDir });
  try {
    const summary = await runtime.post(lines, 'input');
    return Object.values(summary.dropped ?? {}).reduce((n, c) => n + c, 0);
  } finally {
    runtime.close();
  }
}

async function ledgerOf(stateDir: string): Promise<string> {
  const runtime = new EmbeddedRuntime({ stateDir });
  try {
    const balances = await new SqliteLedgerStore(runtime.db).balances();
    const legs = runtime.db.prepare('SELECT leg_id, sequence_id, account_id, direction, amount_minor, currency, value_date FROM ledger_legs ORDER BY leg_id').all();
    return JSON.stringify({ balances: balances.map(({ version: _version, ...balance }) => balance), legs });
  } finally {
    runtime.close();
  }
}

function audit(stateDir: string, repair: boolean) {
  return runAuditFlow({ facts: new SqliteFlowFacts([stateDir]), repairer: new EmbeddedFlowRepairer(), clock }, { window: {}, stuckAfterMs: 0, repair });
}

describe('audit-flow repair converges to the clean run (generated)', () => {
  it('for random drop shares, inputs, topologies and batch shapes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          ratio: fc.double({ min: 0.01, max: 0.6, noNaN: true }),
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          count: fc.integer({ min: 50, max: 300 }),
          topology: fc.constantFrom('fused' as const, 'staged' as const),
          batchSize: fc.integer({ min: 1, max: 120 }),
          waveSize: fc.integer({ min: 7, max: 400 }),
        }),
        async ({ ratio, seed, count, topology, batchSize, waveSize }) => {
          const lines = orderIndependentLines(count, seed);
          const dir = tempDir('ledgerline-flow-prop-');
          const a = join(dir, 'A');
          const b = join(dir, 'B');
          const dropped = await postInto(a, lines, { faultDrop: ratio, topology, batchSize, waveSize });
          await postInto(b, lines, { topology });
          const before = await audit(a, false);
          expect(before.audit.stuck).toHaveLength(dropped);
          expect(before.audit.balanced).toBe(true);
          const repaired = await audit(a, true);
          expect(repaired.unrepaired).toBe(0);
          expect(repaired.balanced).toBe(true);
          expect(await ledgerOf(a)).toBe(await ledgerOf(b));
          expect(outboxLines(a)).toEqual(outboxLines(b));
        },
      ),
      { numRuns: 12 },
    );
  }, 600_000);

  it('a repair run twice and concurrently with a normal run on the same state posts nothing twice', async () => {
    const lines = orderIndependentLines(1200, 77);
    const first = lines.slice(0, 600);
    const second = lines.slice(600);
    const dir = tempDir('ledgerline-flow-conc-');
    const a = join(dir, 'A');
    const b = join(dir, 'B');
    expect(await postInto(a, first, { faultDrop: 0.15, waveSize: 150 })).toBeGreaterThan(20);
    const plan = (await audit(a, false)).audit.stuck.map((payment) => payment.repair);
    expect(plan.length).toBeGreaterThan(20);

    // Repairs start between the normal run's waves (after its 2nd and 4th), and one alongside its start.
    const repairs: Promise<Awaited<ReturnType<typeof reemitInRuntime>>>[] = [];
    const order: string[] = [];
    const runtime: EmbeddedRuntime = new EmbeddedRuntime({
      stateDir: a,
      waveSize: 100,
      onWaveCommitted: ({ waves }) => {
        order.push(`wave ${waves}`);
        if (waves === 2 || waves === 4) repairs.push(reemitInRuntime(runtime, plan).finally(() => order.push(`repair after wave ${waves}`)));
      },
    });
    try {
      repairs.push(reemitInRuntime(runtime, plan));
      const summary = await runtime.post(second, 'input');
      const outcomes = await Promise.all(repairs);
      expect(repairs).toHaveLength(3);
      // The repairs really ran between the normal run's waves.
      expect(order.indexOf('repair after wave 2')).toBeGreaterThan(order.indexOf('wave 2'));
      expect(order.indexOf('repair after wave 2')).toBeLessThan(order.indexOf('wave 4'));
      expect(summary.received).toBe(second.length);
      expect(summary.pending).toBe(0);
      for (const outcome of outcomes) expect(outcome.every((one) => one.outcome === 'reemitted')).toBe(true);
      // And once more after everything settled.
      await reemitInRuntime(runtime, plan);
      const legsPerSequence = runtime.db.prepare('SELECT sequence_id, count(*) AS n FROM ledger_legs GROUP BY sequence_id HAVING n > 6').all();
      expect(legsPerSequence).toEqual([]);
    } finally {
      runtime.close();
    }
    await postInto(b, lines);
    const after = await audit(a, false);
    expect(after.audit.stuck).toEqual([]);
    expect(after.balanced).toBe(true);
    expect(await ledgerOf(a)).toBe(await ledgerOf(b));
    expect(outboxLines(a)).toEqual(outboxLines(b));
  }, 300_000);

  it('cannot rebuild what was never ingested, and says so', async () => {
    const dir = tempDir('ledgerline-flow-unrep-');
    await postInto(dir, orderIndependentLines(20, 3));
    const outcomes = await new EmbeddedFlowRepairer().reemit([{ location: dir, authorizationId: 'AUTH-NEVER-SEEN', transactionId: 'TX', eventId: 'E' }]);
    expect(outcomes).toEqual([{ authorizationId: 'AUTH-NEVER-SEEN', outcome: 'unrepairable', reason: 'authorisation AUTH-NEVER-SEEN was never ingested into this state' }]);
  });
});
