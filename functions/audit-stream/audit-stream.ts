/**
 * audit-stream: DynamoDB Streams of the ledger, transactions and workbench tables → the audit
 * trail in Aurora PostgreSQL (AUDIT-1), through the copy-audit use case and the PostgreSQL audit
 * store. Partial batch failures (ReportBatchItemFailures): a record that cannot be read, or whose
 * partition could not be appended, is returned by its stream sequence number; Lambda re-delivers
 * from the lowest one, and what is re-delivered that was stored already is a no-op (idempotent by
 * source id). Nothing is dropped: a record that keeps failing goes to the event source mapping's
 * on-failure destination after its retries.
 */
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { AuditTrailStore } from '../../src/ports/audit-trail';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';
import { type BatchItem, copyBatch } from '../../src/use-cases/copy-audit/copy-audit';
import { type AuditedTables, auditRecordOfStream } from './decode';

export interface AuditStreamDeps {
  /** The store (opened once per container: the connection outlives an invocation). */
  store: () => Promise<AuditTrailStore>;
  tables: AuditedTables;
  logger?: Logger;
}

export function createAuditStreamHandler(deps: AuditStreamDeps): middy.MiddyfiedHandler<DynamoDBStreamEvent, DynamoDBBatchResponse> {
  const logger = deps.logger ?? silentLogger;
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>().handler(async function copyStreamToAudit(event) {
    const items: BatchItem[] = event.Records.map((record, index) => {
      const itemId = record.dynamodb?.SequenceNumber ?? `#${index}`;
      try {
        const audited = auditRecordOfStream(record, deps.tables);
        return audited ? { itemId, record: audited } : { itemId, skipped: true as const };
      } catch (error) {
        return { itemId, error: error as Error };
      }
    });
    let result;
    try {
      result = await copyBatch(await deps.store(), items);
    } catch (error) {
      // The store could not be reached at all: the whole batch is delivered again.
      logger.error('audit store unavailable', { records: items.length, reason: (error as Error).message });
      return { batchItemFailures: items.map((item) => ({ itemIdentifier: item.itemId })) };
    }
    for (const failure of result.failed) logger.error('audit record not copied', { sequenceNumber: failure.itemId, reason: failure.reason });
    logger.info('audit batch copied', { records: items.length, appended: result.appended, duplicates: result.duplicates, skipped: result.skipped, failed: result.failed.length });
    return { batchItemFailures: result.failed.map((failure) => ({ itemIdentifier: failure.itemId })) };
  });
}
