import { EventBridgeClient, EventBridgeServiceException, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { chunkEntries, EventBridgePublisher, MAX_PUT_BYTES } from '../../../src/adapters/aws/event-publisher';
import type { LedgerEvent } from '../../../src/domain/events';
import { correlationIdFor, EventTypes, nextEvent } from '../../../src/domain/events';
import { matchingRoutes, routesFor, stageFor } from '../../../src/routes';
import { TransientStoreError } from '../../../src/ports';
import { TEST_AWS } from './support/dynalite';

const client = new EventBridgeClient(TEST_AWS);
const mock = mockClient(client);

afterEach(() => mock.reset());
afterAll(() => mock.restore());

function completed(i: number): LedgerEvent {
  return nextEvent(
    { id: `cause-${i}`, correlationId: correlationIdFor(`AUTH-${i}`) },
    EventTypes.postingCompleted,
    'ledgerline.assembler',
    { sequenceId: `seq-${i}`, authorizationId: `AUTH-${i}`, legCount: 2, postingRecordId: `rec-${i}` },
    '2025-06-01T10:00:00.000Z',
  );
}

const publisher = () => new EventBridgePublisher({ client, busName: 'dev-ledgerline', retryBaseDelayMs: 0 });
const sentEntries = () => mock.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);

describe('EventBridgePublisher', () => {
  it('sends Source, DetailType and the whole envelope as Detail, in chunks of 10', async () => {
    mock.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `id-${i}` })),
    }));
    const events = Array.from({ length: 23 }, (_, i) => completed(i));
    await publisher().publish(events);
    const calls = sentEntries();
    expect(calls.map((entries) => entries.length)).toEqual([10, 10, 3]);
    const first = calls[0]![0]!;
    expect(first).toEqual({
      EventBusName: 'dev-ledgerline',
      Source: 'ledgerline.assembler',
      DetailType: 'posting.completed',
      Detail: JSON.stringify(events[0]),
    });
    expect(calls.flat().map((entry) => JSON.parse(entry.Detail!).id)).toEqual(events.map((event) => event.id));
  });

  it('produces what the routes match on (detail-type + detail = envelope)', () => {
    const event = nextEvent(
      { id: 'c', correlationId: 'corr' },
      EventTypes.rulesDecided,
      'ledgerline.rules',
      { decision: { outcome: 'approve', firedRules: [], ruleSetId: 'r', ruleSetVersion: '1', velocityCount: 1 } } as never,
      '2025-06-01T10:00:00.000Z',
    );
    const entry = publisher().toEntry(event);
    const busEvent = { source: entry.Source!, 'detail-type': entry.DetailType!, detail: JSON.parse(entry.Detail!) };
    // Fused (the default) a re-driven approval lands on the hot path; staged, on posting's own route.
    expect(matchingRoutes(busEvent).map((route) => route.name)).toEqual(['payments-to-hot-path']);
    expect(matchingRoutes(busEvent, routesFor('staged')).map((route) => route.name)).toEqual(['approved-to-posting']);
    expect(stageFor(busEvent)).toBe('posting');
  });

  it('does nothing for no events', async () => {
    await publisher().publish([]);
    expect(mock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('retries only the failed entries', async () => {
    let call = 0;
    mock.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
      call += 1;
      // First call: entries 1 and 3 fail; second call: everything succeeds.
      const failing = call === 1 ? new Set([1, 3]) : new Set<number>();
      return {
        FailedEntryCount: failing.size,
        Entries: input.Entries.map((_, i) => (failing.has(i) ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : { EventId: `ok-${call}-${i}` })),
      };
    });
    const events = Array.from({ length: 5 }, (_, i) => completed(i));
    await publisher().publish(events);
    const calls = sentEntries();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.map((entry) => JSON.parse(entry.Detail!).id)).toEqual([events[1]!.id, events[3]!.id]);
  });

  it('throws TransientStoreError when entries keep failing', async () => {
    mock.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: 1,
      Entries: input.Entries.map((_, i) => (i === 0 ? { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' } : { EventId: 'x' })),
    }));
    const error = await publisher()
      .publish([completed(1), completed(2)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientStoreError);
    expect((error as Error).message).toMatch(/1 of 2 events still failing after 4 attempts.*InternalFailure/);
    expect(mock.commandCalls(PutEventsCommand)).toHaveLength(4);
  });

  it.each([
    ['ThrottlingException', 400],
    ['InternalException', 500],
    ['ServiceUnavailable', 503],
  ])('maps a %s call failure to TransientStoreError', async (name, status) => {
    mock.on(PutEventsCommand).rejects(new EventBridgeServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name }));
    await expect(publisher().publish([completed(1)])).rejects.toBeInstanceOf(TransientStoreError);
  });

  it('splits by request size as well as by count, and refuses an event over the limit', () => {
    const entry = (bytes: number): PutEventsRequestEntry => ({ Source: 's', DetailType: 't', Detail: 'x'.repeat(bytes) });
    const chunks = chunkEntries([entry(100_000), entry(100_000), entry(100_000), entry(10)]);
    expect(chunks.map((chunk) => chunk.length)).toEqual([2, 2]);
    expect(() => chunkEntries([entry(MAX_PUT_BYTES)])).toThrow(/exceeds the EventBridge limit/);
  });
});
