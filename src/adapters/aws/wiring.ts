/**
 * Cold-start wiring shared by the Lambda entry points (functions/<name>/index.ts): one SDK
 * client per service, the function's configuration read and checked once, the AWS adapters of
 * each hot-path stage (the same for the stage's own function, staged, and for `hot-path`, which
 * runs all six in one invocation: FUSE-1), and the park-exhausted middleware that hands spent
 * records to the sweeper.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import type { Clock, PostingOutbox, ReferenceData } from '../../ports';
import { routeFor, type ConsumerName } from '../../routes';
import { parkExhaustedRecords } from '../../lambda/park-exhausted';
import { createLogger, type Logger } from '../../lambda/logger';
import { DynamoDedupStore } from './dynamo-dedup-store';
import { DynamoLedgerStore } from './dynamo-ledger-store';
import { DynamoReferenceData } from './dynamo-reference-data';
import { DynamoDecisionStore, DynamoVelocityStore } from './dynamo-rules-state';
import { DynamoTransactionStateStore } from './dynamo-transaction-state-store';
import { EventBridgePublisher } from './event-publisher';
import { S3ParkedDuplicateStore, S3PostingOutbox } from './s3-stores';
import { DynamoFlowJournal } from './flow-facts';
import { DynamoCardHistoryStore } from './fraud-history';
import { compileRuleSet, type CompiledRuleSet } from '../../domain/rules';
import { DEFAULT_RULE_SET_DOCUMENT } from '../../rule-sets';
import { readFunctionConfig, requireSetting, type FunctionName, type RuntimeConfig } from './runtime-config';

export const systemClock: Clock = { now: () => new Date() };

export interface AwsContext {
  name: FunctionName;
  config: RuntimeConfig;
  dynamo: DynamoDBClient;
  s3: S3Client;
  logger: Logger;
  clock: Clock;
  publisher: EventBridgePublisher;
  transactions: DynamoTransactionStateStore;
  table(name: keyof RuntimeConfig['tables']): string;
}

/**
 * `name`: whose configuration contract is read; `label`: the function the logs name (a function
 * that runs another's contract, e.g. `authorise` over the fused hot path's).
 */
export function awsContext(name: FunctionName, label: string = name): AwsContext {
  const config = readFunctionConfig(name);
  const dynamo = new DynamoDBClient({});
  const table = (key: keyof RuntimeConfig['tables']): string => {
    const value = config.tables[key];
    if (!value) throw new Error(`function ${name}: table "${key}" is not configured`);
    return value;
  };
  return {
    name,
    config,
    dynamo,
    s3: new S3Client({}),
    logger: createLogger({ service: 'ledgerline', function: label }),
    clock: systemClock,
    publisher: new EventBridgePublisher({ client: new EventBridgeClient({}), busName: requireSetting(config.eventBusName, 'EVENT_BUS_NAME') }),
    transactions: new DynamoTransactionStateStore({ client: dynamo, tableName: table('transactions') }),
    table,
  };
}

// --- The AWS adapters of each hot-path stage (functions/<stage>/<stage>.ts names what it needs) ---

/** dedup (FR2, FR3): claims in the dedup table, parked duplicates under the ingest bucket's parked/ prefix. */
export function dedupAdapters(context: AwsContext) {
  return {
    store: new DynamoDedupStore({ client: context.dynamo, tableName: context.table('dedup') }),
    parking: new S3ParkedDuplicateStore({ client: context.s3, bucket: requireSetting(context.config.ingestBucket, 'INGEST_BUCKET'), prefix: context.config.parkedPrefix }),
    transactions: context.transactions,
    clock: context.clock,
    config: { windowSeconds: context.config.dedupWindowSeconds },
    logger: context.logger,
  };
}

/** standardise (FR5): nothing but the clock. */
export function standardiseAdapters(context: AwsContext) {
  return { clock: context.clock, logger: context.logger };
}

/**
 * The flow journal (FLOW-1, tables.ts FLOW_KEYS): rejection and posting-record markers in the
 * transactions table every stage already writes; ingestions (real-time and batch modes) in the
 * rules-state table, when the function has it.
 */
export function flowJournal(context: AwsContext): DynamoFlowJournal {
  const rulesState = context.config.tables.rulesState;
  return new DynamoFlowJournal({ client: context.dynamo, transactionsTable: context.table('transactions'), ...(rulesState ? { rulesStateTable: rulesState } : {}) });
}

/** enrich (FR6): the reference table (following its META#VERSION pointer); a rejection is recorded in the flow journal (FLOW-1). */
export function enrichAdapters(context: AwsContext) {
  return { referenceData: lazyReferenceData(context), transactions: context.transactions, flow: flowJournal(context), clock: context.clock, logger: context.logger };
}

/**
 * The rule set every AWS rules stage runs (the staged `rules` function and the fused stages of
 * hot-path, authorise and ingest-batch), bundled: the default rule set (src/rule-sets.ts, the one the
 * embedded runtime runs too), which also holds on the fraud features (FRAUD-1). One definition, so
 * the deployed modes and the embedded runtime decide alike (MODE-5).
 */
export const AWS_RULE_SET: CompiledRuleSet = compileRuleSet(DEFAULT_RULE_SET_DOCUMENT);

/**
 * rules: decisions and velocity windows in the rules-state table, and the card history of the
 * fraud features (FRAUD-1) beside them (`CARDHIST#` items: same table, same grants). Merchant
 * risk is empty until reference data carries it (every merchant scores 0, as embedded by default).
 */
export function rulesAdapters(context: AwsContext) {
  const rulesState = { client: context.dynamo, tableName: context.table('rulesState') };
  const fraud = { history: new DynamoCardHistoryStore(rulesState), merchantRisk: new Map<string, number>() as ReadonlyMap<string, number> };
  return {
    ruleSet: AWS_RULE_SET,
    velocity: new DynamoVelocityStore(rulesState),
    decisions: new DynamoDecisionStore(rulesState),
    fraud,
    transactions: context.transactions,
    clock: context.clock,
    logger: context.logger,
  };
}

/** posting (FR7, LEDGER-1): the ledger table, hot accounts spread over their shards (HOT-1). */
export function postingAdapters(context: AwsContext) {
  return {
    ledger: new DynamoLedgerStore({ client: context.dynamo, tableName: context.table('ledger'), hotAccountShards: context.config.hotAccountShards }),
    clock: context.clock,
    logger: context.logger,
  };
}

/**
 * assembler (FR8, LEDGER-2): one outbox object per batch under the ingest bucket's outbox prefix;
 * once it is written, each sequence's posting record is marked in the flow journal (FLOW-1).
 */
export function assemblerAdapters(context: AwsContext) {
  const s3 = new S3PostingOutbox({ client: context.s3, bucket: requireSetting(context.config.ingestBucket, 'INGEST_BUCKET'), prefix: context.config.outboxPrefix });
  const journal = flowJournal(context);
  const outbox: PostingOutbox = {
    writeBatch: async (records) => {
      await s3.writeBatch(records);
      await journal.recordPosted(records);
    },
  };
  return {
    outbox,
    transactions: context.transactions,
    clock: context.clock,
    logger: context.logger,
  };
}

/** Records that used every SQS delivery are parked as RETRYING for the sweeper. */
export function parkExhausted(context: AwsContext, consumer: ConsumerName) {
  return parkExhaustedRecords({ stage: consumer, maxReceiveCount: routeFor(consumer).queue.maxReceiveCount, transactions: context.transactions, clock: context.clock });
}

/**
 * How long a container keeps the reference-data version it resolved before reading the
 * META#VERSION pointer again. A load keeps the live and the previous version only (DEP-2), so a
 * container must follow the pointer well within the time between two loads.
 */
export const REFERENCE_POINTER_TTL_MS = 60_000;

/**
 * Reference data opened on first use; its version comes from the table's META#VERSION pointer,
 * re-read every REFERENCE_POINTER_TTL_MS (a pinned REFERENCE_DATA_VERSION is never re-read). A
 * failed open is not kept: the next lookup tries again.
 */
export function lazyReferenceData(context: AwsContext): ReferenceData {
  let opened: Promise<DynamoReferenceData> | undefined;
  let openedAt = 0;
  const pinned = context.config.referenceDataVersion;
  const open = (): Promise<DynamoReferenceData> => {
    const now = context.clock.now().getTime();
    if (opened && (pinned !== undefined || now - openedAt < REFERENCE_POINTER_TTL_MS)) return opened;
    openedAt = now;
    const attempt = DynamoReferenceData.open({ client: context.dynamo, tableName: context.table('reference'), version: pinned });
    opened = attempt;
    attempt.catch(() => {
      if (opened === attempt) opened = undefined;
    });
    return attempt;
  };
  return {
    get version() {
      return context.config.referenceDataVersion ?? 'unresolved';
    },
    card: async (token) => (await open()).card(token),
    account: async (id) => (await open()).account(id),
    merchant: async (id) => (await open()).merchant(id),
    product: async (type) => (await open()).product(type),
    fxRate: async (from, to) => (await open()).fxRate(from, to),
  };
}
