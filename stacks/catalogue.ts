/**
 * Every Lambda function Ledgerline deploys, and how it is invoked. Derived from the routes
 * module (one consumer per route of the environment's topology, FUSE-1) plus the functions no
 * route feeds.
 */
import { FUSED_CONSUMER, HOT_PATH_STAGES, TOPOLOGIES, routesFor, type Route, type StageName, type Topology } from '../src/routes';
import { keys as reconKeys, runOutwardEventsKey } from '../src/recon/run/aws/steps';
import type { DeployedFunctionName, EdgeFunctionName, EnvironmentConfig, FunctionSizing, ModeFunctionName } from '../environments/types';
import { ANALYTICS_PREFIXES, INGEST_PREFIXES } from './naming';

/**
 * The functions of the operating modes and the flow audit (MODE-2, MODE-4, FLOW-1..3), deployed
 * in every topology: `authorise` (the real-time mode's synchronous call), `ingest-batch` (a file
 * dropped under the ingest bucket's batch prefix) and `flow-auditor` (scheduled).
 */
export const MODE_FUNCTIONS = ['authorise', 'ingest-batch', 'flow-auditor'] as const satisfies readonly ModeFunctionName[];
export type { ModeFunctionName };

/** Every function a stack may deploy. */
export type CatalogueFunctionName = DeployedFunctionName;

export function isModeFunction(name: CatalogueFunctionName): name is ModeFunctionName {
  return (MODE_FUNCTIONS as readonly string[]).includes(name);
}

/**
 * A function's sizing: the environment's, always explicit (environments/*.ts `functions`). No
 * default is assumed for any function: a missing one fails the synth naming the environment and
 * the function. (The mode functions' sizes were once derived here; their reasoning is kept beside
 * each environment's values.)
 */
export function functionSizing(config: EnvironmentConfig, name: CatalogueFunctionName): FunctionSizing {
  const configured = (config.functions as Partial<Record<CatalogueFunctionName, FunctionSizing>>)[name];
  if (configured) return configured;
  throw new Error(`environment ${config.name} (${config.prefix}): no sizing for function ${name}: add it to environments/${config.name}.ts functions`);
}

/**
 * The flow auditor's schedule and settings (FLOW-2, FLOW-3). The alarm's period (stacks/lib/flow-auditor.ts)
 * equals the schedule's interval, so a period never falls between two audits. A payment counts as
 * stuck after 30 minutes: past two sweeper runs (SWEEP-2 re-drives what a stage parked first).
 */
export const FLOW_AUDIT_SETTINGS = Object.freeze({
  scheduleMinutes: 15,
  stuckAfterSeconds: 1800,
  windowSeconds: 86_400,
  repair: true,
});

export interface BucketAccess {
  bucket: 'ingest' | 'analytics';
  read?: readonly string[];
  /** Exact keys or key patterns (IAM wildcards) the function only reads at their current version (s3:GetObject). */
  readObjects?: readonly string[];
  /** Prefixes whose keys the function lists (s3:ListBucket with an s3:prefix condition). */
  list?: readonly string[];
  write?: readonly string[];
  delete?: readonly string[];
}

export type FunctionKind =
  | 'route-consumer'
  | 'pipe-enrichment'
  | 'scheduled'
  | 'event-trigger'
  | 'workflow-task'
  | 'load-balancer-target'
  | 'synchronous-api'
  /** Behind the HTTP API (API Gateway invokes it per request). */
  | 'http-api'
  /** Reads its own queue (not a hot-path route): the notifier's outward events. */
  | 'queue-consumer'
  /** Reads DynamoDB streams through event source mappings. */
  | 'stream-consumer';

/** The customer edge's functions (API-1..5, NOTIFY-1/2, HOOK-1/2, AUDIT-1..3), deployed in every topology. */
export const EDGE_FUNCTIONS = ['api', 'notify', 'webhook-sweeper', 'audit-stream'] as const satisfies readonly EdgeFunctionName[];

export function isEdgeFunction(name: CatalogueFunctionName): name is EdgeFunctionName {
  return (EDGE_FUNCTIONS as readonly string[]).includes(name);
}

/** How often the webhook sweeper looks for due deliveries (HOOK-2: retries are due minutes apart). */
export const WEBHOOK_SWEEP_SCHEDULE = 'rate(1 minute)';

export interface CatalogueEntry {
  name: CatalogueFunctionName;
  kind: FunctionKind;
  description: string;
  /** The route feeding a route consumer. */
  route?: Route;
  /** S3 prefixes the function reads / writes / deletes (its role and the bucket policy both follow this). */
  s3?: readonly BucketAccess[];
}

/** S3 access of the hot-path stages (parked duplicates, the posting outbox). */
const STAGE_S3: Partial<Record<StageName, readonly BucketAccess[]>> = {
  dedup: [{ bucket: 'ingest', write: [INGEST_PREFIXES.parked] }],
  assembler: [{ bucket: 'ingest', write: [INGEST_PREFIXES.outbox] }],
};

/** A route consumer's S3 access: its stage's, or (fused) every stage's it runs. */
function consumerS3(route: Route): readonly BucketAccess[] | undefined {
  const stages: readonly StageName[] = route.consumer === FUSED_CONSUMER ? HOT_PATH_STAGES : [route.consumer];
  const accesses = stages.flatMap((stage) => STAGE_S3[stage] ?? []);
  if (accesses.length === 0) return undefined;
  const write = [...new Set(accesses.filter((access) => access.bucket === 'ingest').flatMap((access) => access.write ?? []))];
  if (accesses.some((access) => access.bucket !== 'ingest' || access.read || access.readObjects || access.list || access.delete)) throw new Error(`route ${route.name}: only ingest writes are merged`);
  return [{ bucket: 'ingest', write }];
}

/** The functions no route feeds (the same in every topology). S3 layout of the reconciliation steps: src/recon/run/aws/steps.ts. */
const OTHER_FUNCTIONS: readonly CatalogueEntry[] = Object.freeze([
  { name: 'ingest', kind: 'pipe-enrichment', description: 'FR1: Pipe enrichment, authorisation stream records → payment.authorised events' },
  { name: 'sweeper', kind: 'scheduled', description: 'Sweeper (SWEEP-2): re-drives RETRYING transactions, fails exhausted ones' },
  { name: 'reconcile-trigger', kind: 'event-trigger', description: 'REC-2: S3 object-created → reconciliation execution named from bucket/key/version' },
  {
    name: 'reconcile-normalise',
    kind: 'workflow-task',
    description: 'REC-2: statement file → checked, partitioned, normalised records; re-upload claim; bad files → quarantine/',
    s3: [
      {
        bucket: 'ingest',
        // incoming/ holds the statements and the ledger exports (incoming/ledger/).
        read: [INGEST_PREFIXES.incoming, INGEST_PREFIXES.registry],
        write: [INGEST_PREFIXES.quarantine, INGEST_PREFIXES.registry],
        // A bad file MOVES to quarantine/.
        delete: [INGEST_PREFIXES.incomingStatements],
      },
      { bucket: 'analytics', write: [ANALYTICS_PREFIXES.normalised] },
    ],
  },
  {
    name: 'reconcile-match',
    kind: 'workflow-task',
    description: 'REC-2: the one matcher, run on one chunk of account/currency partitions',
    s3: [{ bucket: 'analytics', read: [ANALYTICS_PREFIXES.normalised], write: [ANALYTICS_PREFIXES.matches] }],
  },
  {
    name: 'reconcile-summarise',
    kind: 'workflow-task',
    description: 'REC-2: merge partition results → matches/exceptions CSV, summary, Redshift load files; the ledger entries the run matched → the registry',
    s3: [
      { bucket: 'analytics', read: [ANALYTICS_PREFIXES.normalised, ANALYTICS_PREFIXES.matches], write: [ANALYTICS_PREFIXES.matches] },
      // REC-RUN-1: the run's content claim is checked, then its matched ledger entries are recorded (recon-registry.ts).
      // GetObject only (no object versions): the registry's objects are read by key.
      { bucket: 'ingest', readObjects: [`${INGEST_PREFIXES.registry}*`], write: [INGEST_PREFIXES.registry] },
    ],
  },
  {
    name: 'reconcile-cases',
    kind: 'workflow-task',
    description: 'RaiseCases (WB-1): the cases.json of a run → the exceptions workbench (raise, reopen, clear; once per run); then the run is announced on the bus (NOTIFY-1)',
    // NOTIFY-1: the run's prepared reconciliation.completed events (summarise writes them before its commit).
    s3: [{ bucket: 'analytics', readObjects: [reconKeys.runCases('*'), runOutwardEventsKey('*')] }],
  },
  {
    name: 'reconcile-workbench',
    kind: 'load-balancer-target',
    description: 'WB-1: the exceptions workbench behind the internal ALB (Okta SSO at the ALB)',
    s3: [
      {
        bucket: 'ingest',
        // ADJ-1: an approved write-off's posting record goes to the core-banking outbox. REC-1: an uploaded
        // statement is a PUT the function presigns (S3 authorises it as the function's own s3:PutObject, with
        // kms:GenerateDataKey on the bucket key) of one object under incoming/statements/ (src/adapters/aws/s3-statement-inbox.ts).
        write: [INGEST_PREFIXES.outbox, INGEST_PREFIXES.incomingStatements],
        // The upload's page: its object (HeadObject, and its bytes hashed once), the registry's content claim of
        // that hash, and a quarantined upload's reason object (quarantine/recon-<upload id>--…/<name>.reason.json).
        readObjects: [`${INGEST_PREFIXES.incomingStatements}*`, `${INGEST_PREFIXES.registry}*`, `${INGEST_PREFIXES.quarantine}recon-*.reason.json`],
        // Found by listing: the upload's object by its id, a quarantined upload's by its run's prefix (a 404, not a 403, when absent).
        list: [INGEST_PREFIXES.incomingStatements, `${INGEST_PREFIXES.quarantine}recon-`],
      },
    ],
  },
  {
    name: 'authorise',
    kind: 'synchronous-api',
    description: 'MODE-4: real-time mode, the payments API invokes it with one authorisation and gets its outcome (the fused hot path)',
    // It runs every hot-path stage: parked duplicates and the outbox, as hot-path.
    s3: [{ bucket: 'ingest', write: [INGEST_PREFIXES.parked, INGEST_PREFIXES.outbox] }],
  },
  {
    name: 'ingest-batch',
    kind: 'event-trigger',
    description: 'MODE-2: a file of authorisations under incoming/authorisations/ → posted in chunks through the fused hot path, once per content',
    s3: [
      {
        bucket: 'ingest',
        // The dropped file (GetObject of its current version), then each file's registry record (read and written).
        readObjects: [`${INGEST_PREFIXES.incomingAuthorisations}*`, `${INGEST_PREFIXES.batchRegistry}*`],
        // A file never seen has no record: listing the prefix makes that a 404, not a 403.
        list: [INGEST_PREFIXES.batchRegistry],
        write: [INGEST_PREFIXES.parked, INGEST_PREFIXES.outbox, INGEST_PREFIXES.batchRegistry],
      },
    ],
  },
  {
    name: 'flow-auditor',
    kind: 'scheduled',
    description: 'FLOW-1..3: audits the flow of the last window from the stage tables, re-emits stuck payments, publishes the figures',
    // The parked duplicates are listed (dedup's verdict on a duplicate): s3:ListBucket on the parked prefix.
    s3: [{ bucket: 'ingest', list: [INGEST_PREFIXES.parked] }],
  },
  {
    name: 'api',
    kind: 'http-api',
    description: 'API-1..5: the payments API behind CloudFront + WAF and the HTTP API JWT authorizer; posts in real time through the authorise handler in process (MODE-4)',
    // It runs every hot-path stage (in process, through authorise's handler): parked duplicates and the outbox.
    s3: [{ bucket: 'ingest', write: [INGEST_PREFIXES.parked, INGEST_PREFIXES.outbox] }],
  },
  { name: 'notify', kind: 'queue-consumer', description: 'NOTIFY-1/2, HOOK-1/2: outward events (their own queue) → email, SMS, push and partner webhooks, each delivery recorded once' },
  { name: 'webhook-sweeper', kind: 'scheduled', description: 'HOOK-2: re-attempts the due notification and webhook deliveries' },
  { name: 'audit-stream', kind: 'stream-consumer', description: "AUDIT-1..3: the ledger, transactions and workbench tables' new images → the audit trail (Aurora PostgreSQL)" },
]);

const catalogues = new Map<Topology, readonly CatalogueEntry[]>();

/** The functions an environment of `topology` deploys: one consumer per route, then the others. */
export function functionCatalogue(topology: Topology): readonly CatalogueEntry[] {
  let catalogue = catalogues.get(topology);
  if (!catalogue) {
    const consumers = routesFor(topology).map((route): CatalogueEntry => {
      const s3 = consumerS3(route);
      return { name: route.consumer, kind: 'route-consumer', description: route.description, route, ...(s3 ? { s3 } : {}) };
    });
    catalogue = Object.freeze([...consumers, ...OTHER_FUNCTIONS]);
    catalogues.set(topology, catalogue);
  }
  return catalogue;
}

/** Every function some topology deploys (each needs an entry point, functions/<name>/index.ts). */
export function deployableFunctions(): CatalogueFunctionName[] {
  return [...new Set(TOPOLOGIES.flatMap((topology) => functionCatalogue(topology).map((entry) => entry.name)))];
}

/** Functions whose role touches `bucket` (its bucket policy admits exactly these roles). */
export function bucketUsers(bucket: BucketAccess['bucket'], topology: Topology): CatalogueFunctionName[] {
  return functionCatalogue(topology)
    .filter((entry) => entry.s3?.some((access) => access.bucket === bucket))
    .map((entry) => entry.name);
}
