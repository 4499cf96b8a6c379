/**
 * The reconciliation Lambdas bundle with the repo's esbuild script (scripts/bundle-functions.ts
 * bundles every functions/<name>/index.ts; the run's bundles, test/support/shared-build.ts) and wire
 * up at cold start: no native modules (DuckDB / SQLite stay on the embedded side), configuration
 * checked once.
 */
import { functionNames } from '../../../scripts/bundle-functions';
import { coldStart } from '../../support/cold-start';
import { sharedFunctionBundle } from '../../support/shared-build';

const RECON_FUNCTIONS = ['reconcile-cases', 'reconcile-match', 'reconcile-normalise', 'reconcile-summarise', 'reconcile-trigger'];

describe('reconciliation function bundles', () => {
  /** Each function's bundle of this run (every cold start below is a fresh process, so one build serves every case). */
  const bundled = sharedFunctionBundle;

  it('are entry points the bundler finds', () => {
    expect(functionNames()).toEqual(expect.arrayContaining(RECON_FUNCTIONS));
  });

  it.each(RECON_FUNCTIONS)('%s bundles without native modules and exports a handler', (name) => {
    const { outFile, inputs } = bundled(name);
    expect(inputs).toContain(`functions/${name}/index.ts`);
    expect(inputs.some((input) => /duckdb|better-sqlite3/.test(input))).toBe(false);
    const environment = {
      AWS_REGION: 'eu-west-2',
      RECONCILIATION_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-2:123456789012:stateMachine:ledgerline-dev-reconciliation',
      WORKBENCH_TABLE: 'ledgerline-dev-workbench',
      EVENT_BUS_NAME: 'ledgerline-dev-bus', // reconcile-cases announces the committed run (NOTIFY-1)
    };
    expect(coldStart(outFile, environment)).toEqual({ handler: 'function' });
  });

  it('reconcile-cases fails fast at cold start without its workbench table', () => {
    const { outFile } = bundled('reconcile-cases');
    expect(coldStart(outFile, { WORKBENCH_TABLE: undefined })).toEqual({ error: expect.stringContaining('function reconcile-cases: missing environment variables: WORKBENCH_TABLE') });
  });

  it('reconcile-trigger fails fast at cold start without its state machine', () => {
    const { outFile } = bundled('reconcile-trigger');
    expect(coldStart(outFile, { RECONCILIATION_STATE_MACHINE_ARN: undefined })).toEqual({
      error: expect.stringContaining('function reconcile-trigger: missing environment variables: RECONCILIATION_STATE_MACHINE_ARN'),
    });
  });
});
