/**
 * The environment-variable contract of the Lambda functions. The infrastructure sets, per
 * function, exactly `variablesFor(name)`; the function reads them once at cold start with
 * `readFunctionConfig(name)` (or `readRuntimeConfig(env, required)`), which fails fast with one
 * error naming every missing or malformed variable.
 */
import { FUSED_CONSUMER, HOT_PATH_STAGES, type ConsumerName, type StageName } from '../../routes';
import { DEFAULT_DEDUP_CONFIG } from '../../domain/dedup';
import { MAX_HOT_ACCOUNT_SHARDS } from '../../domain/hot-accounts';

export const RUNTIME_VARIABLES = {
  EVENT_BUS_NAME: 'Name of the EventBridge bus events are published to',
  DEDUP_TABLE: 'DynamoDB table TABLES.dedup',
  TRANSACTIONS_TABLE: 'DynamoDB table TABLES.transactions',
  LEDGER_TABLE: 'DynamoDB table TABLES.ledger',
  REFERENCE_TABLE: 'DynamoDB table TABLES.reference',
  RULES_STATE_TABLE: 'DynamoDB table TABLES.rulesState',
  AUTHORISATIONS_TABLE: 'DynamoDB table TABLES.authorisations',
  INGEST_BUCKET: 'S3 bucket holding parked duplicates and the core-banking outbox',
  PARKED_PREFIX: 'Key prefix of parked duplicates (default "parked/")',
  OUTBOX_PREFIX: 'Key prefix of posting records (default "outbox/postings/")',
  REDRIVE_STATE_MACHINE_ARN: 'Step Functions state machine the sweeper re-drives through',
  REDRIVE_QUEUE_URL: 'Fallback when no state machine: SQS queue URL the sweeper re-drives to',
  DEDUP_WINDOW_SECONDS: `Seconds a business key blocks duplicates (default ${DEFAULT_DEDUP_CONFIG.windowSeconds})`,
  HOT_ACCOUNT_SHARDS: 'JSON object accountId → balance shard count for hot accounts, e.g. {"SETTLE-GBP-001":74} (default {})',
  REFERENCE_DATA_VERSION: 'Reference data set version (default: the META#VERSION item of the reference table)',
  LEDGERLINE_ENVIRONMENT: 'Environment name (dev / staging / prod): the Environment dimension of custom metrics',
  PIPE_NAME: 'Name of the authorisation-stream EventBridge Pipe: the Pipe dimension of the iterator-age metric',
} as const;

export type RuntimeVariable = keyof typeof RUNTIME_VARIABLES;

/** The deployed functions: the route consumers of either topology (src/routes.ts), the Pipe's ingest enrichment and the sweeper. */
export type FunctionName = ConsumerName | 'ingest' | 'sweeper';

/**
 * A requirement is a variable name, or alternatives joined by "|" (at least one must be set).
 */
export type Requirement = RuntimeVariable | `${RuntimeVariable}|${RuntimeVariable}`;

export interface FunctionEnvironment {
  required: readonly Requirement[];
  optional: readonly RuntimeVariable[];
}

/** What each hot-path stage reads (its own function in the staged topology; a part of `hot-path` fused). */
const STAGE_ENVIRONMENT: Readonly<Record<StageName, FunctionEnvironment>> = Object.freeze({
  dedup: {
    required: ['EVENT_BUS_NAME', 'DEDUP_TABLE', 'TRANSACTIONS_TABLE', 'INGEST_BUCKET'],
    optional: ['PARKED_PREFIX', 'DEDUP_WINDOW_SECONDS'],
  },
  // TRANSACTIONS_TABLE: every consumer parks an exhausted record as RETRYING (park-exhausted).
  standardise: { required: ['EVENT_BUS_NAME', 'TRANSACTIONS_TABLE'], optional: [] },
  enrich: { required: ['EVENT_BUS_NAME', 'TRANSACTIONS_TABLE', 'REFERENCE_TABLE'], optional: ['REFERENCE_DATA_VERSION'] },
  // The product comes with the enriched payment (POST-3): rules read no reference data.
  rules: { required: ['EVENT_BUS_NAME', 'TRANSACTIONS_TABLE', 'RULES_STATE_TABLE'], optional: [] },
  posting: { required: ['EVENT_BUS_NAME', 'TRANSACTIONS_TABLE', 'LEDGER_TABLE'], optional: ['HOT_ACCOUNT_SHARDS'] },
  assembler: { required: ['EVENT_BUS_NAME', 'TRANSACTIONS_TABLE', 'INGEST_BUCKET'], optional: ['OUTBOX_PREFIX'] },
});

/** The fused function (FUSE-1) reads exactly what its stages read: the union of their contracts. */
function fusedEnvironment(): FunctionEnvironment {
  const required = [...new Set(HOT_PATH_STAGES.flatMap((stage) => STAGE_ENVIRONMENT[stage].required))];
  const optional = [...new Set(HOT_PATH_STAGES.flatMap((stage) => STAGE_ENVIRONMENT[stage].optional))].filter((variable) => !required.includes(variable));
  return { required, optional };
}

export const FUNCTION_ENVIRONMENT: Readonly<Record<FunctionName, FunctionEnvironment>> = Object.freeze({
  ingest: { required: [], optional: ['LEDGERLINE_ENVIRONMENT', 'PIPE_NAME'] },
  ...STAGE_ENVIRONMENT,
  [FUSED_CONSUMER]: fusedEnvironment(),
  sweeper: {
    required: ['EVENT_BUS_NAME', 'TRANSACTIONS_TABLE', 'REDRIVE_STATE_MACHINE_ARN|REDRIVE_QUEUE_URL'],
    optional: [],
  },
});

/** Every variable the infrastructure should set for `name` (required alternatives included). */
export function variablesFor(name: FunctionName): RuntimeVariable[] {
  const environment = FUNCTION_ENVIRONMENT[name];
  const names = environment.required.flatMap((requirement) => requirement.split('|') as RuntimeVariable[]);
  return [...new Set([...names, ...environment.optional])];
}

export interface RuntimeConfig {
  eventBusName?: string;
  tables: {
    dedup?: string;
    transactions?: string;
    ledger?: string;
    reference?: string;
    rulesState?: string;
    authorisations?: string;
  };
  ingestBucket?: string;
  parkedPrefix: string;
  outboxPrefix: string;
  redriveStateMachineArn?: string;
  redriveQueueUrl?: string;
  dedupWindowSeconds: number;
  hotAccountShards: Record<string, number>;
  referenceDataVersion?: string;
  environmentName?: string;
  pipeName?: string;
}

export class RuntimeConfigError extends Error {
  override name = 'RuntimeConfigError';
  constructor(
    readonly missing: readonly string[],
    readonly invalid: readonly string[],
  ) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing environment variables: ${missing.join(', ')}`);
    if (invalid.length > 0) parts.push(`invalid environment variables: ${invalid.join('; ')}`);
    super(parts.join('; '));
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

const MAX_SHARDS = MAX_HOT_ACCOUNT_SHARDS;

function present(env: Environment, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function withSlash(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

function parseHotAccountShards(text: string, invalid: string[]): Record<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    invalid.push('HOT_ACCOUNT_SHARDS is not JSON (expected {"<accountId>": <shards>})');
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    invalid.push('HOT_ACCOUNT_SHARDS must be a JSON object {"<accountId>": <shards>}');
    return {};
  }
  const shards: Record<string, number> = {};
  for (const [accountId, count] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
      invalid.push(`HOT_ACCOUNT_SHARDS["${accountId}"] must be an integer from 1 to ${MAX_SHARDS}`);
    } else {
      shards[accountId] = count;
    }
  }
  return shards;
}

/**
 * Reads the contract from `env`. Every name in `required` must be set (non-blank); a
 * requirement "A|B" needs at least one of A and B. Throws one RuntimeConfigError naming all
 * missing and malformed variables.
 */
export function readRuntimeConfig(env: Environment = process.env, required: readonly string[] = []): RuntimeConfig {
  const missing: string[] = [];
  const invalid: string[] = [];
  for (const requirement of required) {
    const alternatives = requirement.split('|');
    if (!alternatives.some((name) => present(env, name) !== undefined)) {
      missing.push(alternatives.length > 1 ? `one of ${alternatives.join(' or ')}` : requirement);
    }
  }

  let dedupWindowSeconds = DEFAULT_DEDUP_CONFIG.windowSeconds;
  const window = present(env, 'DEDUP_WINDOW_SECONDS');
  if (window !== undefined) {
    if (/^[1-9][0-9]{0,9}$/.test(window)) dedupWindowSeconds = Number(window);
    else invalid.push(`DEDUP_WINDOW_SECONDS must be a positive integer (got "${window}")`);
  }

  const shardsText = present(env, 'HOT_ACCOUNT_SHARDS');
  const hotAccountShards = shardsText === undefined ? {} : parseHotAccountShards(shardsText, invalid);

  if (missing.length > 0 || invalid.length > 0) throw new RuntimeConfigError(missing, invalid);

  return {
    eventBusName: present(env, 'EVENT_BUS_NAME'),
    tables: {
      dedup: present(env, 'DEDUP_TABLE'),
      transactions: present(env, 'TRANSACTIONS_TABLE'),
      ledger: present(env, 'LEDGER_TABLE'),
      reference: present(env, 'REFERENCE_TABLE'),
      rulesState: present(env, 'RULES_STATE_TABLE'),
      authorisations: present(env, 'AUTHORISATIONS_TABLE'),
    },
    ingestBucket: present(env, 'INGEST_BUCKET'),
    parkedPrefix: withSlash(present(env, 'PARKED_PREFIX') ?? 'parked/'),
    outboxPrefix: withSlash(present(env, 'OUTBOX_PREFIX') ?? 'outbox/postings/'),
    redriveStateMachineArn: present(env, 'REDRIVE_STATE_MACHINE_ARN'),
    redriveQueueUrl: present(env, 'REDRIVE_QUEUE_URL'),
    dedupWindowSeconds,
    hotAccountShards,
    referenceDataVersion: present(env, 'REFERENCE_DATA_VERSION'),
    environmentName: present(env, 'LEDGERLINE_ENVIRONMENT'),
    pipeName: present(env, 'PIPE_NAME'),
  };
}

/** readRuntimeConfig with the requirements of function `name`. */
export function readFunctionConfig(name: FunctionName, env: Environment = process.env): RuntimeConfig {
  return readRuntimeConfig(env, FUNCTION_ENVIRONMENT[name].required);
}

/** Returns `value`, or throws naming the variable (for wiring code after readRuntimeConfig). */
export function requireSetting<T>(value: T | undefined, variable: RuntimeVariable): T {
  if (value === undefined) throw new RuntimeConfigError([variable], []);
  return value;
}
