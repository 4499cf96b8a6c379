/**
 * ingest-batch: batch mode on AWS (MODE-2, FR11). An NDJSON file of authorisations lands in the
 * ingest bucket; its S3 event invokes this function, which posts the file in chunks of the batch
 * source's size (config/sources.json) through the same fused hot path as every other mode
 * (src/use-cases/hot-path/run-hot-path.ts over the same stages), exactly once per file:
 * - the file's content hash (SHA-256) is recorded with its summary (FileRegistry); a file whose
 *   content was posted before posts nothing and its summary says so;
 * - a crash mid-file (the invocation is retried) re-runs the file: every chunk already posted is a
 *   re-delivery to every stage (dedup knows its event id, the ledger its sequence), so nothing is
 *   posted twice, and the file's record counts the attempts.
 * A chunk that fails in the hot path fails the invocation (retried; then its async dead-letter
 * queue), never skipped. Invalid lines are counted with their line number and reason (no card
 * number: classifyLine redacts).
 */
import { createHash } from 'node:crypto';
import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import type { LedgerEvent } from '../../src/domain/events';
import { authorisedEvent, classifyLine, isApproved, withoutByteOrderMark } from '../../src/domain/ingest';
import { validateAuthorisation } from '../../schemas';
import type { Clock, EventPublisher } from '../../src/ports';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';
import { createHotPath, type HotPathStages } from '../../src/use-cases/hot-path/run-hot-path';
import type { SourceSettings } from '../../src/modes/source-config';

export interface BatchFileSummary {
  received: number;
  invalid: number;
  notApproved: number;
  duplicates: number;
  rejected: number;
  declined: number;
  review: number;
  posted: number;
  failed: number;
  chunks: number;
  /** Line number and reason of each invalid line (at most the first 100). */
  invalidLines: { line: number; reason: string }[];
}

export interface BatchFileRecord {
  contentHash: string;
  bucket: string;
  key: string;
  status: 'posting' | 'posted';
  attempts: number;
  summary?: BatchFileSummary;
}

/** Where each file's content hash and summary are recorded (MODE-2). */
export interface FileRegistry {
  lookup(contentHash: string): Promise<BatchFileRecord | undefined>;
  /** Records a new attempt at posting the content (creating the record on the first). */
  start(contentHash: string, bucket: string, key: string): Promise<BatchFileRecord>;
  finish(contentHash: string, summary: BatchFileSummary): Promise<void>;
}

export interface IngestBatchDeps {
  source: SourceSettings;
  /** The object's bytes (the file is read whole: files are bounded by the function's memory and timeout). */
  readObject(bucket: string, key: string): Promise<Buffer>;
  registry: FileRegistry;
  stages: HotPathStages;
  publisher: EventPublisher;
  clock: Clock;
  logger?: Logger;
}

export interface IngestBatchResult {
  files: ({ bucket: string; key: string; contentHash: string } & ({ outcome: 'posted'; attempts: number; summary: BatchFileSummary } | { outcome: 'already-posted'; summary?: BatchFileSummary }))[];
}

export class BatchChunkFailedError extends Error {
  override name = 'BatchChunkFailedError';
}

function emptySummary(): BatchFileSummary {
  return { received: 0, invalid: 0, notApproved: 0, duplicates: 0, rejected: 0, declined: 0, review: 0, posted: 0, failed: 0, chunks: 0, invalidLines: [] };
}

function tally(summary: BatchFileSummary, events: readonly LedgerEvent[]): void {
  for (const event of events) {
    if (event.type === 'payment.duplicate-parked') summary.duplicates += 1;
    else if (event.type === 'payment.rejected') summary.rejected += 1;
    else if (event.type === 'payment.rules-decided' && event.data.decision.outcome === 'decline') summary.declined += 1;
    else if (event.type === 'payment.rules-decided' && event.data.decision.outcome === 'review') summary.review += 1;
    else if (event.type === 'posting.completed') summary.posted += 1;
    else if (event.type === 'posting.failed') summary.failed += 1;
  }
}

export function createIngestBatchHandler(deps: IngestBatchDeps): middy.MiddyfiedHandler<S3Event, IngestBatchResult> {
  const logger = deps.logger ?? silentLogger;
  const chunkSize = deps.source.batchSize;
  return middy<S3Event, IngestBatchResult>().handler(async function ingestBatch(event) {
    const result: IngestBatchResult = { files: [] };
    for (const record of event.Records) {
      const bucket = record.s3.bucket.name;
      const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
      const bytes = await deps.readObject(bucket, key);
      const contentHash = createHash('sha256').update(bytes).digest('hex');
      const known = await deps.registry.lookup(contentHash);
      if (known?.status === 'posted') {
        logger.info('batch file already posted: nothing posted', { bucket, key, contentHash, firstKey: known.key });
        result.files.push({ bucket, key, contentHash, outcome: 'already-posted', ...(known.summary ? { summary: known.summary } : {}) });
        continue;
      }
      const attempt = await deps.registry.start(contentHash, bucket, key);
      const summary = emptySummary();
      const published: LedgerEvent[] = [];
      const publisher: EventPublisher = {
        publish: async (events) => {
          await deps.publisher.publish(events);
          published.push(...events);
        },
      };
      const run = createHotPath({ stages: deps.stages, publisher });
      const lines = bytes.toString('utf8').split('\n');
      for (let start = 0; start < lines.length; start += chunkSize) {
        const events: LedgerEvent[] = [];
        const occurredAt = deps.clock.now().toISOString();
        lines.slice(start, start + chunkSize).forEach((raw, offset) => {
          const lineNo = start + offset + 1;
          let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
          if (lineNo === 1) text = withoutByteOrderMark(text);
          if (text.trim() === '') return;
          summary.received += 1;
          const classified = classifyLine(text, validateAuthorisation);
          if (classified.kind === 'invalid') {
            summary.invalid += 1;
            if (summary.invalidLines.length < 100) summary.invalidLines.push({ line: lineNo, reason: classified.reason });
            return;
          }
          if (!isApproved(classified.authorisation)) {
            summary.notApproved += 1;
            return;
          }
          events.push(authorisedEvent(classified.authorisation, occurredAt));
        });
        if (events.length === 0) continue;
        published.length = 0;
        const failures = await run(events);
        const failed = failures.findIndex((failure) => failure !== undefined);
        if (failed !== -1) {
          throw new BatchChunkFailedError(`s3://${bucket}/${key}: chunk from line ${start + 1}: ${failures[failed]!.message} (the retry posts nothing twice)`);
        }
        tally(summary, published);
        summary.chunks += 1;
        logger.info('batch chunk posted', { bucket, key, chunk: summary.chunks, lines: Math.min(lines.length, start + chunkSize) });
      }
      await deps.registry.finish(contentHash, summary);
      logger.info('batch file posted', { bucket, key, contentHash, attempts: attempt.attempts, ...summary, invalidLines: summary.invalidLines.length });
      result.files.push({ bucket, key, contentHash, outcome: 'posted', attempts: attempt.attempts, summary });
    }
    return result;
  });
}
