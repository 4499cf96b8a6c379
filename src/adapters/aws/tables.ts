/**
 * THE DynamoDB tables of Ledgerline, as plain data. Written once:
 * - the AWS adapters (`src/adapters/aws/dynamo-*.ts`) read key names, index names and item
 *   key prefixes from here;
 * - the infrastructure (stacks/, CDKTF) creates each table from its definition: billing mode,
 *   key schema + attribute definitions, GSIs / LSIs, TTL, stream, point-in-time recovery;
 * - tests create the same tables in dynalite with `createTableInput`.
 *
 * Physical table names are not here: each table's name comes from the environment variable
 * named by `envVar` (see runtime-config.ts), set by the infrastructure per environment.
 *
 * All money amounts are stored as DynamoDB numbers (N) written from bigint decimal strings
 * (minor units, never floats) and read back with BigInt.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export type KeyAttributeType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  name: string;
  type: KeyAttributeType;
}

export type Projection = { type: 'ALL' } | { type: 'KEYS_ONLY' } | { type: 'INCLUDE'; attributes: readonly string[] };

export interface IndexDefinition {
  indexName: string;
  /** For an LSI this must equal the table's partition key. */
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  projection: Projection;
  description: string;
}

export type StreamViewType = 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY';

export interface TableDefinition {
  /** Environment variable holding the physical table name (runtime-config.ts). */
  envVar: string;
  description: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /** DynamoDB TTL attribute (epoch seconds, N); items without it never expire. */
  ttlAttribute?: string;
  globalSecondaryIndexes: readonly IndexDefinition[];
  localSecondaryIndexes: readonly IndexDefinition[];
  /** DynamoDB stream view type, when the table feeds a stream. */
  stream?: StreamViewType;
  billingMode: 'PAY_PER_REQUEST';
  /** Point-in-time recovery: on for every table (the bank's recovery standard; the infra policy suite enforces it). */
  pointInTimeRecovery: true;
  /** Item kinds stored in the table: key pattern → meaning. Documentation only. */
  itemKinds: Readonly<Record<string, string>>;
  /** Non-key attributes: name → meaning. Documentation only (DynamoDB is schemaless). */
  attributes: Readonly<Record<string, string>>;
}

const S = (name: string): KeyAttribute => ({ name, type: 'S' });
const N = (name: string): KeyAttribute => ({ name, type: 'N' });

// ---------------------------------------------------------------------------
// Transactions: sparse status indexes

export type ListedStatus = 'RETRYING' | 'FAILED' | 'RUNNING';

export interface StatusIndex {
  indexName: string;
  /** Present only while the transaction has this status (REMOVEd otherwise: the index is sparse). */
  attribute: string;
  /**
   * The attribute holds a bucket key `<STATUS>#<nn>`, nn = hash(transactionId) mod buckets.
   * One constant key would make every status write hit one index partition (RUNNING sees
   * every transaction); buckets spread them. listByStatus queries every bucket, oldest first.
   */
  buckets: number;
}

export const TRANSACTION_STATUS_INDEXES: Readonly<Record<ListedStatus, StatusIndex>> = Object.freeze({
  RETRYING: { indexName: 'retrying', attribute: 'retryJob', buckets: 4 },
  FAILED: { indexName: 'failed', attribute: 'failedJob', buckets: 4 },
  RUNNING: { indexName: 'running', attribute: 'runningJob', buckets: 16 },
});

/** Sort key of every status index: oldest update first (what the sweeper wants). */
export const TRANSACTION_STATUS_SORT_KEY = 'updatedAt';

// ---------------------------------------------------------------------------
// The flow journal (FLOW-1..3): facts no stage table keeps

/**
 * The flow journal's items. None carries a status-index attribute, and every key starts with
 * `FLOW#`, so no item of a stage's own (a transaction id, a `DECISION#` / `VEL#` key) collides
 * with one.
 * - In the rules-state table (pk/sk, TTL `expiresAt`): each authorisation ingested by a mode that
 *   does not go through the authorisations table (real-time `authorise`, batch `ingest-batch`),
 *   pk `FLOW#INGESTED#<yyyy-mm-ddThh>#<nn>` (its UTC hour; nn = hash(authorizationId) mod
 *   buckets, so one hour's writes spread over several partitions), sk
 *   `<ingestedAt>#<authorizationId>`: an audit of a window queries every bucket of every hour it
 *   covers, no index needed. It holds the money, whether the network approved it, and (approved
 *   only) the authorisation itself (card token only: PCI-3), so a repair can rebuild its
 *   `payment.authorised` event (FLOW-3). Beside it, an approved one is also kept under its id,
 *   pk `FLOW#PAYMENT#<authorizationId>`, sk `PAYMENT`, for the notifier (NOTIFY-2).
 * - In the transactions table (every hot-path stage already puts items there, so no stage needs
 *   another table or grant): `FLOW#REJECTED#<correlationId>` (enrichment rejected the payment)
 *   and `FLOW#RECORD#<sequenceId>` (the sequence's posting record is in the outbox, written
 *   after the outbox object: LEDGER-2).
 */
export const FLOW_KEYS = Object.freeze({
  prefix: 'FLOW#',
  ingestedPrefix: 'FLOW#INGESTED#',
  ingestedBuckets: 8,
  ingestedPartition: (ingestedAtIso: string, bucket: number) => `FLOW#INGESTED#${ingestedAtIso.slice(0, 13)}#${String(bucket).padStart(2, '0')}`,
  ingestedSort: (ingestedAtIso: string, authorizationId: string) => `${ingestedAtIso}#${authorizationId}`,
  /** Days an ingestion item is kept (TTL): well beyond any audit window. */
  ingestedRetentionDays: 35,
  rejected: (correlationId: string) => `FLOW#REJECTED#${correlationId}`,
  record: (sequenceId: string) => `FLOW#RECORD#${sequenceId}`,
  /** `FLOW#ANSWERED#<authorizationId>` / `ANSWERED`: the real-time mode answered this authorisation once (MODE-4). */
  answered: (authorizationId: string) => `FLOW#ANSWERED#${authorizationId}`,
  answeredSort: 'ANSWERED',
  /**
   * `FLOW#PAYMENT#<authorizationId>` / `PAYMENT`: an approved authorisation ingested by the
   * real-time or batch mode, findable by its id (the notifier's payment facts, NOTIFY-2: those modes
   * never write the authorisations table). The authorisation JSON is in `paymentAttribute` (card
   * token only, PCI-3); kept as long as the ingestion item (TTL `expiresAt`).
   */
  payment: (authorizationId: string) => `FLOW#PAYMENT#${authorizationId}`,
  paymentSort: 'PAYMENT',
  paymentAttribute: 'authorisation',
});

// ---------------------------------------------------------------------------
// Key prefixes of the single-table designs

export const LEDGER_KEYS = Object.freeze({
  sequencePrefix: 'SEQ#',
  /** `SEQ#<sequenceId>`: the journal item of one posting sequence (all its legs; append-only, the idempotency marker). */
  sequence: (sequenceId: string) => `SEQ#${sequenceId}`,
  balancePrefix: 'BAL#',
  /** `BAL#<accountId>#<shard>`: one balance item per account shard (shard 0 unless hot). */
  balance: (accountId: string, shard: number) => `BAL#${accountId}#${shard}`,
});

/**
 * Attribute names of a journal item (`SEQ#<sequenceId>`) and of each leg in its `l` list. Short on
 * purpose: a name is stored, and billed, in every item (LEDGER-1: a sequence is one item under 1 KB).
 * Sequence level: a, d, n, l. Leg level: t, ac, s, m, c always; i, k, id, d, n, a only where the leg
 * differs from what the sequence implies.
 */
export const LEDGER_JOURNAL_ATTRIBUTES = Object.freeze({
  authorizationId: 'a',
  valueDate: 'd',
  narrative: 'n',
  legs: 'l',
  legType: 't',
  account: 'ac',
  direction: 's',
  minor: 'm',
  currency: 'c',
  legIndex: 'i',
  legCount: 'k',
  legId: 'id',
});

/** Attribute names of a balance item (`BAL#<accountId>#<shard>`). */
export const LEDGER_BALANCE_ATTRIBUTES = Object.freeze({
  /** Partition key of the sparse balances index; written when the shard is created, never updated. */
  accountId: 'balanceAccountId',
  /** Sort key of the sparse balances index; written when the shard is created, never updated. */
  shard: 'shard',
  balance: 'balanceMinor',
  version: 'version',
  currency: 'currency',
});

/** The sparse, keys-only GSI that names the balance items (so balances() never reads journal items). */
export const LEDGER_BALANCES_INDEX = 'balances';

/**
 * Keys of the reference table (FR6). A loaded set is a version; every record item is keyed
 * `<version>#<record key>`, so the items of two versions never share a key: a load writes its
 * version beside the live one and a reader reads only the version it resolved from the
 * `META#VERSION` pointer (never a mix of two). Versions are ids (`^[A-Za-z0-9._:-]+$`, no `#`),
 * so the version is the text before the first `#`.
 */
export const REFERENCE_KEYS = Object.freeze({
  /** A record's key within its version. */
  card: (panToken: string) => `CARD#${panToken}`,
  account: (accountId: string) => `ACCOUNT#${accountId}`,
  merchant: (merchantId: string) => `MERCHANT#${merchantId}`,
  product: (productType: string) => `PRODUCT#${productType}`,
  fxRate: (from: string, to: string) => `FX#${from}#${to}`,
  /** `<version>#<record key>`: the partition key of a record item of one version. */
  item: (version: string, recordKey: string) => `${version}#${recordKey}`,
  /**
   * `{ pk: 'META#VERSION', version, effectiveDate, previousVersion, ... }`: the pointer naming the
   * live version (moved last by a load, with a conditional write).
   */
  version: 'META#VERSION',
  /** `META#LOAD#<version>`: present while a load of that version is writing its items (until its flip). */
  load: (version: string) => `META#LOAD#${version}`,
});

/** Epoch ms as 15 digits (so string order is time order), clamped at 0. */
function velocityTime(epochMs: number): string {
  return String(Math.max(0, Math.trunc(epochMs))).padStart(15, '0');
}

export const RULES_STATE_KEYS = Object.freeze({
  /**
   * Velocity items of one card: pk `VEL#<panToken>`, sk `T#<epoch ms, 15 digits>#<transactionId>`.
   * The sort key orders a card's payments by time, so the window count is a range Query of the
   * table itself: no index to write beside each item (LEDGER-1: writes sized for scale). A
   * transaction always has the same time, so its key is as unique as its id.
   */
  velocityPartition: (panToken: string) => `VEL#${panToken}`,
  velocitySort: (atEpochMs: number, transactionId: string) => `T#${velocityTime(atEpochMs)}#${transactionId}`,
  /** The sort-key bounds of the payments at times [fromEpochMs, toEpochMs]. */
  velocityRange: (fromEpochMs: number, toEpochMs: number) => ({ from: `T#${velocityTime(fromEpochMs)}#`, to: `T#${velocityTime(toEpochMs)}#\uffff` }),
  /** Rules decision of one transaction: pk `DECISION#<correlationId>`, sk `DECISION`. */
  decisionPartition: (correlationId: string) => `DECISION#${correlationId}`,
  decisionSort: 'DECISION',
});

// ---------------------------------------------------------------------------
// The exceptions workbench (WB-1): one table, cases + their history

/** Ages above this sort as this (an age is days; 27 years is plenty). */
const WORKBENCH_MAX_AGE_DAYS = 9_999;

export const WORKBENCH_KEYS = Object.freeze({
  /** Every item of one case: the case itself and its history events. */
  casePartition: (caseId: string) => `CASE#${caseId}`,
  caseSort: 'CASE',
  /** `EVENT#<version, 9 digits>`: history in version order. */
  eventSort: (version: number) => `EVENT#${String(version).padStart(9, '0')}`,
  eventSortPrefix: 'EVENT#',
  /** The marker of an imported run (written last: a run is imported iff it exists). */
  runPartition: (runId: string) => `RUN#${runId}`,
  runSort: 'RUN',
  statusIndexKey: (status: string) => `STATUS#${status}`,
  /** Ascending = oldest first: the age inverted (9999 − ageDays, 4 digits), then the case id. */
  statusIndexSort: (ageDays: number, caseId: string) => `${invertedAge(ageDays)}#${caseId}`,
  accountIndexKey: (accountId: string) => `ACCOUNT#${accountId}`,
  /** WB-1: the cases of one account and status (JSON: no account id can forge the separator). */
  accountStatusIndexKey: (accountId: string, status: string) => `ACCOUNTSTATUS#${JSON.stringify([accountId, status])}`,
  /** Ascending = most urgent first: the SLA due day (YYYY-MM-DD), then oldest first (the inverted age), then the case id. */
  urgencyIndexSort: (dueDay: string, ageDays: number, caseId: string) => `${dueDay}#${invertedAge(ageDays)}#${caseId}`,
  /** An open row of an OPEN exception case (candidates.ts), in its case's partition: `ROW#<side>#<row id>`. */
  rowSort: (side: string, rowId: string) => `ROW#${side}#${rowId}`,
  rowSortPrefix: 'ROW#',
  /** One reference key of an open row (a row has several): `REF#<JSON [side, row id, key]>`. */
  referenceSort: (side: string, rowId: string, key: string) => `REF#${JSON.stringify([side, rowId, key])}`,
  referenceSortPrefix: 'REF#',
  /** The open rows of one account, currency and side (JSON: no separator can be forged by an id). */
  rowIndexKey: (side: string, currency: string, accountId: string) => `ROWS#${JSON.stringify([accountId, currency, side])}`,
  /**
   * Ascending = amount ascending: exact minor units offset by 2^63 as 20 digits (|minor| ≤ 2^63 − 1;
   * a larger amount is kept out of the index), then the case and row ids.
   */
  rowAmountSort: (minor: bigint, caseId: string, rowId: string) => `${amountKey(minor)}#${JSON.stringify([caseId, rowId])}`,
  /** The first sort key of amount `minor` (every row of that amount sorts at or after it, every smaller amount before). */
  rowAmountFrom: (minor: bigint) => amountKey(minor),
  /** The open rows of one account, currency and side carrying one normalised reference or batch key. */
  referenceIndexKey: (side: string, currency: string, accountId: string, key: string) => `REFS#${JSON.stringify([accountId, currency, side, key])}`,
});

/** The largest |minor units| the open rows' amount index holds (SQLite's 64-bit integers, as the embedded store). */
export const WORKBENCH_MAX_INDEXED_MINOR = 9_223_372_036_854_775_807n;

function invertedAge(ageDays: number): string {
  return String(WORKBENCH_MAX_AGE_DAYS - Math.min(Math.max(Math.trunc(ageDays), 0), WORKBENCH_MAX_AGE_DAYS)).padStart(4, '0');
}

function amountKey(minor: bigint): string {
  if (minor > WORKBENCH_MAX_INDEXED_MINOR || minor < -WORKBENCH_MAX_INDEXED_MINOR) throw new RangeError(`amount ${minor} minor units is beyond the open rows' amount index`);
  return (minor + 9_223_372_036_854_775_808n).toString().padStart(20, '0');
}

/** Sparse GSIs of the workbench table: only case items carry their keys. */
export const WORKBENCH_INDEXES = Object.freeze({
  byStatus: { indexName: 'byStatus', partitionKey: 'statusKey', sortKey: 'statusSort' },
  byAccount: { indexName: 'byAccount', partitionKey: 'accountKey', sortKey: 'caseId' },
  /** WB-1: cases of one status by urgency (SLA due day, then oldest, then case id): the urgency list and n / p. */
  byUrgency: { indexName: 'byUrgency', partitionKey: 'statusKey', sortKey: 'urgencySort' },
  /** WB-1: cases of one account and status, oldest first (the byStatus sort key): a list filtered by account reads only its page. */
  byAccountStatus: { indexName: 'byAccountStatus', partitionKey: 'accountStatusKey', sortKey: 'statusSort' },
  /** WB-1: cases of one account and status, most urgent first (the byUrgency sort key): the default list filtered by account. */
  byAccountUrgency: { indexName: 'byAccountUrgency', partitionKey: 'accountStatusKey', sortKey: 'urgencySort' },
  /** Candidates: the open rows of one account, currency and side by exact amount (nearest above and below). */
  openRowsByAmount: { indexName: 'openRowsByAmount', partitionKey: 'rowKey', sortKey: 'rowAmount' },
  /** Candidates: the open rows of one account, currency and side by normalised reference or batch key. */
  openRowsByReference: { indexName: 'openRowsByReference', partitionKey: 'refKey', sortKey: 'pk' },
  /** WB-BULK-1: the bulk jobs still running, oldest first (a job's JOB item carries the keys until the job is seen done): the scheduled advancer's list. */
  bulkRunning: { indexName: 'bulkRunning', partitionKey: 'bulkState', sortKey: 'bulkSort' },
});

// ---------------------------------------------------------------------------
// Notifications and webhooks (NOTIFY-2, HOOK-2): deliveries (the SWEEP-1 pattern) + subscriptions

/**
 * Sparse status indexes of the notifications table: a delivery state carries the bucket attribute
 * `<STATUS>#<nn>` (nn = hash(deliveryId) mod buckets) only while it has that status.
 */
export const NOTIFY_STATUS_INDEXES = Object.freeze({
  RETRYING: { indexName: 'deliveriesRetrying', attribute: 'retryBucket', sortKey: 'dueAt', buckets: 4 },
  RUNNING: { indexName: 'deliveriesRunning', attribute: 'runningBucket', sortKey: 'updatedAt', buckets: 4 },
  FAILED: { indexName: 'deliveriesFailed', attribute: 'failedBucket', sortKey: 'updatedAt', buckets: 4 },
});

export const NOTIFY_KEYS = Object.freeze({
  delivery: (deliveryId: string) => `DELIVERY#${deliveryId}`,
  state: 'STATE',
  attemptPrefix: 'ATTEMPT#',
  attempt: (attempt: number) => `ATTEMPT#${String(attempt).padStart(6, '0')}`,
  subscriptions: 'SUBSCRIPTIONS',
});

// ---------------------------------------------------------------------------
// The tables

export const TABLES = {
  dedup: {
    envVar: 'DEDUP_TABLE',
    description: 'FR2-FR4 duplicate claims: one item per business key, claimed with a conditional put.',
    partitionKey: S('businessKey'),
    ttlAttribute: 'expiresAt',
    globalSecondaryIndexes: [],
    localSecondaryIndexes: [],
    billingMode: 'PAY_PER_REQUEST',
    pointInTimeRecovery: true,
    itemKinds: { '<businessKey>': 'SHA-256 of network|STAN|RRN|transmission time|amount|currency' },
    attributes: {
      eventId: 'id of the payment.authorised event holding the claim',
      authorizationId: 'authorisation id of the claim holder',
      expiresAt: 'N, epoch seconds; after it the claim no longer counts (TTL deletes it later)',
    },
  },
  transactions: {
    envVar: 'TRANSACTIONS_TABLE',
    description: 'Transaction state (SWEEP-1) (RUNNING/RETRYING/FAILED/COMPLETED), optimistic locking on `version`.',
    partitionKey: S('transactionId'),
    globalSecondaryIndexes: (Object.keys(TRANSACTION_STATUS_INDEXES) as ListedStatus[]).map((status) => {
      const index = TRANSACTION_STATUS_INDEXES[status];
      return {
        indexName: index.indexName,
        partitionKey: S(index.attribute),
        sortKey: S(TRANSACTION_STATUS_SORT_KEY),
        projection: { type: 'ALL' } as const,
        description: `Sparse: transactions in status ${status}; partition = bucket "${status}#nn" (${index.buckets} buckets), sort = updatedAt.`,
      };
    }),
    localSecondaryIndexes: [],
    // AUDIT-1: the audit-stream function copies every new image to the audit trail.
    stream: 'NEW_IMAGE',
    billingMode: 'PAY_PER_REQUEST',
    pointInTimeRecovery: true,
    itemKinds: {
      '<transactionId>': 'the correlation id of a payment',
      'FLOW#REJECTED#<correlationId>': 'flow journal (FLOW-1): enrichment rejected the payment (reason)',
      'FLOW#RECORD#<sequenceId>': 'flow journal (FLOW-1): the posting record of the sequence is in the outbox',
    },
    attributes: {
      authorizationId: 'upstream authorisation id',
      status: 'RUNNING | RETRYING | FAILED | COMPLETED',
      stage: 'the consumer that failed (RETRYING / FAILED)',
      attempts: 'N, sweeper re-drives so far',
      lastError: 'last failure reason, ≤500 chars',
      pendingEvent: 'JSON of the event to re-drive',
      version: 'N, optimistic-locking version (1 after the first write)',
      updatedAt: 'ISO-8601 timestamp of the last write; sort key of the status indexes',
      retryJob: 'bucket key "RETRYING#nn", only while RETRYING',
      failedJob: 'bucket key "FAILED#nn", only while FAILED',
      runningJob: 'bucket key "RUNNING#nn", only while RUNNING',
    },
  },
  ledger: {
    envVar: 'LEDGER_TABLE',
    description:
      'FR7 double-entry ledger (LEDGER-1, HOT-1). One journal item per posting sequence holds all its legs (append-only, ' +
      'Put with attribute_not_exists: it is also the idempotency marker); balance items are per account shard, updated ' +
      'conditionally on their version. Each TransactWriteItems puts a chunk of journal items AND applies their sums with ' +
      'one versioned update per balance shard, so a sequence is recorded ⇔ its amounts are in the balances.',
    partitionKey: S('pk'),
    globalSecondaryIndexes: [
      {
        indexName: LEDGER_BALANCES_INDEX,
        partitionKey: S(LEDGER_BALANCE_ATTRIBUTES.accountId),
        sortKey: N(LEDGER_BALANCE_ATTRIBUTES.shard),
        projection: { type: 'KEYS_ONLY' },
        description:
          'Sparse, keys only: the balance items (journal items have no balanceAccountId). Its keys are written once, when a ' +
          'shard is created, so balance updates never write the index. Scanned by balances(), which then reads the shards.',
      },
    ],
    localSecondaryIndexes: [],
    // AUDIT-1: the audit-stream function copies every new image to the audit trail.
    stream: 'NEW_IMAGE',
    billingMode: 'PAY_PER_REQUEST',
    pointInTimeRecovery: true,
    itemKinds: {
      'SEQ#<sequenceId>': 'the journal item of a posting sequence: all its legs (append-only; never updated)',
      'BAL#<accountId>#<shard>': 'balance of one account shard; hot accounts have several shards, others shard 0',
    },
    attributes: {
      a: 'journal: authorisation id of the sequence (a leg: only where it differs)',
      d: 'journal: value date of leg 1 (a leg: only where it differs)',
      n: 'journal: narrative of leg 1 (a leg: only where it differs)',
      l: 'journal: list of legs in leg order, each a map: t = leg type code (CDEB, MCRD, FXPC, FXPD, FEED, FEEI), ac = account id, s = D | C, m = N minor units (always ≥ 0), c = ISO 4217 currency; i = leg index, k = leg count, id = leg id only where they differ from position + 1, the number of legs and "<sequenceId>:<index>"',
      balanceAccountId: 'balance: account id (partition key of the sparse balances GSI), written on creation',
      shard: 'balance: N, the shard number (sort key of the balances GSI), written on creation',
      balanceMinor: 'balance: N, credits minus debits in minor units',
      version: 'balance: N, number of conditional balance updates applied to this shard',
      currency: 'balance: ISO 4217 code',
    },
  },
  reference: {
    envVar: 'REFERENCE_TABLE',
    description: 'FR6 reference data (cards, accounts, merchants, products, FX rates), loaded as a versioned set.',
    partitionKey: S('pk'),
    globalSecondaryIndexes: [],
    localSecondaryIndexes: [],
    billingMode: 'PAY_PER_REQUEST',
    pointInTimeRecovery: true,
    itemKinds: {
      '<version>#CARD#<panToken>': 'CardRecord fields',
      '<version>#ACCOUNT#<accountId>': 'AccountRecord fields',
      '<version>#MERCHANT#<merchantId>': 'MerchantRecord fields',
      '<version>#PRODUCT#<productType>': 'ProductRecord fields (perTransactionLimit is a {value, currency} map)',
      '<version>#FX#<from>#<to>': 'FxRateRecord fields (rate is a decimal string)',
      'META#VERSION': '{ version, effectiveDate, previousVersion, loadedAt }: the live version (the one readers resolve), the one before it',
      'META#LOAD#<version>': '{ version, startedAt }: a load of that version is writing its items',
    },
    attributes: { kind: 'card | account | merchant | product | fx | meta | load', version: 'the reference data set version the item belongs to (the pointer: the live one)' },
  },
  rulesState: {
    envVar: 'RULES_STATE_TABLE',
    description: 'Rules engine state: per-card velocity items and first-writer-wins rules decisions.',
    partitionKey: S('pk'),
    sortKey: S('sk'),
    ttlAttribute: 'expiresAt',
    globalSecondaryIndexes: [],
    // None: the velocity window is a range of the table's own sort key (a local index would cost a write per payment).
    localSecondaryIndexes: [] as readonly IndexDefinition[],
    billingMode: 'PAY_PER_REQUEST',
    pointInTimeRecovery: true,
    itemKinds: {
      'VEL#<panToken> / T#<epoch ms, 15 digits>#<transactionId>': 'one payment of a card, in time order (idempotent by transactionId)',
      'DECISION#<correlationId> / DECISION': 'the rules decision of a transaction',
      'FLOW#INGESTED#<UTC hour>#<nn> / <ingestedAt>#<authorizationId>':
        'flow journal (FLOW-1): an authorisation ingested by the real-time or batch mode (authorizationId, correlationId, amount, currency, approved, ingestedAt, authorisation JSON when approved; expiresAt)',
      'FLOW#ANSWERED#<authorizationId> / ANSWERED': 'the real-time mode answered this authorisation (MODE-4): a later call with its id is answered as a duplicate (answeredAt; expiresAt)',
    },
    attributes: {
      expiresAt: 'velocity: N, epoch seconds (TTL), well after the velocity window',
      decision: 'decision: map (RulesDecision)',
    },
  },
  authorisations: {
    envVar: 'AUTHORISATIONS_TABLE',
    description: 'FR1 intake: approved authorisations; its NEW_IMAGE stream becomes payment.authorised events.',
    partitionKey: S('authorizationId'),
    globalSecondaryIndexes: [],
    localSecondaryIndexes: [],
    stream: 'NEW_IMAGE',
    billingMode: 'PAY_PER_REQUEST',
    pointInTimeRecovery: true,
    itemKinds: { '<authorizationId>': 'the Authorisation record (field names are a contract)' },
    attributes: {},
  },
  workbench: {
    envVar: 'WORKBENCH_TABLE',
    description:
      'Exceptions workbench (WB-1): one case per exception / proposed match of a reconciliation run, its append-only ' +
      'history, and a marker per imported run. Every case write is a TransactWriteItems: the case conditional on its ' +
      'version + its history event (attribute_not_exists).',
    partitionKey: S('pk'),
    sortKey: S('sk'),
    globalSecondaryIndexes: [
      {
        indexName: WORKBENCH_INDEXES.byStatus.indexName,
        partitionKey: S(WORKBENCH_INDEXES.byStatus.partitionKey),
        sortKey: S(WORKBENCH_INDEXES.byStatus.sortKey),
        projection: { type: 'ALL' },
        description: 'Sparse (case items only): cases of one status, oldest first (inverted age, then case id). Lists and counts.',
      },
      {
        indexName: WORKBENCH_INDEXES.byAccount.indexName,
        partitionKey: S(WORKBENCH_INDEXES.byAccount.partitionKey),
        sortKey: S(WORKBENCH_INDEXES.byAccount.sortKey),
        projection: { type: 'ALL' },
        description: 'Sparse (case items only): every case of one account (the import plan reads the accounts a run covered).',
      },
      {
        indexName: WORKBENCH_INDEXES.byUrgency.indexName,
        partitionKey: S(WORKBENCH_INDEXES.byUrgency.partitionKey),
        sortKey: S(WORKBENCH_INDEXES.byUrgency.sortKey),
        projection: { type: 'ALL' },
        description: "Sparse (case items only): cases of one status, most urgent first (SLA due day, inverted age, case id). The urgency list and a case page's n / p.",
      },
      {
        indexName: WORKBENCH_INDEXES.byAccountStatus.indexName,
        partitionKey: S(WORKBENCH_INDEXES.byAccountStatus.partitionKey),
        sortKey: S(WORKBENCH_INDEXES.byAccountStatus.sortKey),
        projection: { type: 'ALL' },
        description:
          'Sparse (case items only): cases of one account and status, oldest first (the byStatus sort key). A list filtered by account reads its page, not every case of the account. ' +
          'Cases written before the index existed carry no accountStatusKey until their one-off backfill (dynamo-workbench-store.ts).',
      },
      {
        indexName: WORKBENCH_INDEXES.byAccountUrgency.indexName,
        partitionKey: S(WORKBENCH_INDEXES.byAccountUrgency.partitionKey),
        sortKey: S(WORKBENCH_INDEXES.byAccountUrgency.sortKey),
        projection: { type: 'ALL' },
        description: 'Sparse (case items only): cases of one account and status, most urgent first (the byUrgency sort key). The default list filtered by account.',
      },
      {
        indexName: WORKBENCH_INDEXES.openRowsByAmount.indexName,
        partitionKey: S(WORKBENCH_INDEXES.openRowsByAmount.partitionKey),
        sortKey: S(WORKBENCH_INDEXES.openRowsByAmount.sortKey),
        projection: { type: 'INCLUDE', attributes: ['row'] },
        description: 'Sparse (open-row items with an indexable amount): the open rows of an account, currency and side by exact amount: a candidate lookup reads the nearest above and below.',
      },
      {
        indexName: WORKBENCH_INDEXES.openRowsByReference.indexName,
        partitionKey: S(WORKBENCH_INDEXES.openRowsByReference.partitionKey),
        sortKey: S(WORKBENCH_INDEXES.openRowsByReference.sortKey),
        projection: { type: 'INCLUDE', attributes: ['row'] },
        description: 'Sparse (reference items): the open rows of an account, currency and side carrying one normalised reference or batch key.',
      },
      {
        indexName: WORKBENCH_INDEXES.bulkRunning.indexName,
        partitionKey: S(WORKBENCH_INDEXES.bulkRunning.partitionKey),
        sortKey: S(WORKBENCH_INDEXES.bulkRunning.sortKey),
        projection: { type: 'KEYS_ONLY' },
        description: 'Sparse (bulk job items while running): the jobs the scheduled advancer works with no page open, oldest first. Keys only: the job is read from its partition.',
      },
    ],
    localSecondaryIndexes: [],
    // AUDIT-1: the audit-stream function copies every new image to the audit trail.
    stream: 'NEW_IMAGE',
    billingMode: 'PAY_PER_REQUEST',
    pointInTimeRecovery: true,
    itemKinds: {
      'CASE#<caseId> / CASE': 'the case (ExceptionCase fields, version = optimistic lock)',
      'CASE#<caseId> / EVENT#<version, 9 digits>': 'one history event (CaseEvent), append-only',
      'RUN#<runId> / RUN': 'the run was imported (written after every case write of the import)',
      'CASE#<caseId> / ROW#<side>#<rowId>': 'an open row of an OPEN exception case (candidates), present while the case is OPEN',
      'CASE#<caseId> / REF#<JSON [side, rowId, key]>': 'one normalised reference or batch key of an open row',
      'RUNSTATS / RUN#<runId>': 'REC-DASH-1: the statistics of an imported run',
      'COUNTS / SHARD#<nn>':
        "the list's counts and the dashboard's ages, one of 16 shards: S#<status> cases, R#<reason> and A#<ageDays> OPEN and PENDING_APPROVAL cases (ADDed in the case writes' transactions)",
      'COUNTS / READY': 'every case of the table was written with counts (the first import into an empty table writes it)',
      'RUN#<runId> / CHUNK#<hash>': 'one committed transaction of an import (a retried chunk is not written or counted twice)',
      'BULK#<jobId> / JOB': 'a bulk job as created (its action, filter and who started it) and how many chunks it has (dynamo-bulk-job-store.ts)',
      'BULK#<jobId> / CHUNK#<nnnn>': "a chunk of the job's cases in order, its lease (holder, until) and each case's result",
    },
    attributes: {
      statusKey: 'case: "STATUS#<status>" (partition key of byStatus)',
      statusSort: 'case: "<9999 - ageDays>#<caseId>" (sort key of byStatus and byAccountStatus: oldest first)',
      accountKey: 'case: "ACCOUNT#<accountId>" (partition key of byAccount)',
      urgencySort: 'case: "<due day>#<9999 - ageDays>#<caseId>" (sort key of byUrgency and byAccountUrgency: most urgent first)',
      accountStatusKey:
        'case: "ACCOUNTSTATUS#<JSON [accountId, status]>" (partition key of byAccountStatus and byAccountUrgency); written by every case Put (an import\'s refresh keeps account and status); ' +
        'absent on cases written before these indexes until the one-off backfill',
      rowKey: 'open row: "ROWS#<JSON [accountId, currency, side]>" (partition key of openRowsByAmount)',
      rowAmount: 'open row: "<minor units + 2^63, 20 digits>#<JSON [caseId, rowId]>" (sort key of openRowsByAmount); absent beyond 64 bits',
      refKey: 'reference item: "REFS#<JSON [accountId, currency, side, key]>" (partition key of openRowsByReference)',
      row: 'open row and reference items: S, the OpenRow JSON (candidates.ts)',
      caseVersion: "open row and reference items: N, the case version that wrote them (a later version's rows are never deleted by an earlier one)",
      version: 'case: N, optimistic-locking version (1 = raised); event: N, the version it produced',
      resolution: 'case: map (Resolution)',
      writeOff: 'case: map, the pending write-off proposal',
      ledgerEntryIds: 'case: list of ledger entry ids',
      bulkState: 'bulk job (JOB item): "RUNNING" from its creation until the scheduled advancer sees every chunk done (partition key of bulkRunning)',
      bulkSort: 'bulk job (JOB item): "<startedAt>#<jobId>" (sort key of bulkRunning: oldest first)',
    },
  },
  workbenchSessions: {
    envVar: 'WORKBENCH_SESSIONS_TABLE',
    description:
      "WB-AUTH-1 sign-in of the exceptions workbench: server-side sessions (under the SHA-256 of the cookie's random id, never the id) and " +
      'pending sign-ins (one use: taken with a DeleteItem returning ALL_OLD). A session is rotated with one TransactWriteItems (Delete of the old ' +
      'key conditional on it existing + Put of the new). TTL deletes what has expired; the sign-in code refuses an expired item TTL has not yet removed.',
    partitionKey: S('pk'),
    ttlAttribute: 'expiresAt',
    globalSecondaryIndexes: [],
    localSecondaryIndexes: [],
    billingMode: 'PAY_PER_REQUEST',
    pointInTimeRecovery: true,
    itemKinds: {
      'SESSION#<SHA-256 of the session id, base64url>': 'a signed-in session (SessionRecord JSON; lastSeenAt kept apart, touched in place)',
      'SIGNIN#<state>': 'an authorization request on its way (PendingSignIn JSON: state, nonce, PKCE verifier), taken once by the callback',
    },
    attributes: {
      record: 'S: the JSON of the session or the pending sign-in',
      createdAt: 'N: epoch ms the session or sign-in began',
      lastSeenAt: "N: epoch ms of the session's last recorded request (idle expiry counts from it)",
      expiresAt: "N: TTL, epoch seconds: a session's absolute limit, a sign-in's 10 minutes",
    },
  },
  apiIdempotency: {
    envVar: 'API_IDEMPOTENCY_TABLE',
    description: 'API-1 idempotency keys of the payments API: one item per client and Idempotency-Key, with the first response; API-3 the submitting client of each payment.',
    partitionKey: S('recordId'),
    ttlAttribute: 'expiresAt',
    globalSecondaryIndexes: [],
    localSecondaryIndexes: [],
    billingMode: 'PAY_PER_REQUEST',
    pointInTimeRecovery: true,
    itemKinds: {
      '<recordId>': 'SHA-256 of client id NUL Idempotency-Key (64 hex digits)',
      'PAYMENT#<paymentId>': 'API-3: the client that submitted the payment (no TTL: the payment stays readable by it)',
    },
    attributes: {
      clientId: 'the OAuth client that sent the key',
      ownerClientId: 'PAYMENT# items: the OAuth client that submitted the payment',
      fingerprint: 'SHA-256 of the method, route and canonical JSON body',
      state: 'in-flight | completed',
      leaseUntilMs: 'epoch ms until which an in-flight claim holds (then a retry with the same body takes it over)',
      expiresAtMs: 'epoch ms after which the record counts as absent',
      expiresAt: 'TTL: epoch seconds',
      responseStatus: 'the stored response: HTTP status',
      responseHeaders: 'the stored response: headers (JSON)',
      responseBody: 'the stored response: body, byte for byte',
    },
  },
  notifications: {
    envVar: 'NOTIFICATIONS_TABLE',
    description: 'Notification and webhook deliveries (state + log, the sweeper pattern) and partner webhook subscriptions',
    partitionKey: S('pk'),
    sortKey: S('sk'),
    ttlAttribute: 'expiresAt',
    globalSecondaryIndexes: Object.values(NOTIFY_STATUS_INDEXES).map((index) => ({
      indexName: index.indexName,
      partitionKey: S(index.attribute),
      sortKey: S(index.sortKey),
      projection: { type: 'ALL' } as const,
      description: `Sparse: deliveries while ${index.attribute.replace('Bucket', '').toUpperCase()}, by ${index.sortKey}`,
    })),
    localSecondaryIndexes: [],
    billingMode: 'PAY_PER_REQUEST',
    pointInTimeRecovery: true,
    itemKinds: {
      'DELIVERY#<deliveryId> / STATE': 'a delivery: status, attempts, due time, version, payload',
      'DELIVERY#<deliveryId> / ATTEMPT#<nnnnnn>': 'one attempt of the delivery log',
      'SUBSCRIPTIONS / <subscriptionId>': 'a partner webhook endpoint and its key ids (signing secrets are in Secrets Manager, never here)',
    },
    attributes: {
      version: 'N: optimistic lock of a delivery state',
      status: 'S: RUNNING | RETRYING | COMPLETED | FAILED',
      dueAt: 'S: ISO instant a RETRYING delivery is due',
      updatedAt: 'S: ISO instant of the last write',
      retryBucket: 'S: RETRYING#nn while RETRYING (sparse)',
      runningBucket: 'S: RUNNING#nn while RUNNING (sparse)',
      failedBucket: 'S: FAILED#nn while FAILED (sparse)',
      body: 'S: the JSON of the delivery state, the attempt or the subscription',
      expiresAt: 'N: TTL, epoch seconds (ended deliveries)',
    },
  },
} as const satisfies Record<string, TableDefinition>;

export type TableName = keyof typeof TABLES;
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** The attribute definitions DynamoDB needs: every key attribute of the table and its indexes, once. */
export function attributeDefinitions(table: TableDefinition): KeyAttribute[] {
  const byName = new Map<string, KeyAttribute>();
  const add = (key: KeyAttribute | undefined) => {
    if (!key) return;
    const seen = byName.get(key.name);
    if (seen && seen.type !== key.type) throw new Error(`attribute ${key.name} is declared as ${seen.type} and ${key.type}`);
    byName.set(key.name, key);
  };
  add(table.partitionKey);
  add(table.sortKey);
  for (const index of [...table.globalSecondaryIndexes, ...table.localSecondaryIndexes]) {
    add(index.partitionKey);
    add(index.sortKey);
  }
  return [...byName.values()];
}

function keySchema(partitionKey: KeyAttribute, sortKey?: KeyAttribute) {
  return [{ AttributeName: partitionKey.name, KeyType: 'HASH' as const }, ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }] : [])];
}

function projection(value: Projection) {
  return value.type === 'INCLUDE' ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...value.attributes] } : { ProjectionType: value.type };
}

/** The CreateTable request for `table` named `tableName` (TTL is a separate UpdateTimeToLive call). */
export function createTableInput(table: TableDefinition, tableName: string): CreateTableCommandInput {
  const input: CreateTableCommandInput = {
    TableName: tableName,
    BillingMode: table.billingMode,
    AttributeDefinitions: attributeDefinitions(table).map((key) => ({ AttributeName: key.name, AttributeType: key.type })),
    KeySchema: keySchema(table.partitionKey, table.sortKey),
  };
  if (table.globalSecondaryIndexes.length > 0) {
    input.GlobalSecondaryIndexes = table.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: keySchema(index.partitionKey, index.sortKey),
      Projection: projection(index.projection),
    }));
  }
  if (table.localSecondaryIndexes.length > 0) {
    input.LocalSecondaryIndexes = table.localSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: keySchema(index.partitionKey, index.sortKey),
      Projection: projection(index.projection),
    }));
  }
  if (table.stream) input.StreamSpecification = { StreamEnabled: true, StreamViewType: table.stream };
  return input;
}
