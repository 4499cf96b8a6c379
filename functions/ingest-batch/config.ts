/**
 * ingest-batch's environment contract (MODE-2): everything the fused hot path reads (it runs the
 * same stages: src/adapters/aws/runtime-config.ts `hot-path`), plus the batch source it posts as,
 * the environment (the source's per-environment overrides) and where each file's record is kept.
 * The stack sets exactly `ingestBatchVariables()` and checks them with `readIngestBatchConfig` at
 * synth; the function reads them once at cold start.
 */
import { FUSED_CONSUMER } from '../../src/routes';
import { readFunctionConfig, variablesFor, type Environment, type RuntimeConfig } from '../../src/adapters/aws/runtime-config';
import { sourceNamed, type SourceSettings } from '../../src/modes/source-config';

export const INGEST_BATCH_FUNCTION = 'ingest-batch' as const;

export const INGEST_BATCH_SETTINGS = {
  BATCH_SOURCE: 'Name of the batch source of config/sources.json the files are posted as (its chunk size)',
  BATCH_REGISTRY_PREFIX: 'Ingest-bucket key prefix of the per-file records (content hash → status, attempts, summary)',
  LEDGERLINE_ENVIRONMENT: 'Environment name (dev / staging / prod): the source settings of that environment',
} as const;

export type IngestBatchSetting = keyof typeof INGEST_BATCH_SETTINGS;

/** Every variable the stack sets for ingest-batch. */
export function ingestBatchVariables(): string[] {
  return [...new Set([...variablesFor(FUSED_CONSUMER), ...(Object.keys(INGEST_BATCH_SETTINGS) as IngestBatchSetting[])])];
}

export interface IngestBatchFunctionConfig {
  runtime: RuntimeConfig;
  source: SourceSettings;
  registryPrefix: string;
}

export class IngestBatchConfigError extends Error {
  override name = 'IngestBatchConfigError';
}

export function readIngestBatchConfig(env: Environment = process.env): IngestBatchFunctionConfig {
  const faults: string[] = [];
  let runtime: RuntimeConfig | undefined;
  try {
    runtime = readFunctionConfig(FUSED_CONSUMER, env);
  } catch (error) {
    faults.push((error as Error).message);
  }
  const value = (name: IngestBatchSetting): string | undefined => {
    const text = env[name]?.trim();
    if (!text) faults.push(`missing environment variable ${name} (${INGEST_BATCH_SETTINGS[name]})`);
    return text || undefined;
  };
  const sourceName = value('BATCH_SOURCE');
  const prefix = value('BATCH_REGISTRY_PREFIX');
  const environment = value('LEDGERLINE_ENVIRONMENT');
  let source: SourceSettings | undefined;
  if (sourceName && environment) {
    try {
      source = sourceNamed(sourceName, environment);
      if (source.mode !== 'batch') faults.push(`BATCH_SOURCE "${sourceName}" is a ${source.mode} source, not a batch one`);
    } catch (error) {
      faults.push(`BATCH_SOURCE: ${(error as Error).message}`);
    }
  }
  if (faults.length > 0 || !runtime || !source || !prefix) throw new IngestBatchConfigError(`ingest-batch: ${faults.join('; ')}`);
  return { runtime, source, registryPrefix: prefix.endsWith('/') ? prefix : `${prefix}/` };
}
