/**
 * The embedded runtime: the whole posting pipeline on one machine, no AWS, no network.
 *
 * - The same Middy handlers as on Lambda (functions/<name>/<name>.ts), over the same routes
 *   (src/routes.ts) of the configured topology (FUSE-1: by default the fused hot path, one handler
 *   running every stage per micro-batch), fed SQS-shaped micro-batches with partial-batch-failure
 *   semantics.
 * - All state in one SQLite database in the --state directory.
 * - Work is done in waves: a chunk of input lines is ingested and drained through every stage
 *   inside ONE database transaction, then committed. A crash (kill -9) at any point rolls back
 *   to the last committed wave; the re-run recognises committed authorisations and carries on.
 *   Nothing is lost and nothing is posted twice.
 */
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { join } from 'node:path';
import type { Authorisation, LedgerEvent } from '../domain/events';
import { authorisedEvent, classifyLine, isApproved } from '../domain/ingest';
import type { LineClassification } from '../domain/ingest';
import type { DedupConfig } from '../domain/dedup';
import { DEFAULT_DEDUP_CONFIG } from '../domain/dedup';
import type { SweeperConfig, SweepResult } from '../domain/sweeper';
import { addSweepResult, DEFAULT_SWEEPER_CONFIG, sweep } from '../domain/sweeper';
import { fromMinorUnits } from '../domain/money';
import { validateAuthorisation } from '../../schemas';
import type { Clock, DedupStore, LedgerStore, ReferenceData, TransactionStateStore } from '../ports';
import { TransientStoreError } from '../ports';
import type { ConsumerName, Route, Topology } from '../routes';
import { DEFAULT_TOPOLOGY, routesFor } from '../routes';
import type { SqsHandler } from '../lambda/sqs-consumer';
import { stageHandler, type Stage } from '../lambda/stage';
import { parkExhaustedRecords } from '../lambda/park-exhausted';
import type { Logger } from '../lambda/logger';
import { silentLogger } from '../lambda/logger';
import { createDedupStage } from '../../functions/dedup/dedup';
import { createStandardiseStage } from '../../functions/standardise/standardise';
import { createEnrichStage } from '../../functions/enrich/enrich';
import { createRulesStage } from '../../functions/rules/rules';
import { createPostingStage } from '../../functions/posting/posting';
import { createAssemblerStage } from '../../functions/assembler/assembler';
import { createHotPathHandler } from '../../functions/hot-path/hot-path';
import type { HotPathStages } from '../use-cases/hot-path/run-hot-path';
import type { StateDatabase } from '../adapters/embedded/database';
import { openStateDatabase } from '../adapters/embedded/database';
import { SqliteDedupStore, SqliteParkedDuplicateStore } from '../adapters/embedded/dedup-store';
import { SqliteTransactionStateStore } from '../adapters/embedded/transaction-state-store';
import { SqliteLedgerStore } from '../adapters/embedded/ledger-store';
import { SqliteFileOutbox } from '../adapters/embedded/outbox';
import { SqliteDeadLetterStore } from '../adapters/embedded/dead-letters';
import { EmbeddedRedriver } from '../adapters/embedded/redriver';
import { loadReferenceData } from '../adapters/embedded/reference-data';
import { loadRuleSetFile } from '../adapters/embedded/rule-set-file';
import { DEFAULT_RULE_SET_PATH } from '../rule-sets';
import { SqliteDecisionStore, SqliteVelocityStore } from '../adapters/embedded/rules-state';
import { SqliteCardHistoryStore } from '../adapters/embedded/fraud-history';
import { SqliteFlowJournal } from '../adapters/embedded/flow-facts';
import { EmbeddedBus, toSqsRecord } from './embedded-bus';
import type { QueuedMessage } from './embedded-bus';
import { SqliteEventArchive } from '../adapters/embedded/event-archive';
import { replayEventTypes } from '../use-cases/replay/archive-pattern';
import type { DropCounts } from './fault-drop';
import { addDropCounts, emptyDropCounts, FaultDrop } from './fault-drop';

export interface RuntimeOptions {
  stateDir: string;
  /** Micro-batch size per consumer (default: each route's SQS batch size). */
  batchSize?: number;
  /** Input lines per committed wave. */
  waveSize?: number;
  /** How the hot path's edges are carried (FUSE-1); default: fused. */
  topology?: Topology;
  /** Serialise every message body to JSON as SQS does (slower; the default passes parsed events in-process). */
  serialiseMessages?: boolean;
  dedup?: DedupConfig;
  sweeper?: SweeperConfig;
  hotAccountShards?: Readonly<Record<string, number>>;
  clock?: Clock;
  logger?: Logger;
  /** Test seams: replace a store (e.g. a throttling dedup store). */
  overrides?: {
    dedupStore?: (real: DedupStore) => DedupStore;
    ledgerStore?: (real: LedgerStore) => LedgerStore;
    referenceData?: ReferenceData;
  };
  /** Called after each committed wave (progress bars, crash tests). */
  onWaveCommitted?: (progress: RunProgress) => void;
  /**
   * FLOW-4: drop this share, in [0, 1), of the events crossing every stage boundary, chosen by a
   * keyed hash of the event id (src/runtime/fault-drop.ts). Off (0) by default.
   */
  faultDrop?: number;
  /**
   * The posting rule set (a CEL rule-set JSON file); default: the one AWS runs too,
   * DEFAULT_RULE_SET_FILE (src/rule-sets.ts, card-posting v2). FRAUD-1: the rules always see the
   * fraud features (card history in this state); a rule set that uses them holds on them.
   */
  rulesFile?: string;
  /** FRAUD-1: merchant id → risk score 0..100 (default: none, every merchant 0). */
  merchantRisk?: Readonly<Record<string, number>>;
}

export interface RunSummary {
  received: number;
  invalid: number;
  notApproved: number;
  replayed: number;
  duplicates: number;
  rejected: number;
  declined: number;
  review: number;
  posted: number;
  failed: number;
  /** Still RETRYING or RUNNING at the end of the run (0 after a normal drain). */
  pending: number;
  elapsedMs: number;
  ledger: Record<string, { debits: string; credits: string }>;
  /**
   * FLOW-4: events dropped on purpose per boundary (edge name), present when --fault-drop is on.
   * Each drop leaves one payment where it was, outside the categories above, until
   * `audit-flow --repair` resumes it.
   */
  dropped?: DropCounts;
}

/**
 * An input line: its text, or its text with its line number in the original file (partitioned
 * runs). `valid` marks a line that classifyLine (src/domain/ingest.ts) has already found a valid
 * authorisation: the partitioned coordinator classifies every line to route it (PART-1), so a
 * partition only re-parses such a line instead of checking it twice.
 */
export type InputLine = string | { lineNo: number; text: string; valid?: boolean };

/** The outcome counts of a run, in report order: they always add up to `received`. */
export const SUMMARY_CATEGORIES = ['invalid', 'notApproved', 'replayed', 'duplicates', 'rejected', 'declined', 'review', 'posted', 'failed', 'pending'] as const;

export interface RunProgress {
  linesRead: number;
  waves: number;
}

type Outcome = 'duplicates' | 'rejected' | 'declined' | 'review' | 'posted' | 'failed';

const LAMBDA_CONTEXT = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'ledgerline-embedded',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:ledgerline-embedded',
  memoryLimitInMB: '1024',
  awsRequestId: 'embedded',
  logGroupName: 'embedded',
  logStreamName: 'embedded',
  getRemainingTimeInMillis: () => 900_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

const systemClock: Clock = { now: () => new Date() };

/** Sweeps tried at once for a batch's parked messages before they wait for the wave's sweep. */
const REDRIVE_ROUNDS = 5;

/** Attempts of a transaction-state call that a busy or throttled store refuses. */
const TRANSIENT_ATTEMPTS = 5;

function isTransient(error: unknown): boolean {
  if (error instanceof TransientStoreError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

async function retried<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= TRANSIENT_ATTEMPTS || !isTransient(error)) throw error;
    }
  }
}

/**
 * The transaction-state store as parking uses it: a busy or throttled call is tried again (the
 * store's writes are conditional on the version, so a retry never writes twice), so a message
 * that used its last receive is parked for the sweeper rather than dead-lettered for a moment's
 * refusal (CHAOS-1, SWEEP-1).
 */
function retryingTransientErrors(store: TransactionStateStore): TransactionStateStore {
  return {
    get: (transactionId) => retried(() => store.get(transactionId)),
    put: (next, expectedVersion) => retried(() => store.put(next, expectedVersion)),
    listByStatus: (status, limit) => retried(() => store.listByStatus(status, limit)),
    complete: (transactionId, authorizationId, now) => retried(() => store.complete(transactionId, authorizationId, now)),
  };
}

export class EmbeddedRuntime {
  readonly db: StateDatabase;
  readonly bus: EmbeddedBus;
  readonly ledger: SqliteLedgerStore;
  readonly transactions: SqliteTransactionStateStore;
  readonly outbox: SqliteFileOutbox;
  readonly deadLetters: SqliteDeadLetterStore;
  private readonly consumers: Map<ConsumerName, { route: Route; handler: SqsHandler }>;
  private readonly redriver: EmbeddedRedriver;
  /** The transaction state as parking and sweeping use it: a busy or throttled call is tried again. */
  private readonly parkingTransactions: TransactionStateStore;
  /** Events the sweeper re-drove since the last flush: published ahead of the queues (CHAOS-1). */
  private redriven: LedgerEvent[] = [];
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly recordAuthorisation;
  private readonly outcomes = new Map<string, Outcome>();
  /** The flow journal (FLOW-1..3): ingestions and rejections, for `audit-flow`. */
  readonly flowJournal: SqliteFlowJournal;
  private readonly faultDrop: FaultDrop | undefined;
  private readonly dropped: DropCounts = emptyDropCounts();
  /** Waves and repairs run one at a time on the one connection (each is one database transaction). */
  private exclusive: Promise<unknown> = Promise.resolve();
  /** Per stage: µs per event of each micro-batch (handler wall time / batch size). */
  readonly stageTimings = new Map<string, number[]>();
  /** Per stage: events (records, or input lines for ingest) handled. */
  readonly stageEvents = new Map<string, number>();

  constructor(private readonly options: RuntimeOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.db = openStateDatabase(options.stateDir);
    this.db.exec(`CREATE TABLE IF NOT EXISTS authorisations (
      authorization_id TEXT PRIMARY KEY,
      response_code TEXT NOT NULL,
      source TEXT NOT NULL,
      line_no INTEGER NOT NULL
    ) WITHOUT ROWID`);
    this.recordAuthorisation = this.db.prepare('INSERT OR IGNORE INTO authorisations VALUES (?, ?, ?, ?)');
    this.flowJournal = new SqliteFlowJournal(this.db);
    this.faultDrop = options.faultDrop ? new FaultDrop(options.faultDrop) : undefined;
    const routes = routesFor(options.topology ?? DEFAULT_TOPOLOGY);
    this.bus = new EmbeddedBus(routes, { serialise: options.serialiseMessages ?? false });
    this.bus.observe((event) => this.observe(event));
    this.bus.observe((event) => this.flowJournal.recordRejected(event));
    // REPLAY-1: every event the bus carries that the archive keeps, in the wave's transaction.
    const archive = new SqliteEventArchive(this.db, { types: replayEventTypes(options.topology ?? DEFAULT_TOPOLOGY), clock: this.clock });
    this.bus.observe((event) => archive.record([event]));
    const clock = this.clock;
    const logger = this.logger;
    const publisher = this.bus;
    this.transactions = new SqliteTransactionStateStore(this.db);
    this.parkingTransactions = retryingTransientErrors(this.transactions);
    this.ledger = new SqliteLedgerStore(this.db, { hotAccountShards: options.hotAccountShards ?? {} });
    this.outbox = new SqliteFileOutbox(this.db, join(options.stateDir, 'outbox'));
    this.deadLetters = new SqliteDeadLetterStore(this.db);
    this.redriver = new EmbeddedRedriver(this.db, {
      publish: async (events) => {
        this.redriven.push(...events);
      },
    });
    const realDedup = new SqliteDedupStore(this.db);
    const dedupStore = options.overrides?.dedupStore ? options.overrides.dedupStore(realDedup) : realDedup;
    const ledger = options.overrides?.ledgerStore ? options.overrides.ledgerStore(this.ledger) : this.ledger;
    const referenceData = options.overrides?.referenceData ?? loadReferenceData();
    const stages: HotPathStages = this.droppingStages(
      this.timedStages({
        dedup: createDedupStage({
          store: dedupStore,
          parking: new SqliteParkedDuplicateStore(this.db),
          transactions: this.transactions,
          clock,
          config: options.dedup ?? DEFAULT_DEDUP_CONFIG,
          logger,
        }),
        standardise: createStandardiseStage({ clock, logger }),
        enrich: createEnrichStage({ referenceData, clock, transactions: this.transactions, logger }),
        rules: createRulesStage({
          ruleSet: loadRuleSetFile(options.rulesFile ?? DEFAULT_RULE_SET_PATH),
          velocity: new SqliteVelocityStore(this.db),
          fraud: { history: new SqliteCardHistoryStore(this.db), merchantRisk: new Map(Object.entries(options.merchantRisk ?? {})) },
          decisions: new SqliteDecisionStore(this.db),
          transactions: this.transactions,
          clock,
          logger,
        }),
        posting: createPostingStage({ ledger, clock, logger }),
        assembler: createAssemblerStage({ outbox: this.outbox, transactions: this.transactions, clock, logger }),
      }),
    );
    const handlerFor = (consumer: ConsumerName): SqsHandler =>
      consumer === 'hot-path' ? createHotPathHandler({ stages, publisher, logger }) : stageHandler(stages[consumer] as never, publisher, logger);
    this.consumers = new Map(
      routes.map((route) => {
        const handler = handlerFor(route.consumer).use(parkExhaustedRecords({ stage: route.consumer, maxReceiveCount: route.queue.maxReceiveCount, transactions: this.parkingTransactions, clock }));
        return [route.consumer, { route, handler }];
      }),
    );
  }

  /** Each stage's batch wall time lands in stageTimings under its own name, fused or not. */
  private timedStages(stages: HotPathStages): HotPathStages {
    const timed = <S extends Stage<never>>(stage: S): S => ({
      ...stage,
      run: async (events: never[]) => {
        const started = performance.now();
        try {
          return await stage.run(events);
        } finally {
          this.recordTiming(stage.name, started, events.length);
        }
      },
    });
    return {
      dedup: timed(stages.dedup as never),
      standardise: timed(stages.standardise as never),
      enrich: timed(stages.enrich as never),
      rules: timed(stages.rules as never),
      posting: timed(stages.posting as never),
      assembler: timed(stages.assembler as never),
    };
  }

  /**
   * FLOW-4: each stage's outputs pass the fault drop before they are handed on (in process when
   * fused, on the bus when staged), so every boundary loses the same share.
   */
  private droppingStages(stages: HotPathStages): HotPathStages {
    const drop = this.faultDrop;
    if (!drop) return stages;
    const dropping = <S extends Stage<never>>(stage: S): S => ({
      ...stage,
      run: async (events: never[]) => (await stage.run(events)).map((result) => (result instanceof Error || result === undefined ? result : drop.keep(result))),
    });
    return {
      dedup: dropping(stages.dedup as never),
      standardise: dropping(stages.standardise as never),
      enrich: dropping(stages.enrich as never),
      rules: dropping(stages.rules as never),
      posting: dropping(stages.posting as never),
      assembler: dropping(stages.assembler as never),
    };
  }

  /** Runs `work` when every earlier wave or repair has finished (one transaction at a time). */
  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.exclusive.then(work, work);
    this.exclusive = run.catch(() => undefined);
    return run;
  }

  /**
   * FLOW-3: puts events back on the flow (a repair), in one committed wave of their own: they are
   * published, drained through every stage and swept, then committed and the outbox flushed. The
   * stages are idempotent by event id, so an event already carried through changes nothing.
   */
  async reemit(events: readonly LedgerEvent[]): Promise<void> {
    await this.serialised(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        await this.bus.publish(events);
        await this.drain();
        await this.sweepUntilSettled();
        this.db.exec('COMMIT');
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        this.redriven = [];
        this.faultDrop?.discard();
        throw error;
      } finally {
        this.outcomes.clear();
      }
      this.outbox.flush();
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private observe(event: LedgerEvent): void {
    let outcome: Outcome | undefined;
    switch (event.type) {
      case 'payment.duplicate-parked':
        outcome = 'duplicates';
        break;
      case 'payment.rejected':
        outcome = 'rejected';
        break;
      case 'payment.rules-decided':
        if (event.data.decision.outcome === 'decline') outcome = 'declined';
        else if (event.data.decision.outcome === 'review') outcome = 'review';
        break;
      case 'posting.completed':
        outcome = 'posted';
        break;
      case 'posting.failed':
        outcome = 'failed';
        break;
      default:
        break;
    }
    if (outcome) this.outcomes.set(event.correlationId, outcome);
  }

  /** Delivers queued messages to their consumers in micro-batches until every queue is empty. */
  async drain(): Promise<void> {
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const { route, handler } of this.consumers.values()) {
        const size = this.options.batchSize ?? route.queue.batchSize;
        for (let batch = this.bus.receive(route.consumer, size); batch.length > 0; batch = this.bus.receive(route.consumer, size)) {
          progressed = true;
          const retry = await this.deliver(route, handler, batch);
          if (batch.some((message) => message.receiveCount >= route.queue.maxReceiveCount)) await this.redriveParked(batch, route.consumer, retry);
          else this.bus.requeue(route.consumer, retry);
        }
      }
    }
  }

  /** Delivers one batch; returns its failed messages to put back (the caller requeues them). */
  private async deliver(route: Route, handler: SqsHandler, batch: QueuedMessage[]): Promise<QueuedMessage[]> {
    for (const message of batch) message.receiveCount += 1;
    const started = performance.now();
    const response = (await handler({ Records: batch.map((message) => toSqsRecord(message, route)) }, LAMBDA_CONTEXT)) as SQSBatchResponse;
    this.recordTiming(route.consumer, started, batch.length);
    const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    if (failed.size === 0) return [];
    const retry: QueuedMessage[] = [];
    for (const message of batch) {
      if (!failed.has(message.messageId)) continue;
      if (message.receiveCount >= route.queue.maxReceiveCount) {
        // Unparseable (poison) message: the dead-letter queue, with its reason kept.
        this.deadLetters.add({
          source: `queue:${route.name}`,
          position: 0,
          reason: 'message failed every delivery and could not be parked',
          content: message.body ?? JSON.stringify(message.busEvent),
        });
      } else {
        retry.push(message);
      }
    }
    return retry;
  }

  /**
   * CHAOS-1: a message that used its last receive was parked RETRYING (park-exhausted): it is
   * re-driven at once, ahead of the queue and in its batch's order, so the later payments of its
   * card or business key still queued are not decided before it. The batch's other failures
   * (`retry`, not yet exhausted) go back in front with it, all in batch order: a later payment
   * held so often that it exhausted first must not overtake the earlier payment of its card it
   * was held behind (FRAUD-1: that one would be missing from its velocity count and card
   * history). A sweep that a busy store defers is tried again; what stays deferred waits for the
   * sweep at the end of the wave.
   */
  private async redriveParked(batch: readonly QueuedMessage[], consumer: ConsumerName, retry: readonly QueuedMessage[]): Promise<void> {
    const order = new Map<string, number>();
    batch.forEach((message, index) => order.set((message.busEvent.detail as LedgerEvent).id, index));
    const config = this.options.sweeper ?? DEFAULT_SWEEPER_CONFIG;
    try {
      for (let round = 0; round < REDRIVE_ROUNDS; round += 1) {
        let result: SweepResult | undefined;
        try {
          result = await sweep({ transactions: this.parkingTransactions, redriver: this.redriver, publisher: this.bus, clock: this.clock }, config);
        } catch {
          // The store refused even the listing: the parked messages wait for the wave's sweep.
        }
        if (result && !result.deferred) return;
      }
    } finally {
      await this.flushRedriven(order, { consumer, retry });
    }
  }

  /**
   * Publishes the re-driven events ahead of the queues: first those not of `order` (parked before
   * this batch, their re-drive deferred until now), as swept, then those of `order` in its order.
   * With `requeue`, that batch's failed messages go back in front too, each in its batch place
   * among the re-driven events.
   */
  private async flushRedriven(order?: ReadonlyMap<string, number>, requeue?: { consumer: ConsumerName; retry: readonly QueuedMessage[] }): Promise<void> {
    const events = this.redriven;
    this.redriven = [];
    const rank = (event: LedgerEvent) => order?.get(event.id) ?? -1;
    type Item = { rank: number; index: number } & ({ event: LedgerEvent } | { message: QueuedMessage });
    const items: Item[] = events.map((event, index) => ({ event, rank: rank(event), index }));
    for (const message of requeue?.retry ?? []) items.push({ message, rank: rank(message.busEvent.detail as LedgerEvent), index: items.length });
    items.sort((a, b) => a.rank - b.rank || a.index - b.index);
    // Each goes in front of the queue, so the last first: the first ends up at the head.
    for (const item of items.reverse()) {
      if ('event' in item) await this.bus.publishFirst([item.event]);
      else this.bus.requeue(requeue!.consumer, [item.message]);
    }
  }

  private recordTiming(stage: string, started: number, events: number): void {
    if (events === 0) return;
    this.stageEvents.set(stage, (this.stageEvents.get(stage) ?? 0) + events);
    let samples = this.stageTimings.get(stage);
    if (!samples) this.stageTimings.set(stage, (samples = []));
    samples.push(((performance.now() - started) * 1000) / events);
  }

  /** Sweeps until no RETRYING transaction is left under the threshold. */
  async sweepUntilSettled(): Promise<SweepResult> {
    const total: SweepResult = { examined: 0, redriven: 0, alreadyRedriven: 0, failed: 0 };
    const config = this.options.sweeper ?? DEFAULT_SWEEPER_CONFIG;
    for (;;) {
      const result = await sweep({ transactions: this.parkingTransactions, redriver: this.redriver, publisher: this.bus, clock: this.clock }, config);
      await this.flushRedriven();
      addSweepResult(total, result);
      if (result.examined === 0) return total;
      await this.drain();
      // No candidate could be moved (the store refused every write): they stay RETRYING for the next sweep.
      if (result.deferred === result.examined) return total;
    }
  }

  /**
   * Runs the whole pipeline over NDJSON lines and returns once everything has drained.
   * Each wave of lines is one database transaction.
   */
  async post(lines: AsyncIterable<InputLine> | Iterable<InputLine>, source: string): Promise<RunSummary> {
    const started = performance.now();
    const counts = { received: 0, invalid: 0, notApproved: 0, replayed: 0 };
    const tally: Record<Outcome, number> = { duplicates: 0, rejected: 0, declined: 0, review: 0, posted: 0, failed: 0 };
    const waveSize = this.options.waveSize ?? 2000;
    let wave: string[] = [];
    let positions: number[] = [];
    let checked: boolean[] = [];
    let waves = 0;
    let lineNo = 0;

    const runWave = (): Promise<void> => {
      const chunk = wave;
      const chunkPositions = positions;
      const chunkChecked = checked;
      wave = [];
      positions = [];
      checked = [];
      return this.serialised(() => commitWave(chunk, chunkPositions, chunkChecked));
    };
    const commitWave = async (chunk: string[], chunkPositions: number[], chunkChecked: boolean[]): Promise<void> => {
      this.outcomes.clear();
      const waveCounts = { received: 0, invalid: 0, notApproved: 0, replayed: 0 };
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const occurredAt = this.clock.now().toISOString();
        const ingestStarted = performance.now();
        const events: LedgerEvent[] = [];
        chunk.forEach((line, offset) => {
          const position = chunkPositions[offset]!;
          if (line.trim() === '') return;
          waveCounts.received += 1;
          const classified: LineClassification = chunkChecked[offset] ? { kind: 'valid', authorisation: JSON.parse(line) as Authorisation } : classifyLine(line, validateAuthorisation);
          if (classified.kind === 'invalid') {
            waveCounts.invalid += 1;
            this.deadLetters.add({ source, position, reason: classified.reason, content: classified.redactedLine });
            return;
          }
          const { authorisation } = classified;
          if (this.recordAuthorisation.run(authorisation.authorizationId, authorisation.responseCode, source, position).changes === 0) {
            waveCounts.replayed += 1;
            return;
          }
          const approved = isApproved(authorisation);
          const event = authorisedEvent(authorisation, occurredAt);
          this.flowJournal.recordIngested(authorisation, event.correlationId, approved, occurredAt);
          if (!approved) {
            waveCounts.notApproved += 1;
            return;
          }
          events.push(event);
        });
        await this.bus.publish(this.faultDrop ? this.faultDrop.keep(events) : events);
        this.recordTiming('ingest', ingestStarted, chunk.length);
        await this.drain();
        const sweepStarted = performance.now();
        await this.sweepUntilSettled();
        this.recordTiming('sweep', sweepStarted, chunk.length);
        const commitStarted = performance.now();
        this.db.exec('COMMIT');
        this.recordTiming('commit', commitStarted, chunk.length);
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        this.redriven = [];
        this.faultDrop?.discard();
        throw error;
      }
      if (this.faultDrop) addDropCounts(this.dropped, this.faultDrop.take());
      counts.received += waveCounts.received;
      counts.invalid += waveCounts.invalid;
      counts.notApproved += waveCounts.notApproved;
      counts.replayed += waveCounts.replayed;
      for (const outcome of this.outcomes.values()) tally[outcome] += 1;
      const flushStarted = performance.now();
      this.outbox.flush();
      this.recordTiming('outbox-flush', flushStarted, chunk.length);
      waves += 1;
      this.options.onWaveCommitted?.({ linesRead: lineNo, waves });
    };

    for await (const line of lines) {
      lineNo += 1;
      if (typeof line === 'string') {
        wave.push(line);
        positions.push(lineNo);
        checked.push(false);
      } else {
        wave.push(line.text);
        positions.push(line.lineNo);
        checked.push(line.valid === true);
      }
      if (wave.length >= waveSize) await runWave();
    }
    if (wave.length > 0) await runWave();
    this.outbox.flush();

    const pending = this.transactions.countByStatus('RETRYING') + this.transactions.countByStatus('RUNNING');
    return {
      ...counts,
      ...tally,
      pending,
      elapsedMs: Math.round(performance.now() - started),
      ledger: this.ledgerTotals(),
      ...(this.faultDrop ? { dropped: { ...this.dropped } } : {}),
    };
  }

  ledgerTotals(): Record<string, { debits: string; credits: string }> {
    const result: Record<string, { debits: string; credits: string }> = {};
    for (const [currency, total] of [...this.ledger.totalsByCurrency()].sort(([a], [b]) => a.localeCompare(b))) {
      result[currency] = { debits: fromMinorUnits(total.debits, currency), credits: fromMinorUnits(total.credits, currency) };
    }
    return result;
  }
}
