import type { FunctionName } from '../../../src/adapters/aws/runtime-config';
import { FUNCTION_ENVIRONMENT, readFunctionConfig, readRuntimeConfig, requireSetting, RUNTIME_VARIABLES, RuntimeConfigError, variablesFor } from '../../../src/adapters/aws/runtime-config';
import { DEFAULT_DEDUP_CONFIG } from '../../../src/domain/dedup';
import { FUSED_CONSUMER, HOT_PATH_STAGES, TOPOLOGIES, routesFor } from '../../../src/routes';

const FUNCTIONS = Object.keys(FUNCTION_ENVIRONMENT) as FunctionName[];

describe('readRuntimeConfig', () => {
  it('names every missing variable in one error', () => {
    const error = (() => {
      try {
        readRuntimeConfig({ EVENT_BUS_NAME: 'bus', DEDUP_TABLE: '  ' }, ['EVENT_BUS_NAME', 'DEDUP_TABLE', 'TRANSACTIONS_TABLE', 'INGEST_BUCKET']);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RuntimeConfigError);
    expect((error as RuntimeConfigError).missing).toEqual(['DEDUP_TABLE', 'TRANSACTIONS_TABLE', 'INGEST_BUCKET']);
    expect((error as Error).message).toBe('missing environment variables: DEDUP_TABLE, TRANSACTIONS_TABLE, INGEST_BUCKET');
  });

  it('accepts either of two alternatives', () => {
    expect(() => readRuntimeConfig({}, ['REDRIVE_STATE_MACHINE_ARN|REDRIVE_QUEUE_URL'])).toThrow('missing environment variables: one of REDRIVE_STATE_MACHINE_ARN or REDRIVE_QUEUE_URL');
    expect(readRuntimeConfig({ REDRIVE_QUEUE_URL: 'https://q' }, ['REDRIVE_STATE_MACHINE_ARN|REDRIVE_QUEUE_URL']).redriveQueueUrl).toBe('https://q');
  });

  it('applies defaults and parses values', () => {
    expect(readRuntimeConfig({})).toMatchObject({
      parkedPrefix: 'parked/',
      outboxPrefix: 'outbox/postings/',
      dedupWindowSeconds: DEFAULT_DEDUP_CONFIG.windowSeconds,
      hotAccountShards: {},
      tables: {},
    });
    const config = readRuntimeConfig({
      EVENT_BUS_NAME: 'dev-bus',
      LEDGER_TABLE: 'dev-ledger',
      PARKED_PREFIX: 'dev/parked',
      DEDUP_WINDOW_SECONDS: '3600',
      HOT_ACCOUNT_SHARDS: '{"ACC-SETTLE-1": 16, "ACC-FX": 4}',
    });
    expect(config).toMatchObject({
      eventBusName: 'dev-bus',
      tables: { ledger: 'dev-ledger' },
      parkedPrefix: 'dev/parked/',
      dedupWindowSeconds: 3600,
      hotAccountShards: { 'ACC-SETTLE-1': 16, 'ACC-FX': 4 },
    });
  });

  it('reports malformed values together with missing ones', () => {
    try {
      readRuntimeConfig({ DEDUP_WINDOW_SECONDS: '1.5', HOT_ACCOUNT_SHARDS: '{"A": 0, "B": "x", "C": 2}' }, ['LEDGER_TABLE']);
      throw new Error('expected a RuntimeConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(RuntimeConfigError);
      const { missing, invalid, message } = error as RuntimeConfigError;
      expect(missing).toEqual(['LEDGER_TABLE']);
      expect(invalid).toHaveLength(3);
      expect(message).toMatch(/DEDUP_WINDOW_SECONDS.*HOT_ACCOUNT_SHARDS\["A"\].*HOT_ACCOUNT_SHARDS\["B"\]/);
    }
    expect(() => readRuntimeConfig({ HOT_ACCOUNT_SHARDS: 'ACC=4' })).toThrow(/HOT_ACCOUNT_SHARDS is not JSON/);
    expect(() => readRuntimeConfig({ HOT_ACCOUNT_SHARDS: '[4]' })).toThrow(/must be a JSON object/);
  });

  it('requireSetting names the variable', () => {
    expect(requireSetting('x', 'LEDGER_TABLE')).toBe('x');
    expect(() => requireSetting(undefined, 'LEDGER_TABLE')).toThrow('missing environment variables: LEDGER_TABLE');
  });
});

describe('FUNCTION_ENVIRONMENT', () => {
  it('covers every route consumer of either topology, the Pipe enrichment (ingest) and the sweeper', () => {
    expect(FUNCTIONS.sort()).toEqual([...new Set([...TOPOLOGIES.flatMap((topology) => routesFor(topology).map((route) => route.consumer)), 'ingest', 'sweeper'])].sort());
  });

  it('FUSE-1: hot-path reads exactly what its six stages read (a variable one stage requires is required)', () => {
    const stages = HOT_PATH_STAGES.map((stage) => FUNCTION_ENVIRONMENT[stage]);
    const required = new Set(stages.flatMap((environment) => environment.required));
    expect(new Set(FUNCTION_ENVIRONMENT[FUSED_CONSUMER].required)).toEqual(required);
    expect(new Set(variablesFor(FUSED_CONSUMER))).toEqual(new Set(HOT_PATH_STAGES.flatMap((stage) => variablesFor(stage))));
    for (const variable of FUNCTION_ENVIRONMENT[FUSED_CONSUMER].optional) expect(required.has(variable)).toBe(false);
  });

  it('no stage reads a table it does not use: rules read no reference data (POST-3), no stage a sequences table (LEDGER-1)', () => {
    expect(variablesFor('rules')).not.toContain('REFERENCE_TABLE');
    for (const name of FUNCTIONS) expect(variablesFor(name).filter((variable) => variable.startsWith('SEQUENCES'))).toEqual([]);
  });

  it('ingest needs nothing; its metric dimensions are optional', () => {
    expect(variablesFor('ingest')).toEqual(['LEDGERLINE_ENVIRONMENT', 'PIPE_NAME']);
    expect(readFunctionConfig('ingest', { PIPE_NAME: 'dev-authorisations' })).toMatchObject({ pipeName: 'dev-authorisations' });
  });

  it.each(FUNCTIONS.filter((name) => name !== 'ingest'))('%s: lists only known variables, once, and reads back from exactly them', (name) => {
    const variables = variablesFor(name);
    expect(new Set(variables).size).toBe(variables.length);
    for (const variable of variables) expect(Object.keys(RUNTIME_VARIABLES)).toContain(variable);
    expect(variables).toContain('EVENT_BUS_NAME');
    const env = Object.fromEntries(variables.map((variable) => [variable, variable === 'HOT_ACCOUNT_SHARDS' ? '{}' : variable === 'DEDUP_WINDOW_SECONDS' ? '60' : `value-${variable}`]));
    expect(() => readFunctionConfig(name, env)).not.toThrow();
    expect(() => readFunctionConfig(name, {})).toThrow(RuntimeConfigError);
  });
});
