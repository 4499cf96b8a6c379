/**
 * ingest: the EventBridge Pipe's enrichment step between the authorisation table's stream and
 * the bus (FR1). Each new approved authorisation becomes exactly one `payment.authorised`.
 * Domain: src/domain/ingest.ts.
 */
import middy from '@middy/core';
import type { DynamoDBRecord } from 'aws-lambda';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { LedgerEvent } from '../../src/domain/events';
import { authorisedEvent, classifyLine, isApproved } from '../../src/domain/ingest';
import { validateAuthorisation } from '../../schemas';
import type { Clock } from '../../src/ports';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';
import { ITERATOR_AGE_METRIC } from '../../src/lambda/metrics';

export interface IngestDeps {
  clock: Clock;
  logger?: Logger;
  /**
   * Receives the batch's stream iterator age (ms: now - oldest record's creation time). The
   * Pipe publishes no iterator-age metric itself; on AWS this becomes a CloudWatch EMF metric.
   */
  reportIteratorAge?: (ageMs: number) => void;
}

/** CloudWatch embedded-metric-format line for the iterator-age alarm (stacks/observability-stack.ts). */
export function iteratorAgeMetricLine(ageMs: number, at: Date, dimensions: { Environment: string; Pipe: string }): string {
  return JSON.stringify({
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [{ Namespace: ITERATOR_AGE_METRIC.namespace, Dimensions: [['Environment', 'Pipe']], Metrics: [{ Name: ITERATOR_AGE_METRIC.metricName, Unit: ITERATOR_AGE_METRIC.unit }] }],
    },
    ...dimensions,
    [ITERATOR_AGE_METRIC.metricName]: ageMs,
  });
}

export class InvalidAuthorisationRecordError extends Error {
  override name = 'InvalidAuthorisationRecordError';
}

/** Pipe enrichment: a batch of stream records in, the events to put on the bus out. */
export function createIngestHandler(deps: IngestDeps): middy.MiddyfiedHandler<DynamoDBRecord[], LedgerEvent[]> {
  const logger = deps.logger ?? silentLogger;
  return middy<DynamoDBRecord[], LedgerEvent[]>().handler(async function authorisationsToEvents(records) {
    const events: LedgerEvent[] = [];
    const now = deps.clock.now();
    const occurredAt = now.toISOString();
    let oldest = Number.POSITIVE_INFINITY;
    for (const record of records) oldest = Math.min(oldest, (record.dynamodb?.ApproximateCreationDateTime ?? Number.POSITIVE_INFINITY) * 1000);
    if (Number.isFinite(oldest)) deps.reportIteratorAge?.(Math.max(0, now.getTime() - oldest));
    for (const record of records) {
      if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) continue;
      const item = unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>);
      const classified = classifyLine(JSON.stringify(item), validateAuthorisation);
      if (classified.kind === 'invalid') {
        // Fail the batch: the Pipe retries, then parks it on its dead-letter queue. Never dropped.
        logger.error('invalid authorisation record', { sequenceNumber: record.dynamodb.SequenceNumber, reason: classified.reason });
        throw new InvalidAuthorisationRecordError(`authorisation stream record ${record.dynamodb.SequenceNumber ?? '?'}: ${classified.reason}`);
      }
      if (isApproved(classified.authorisation)) events.push(authorisedEvent(classified.authorisation, occurredAt));
    }
    return events;
  });
}
