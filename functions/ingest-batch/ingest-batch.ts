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
import type { Authorisation, LedgerEvent } from '../../src/domain/events';
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

/** Where each ingestion is recorded for the flow audit (FLOW-1): src/adapters/aws/flow-facts.ts on AWS. */
export interface IngestionJournal {
  recordIngested(authorisation: Authorisation, ingestedAt: string): Promise<void>;
}

/**
 * What invokes the function: an S3 notification (`Records`) or, as deployed, the EventBridge
 * "Object Created" event the ingest bucket sends to the default bus (a rule on the batch prefix).
 */
export type IngestBatchEvent = S3Event | { source: 'aws.s3'; 'detail-type': 'Object Created'; detail: { bucket: { name: string }; object: { key: string } } };

/** The files an event names. S3 notification keys are URL-encoded ("+" = space); EventBridge keys are not. */
export function batchFiles(event: IngestBatchEvent): { bucket: string; key: string }[] {
  if ('Records' in event && Array.isArray(event.Records)) {
    return event.Records.map((record) => ({ bucket: record.s3.bucket.name, key: decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')) }));
  }
  const candidate = event as { source?: unknown; 'detail-type'?: unknown; detail?: { bucket?: { name?: unknown }; object?: { key?: unknown } } };
  const bucket = candidate.detail?.bucket?.name;
  const key = candidate.detail?.object?.key;
  if (candidate.source === 'aws.s3' && candidate['detail-type'] === 'Object Created' && typeof bucket === 'string' && typeof key === 'string') return [{ bucket, key }];
  throw new TypeError(`ingest-batch: expected an S3 notification with Records or an EventBridge "Object Created" event from aws.s3, got ${JSON.stringify(event).slice(0, 200)}`);
}

export interface IngestBatchDeps {
  source: SourceSettings;
  /** When given, each valid authorisation of a chunk is recorded as ingested before the chunk enters the hot path. */
  journal?: IngestionJournal;
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

/** Journal puts in flight at once. */
const JOURNAL_CONCURRENCY = 25;

export function createIngestBatchHandler(deps: IngestBatchDeps): middy.MiddyfiedHandler<IngestBatchEvent, IngestBatchResult> {
  const logger = deps.logger ?? silentLogger;
  const chunkSize = deps.source.batchSize;
  const journal = deps.journal;
  return middy<IngestBatchEvent, IngestBatchResult>().handler(async function ingestBatch(event) {
    const result: IngestBatchResult = { files: [] };
    for (const { bucket, key } of batchFiles(event)) {
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
        const ingested: Authorisation[] = [];
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
          ingested.push(classified.authorisation);
          if (!isApproved(classified.authorisation)) {
            summary.notApproved += 1;
            return;
          }
          events.push(authorisedEvent(classified.authorisation, occurredAt));
        });
        // FLOW-1: the chunk's ingestions are recorded before it enters the hot path (a re-run keeps the first record).
        if (journal) {
          for (let at = 0; at < ingested.length; at += JOURNAL_CONCURRENCY) {
            await Promise.all(ingested.slice(at, at + JOURNAL_CONCURRENCY).map((authorisation) => journal.recordIngested(authorisation, occurredAt)));
          }
        }
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
