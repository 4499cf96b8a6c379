/**
 * The reconciliation Lambdas bundle with the repo's esbuild script (scripts/bundle-functions.ts
 * bundles every functions/<name>/index.ts) and wire up at cold start: no native modules
 * (DuckDB / SQLite stay on the embedded side), configuration checked once.
 */
import { join } from 'node:path';
import { bundleFunction, functionNames } from '../../../scripts/bundle-functions';
import { tempDir } from '../../support/runtime';

const RECON_FUNCTIONS = ['reconcile-cases', 'reconcile-match', 'reconcile-normalise', 'reconcile-summarise', 'reconcile-trigger'];

function loadFresh(file: string): { handler?: unknown } {
  delete require.cache[require.resolve(file)];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file);
}

describe('reconciliation function bundles', () => {
  const outDir = tempDir('recon-bundles-');

  it('are entry points the bundler finds', () => {
    expect(functionNames()).toEqual(expect.arrayContaining(RECON_FUNCTIONS));
  });

  it.each(RECON_FUNCTIONS)('%s bundles without native modules and exports a handler', (name) => {
    const { outFile, metafile } = bundleFunction(name, join(outDir, name));
    const inputs = Object.keys(metafile?.inputs ?? {});
    expect(inputs.some((input) => /duckdb|better-sqlite3/.test(input))).toBe(false);
    const saved = { ...process.env };
    try {
      process.env.AWS_REGION = 'eu-west-2';
      process.env.RECONCILIATION_STATE_MACHINE_ARN = 'arn:aws:states:eu-west-2:123456789012:stateMachine:ledgerline-dev-reconciliation';
      process.env.WORKBENCH_TABLE = 'ledgerline-dev-workbench';
      process.env.EVENT_BUS_NAME = 'ledgerline-dev-bus'; // reconcile-cases announces the committed run (NOTIFY-1)
      expect(typeof loadFresh(outFile).handler).toBe('function');
    } finally {
      process.env = saved;
    }
  });

  it('reconcile-cases fails fast at cold start without its workbench table', () => {
    const { outFile } = bundleFunction('reconcile-cases', join(outDir, 'cases-missing'));
    const saved = { ...process.env };
    try {
      delete process.env.WORKBENCH_TABLE;
      expect(() => loadFresh(outFile)).toThrow('function reconcile-cases: missing environment variables: WORKBENCH_TABLE');
    } finally {
      process.env = saved;
    }
  });

  it('reconcile-trigger fails fast at cold start without its state machine', () => {
    const { outFile } = bundleFunction('reconcile-trigger', join(outDir, 'trigger-missing'));
    const saved = { ...process.env };
    try {
      delete process.env.RECONCILIATION_STATE_MACHINE_ARN;
      expect(() => loadFresh(outFile)).toThrow('function reconcile-trigger: missing environment variables: RECONCILIATION_STATE_MACHINE_ARN');
    } finally {
      process.env = saved;
    }
  });
});
