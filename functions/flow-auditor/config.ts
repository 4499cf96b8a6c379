/**
 * The flow auditor's environment contract (FLOW-1..3): the stage tables it reads, the bus its
 * repairs go to, and its own settings. The stack sets exactly `FLOW_AUDITOR_VARIABLES` and checks
 * them with `readFlowAuditorConfig` at synth; the function reads them once at cold start.
 */
import { readRuntimeConfig, requireSetting, type Environment, type RuntimeConfig } from '../../src/adapters/aws/runtime-config';

export const FLOW_AUDITOR_FUNCTION = 'flow-auditor' as const;

/** Variables of the shared runtime contract (src/adapters/aws/runtime-config.ts) the auditor reads. */
export const FLOW_AUDITOR_RUNTIME_VARIABLES = [
  'EVENT_BUS_NAME',
  'TRANSACTIONS_TABLE',
  'AUTHORISATIONS_TABLE',
  'DEDUP_TABLE',
  'RULES_STATE_TABLE',
  'LEDGER_TABLE',
  'INGEST_BUCKET',
  'PARKED_PREFIX',
  'LEDGERLINE_ENVIRONMENT',
] as const;

/** Its own settings. */
export const FLOW_AUDITOR_SETTINGS = {
  FLOW_STUCK_AFTER_SECONDS: 'A payment in flight longer than this is stuck (FLOW-2)',
  FLOW_WINDOW_SECONDS: 'The window audited: payments ingested in the last this many seconds',
  FLOW_REPAIR: '"true": re-emit what is stuck (FLOW-3); "false": only report it',
} as const;

export type FlowAuditorSetting = keyof typeof FLOW_AUDITOR_SETTINGS;
export const FLOW_AUDITOR_VARIABLES: readonly string[] = [...FLOW_AUDITOR_RUNTIME_VARIABLES, ...(Object.keys(FLOW_AUDITOR_SETTINGS) as FlowAuditorSetting[])];

export interface FlowAuditorFunctionConfig {
  runtime: RuntimeConfig;
  tables: { transactions: string; authorisations: string; dedup: string; rulesState: string; ledger: string };
  eventBusName: string;
  ingestBucket: string;
  stuckAfterMs: number;
  windowMs: number;
  repair: boolean;
  environment: string;
}

export class FlowAuditorConfigError extends Error {
  override name = 'FlowAuditorConfigError';
}

function seconds(env: Environment, name: FlowAuditorSetting, faults: string[]): number {
  const text = env[name]?.trim();
  if (!text) {
    faults.push(`missing environment variable ${name} (${FLOW_AUDITOR_SETTINGS[name]})`);
    return 0;
  }
  if (!/^[1-9][0-9]{0,7}$/.test(text)) faults.push(`${name} must be a positive whole number of seconds (got "${text}")`);
  return Number(text) * 1000;
}

/** Reads and checks the contract; throws one error naming every missing or malformed variable. */
export function readFlowAuditorConfig(env: Environment = process.env): FlowAuditorFunctionConfig {
  const faults: string[] = [];
  let runtime: RuntimeConfig | undefined;
  try {
    runtime = readRuntimeConfig(env, FLOW_AUDITOR_RUNTIME_VARIABLES);
  } catch (error) {
    faults.push((error as Error).message);
  }
  const stuckAfterMs = seconds(env, 'FLOW_STUCK_AFTER_SECONDS', faults);
  const windowMs = seconds(env, 'FLOW_WINDOW_SECONDS', faults);
  const repairText = env.FLOW_REPAIR?.trim();
  if (repairText !== 'true' && repairText !== 'false') faults.push(`FLOW_REPAIR must be "true" or "false" (got ${repairText === undefined ? 'nothing' : `"${repairText}"`})`);
  if (faults.length === 0 && windowMs <= stuckAfterMs)
    faults.push(`FLOW_WINDOW_SECONDS (${windowMs / 1000}) must be longer than FLOW_STUCK_AFTER_SECONDS (${stuckAfterMs / 1000}): otherwise no payment of the window can be stuck`);
  if (faults.length > 0 || !runtime) throw new FlowAuditorConfigError(`flow-auditor: ${faults.join('; ')}`);
  const { tables } = runtime;
  return {
    runtime,
    tables: {
      transactions: requireSetting(tables.transactions, 'TRANSACTIONS_TABLE'),
      authorisations: requireSetting(tables.authorisations, 'AUTHORISATIONS_TABLE'),
      dedup: requireSetting(tables.dedup, 'DEDUP_TABLE'),
      rulesState: requireSetting(tables.rulesState, 'RULES_STATE_TABLE'),
      ledger: requireSetting(tables.ledger, 'LEDGER_TABLE'),
    },
    eventBusName: requireSetting(runtime.eventBusName, 'EVENT_BUS_NAME'),
    ingestBucket: requireSetting(runtime.ingestBucket, 'INGEST_BUCKET'),
    stuckAfterMs,
    windowMs,
    repair: repairText === 'true',
    environment: requireSetting(runtime.environmentName, 'LEDGERLINE_ENVIRONMENT'),
  };
}
