/**
 * Every deployed function is sized explicitly per environment (environments/*.ts `functions`): no
 * default stands in for a missing one. Removing any one function's sizing fails the synth with an
 * error naming the environment and the function.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVIRONMENTS, SYNTHESIZED_CONFIGS, buildLedgerline } from '../../stacks/ledgerline';
import { functionCatalogue, functionSizing, MODE_FUNCTIONS } from '../../stacks/catalogue';
import type { EnvironmentConfig, FunctionSizing } from '../../environments/types';
import { withPlainStacks } from '../support/plain-stacks';

function without(config: EnvironmentConfig, fn: string): EnvironmentConfig {
  const functions = { ...config.functions } as Record<string, FunctionSizing>;
  delete functions[fn];
  return { ...config, functions: functions as EnvironmentConfig['functions'] };
}

describe.each(SYNTHESIZED_CONFIGS.map((config) => [config.prefix, config] as const))('%s: explicit sizing', (_prefix, config) => {
  const catalogue = functionCatalogue(config.runtime.topology);

  it('every catalogued function has its own sizing in the environment', () => {
    for (const entry of catalogue) {
      expect([entry.name, entry.name in config.functions]).toEqual([entry.name, true]);
      expect(functionSizing(config, entry.name)).toBe((config.functions as Record<string, FunctionSizing>)[entry.name]);
    }
  });

  it.each(catalogue.map((entry) => entry.name))('without a sizing for %s, the sizing fails naming the environment and the function', (fn) => {
    expect(() => functionSizing(without(config, fn), fn)).toThrow(
      new RegExp(`^environment ${config.name} \\(${config.prefix}\\): no sizing for function ${fn}: add it to environments/${config.name}\\.ts functions$`),
    );
  });
});

test.each(ENVIRONMENTS.flatMap((config) => MODE_FUNCTIONS.map((fn) => [config.name, fn, config] as const)))('%s without a sizing for %s does not synthesize', (name, fn, config) => {
  const outdir = mkdtempSync(join(tmpdir(), 'ledgerline-sizing-'));
  try {
    expect(() => withPlainStacks(() => buildLedgerline({ assetMode: 'placeholder', outdir, environments: [without(config, fn)], tooling: false }))).toThrow(
      `environment ${name} (${config.prefix}): no sizing for function ${fn}`,
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});
