/**
 * MODE-1 (FR11): THE source configuration, `config/sources.json` (schema:
 * schemas/sources.schema.json). Each authorisation source names its operating mode (batch,
 * near-real-time, real-time) with its batch size and batching window; the hot path's queue
 * settings live beside them; an environment may override batch sizes and windows (never a mode).
 *
 * Read by src/routes.ts (the queue settings of every route: the SQS event-source mappings on AWS,
 * the embedded runtime's micro-batches), by the stacks (the Pipe's batch settings come from the
 * near-real-time source) and by the local modes (src/modes/*: chunk sizes and windows).
 */
import Ajv from 'ajv';
import sourcesDocument from '../../config/sources.json';
import sourcesSchema from '../../schemas/sources.schema.json';

export const MODES = ['batch', 'near-real-time', 'real-time'] as const;
export type Mode = (typeof MODES)[number];

export interface SourceSettings {
  name: string;
  mode: Mode;
  description: string;
  /** batch: authorisations per committed chunk; near-real-time: records per Pipe batch / per local wave; real-time: 1. */
  batchSize: number;
  /** near-real-time: how long a batch may wait to fill (the Pipe's window; the local tail's flush interval). */
  batchingWindowSeconds: number;
}

export interface QueueBatching {
  batchSize: number;
  batchingWindowSeconds: number;
  maxReceiveCount: number;
}

export interface ResolvedSources {
  /** The environment whose overrides were applied (undefined: the base settings). */
  environment: string | undefined;
  sources: readonly SourceSettings[];
  queues: { 'hot-path': QueueBatching };
}

interface Batching {
  batchSize?: number;
  batchingWindowSeconds?: number;
}

export interface SourcesDocument {
  sources: Record<string, Omit<SourceSettings, 'name'>>;
  queues: { 'hot-path': QueueBatching };
  environments?: Record<string, { sources?: Record<string, Batching>; queues?: { 'hot-path'?: Partial<QueueBatching> } }>;
}

export class SourceConfigError extends Error {
  override name = 'SourceConfigError';
}

const ajv = new Ajv({ allErrors: true, strict: true });
const validateDocument = ajv.compile<SourcesDocument>(sourcesSchema);

/** SQS → Lambda: more than 10 records per batch needs a batching window of at least 1 s. */
const SQS_UNWINDOWED_MAX = 10;

function checkQueue(queue: QueueBatching, where: string): void {
  if (queue.batchSize > SQS_UNWINDOWED_MAX && queue.batchingWindowSeconds < 1) {
    throw new SourceConfigError(`${where}: batchSize ${queue.batchSize} > ${SQS_UNWINDOWED_MAX} needs batchingWindowSeconds >= 1 (SQS event-source mapping limit)`);
  }
}

function checkSource(source: SourceSettings, where: string): void {
  if (source.mode === 'real-time' && (source.batchSize !== 1 || source.batchingWindowSeconds !== 0)) {
    throw new SourceConfigError(
      `${where}: a real-time source answers one authorisation at a time: batchSize must be 1 and batchingWindowSeconds 0 (got ${source.batchSize}, ${source.batchingWindowSeconds})`,
    );
  }
}

/**
 * Validates a source configuration document and resolves it for an environment (its overrides
 * applied). Errors name the document, the field and the fault.
 */
export function resolveSources(document: unknown, environment: string | undefined, origin = 'config/sources.json'): ResolvedSources {
  if (!validateDocument(document)) {
    const problems = (validateDocument.errors ?? []).map(
      (error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}${error.params && 'additionalProperty' in error.params ? ` (${String(error.params.additionalProperty)})` : ''}`,
    );
    throw new SourceConfigError(`${origin}: not a valid source configuration: ${problems.join('; ')}`);
  }
  const overrides = environment === undefined ? undefined : document.environments?.[environment];
  for (const [envName, override] of Object.entries(document.environments ?? {})) {
    for (const name of Object.keys(override.sources ?? {})) {
      if (!(name in document.sources)) throw new SourceConfigError(`${origin}: /environments/${envName}/sources/${name} overrides a source that is not configured`);
    }
  }
  const sources = Object.entries(document.sources).map(([name, settings]): SourceSettings => {
    const resolved: SourceSettings = { name, ...settings, ...(overrides?.sources?.[name] ?? {}) };
    checkSource(resolved, `${origin}: /sources/${name}${overrides?.sources?.[name] ? ` (with ${environment}'s override)` : ''}`);
    return resolved;
  });
  const nearRealTime = sources.filter((source) => source.mode === 'near-real-time');
  if (nearRealTime.length !== 1) {
    throw new SourceConfigError(
      `${origin}: exactly one near-real-time source is read by the authorisation Pipe; found ${nearRealTime.length} (${nearRealTime.map((s) => s.name).join(', ') || 'none'})`,
    );
  }
  const hotPath: QueueBatching = { ...document.queues['hot-path'], ...(overrides?.queues?.['hot-path'] ?? {}) };
  checkQueue(hotPath, `${origin}: /queues/hot-path${overrides?.queues?.['hot-path'] ? ` (with ${environment}'s override)` : ''}`);
  return { environment, sources: Object.freeze(sources), queues: Object.freeze({ 'hot-path': Object.freeze(hotPath) }) };
}

const resolved = new Map<string, ResolvedSources>();

/** The shipped configuration (config/sources.json), resolved for an environment (default: none). */
export function sourceConfig(environment?: string): ResolvedSources {
  const key = environment ?? '';
  let found = resolved.get(key);
  if (!found) resolved.set(key, (found = resolveSources(sourcesDocument, environment)));
  return found;
}

/** A configured source by name; the error lists the configured ones. */
export function sourceNamed(name: string, environment?: string): SourceSettings {
  const config = sourceConfig(environment);
  const found = config.sources.find((source) => source.name === name);
  if (!found) throw new SourceConfigError(`source "${name}" is not configured in config/sources.json (configured: ${config.sources.map((s) => `${s.name} (${s.mode})`).join(', ')})`);
  return found;
}

/** The one near-real-time source: the stream the authorisation Pipe reads on AWS (MODE-3). */
export function streamSource(environment?: string): SourceSettings {
  return sourceConfig(environment).sources.find((source) => source.mode === 'near-real-time')!;
}
