import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { createIngestHandler } from '../../functions/ingest/ingest';
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

  it('fails the batch on an invalid record (the Pipe retries, then dead-letters it) and never echoes a PAN', async () => {
    const pan = '4111111111111111';
    const error = await handler([streamRecord({ ...authorisation(), panToken: pan }, 'INSERT', '77')], lambdaContext).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('authorisation stream record 77');
    expect((error as Error).message).not.toContain(pan);
  });
});
