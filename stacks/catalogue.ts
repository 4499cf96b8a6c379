/**
 * Every Lambda function Ledgerline deploys, and how it is invoked. Derived from the routes
 * module (one consumer per route) plus the functions no route feeds.
 */
import { ROUTES, type Route } from '../src/routes';
import { keys as reconKeys } from '../src/recon/run/aws/steps';
import type { DeployedFunctionName } from '../environments/types';
import { ANALYTICS_PREFIXES, INGEST_PREFIXES } from './naming';

export interface BucketAccess {
  bucket: 'ingest' | 'analytics';
  read?: readonly string[];
  /** Exact keys or key patterns (IAM wildcards) the function only reads at their current version (s3:GetObject). */
  readObjects?: readonly string[];
  write?: readonly string[];
  delete?: readonly string[];
}

export type FunctionKind = 'route-consumer' | 'pipe-enrichment' | 'scheduled' | 'event-trigger' | 'workflow-task' | 'load-balancer-target';

export interface CatalogueEntry {
  name: DeployedFunctionName;
  kind: FunctionKind;
  description: string;
  /** The route feeding a route consumer. */
  route?: Route;
  /** S3 prefixes the function reads / writes / deletes (its role and the bucket policy both follow this). */
  s3?: readonly BucketAccess[];
}

/** S3 access of the route consumers (parked duplicates, the posting outbox). */
const CONSUMER_S3: Partial<Record<DeployedFunctionName, readonly BucketAccess[]>> = {
  dedup: [{ bucket: 'ingest', write: [INGEST_PREFIXES.parked] }],
  assembler: [{ bucket: 'ingest', write: [INGEST_PREFIXES.outbox] }],
};

/** S3 layout of the reconciliation steps: src/recon/run/aws/steps.ts. */
export const FUNCTION_CATALOGUE: readonly CatalogueEntry[] = Object.freeze([
  ...ROUTES.map((route): CatalogueEntry => ({
    name: route.consumer,
    kind: 'route-consumer',
    description: route.description,
    route,
    ...(CONSUMER_S3[route.consumer] ? { s3: CONSUMER_S3[route.consumer] } : {}),
  })),
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
    description: 'REC-2: merge partition results → matches/exceptions CSV, summary, Redshift load files',
    s3: [{ bucket: 'analytics', read: [ANALYTICS_PREFIXES.normalised, ANALYTICS_PREFIXES.matches], write: [ANALYTICS_PREFIXES.matches] }],
  },
  {
    name: 'reconcile-cases',
    kind: 'workflow-task',
    description: 'RaiseCases (WB-1): the cases.json of a run → the exceptions workbench (raise, reopen, clear; once per run)',
    s3: [{ bucket: 'analytics', readObjects: [reconKeys.runCases('*')] }],
  },
  {
    name: 'reconcile-workbench',
    kind: 'load-balancer-target',
    description: 'WB-1: the exceptions workbench behind the internal ALB (Okta SSO at the ALB)',
  },
]);

/** Functions whose role touches `bucket` (its bucket policy admits exactly these roles). */
export function bucketUsers(bucket: BucketAccess['bucket']): DeployedFunctionName[] {
  return FUNCTION_CATALOGUE.filter((entry) => entry.s3?.some((access) => access.bucket === bucket)).map((entry) => entry.name);
}
