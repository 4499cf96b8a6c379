/**
 * The AWS flow facts (FLOW-1..3): the flow journal the deployed functions write beside the
 * stages' own tables, the reader that turns the tables into per-payment facts, and the repairer
 * that puts a stuck payment's `payment.authorised` event back on the bus. The embedded twin is
 * src/adapters/embedded/flow-facts.ts; both pass test/flow/flow-facts.contract.ts.
 *
 * Where each fact is read (the store the stage writes, never an event):
 * - ingested: the authorisations table (the near-real-time intake: its stream feeds the Pipe; the
 *   item's transmission time stands for its ingestion) and the journal's `FLOW#INGESTED#` items in
 *   the rules-state table (real-time and batch modes, which do not go through that table), read by
 *   their time-partitioned keys (an approved one is also kept as `FLOW#PAYMENT#<authorizationId>`,
 *   which the notifier reads by id: src/adapters/aws/notify-directory.ts DynamoPaymentFacts);
 * - dedup: the claim of the payment's business key held by its own authorisation (unique), or its
 *   parked duplicate under the ingest bucket's parked prefix (duplicate);
 * - rejected: the journal's `FLOW#REJECTED#<correlationId>` (written by enrich);
 * - decision: the rules-state table's `DECISION#<correlationId>`;
 * - legs: the ledger's journal item `SEQ#<sequenceId>`;
 * - record: the journal's `FLOW#RECORD#<sequenceId>` (written after the outbox object);
 * - transaction: the transaction-state item of the correlation id.
 * Orphans (facts naming no ingested payment) need whole-table scans of every stage table; the
 * AWS reader reports none (the embedded reader does).
 */
import { randomUUID } from 'node:crypto';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetItemCommand, PutItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Authorisation, LedgerEvent } from '../../domain/events';
import { correlationIdFor, deterministicId, EventTypes } from '../../domain/events';
import { authorisedEvent, classifyLine, isApproved } from '../../domain/ingest';
import { validateAuthorisation } from '../../../schemas';
import { businessKey } from '../../domain/dedup';
import { sequenceIdFor } from '../../domain/posting';
import { authorisedEventId, plannedReemits } from '../../domain/flow-audit';
import type { EventPublisher, PostingRecord, TransactionStatus } from '../../ports';
import type { FlowFacts, FlowFactsReader, FlowRepairer, FlowWindow, PaymentFlowFacts, RepairOutcome, RepairRequest } from '../../ports/flow';
import { awsCall, backoffMs, errorName, sleep, stableHash } from './errors';
import { FLOW_KEYS, LEDGER_KEYS, RULES_STATE_KEYS, TABLES } from './tables';

const TX_KEY = TABLES.transactions.partitionKey.name;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET = 100;
/** Journal puts in flight at once. */
const PUT_CONCURRENCY = 25;
const MAX_BATCH_ROUNDS = 8;
/** Journal partitions queried at once. */
const QUERY_CONCURRENCY = 16;

export interface FlowJournalTables {
  client: DynamoDBClient;
  /** Where the rejection and posting-record markers live (tables.ts FLOW_KEYS). */
  transactionsTable: string;
  /** Where the ingestions live (tables.ts FLOW_KEYS); only the real-time and batch modes write them. */
  rulesStateTable?: string;
}

/** The journal's writes. Each is idempotent: the first ingestion of an authorisation is kept. */
export class DynamoFlowJournal {
  constructor(private readonly options: FlowJournalTables) {}

  /** Records an authorisation ingested by the real-time or batch mode (before it enters the hot path). */
  async recordIngested(authorisation: Authorisation, ingestedAt: string): Promise<void> {
    const table = this.options.rulesStateTable;
    if (!table) throw new Error('flow journal: recording an ingestion needs the rules-state table (RULES_STATE_TABLE)');
    const approved = isApproved(authorisation);
    const at = Date.parse(ingestedAt);
    if (!Number.isFinite(at)) throw new RangeError(`flow journal: ingestion time "${ingestedAt}" of authorisation ${authorisation.authorizationId} is not an ISO 8601 time`);
    const iso = new Date(at).toISOString();
    const item: Record<string, AttributeValue> = {
      pk: { S: FLOW_KEYS.ingestedPartition(iso, stableHash(authorisation.authorizationId) % FLOW_KEYS.ingestedBuckets) },
      sk: { S: FLOW_KEYS.ingestedSort(iso, authorisation.authorizationId) },
      kind: { S: 'ingested' },
      authorizationId: { S: authorisation.authorizationId },
      correlationId: { S: correlationIdFor(authorisation.authorizationId, authorisation.transmittedAt) },
      amount: { S: authorisation.amount.value },
      currency: { S: authorisation.amount.currency },
      approved: { BOOL: approved },
      ingestedAt: { S: iso },
      expiresAt: { N: String(Math.floor(at / 1000) + FLOW_KEYS.ingestedRetentionDays * 86_400) },
      // Only what enters the hot path can need its event rebuilt (FLOW-3); card token only (PCI-3).
      ...(approved ? { authorisation: { S: JSON.stringify(authorisation) } } : {}),
    };
    const writes = [this.putOnce(table, 'pk', item, `flow journal: ingestion of authorisation ${authorisation.authorizationId}`)];
    // NOTIFY-2: an approved authorisation is also findable by its id (the notifier's payment facts;
    // these modes never write the authorisations table). Same first-write-wins, same TTL.
    if (approved)
      writes.push(
        this.putOnce(
          table,
          'pk',
          {
            pk: { S: FLOW_KEYS.payment(authorisation.authorizationId) },
            sk: { S: FLOW_KEYS.paymentSort },
            kind: { S: 'payment' },
            authorizationId: { S: authorisation.authorizationId },
            [FLOW_KEYS.paymentAttribute]: { S: JSON.stringify(authorisation) },
            ingestedAt: { S: iso },
            expiresAt: item.expiresAt!,
          },
          `flow journal: payment of authorisation ${authorisation.authorizationId}`,
        ),
      );
    await Promise.all(writes);
  }

  /**
   * Claims the one answer of an authorisation in the real-time mode (MODE-4): true for the first
   * call that settles it, false for every later one (a repeat, answered as a duplicate as the
   * embedded mode answers it). Claimed only after the payment settled, so a call that failed before
   * answering leaves nothing claimed and its retry is answered as the first. The claim carries a
   * random token: when a retried put meets the claim its own lost response made, the token read back
   * says it is still this call's.
   */
  async claimAnswer(authorizationId: string, answeredAt: string): Promise<boolean> {
    const token = randomUUID();
    const table = this.options.rulesStateTable;
    if (!table) throw new Error('flow journal: claiming an answer needs the rules-state table (RULES_STATE_TABLE)');
    const at = Date.parse(answeredAt);
    if (!Number.isFinite(at)) throw new RangeError(`flow journal: answer time "${answeredAt}" of authorisation ${authorizationId} is not an ISO 8601 time`);
    try {
      await awsCall(`flow journal: answer of authorisation ${authorizationId}`, () =>
        this.options.client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: { S: FLOW_KEYS.answered(authorizationId) },
              sk: { S: FLOW_KEYS.answeredSort },
              kind: { S: 'answered' },
              token: { S: token },
              answeredAt: { S: new Date(at).toISOString() },
              expiresAt: { N: String(Math.floor(at / 1000) + FLOW_KEYS.ingestedRetentionDays * 86_400) },
            },
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return true;
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
      const old = (error as { Item?: Record<string, AttributeValue> }).Item;
      return old?.token?.S === token;
    }
  }

  /** Records enrichment's rejection of a payment (the `payment.rejected` event it emitted). */
  async recordRejected(event: LedgerEvent): Promise<void> {
    if (event.type !== EventTypes.rejected) return;
    const data = event.data as { authorisation: { authorizationId: string }; reason: string };
    await this.putOnce(
      this.options.transactionsTable,
      TX_KEY,
      {
        [TX_KEY]: { S: FLOW_KEYS.rejected(event.correlationId) },
        kind: { S: 'rejected' },
        authorizationId: { S: data.authorisation.authorizationId },
        correlationId: { S: event.correlationId },
        reason: { S: String(data.reason).slice(0, 500) },
      },
      `flow journal: rejection of transaction ${event.correlationId}`,
    );
  }

  /**
   * Records that these sequences' posting records are in the outbox (call after the outbox
   * write). One PutItem per sequence (the stage's existing grant; the marker is the same bytes on
   * a re-delivery), PUT_CONCURRENCY at a time.
   */
  async recordPosted(records: readonly PostingRecord[]): Promise<void> {
    const sequences = [...new Set(records.map((record) => record.sequenceId))];
    for (let start = 0; start < sequences.length; start += PUT_CONCURRENCY) {
      await Promise.all(
        sequences
          .slice(start, start + PUT_CONCURRENCY)
          .map((sequenceId) =>
            awsCall(`flow journal: posting record of sequence ${sequenceId}`, () =>
              this.options.client.send(
                new PutItemCommand({ TableName: this.options.transactionsTable, Item: { [TX_KEY]: { S: FLOW_KEYS.record(sequenceId) }, kind: { S: 'record' }, sequenceId: { S: sequenceId } } }),
              ),
            ),
          ),
      );
    }
  }

  private async putOnce(table: string, key: string, item: Record<string, AttributeValue>, what: string): Promise<void> {
    try {
      await awsCall(what, () =>
        this.options.client.send(new PutItemCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(#k)', ExpressionAttributeNames: { '#k': key } })),
      );
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
    }
  }
}

export interface DynamoFlowFactsOptions extends FlowJournalTables {
  authorisationsTable: string;
  dedupTable: string;
  rulesStateTable: string;
  ledgerTable: string;
  /** Where dedup parks duplicates (`<parkedPrefix><yyyy-mm-dd>/<eventId>.json`). */
  s3: S3Client;
  ingestBucket: string;
  parkedPrefix: string;
  /** The clock's now: the last day whose parked duplicates are listed. */
  now?: () => Date;
  /** Where repairs put the rebuilt events: the bus (a rule takes `payment.authorised` to the hot path, FUSE-1). */
  publisher?: EventPublisher;
}

interface Ingestion {
  authorizationId: string;
  correlationId: string;
  amount: { value: string; currency: string };
  approved: boolean;
  ingestedAt: string;
  authorisation?: Authorisation;
}

/** The id of the `payment.duplicate-parked` event dedup emits for a payment (src/domain/dedup.ts decideDuplicate). */
export function parkedEventId(authorizationId: string): string {
  return deterministicId(EventTypes.duplicateParked, authorisedEventId(authorizationId), '');
}

function inWindow(at: string, window: FlowWindow): boolean {
  const ms = Date.parse(at);
  if (!Number.isFinite(ms)) return window.from === undefined && window.to === undefined;
  return (window.from === undefined || ms >= window.from.getTime()) && (window.to === undefined || ms < window.to.getTime());
}

export class DynamoFlowFacts implements FlowFactsReader, FlowRepairer {
  /** The ingestions of the last read: what a repair rebuilds events from. */
  private lastRead = new Map<string, Ingestion>();

  constructor(private readonly options: DynamoFlowFactsOptions) {}

  private now(): Date {
    return (this.options.now ?? (() => new Date()))();
  }

  get location(): string {
    return `dynamodb://${this.options.transactionsTable}`;
  }

  async read(window: FlowWindow): Promise<FlowFacts> {
    const ingestions = new Map<string, Ingestion>();
    // The near-real-time intake, then the journal; an authorisation ingested twice (a batch file
    // re-run, a retried call) counts once, at its first ingestion.
    for (const ingestion of [...(await this.intake(window)), ...(await this.journalIngestions(window))]) {
      const seen = ingestions.get(ingestion.authorizationId);
      if (!seen || ingestion.ingestedAt < seen.ingestedAt) ingestions.set(ingestion.authorizationId, ingestion);
    }
    this.lastRead = ingestions;
    const all = [...ingestions.values()].sort((a, b) => (a.authorizationId < b.authorizationId ? -1 : a.authorizationId > b.authorizationId ? 1 : 0));
    const approved = all.filter((ingestion) => ingestion.approved);

    const { transactionsTable, dedupTable, rulesStateTable, ledgerTable } = this.options;
    const sequences = new Map(approved.map((ingestion) => [ingestion.correlationId, sequenceIdFor(ingestion.correlationId)]));
    const [claims, rejected, decisions, legs, records, transactions, parked] = await Promise.all([
      this.batchGet(
        dedupTable,
        approved.filter((i) => i.authorisation).map((i) => ({ businessKey: { S: businessKey(i.authorisation!) } })),
      ),
      this.batchGet(
        transactionsTable,
        approved.map((i) => ({ [TX_KEY]: { S: FLOW_KEYS.rejected(i.correlationId) } })),
      ),
      this.batchGet(
        rulesStateTable,
        approved.map((i) => ({ pk: { S: RULES_STATE_KEYS.decisionPartition(i.correlationId) }, sk: { S: RULES_STATE_KEYS.decisionSort } })),
      ),
      this.batchGet(
        ledgerTable,
        [...sequences.values()].map((sequenceId) => ({ pk: { S: LEDGER_KEYS.sequence(sequenceId) } })),
        'pk',
      ),
      this.batchGet(
        transactionsTable,
        [...sequences.values()].map((sequenceId) => ({ [TX_KEY]: { S: FLOW_KEYS.record(sequenceId) } })),
      ),
      this.batchGet(
        transactionsTable,
        approved.map((i) => ({ [TX_KEY]: { S: i.correlationId } })),
      ),
      this.parkedEventIds(approved),
    ]);
    const claimHolders = new Map(claims.map((item) => [item.businessKey?.S ?? '', item.authorizationId?.S ?? '']));
    const rejectedIds = new Set(rejected.map((item) => item[TX_KEY]?.S ?? ''));
    const outcomes = new Map(
      decisions.map((item) => {
        const decision = item.decision?.M ? (unmarshall(item.decision.M) as { outcome?: string }) : undefined;
        return [item.pk?.S ?? '', decision?.outcome];
      }),
    );
    const legKeys = new Set(legs.map((item) => item.pk?.S ?? ''));
    const recordKeys = new Set(records.map((item) => item[TX_KEY]?.S ?? ''));
    const states = new Map(transactions.map((item) => [item[TX_KEY]?.S ?? '', item]));

    const payments: PaymentFlowFacts[] = all.map((ingestion) => {
      const base: PaymentFlowFacts = {
        location: this.location,
        authorizationId: ingestion.authorizationId,
        transactionId: ingestion.correlationId,
        amount: ingestion.amount,
        ingestedAt: ingestion.ingestedAt,
        approved: ingestion.approved,
      };
      if (!ingestion.approved) return base;
      const sequenceId = sequences.get(ingestion.correlationId)!;
      const key = ingestion.authorisation ? businessKey(ingestion.authorisation) : undefined;
      const unique = key !== undefined && claimHolders.get(key) === ingestion.authorizationId;
      const decision = outcomes.get(RULES_STATE_KEYS.decisionPartition(ingestion.correlationId));
      const state = states.get(ingestion.correlationId);
      const status = state?.status?.S as TransactionStatus | undefined;
      return {
        ...base,
        ...(parked.has(parkedEventId(ingestion.authorizationId)) ? { dedup: 'duplicate' as const } : unique ? { dedup: 'unique' as const } : {}),
        ...(rejectedIds.has(FLOW_KEYS.rejected(ingestion.correlationId)) ? { rejected: true } : {}),
        ...(decision === 'approve' || decision === 'decline' || decision === 'review' ? { decision } : {}),
        ...(legKeys.has(LEDGER_KEYS.sequence(sequenceId)) ? { legs: true } : {}),
        ...(recordKeys.has(FLOW_KEYS.record(sequenceId)) ? { record: true } : {}),
        ...(state && status ? { transaction: { status, updatedAt: state.updatedAt?.S ?? ingestion.ingestedAt, ...(state.stage?.S ? { stage: state.stage.S } : {}) } } : {}),
      };
    });
    return { payments, orphans: [] };
  }

  /** The authorisations table's items of the window (a Scan: the table has no time index). */
  private async intake(window: FlowWindow): Promise<Ingestion[]> {
    const found: Ingestion[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await awsCall('flow facts: Scan authorisations', () => this.options.client.send(new ScanCommand({ TableName: this.options.authorisationsTable, ExclusiveStartKey: start })));
      for (const item of page.Items ?? []) {
        // What ingest refuses is no payment: the Pipe dead-letters it (its DLQ alarm), the audit skips it.
        const classified = classifyLine(JSON.stringify(unmarshall(item)), validateAuthorisation);
        if (classified.kind === 'invalid') continue;
        const { authorisation } = classified;
        const at = Date.parse(authorisation.transmittedAt);
        const ingestedAt = Number.isFinite(at) ? new Date(at).toISOString() : authorisation.transmittedAt;
        if (!inWindow(ingestedAt, window)) continue;
        const approved = isApproved(authorisation);
        found.push({
          authorizationId: authorisation.authorizationId,
          correlationId: correlationIdFor(authorisation.authorizationId, authorisation.transmittedAt),
          amount: { value: String(authorisation.amount.value), currency: String(authorisation.amount.currency) },
          approved,
          ingestedAt,
          ...(approved ? { authorisation } : {}),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  }

  /**
   * The journal's ingestions of the window: every bucket of every hour it covers (a Query per
   * partition, the sort key bounding the window); an open start scans the journal.
   */
  private async journalIngestions(window: FlowWindow): Promise<Ingestion[]> {
    const table = this.options.rulesStateTable;
    if (!table) return [];
    // An open start (an ad-hoc audit of everything the journal holds): one Scan of the journal's items.
    if (!window.from) return this.scanJournal(table, window);
    const to = window.to ?? new Date(this.now().getTime() + HOUR_MS);
    const from = window.from;
    if (from.getTime() >= to.getTime()) return [];
    const partitions: string[] = [];
    for (let hour = Math.floor(from.getTime() / HOUR_MS) * HOUR_MS; hour < to.getTime(); hour += HOUR_MS) {
      const iso = new Date(hour).toISOString();
      for (let bucket = 0; bucket < FLOW_KEYS.ingestedBuckets; bucket += 1) partitions.push(FLOW_KEYS.ingestedPartition(iso, bucket));
    }
    const found: Ingestion[] = [];
    for (let at = 0; at < partitions.length; at += QUERY_CONCURRENCY) {
      const pages = await Promise.all(partitions.slice(at, at + QUERY_CONCURRENCY).map((partition) => this.queryPartition(table, partition, from, to)));
      for (const page of pages) for (const ingestion of page) if (inWindow(ingestion.ingestedAt, window)) found.push(ingestion);
    }
    return found;
  }

  private async scanJournal(table: string, window: FlowWindow): Promise<Ingestion[]> {
    const found: Ingestion[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await awsCall('flow facts: Scan journal ingestions', () =>
        this.options.client.send(
          new ScanCommand({
            TableName: table,
            FilterExpression: 'begins_with(pk, :p)',
            ExpressionAttributeValues: { ':p': { S: FLOW_KEYS.ingestedPrefix } },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const ingestion = journalIngestion(item);
        if (ingestion && inWindow(ingestion.ingestedAt, window)) found.push(ingestion);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  }

  private async queryPartition(table: string, partition: string, from: Date, to: Date): Promise<Ingestion[]> {
    const found: Ingestion[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await awsCall('flow facts: Query journal ingestions', () =>
        this.options.client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': { S: partition }, ':from': { S: from.toISOString() }, ':to': { S: `${to.toISOString()}\uffff` } },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const ingestion = journalIngestion(item);
        if (ingestion) found.push(ingestion);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  }

  /** The parked duplicates' event ids, listed for the days from the earliest payment's ingestion to now. */
  private async parkedEventIds(approved: readonly Ingestion[]): Promise<Set<string>> {
    const ids = new Set<string>();
    if (approved.length === 0) return ids;
    const first = Math.min(...approved.map((ingestion) => Date.parse(ingestion.ingestedAt)).filter(Number.isFinite));
    const last = this.now().getTime();
    const days: string[] = [];
    if (Number.isFinite(first)) for (let day = Math.floor(first / DAY_MS) * DAY_MS; day <= last + DAY_MS; day += DAY_MS) days.push(new Date(day).toISOString().slice(0, 10));
    days.push('undated');
    for (const day of days) {
      let token: string | undefined;
      do {
        const page = await awsCall('flow facts: ListObjectsV2 parked', () =>
          this.options.s3.send(new ListObjectsV2Command({ Bucket: this.options.ingestBucket, Prefix: `${this.options.parkedPrefix}${day}/`, ContinuationToken: token })),
        );
        for (const object of page.Contents ?? []) {
          const name = object.Key?.slice(object.Key.lastIndexOf('/') + 1) ?? '';
          if (name.endsWith('.json')) ids.add(name.slice(0, -'.json'.length));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    }
    return ids;
  }

  /**
   * FLOW-3: rebuilds each stuck payment's `payment.authorised` event from its ingestion record
   * (as the last read found it: the journal's item or the authorisations table's) and publishes
   * it under its own deterministic id. Every stage is idempotent by that id, so the payment
   * resumes where it stopped and nothing posts twice.
   */
  async reemit(requests: readonly RepairRequest[]): Promise<RepairOutcome[]> {
    const publisher = this.options.publisher;
    if (!publisher) throw new Error('flow repair: no publisher configured (the bus the rebuilt events go to)');
    const { events, outcomes } = plannedReemits(requests, (authorizationId) => this.rebuild(authorizationId));
    if (events.length > 0) await publisher.publish(events);
    return outcomes;
  }

  /** The payment's `payment.authorised` event as ingestion built it (same id, same correlation), or why not. */
  private rebuild(authorizationId: string): LedgerEvent<'payment.authorised'> | string {
    const ingestion = this.lastRead.get(authorizationId);
    if (!ingestion) return `authorisation ${authorizationId} is not among the ingestions of the last audit read (read the window first)`;
    if (!ingestion.approved) return `authorisation ${authorizationId} was not approved by the network; it never enters the hot path`;
    if (!ingestion.authorisation) return `authorisation ${authorizationId} was ingested but its content was not kept`;
    return authorisedEvent(ingestion.authorisation, ingestion.ingestedAt);
  }

  /** BatchGetItem of `keys` (100 per call, unprocessed keys retried), consistent reads. */
  private async batchGet(table: string, keys: readonly Record<string, AttributeValue>[], projection?: string): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    const unique = [...new Map(keys.map((key) => [JSON.stringify(key), key])).values()];
    for (let start = 0; start < unique.length; start += BATCH_GET) {
      let pending: Record<string, AttributeValue>[] = unique.slice(start, start + BATCH_GET);
      for (let round = 0; pending.length > 0; round += 1) {
        if (round >= MAX_BATCH_ROUNDS) throw new Error(`flow facts: ${pending.length} key(s) of ${table} still unprocessed after ${MAX_BATCH_ROUNDS} rounds`);
        if (round > 0) await sleep(backoffMs(round, 25));
        const result = await awsCall(`flow facts: BatchGetItem ${table}`, () =>
          this.options.client.send(
            new BatchGetItemCommand({
              RequestItems: {
                [table]: { Keys: pending, ConsistentRead: true, ...(projection ? { ProjectionExpression: '#p', ExpressionAttributeNames: { '#p': projection } } : {}) },
              },
            }),
          ),
        );
        items.push(...(result.Responses?.[table] ?? []));
        pending = (result.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, AttributeValue>[];
      }
    }
    return items;
  }
}

function journalIngestion(item: Record<string, AttributeValue>): Ingestion | undefined {
  const authorizationId = item.authorizationId?.S;
  const correlationId = item.correlationId?.S;
  const ingestedAt = item.ingestedAt?.S;
  if (!authorizationId || !correlationId || !ingestedAt || !item.amount?.S || !item.currency?.S) return undefined;
  const authorisation = item.authorisation?.S ? (JSON.parse(item.authorisation.S) as Authorisation) : undefined;
  return {
    authorizationId,
    correlationId,
    amount: { value: item.amount.S, currency: item.currency.S },
    approved: item.approved?.BOOL === true,
    ingestedAt,
    ...(authorisation ? { authorisation } : {}),
  };
}
