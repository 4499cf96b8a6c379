/**
 * Every Lambda entry point bundles with esbuild and wires up at cold start from its environment
 * variables (the contract in src/adapters/aws/runtime-config.ts). The bundles are the synth's (one
 * esbuild call for all, test/support/shared-build.ts: built once per run); one function built on
 * its own (`npm run build -- <name>`) gives the same bytes. Each cold start loads the bundle in a
 * fresh isolate with the environment given (a worker thread: support/cold-start-thread.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { bundleFunction, functionNames } from '../../scripts/bundle-functions';
import { FUNCTION_ENVIRONMENT, variablesFor } from '../../src/adapters/aws/runtime-config';
import { RECON_FUNCTION_ENVIRONMENT, type ReconFunctionName } from '../../src/recon/run/aws/config';
import { FUSED_CONSUMER } from '../../src/routes';
import { ingestBatchVariables } from '../../functions/ingest-batch/config';
import { FLOW_AUDITOR_VARIABLES } from '../../functions/flow-auditor/config';
import { AUDIT_DB_VARIABLES } from '../../functions/audit-stream/config';
import { WORKBENCH_FUNCTION, WORKBENCH_VARIABLE_NAMES } from '../../src/adapters/aws/workbench-config';
import { coldStartOnThread } from './support/cold-start-thread';
import { tempDir } from '../support/runtime';
import { repoRelative, sharedFunctionBundle } from '../support/shared-build';

const NOTIFY_VARIABLES = ['NOTIFICATIONS_TABLE', 'AUTHORISATIONS_TABLE', 'RULES_STATE_TABLE', 'NOTIFY_EMAIL_FROM', 'NOTIFY_SIGNING_KEY_PREFIX'];

const FAKE: Record<string, string> = {
  COGNITO_ISSUER: 'https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_AbCdEfGhI',
  API_AUDIENCES: 'clientone,clienttwo',
  NOTIFY_EMAIL_FROM: 'payments@notify.example',
  NOTIFY_SIGNING_KEY_PREFIX: 'ledgerline-test/webhooks/',
  AUDIT_DB_HOST: 'ledgerline-test-audit.cluster-abc.eu-west-2.rds.amazonaws.com',
  AUDIT_DB_PORT: '5432',
  AUDIT_DB_NAME: 'ledgerline_audit',
  AUDIT_DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:rds!cluster-abc-AbCdEf',
  EVENT_BUS_NAME: 'ledgerline-test-bus',
  REDRIVE_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-2:123456789012:stateMachine:redrive',
  RECONCILIATION_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-2:123456789012:stateMachine:reconciliation',
  INGEST_BUCKET: 'ledgerline-test-ingest',
  OUTBOX_PREFIX: 'outbox/postings/',
  WORKBENCH_SESSIONS_TABLE: 'ledgerline-test-workbench-sessions',
  WORKBENCH_BASE_URL: 'https://workbench.ledgerline-test.bank.example',
  WORKBENCH_OIDC_CLIENT_ID: '0oa1ledgerlinetest',
  WORKBENCH_OIDC_CLIENT_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:ledgerline-test/workbench/okta-client-secret-AbCdEf',
  WORKBENCH_SESSION_SECONDS: '28800',
  WORKBENCH_OIDC_ISSUER: 'https://bank.oktapreview.com/oauth2/default',
  WORKBENCH_GROUP_ROLES: '{"ledgerline-finance":"reconciler"}',
  WORKBENCH_CSRF_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:ledgerline-test/workbench/csrf-secret-AbCdEf',
  AWS_REGION: 'eu-west-2',
  PARKED_PREFIX: 'parked/',
  LEDGERLINE_ENVIRONMENT: 'dev',
  FLOW_STUCK_AFTER_SECONDS: '1800',
  FLOW_WINDOW_SECONDS: '86400',
  FLOW_REPAIR: 'true',
  BATCH_SOURCE: 'card-files',
  BATCH_REGISTRY_PREFIX: 'results/batches/',
};

/** The environment contract of each deployed function that is not a route consumer (MODE-2, MODE-4, FLOW-1..3). */
const OWN_CONTRACTS: Record<string, readonly string[]> = {
  authorise: variablesFor(FUSED_CONSUMER),
  'ingest-batch': ingestBatchVariables(),
  'flow-auditor': FLOW_AUDITOR_VARIABLES,
  // API-1..5: it posts through authorise's handler in process, so the hot path's contract plus its edge's.
  api: [...variablesFor(FUSED_CONSUMER), 'COGNITO_ISSUER', 'API_AUDIENCES', 'API_IDEMPOTENCY_TABLE'],
  // NOTIFY-2, HOOK-2: one contract for the notifier and the webhook sweeper (functions/notify/config.ts).
  notify: NOTIFY_VARIABLES,
  'webhook-sweeper': NOTIFY_VARIABLES,
  // AUDIT-1 (functions/audit-stream/config.ts).
  'audit-stream': ['LEDGER_TABLE', 'TRANSACTIONS_TABLE', 'WORKBENCH_TABLE', AUDIT_DB_VARIABLES.host, AUDIT_DB_VARIABLES.port, AUDIT_DB_VARIABLES.database, AUDIT_DB_VARIABLES.secretArn],
};

describe('function bundles', () => {
  const names = functionNames();
  /** Each function's bundle of this run (a cold start is a fresh isolate and module registry, so one build serves every case). */
  const bundled = (name: string): string => sharedFunctionBundle(name).outFile;

  it('has an entry point for every consumer of a route of either topology (FUSE-1: hot-path fused, the six stages staged), plus ingest and sweeper, plus the reconciliation functions (REC-2), the workbench (WB-1), the modes (MODE-2, MODE-4, FLOW-1..3) and the customer edge (API, NOTIFY, HOOK, AUDIT)', () => {
    expect(names).toEqual([
      'api',
      'assembler',
      'audit-stream',
      'authorise',
      'dedup',
      'enrich',
      'flow-auditor',
      'hot-path',
      'ingest',
      'ingest-batch',
      'notify',
      'posting',
      'reconcile-cases',
      'reconcile-match',
      'reconcile-normalise',
      'reconcile-summarise',
      'reconcile-trigger',
      'reconcile-workbench',
      'rules',
      'standardise',
      'sweeper',
      'webhook-sweeper',
    ]);
  });

  it.each(names)('%s bundles and exports a handler when its environment is set', async (name) => {
    const outFile = bundled(name);
    const recon =
      name in RECON_FUNCTION_ENVIRONMENT ? RECON_FUNCTION_ENVIRONMENT[name as ReconFunctionName].required : name === WORKBENCH_FUNCTION ? WORKBENCH_VARIABLE_NAMES : (OWN_CONTRACTS[name] ?? []);
    const environment: Record<string, string | undefined> = {};
    for (const variable of name in FUNCTION_ENVIRONMENT ? variablesFor(name as keyof typeof FUNCTION_ENVIRONMENT) : recon) {
      // A variable with no fake value is removed (undefined), not inherited from this process.
      environment[variable] = FAKE[variable] ?? (variable.endsWith('_TABLE') ? `ledgerline-test-${variable.toLowerCase()}` : undefined);
    }
    environment.AWS_REGION = 'eu-west-2';
    expect(await coldStartOnThread(outFile, environment)).toEqual({ handler: 'function' });
  });

  it.each(['posting', 'notify'])('%s bundled on its own is the same bundle, source map, inputs and data files as bundled with every other function', (name) => {
    const own = bundleFunction(name, join(tempDir('bundle-own-'), name));
    const shared = sharedFunctionBundle(name);
    expect(readFileSync(own.outFile, 'utf8')).toBe(readFileSync(shared.outFile, 'utf8'));
    // The same mappings into the same sources (named relative to where each map was written: compared
    // as absolute paths); only the names differ, where esbuild names a module's exports after its output.
    const map = (outFile: string) => {
      const { sources, sourcesContent, mappings } = JSON.parse(readFileSync(`${outFile}.map`, 'utf8')) as { sources: string[]; sourcesContent: string[]; mappings: string };
      return { sources: sources.map((source) => resolve(dirname(outFile), source)), sourcesContent, mappings };
    };
    expect(map(own.outFile)).toEqual(map(shared.outFile));
    expect(Object.keys(own.metafile!.inputs).map(repoRelative).sort()).toEqual(shared.inputs);
    const files = (outFile: string) => readdirSync(dirname(outFile), { recursive: true, encoding: 'utf8' }).sort();
    expect(files(own.outFile)).toEqual(files(shared.outFile));
    expect(files(shared.outFile).some((file) => file.startsWith('config'))).toBe(name === 'notify');
  });

  const without = (variables: readonly string[]) => Object.fromEntries(variables.map((variable) => [variable, undefined]));

  it('hot-path fails fast at cold start, naming every variable its six stages need', async () => {
    expect(await coldStartOnThread(bundled('hot-path'), without(variablesFor('hot-path')))).toEqual({
      error: expect.stringContaining('missing environment variables: EVENT_BUS_NAME, DEDUP_TABLE, TRANSACTIONS_TABLE, INGEST_BUCKET, REFERENCE_TABLE, RULES_STATE_TABLE, LEDGER_TABLE'),
    });
  });

  it('fails fast at cold start, naming every missing variable', async () => {
    expect(await coldStartOnThread(bundled('posting'), without(variablesFor('posting')))).toEqual({
      error: expect.stringContaining('missing environment variables: EVENT_BUS_NAME, TRANSACTIONS_TABLE, LEDGER_TABLE'),
    });
  });
});
