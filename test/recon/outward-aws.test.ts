/**
 * NOTIFY-1, REC-1 on AWS: summarise prepares the run's reconciliation.completed events (before its
 * registry commit); RaiseCases (importCasesStep) publishes them once the run is committed and
 * loaded. A publish that fails (the bus refusing, a crash mid-way) fails the step with
 * TransientStoreError, which the state machine retries: the retry imports nothing twice and
 * publishes the same events, so the bus carries one id per account of the run, every one of them.
 * A prepared object that is not the run's events is refused naming it.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { DynamoWorkbenchStore } from '../../src/adapters/aws/dynamo-workbench-store';
import { EventBridgeOutwardPublisher } from '../../src/adapters/aws/notify-outward';
import { TransientStoreError } from '../../src/ports';
import { importCasesStep, matchStep, normaliseStep, runOutwardEventsKey, summariseStep, type RunConfig } from '../../src/recon/run/aws/steps';
import type { OutwardEvent } from '../../src/notify/outward';
import { validateEvent } from '../../schemas';
import { NOTIFY_ACCEPTS } from '../../functions/notify/notify';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { tempDir } from '../support/runtime';
import { FakeWorkbenchTable } from '../adapters/aws/support/fake-workbench-table';
import { BAI2, LEDGER_HEADER, LEDGER_ROWS } from './run/helpers';
import { FakeS3 } from './aws/fake-s3';

const INGEST = 'ledgerline-test-ingest';
const ANALYTICS = 'ledgerline-test-analytics';
const RUN = 'recon-outward-run-1';
const NOW = new Date('2026-01-01T00:00:00Z');

/** An EventBridge client whose PutEvents refuses the entries `refuse` says no to (a throttled bus). */
function bus(refuse: (call: number) => boolean) {
  const accepted: OutwardEvent[] = [];
  let calls = 0;
  const client = {
    send: async (command: { input: { Entries: { Detail: string; EventBusName: string }[] } }) => {
      calls += 1;
      if (refuse(calls)) return { FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] };
      for (const entry of command.input.Entries) accepted.push(JSON.parse(entry.Detail) as OutwardEvent);
      return { FailedEntryCount: 0, Entries: command.input.Entries.map((_, i) => ({ EventId: `eb-${calls}-${i}` })) };
    },
  } as unknown as EventBridgeClient;
  return { accepted, publisher: new EventBridgeOutwardPublisher({ client, busName: 'ledgerline-test-bus' }) };
}

describe('the AWS run is announced once it is committed, never lost', () => {
  const s3 = new FakeS3();
  const ctx = { s3: s3.client, tmpDir: tempDir('recon-outward-aws-'), now: () => NOW };
  const config: RunConfig = { ruleSet: 'default', ledger: { bucket: INGEST, key: 'ledger/export.csv' } };
  let prepared: OutwardEvent[];
  let accounts: string[];

  beforeAll(async () => {
    s3.put(INGEST, 'ledger/export.csv', `${LEDGER_HEADER}\n${LEDGER_ROWS.join('\n')}\n`);
    s3.put(INGEST, 'incoming/statements/bai2.txt', readFileSync(BAI2));
    const normalised = await normaliseStep(ctx, { bucket: INGEST, key: 'incoming/statements/bai2.txt', versionId: 'v1', runId: RUN, analyticsBucket: ANALYTICS, config });
    for (const partition of normalised.partitions) await matchStep(ctx, { runId: RUN, analyticsBucket: ANALYTICS, config, partition });
    await summariseStep(ctx, { runId: RUN, analyticsBucket: ANALYTICS, config });
    prepared = JSON.parse(s3.text(ANALYTICS, runOutwardEventsKey(RUN))!) as OutwardEvent[];
    const ndjson = s3.text(ANALYTICS, `${normalised.statementLinesPrefix}part-00000.ndjson`)!.trimEnd().split('\n');
    accounts = [...new Set(ndjson.map((text) => JSON.parse(text) as { accountId: string; currency: string }).map((line) => `${line.accountId}/${line.currency}`))].sort();
  });

  it('summarise prepares one valid reconciliation.completed per statement account and currency of the run', () => {
    expect(prepared.map((event) => (event.type === 'reconciliation.completed' ? `${event.data.accountId}/${event.data.unmatchedTotal.currency}` : event.type)).sort()).toEqual(accounts);
    for (const event of prepared) {
      expect(() => validateEvent(event, NOTIFY_ACCEPTS)).not.toThrow();
      expect(event).toMatchObject({ type: 'reconciliation.completed', occurredAt: NOW.toISOString(), data: { runId: RUN } });
    }
  });

  it('a refused publish fails RaiseCases with TransientStoreError; the retries publish every event, each id the same', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: prepared.length + 2, maxLength: prepared.length + 6 }), async (refusals) => {
        const table = new FakeWorkbenchTable();
        try {
          const store = new DynamoWorkbenchStore({ client: table.client, tableName: 'test-workbench' });
          const { accepted, publisher } = bus((call) => refusals[call - 1] ?? false);
          let attempts = 0;
          // The state machine's Retry on TransientStoreError (here: until it succeeds).
          for (;;) {
            attempts += 1;
            const outcome = await importCasesStep({ s3: s3.client, store, outward: publisher }, { runId: RUN, analyticsBucket: ANALYTICS }).then(
              (value) => value,
              (error: unknown) => {
                expect(error).toBeInstanceOf(TransientStoreError);
                expect((error as Error).message).toMatch(/reconciliation\.completed \S+ was not accepted \(ThrottlingException Rate exceeded\)/);
                return undefined;
              },
            );
            if (outcome) {
              expect(outcome.alreadyImported).toBe(attempts > 1);
              break;
            }
          }
          expect(attempts).toBeGreaterThanOrEqual(1);
          expect([...new Set(accepted.map((event) => event.id))].sort()).toEqual(prepared.map((event) => event.id).sort());
          // Whatever was published more than once is the same event, whole.
          for (const event of accepted) expect(event).toEqual(prepared.find((candidate) => candidate.id === event.id));
        } finally {
          table.mock.restore();
        }
      }),
      { numRuns: fuzzRuns(10), seed: fuzzSeed(7_304) },
    );
  });

  it('a run without a prepared announcement (summarised before announcements) publishes nothing; a prepared object of another shape is refused, naming it', async () => {
    const table = new FakeWorkbenchTable();
    try {
      const store = new DynamoWorkbenchStore({ client: table.client, tableName: 'test-workbench' });
      const { accepted, publisher } = bus(() => false);
      const original = s3.text(ANALYTICS, runOutwardEventsKey(RUN))!;
      for (const [body, fault] of [
        ['{"not":"a list"}', /not a list of events/],
        [JSON.stringify([{ ...prepared[0], data: { ...prepared[0]!.data, runId: 'another-run' } }]), /item 0 is not a reconciliation\.completed event of run recon-outward-run-1/],
        [JSON.stringify([{ type: 'workbench.write-off-approved', id: 'x' }]), /item 0 is not a reconciliation\.completed event/],
        ['[null]', /item 0 is not/],
      ] as const) {
        s3.put(ANALYTICS, runOutwardEventsKey(RUN), body);
        await expect(importCasesStep({ s3: s3.client, store, outward: publisher }, { runId: RUN, analyticsBucket: ANALYTICS })).rejects.toThrow(fault);
        await expect(importCasesStep({ s3: s3.client, store, outward: publisher }, { runId: RUN, analyticsBucket: ANALYTICS })).rejects.toThrow(`s3://${ANALYTICS}/${runOutwardEventsKey(RUN)}`);
      }
      expect(accepted).toEqual([]);
      s3.objects.delete(`${ANALYTICS}/${runOutwardEventsKey(RUN)}`);
      await expect(importCasesStep({ s3: s3.client, store, outward: publisher }, { runId: RUN, analyticsBucket: ANALYTICS })).resolves.toMatchObject({ runId: RUN });
      expect(accepted).toEqual([]);
      s3.put(ANALYTICS, runOutwardEventsKey(RUN), original);
    } finally {
      table.mock.restore();
    }
  });
});
