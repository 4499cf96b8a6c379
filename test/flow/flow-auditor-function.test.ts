/**
 * The scheduled flow auditor (FLOW-3): over a fault-dropped state it reports the stuck payments,
 * repairs them when configured to, and publishes every figure as one EMF line whose metric names
 * are the ones the alarm watches.
 */
import type { Context } from 'aws-lambda';
import { join } from 'node:path';
import { SqliteFlowFacts } from '../../src/adapters/embedded/flow-facts';
import { EmbeddedRuntime } from '../../src/runtime/embedded-runtime';
import { EmbeddedFlowRepairer } from '../../src/runtime/flow-repair';
import { createFlowAuditorHandler } from '../../functions/flow-auditor/flow-auditor';
import { FLOW_METRICS, FLOW_METRICS_NAMESPACE } from '../../functions/flow-auditor/metrics';
import { tempDir } from '../support/runtime';
import { orderIndependentLines } from './support';

const context = {} as Context;

async function faultedState(): Promise<{ dir: string; dropped: number }> {
  const dir = join(tempDir('ledgerline-flow-fn-'), 'A');
  const runtime = new EmbeddedRuntime({ stateDir: dir, faultDrop: 0.1 });
  try {
    const summary = await runtime.post(orderIndependentLines(400, 9), 'input');
    return { dir, dropped: Object.values(summary.dropped!).reduce((n, c) => n + c, 0) };
  } finally {
    runtime.close();
  }
}

function handlerFor(dir: string, repair: boolean, lines: string[], now = new Date(Date.now() + 60_000)) {
  return createFlowAuditorHandler({
    facts: new SqliteFlowFacts([dir]),
    repairer: new EmbeddedFlowRepairer(),
    clock: { now: () => now },
    config: { stuckAfterMs: 30_000, windowMs: 3_600_000, repair, environment: 'test' },
    emit: (line) => lines.push(line),
  });
}

describe('flow-auditor function', () => {
  it('reports stuck payments without repair, then repairs them, publishing EMF figures', async () => {
    const { dir, dropped } = await faultedState();
    expect(dropped).toBeGreaterThan(5);
    const lines: string[] = [];
    const figures = await handlerFor(dir, false, lines)({}, context);
    expect(figures).toMatchObject({ stuck: dropped, stuckUnrepaired: dropped, repaired: 0, unbalanced: 0 });
    const emf = JSON.parse(lines[0]!);
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe(FLOW_METRICS_NAMESPACE);
    expect(emf._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name).sort()).toEqual(
      Object.values(FLOW_METRICS)
        .map((m) => m.metricName)
        .sort(),
    );
    expect(emf[FLOW_METRICS.stuckUnrepaired.metricName]).toBe(dropped);
    expect(emf.Environment).toBe('test');

    const repaired = await handlerFor(dir, true, lines)({}, context);
    expect(repaired).toMatchObject({ stuck: dropped, stuckUnrepaired: 0, repaired: dropped, unbalanced: 0 });
    expect(JSON.parse(lines[1]!)[FLOW_METRICS.stuckUnrepaired.metricName]).toBe(0);
  }, 120_000);

  it('counts nothing stuck while payments are younger than the threshold or outside the window', async () => {
    const { dir } = await faultedState();
    const lines: string[] = [];
    const young = await handlerFor(dir, false, lines, new Date(Date.now() + 1_000))({}, context);
    expect(young.stuck).toBe(0);
    expect(young.inFlight).toBeGreaterThan(0);
    const later = await handlerFor(dir, false, lines, new Date(Date.now() + 2 * 3_600_000))({}, context);
    expect(later).toMatchObject({ stuck: 0, ingested: 0 });
  }, 120_000);

  it('refuses a window that is not a positive whole number of milliseconds', () => {
    for (const windowMs of [0, -1, 1.5, Number.NaN]) {
      expect(() =>
        createFlowAuditorHandler({ facts: new SqliteFlowFacts([]), clock: { now: () => new Date() }, config: { stuckAfterMs: 0, windowMs, repair: false, environment: 'x' }, emit: () => undefined }),
      ).toThrow(/window .* must be a positive whole number/);
    }
  });
});
