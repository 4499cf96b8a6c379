import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { createIngestHandler, iteratorAgeMetricLine } from '../../functions/ingest/ingest';
import { validateEvent } from '../../schemas';
import { authorisation, fixedClock, lambdaContext } from '../support/builders';

function streamRecord(item: object, eventName: 'INSERT' | 'MODIFY' = 'INSERT', sequence = '1'): DynamoDBRecord {
  return { eventName, dynamodb: { SequenceNumber: sequence, NewImage: marshall(item, { removeUndefinedValues: true }) as never } };
}

describe('ingest handler (FR1: the Pipe enrichment from the authorisation table stream)', () => {
  const handler = createIngestHandler({ clock: fixedClock });

  it('emits exactly one post-authorisation event per new approved authorisation', async () => {
    const events = await handler(
      [
        streamRecord(authorisation({ authorizationId: 'A1' })),
        streamRecord(authorisation({ authorizationId: 'A2', responseCode: '51' })),
        streamRecord(authorisation({ authorizationId: 'A1' }), 'MODIFY'),
        streamRecord(authorisation({ authorizationId: 'A3' })),
      ],
      lambdaContext,
    );
    expect(events.map((e) => e.data)).toEqual([{ authorisation: expect.objectContaining({ authorizationId: 'A1' }) }, { authorisation: expect.objectContaining({ authorizationId: 'A3' }) }]);
    events.forEach((e) => validateEvent(e, 'payment.authorised'));
    const again = await handler([streamRecord(authorisation({ authorizationId: 'A1' }))], lambdaContext);
    expect(again[0]!.id).toBe(events[0]!.id);
    expect(again[0]!.correlationId).toBe(events[0]!.correlationId);
  });

  it('reports the stream iterator age of each batch as a CloudWatch EMF metric', async () => {
    const ages: number[] = [];
    const timed = createIngestHandler({ clock: fixedClock, reportIteratorAge: (age) => ages.push(age) });
    const created = fixedClock.now().getTime() / 1000 - 42;
    const record = { ...streamRecord(authorisation()), dynamodb: { ...streamRecord(authorisation()).dynamodb, ApproximateCreationDateTime: created } };
    await timed([record], lambdaContext);
    expect(ages).toEqual([42_000]);
    const line = JSON.parse(iteratorAgeMetricLine(42_000, fixedClock.now(), { Environment: 'dev', Pipe: 'dev-authorisations' }));
    expect(line._aws.CloudWatchMetrics[0]).toEqual({ Namespace: 'Ledgerline', Dimensions: [['Environment', 'Pipe']], Metrics: [{ Name: 'AuthorisationStreamIteratorAge', Unit: 'Milliseconds' }] });
    expect(line).toMatchObject({ Environment: 'dev', Pipe: 'dev-authorisations', AuthorisationStreamIteratorAge: 42_000 });
  });

  it('fails the batch on an invalid record (the Pipe retries, then dead-letters it) and never echoes a PAN', async () => {
    const pan = '4111111111111111';
    const error = await handler([streamRecord({ ...authorisation(), panToken: pan }, 'INSERT', '77')], lambdaContext).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('authorisation stream record 77');
    expect((error as Error).message).not.toContain(pan);
  });
});
