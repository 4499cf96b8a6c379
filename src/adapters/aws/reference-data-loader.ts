/**
 * Loads `reference-data/` (FR6: cards, accounts, merchants, settlement accounts, products, FX
 * rates, manifest) into the DynamoDB reference table, which the enrich and rules functions read
 * through DynamoReferenceData. Run by the deploy pipeline after the data stack, on the first
 * deploy and whenever reference-data/ changes:
 *
 *   ledgerline load-reference-data --table <name> [--dir reference-data] [--region r] [--dry-run]
 *   npx tsx scripts/load-reference-data.ts   (the same options)
 *
 * What is written is exactly what the reader reads: every item comes from `referenceItem` and the
 * pointer from `referenceVersionItem` (dynamo-reference-data.ts), and every record from the
 * embedded adapter's parser of the same files, so both runtimes answer alike.
 *
 * The load, in order:
 * 1. validate everything before any write (src/domain/reference-data-set.ts on top of the embedded
 *    parser): a bad set is refused naming the file, line and fault, exit 2 (PCI-3: a card number
 *    is located, never shown);
 * 2. read the `META#VERSION` pointer; a live set with a later effective date is never replaced
 *    (exit 1, nothing written);
 * 3. put every item of the new version (BatchWriteItem, 25 per request, a few in parallel;
 *    UnprocessedItems and throttling retried with full-jitter backoff, a bounded number of times);
 * 4. flip the pointer, with a conditional put: it names a version only once all its items are
 *    written, it never moves to an earlier effective date, and a same-date set replaces only the
 *    version this load saw when it started. Re-running a loaded version rewrites the same items
 *    and leaves the pointer on it (idempotent);
 * 5. then, as the old version's clean-up, delete the record items the new version no longer has
 *    (a withdrawn card must stop resolving). After the flip, so a load that fails or loses a race
 *    never deletes a record of the version the pointer names.
 *
 * A failure before the flip leaves the pointer at the old version and says what failed (the file
 * and lines of the batch, the AWS error), exit 1. Records are keyed by their identity alone (the
 * reader's keys carry no version), so a load that fails midway has already replaced some records
 * in place: the pointer still names the old version, its records the new set lacks are all still
 * there, and re-running the load completes it. A failure of the clean-up (after the flip) exits 1
 * too, saying the new version is live; re-running finishes it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AttributeValue, WriteRequest } from '@aws-sdk/client-dynamodb';
import { BatchWriteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { Option, type Command } from 'commander';
import { CliError } from '../../cli/errors';
import {
  formatProblem,
  jsonArrayProblems,
  manifestProblems,
  recordLines,
  recordProblems,
  REFERENCE_FILES,
  REFERENCE_MANIFEST_FILE,
  sourcedRecords,
  textProblems,
  type ReferenceDataProblem,
  type ReferenceFileName,
  type ReferenceRecordKind,
} from '../../domain/reference-data-set';
import { redactPans } from '../../domain/pan';
import { DEFAULT_REFERENCE_DATA_DIR, EmbeddedReferenceData } from '../embedded/reference-data';
import { referenceItem, referenceVersionItem } from './dynamo-reference-data';
import { backoffMs, errorName, isTransientAwsError, sleep } from './errors';
import { REFERENCE_KEYS, TABLES } from './tables';

const PK = TABLES.reference.partitionKey.name;
/** BatchWriteItem's limit. */
export const BATCH_SIZE = 25;
const RECORD_KINDS: ReadonlySet<string> = new Set<ReferenceRecordKind>(['card', 'account', 'merchant', 'product', 'fx']);
/** At most this many problems are listed in a refusal (the rest are counted). */
const MAX_LISTED_PROBLEMS = 20;

/** A refused or failed load. exitCode 2: the input is bad (nothing was written); 1: the load failed against AWS. */
export class ReferenceDataLoadError extends Error {
  override name = 'ReferenceDataLoadError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
    readonly problems: readonly ReferenceDataProblem[] = [],
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------
// Preparing a set (no AWS)

/** One item to put, with the file and line of the record it holds. */
export interface PreparedItem {
  key: string;
  item: Record<string, AttributeValue>;
  file: ReferenceFileName;
  line: number;
}

export interface PreparedReferenceSet {
  dir: string;
  version: string;
  effectiveDate: string;
  /** In load order (REFERENCE_FILES). */
  items: readonly PreparedItem[];
  /** Records per file. */
  counts: Readonly<Record<ReferenceFileName, number>>;
}

function refuse(problems: readonly ReferenceDataProblem[], dir: string): never {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((problem) => `  ${formatProblem(problem)}`);
  const more = problems.length > MAX_LISTED_PROBLEMS ? [`  … and ${problems.length - MAX_LISTED_PROBLEMS} more`] : [];
  // PCI-3: a file name is masked wherever it is named.
  throw new ReferenceDataLoadError([`reference data in ${redactPans(dir)} refused (nothing written):`, ...listed, ...more].join('\n'), 2, problems);
}

/** The embedded parser's error (`<file> line <n>: <fault>` or `<file>: <fault>`) as a problem; a header fault is on line 1. */
function embeddedProblem(error: unknown): ReferenceDataProblem {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^([A-Za-z0-9._-]+\.(?:csv|json))(?: line ([0-9]+))?: ([\s\S]*)$/.exec(message);
  if (!match) return { file: 'reference data', fault: message };
  const fault = match[3] as string;
  return { file: match[1] as string, line: match[2] !== undefined ? Number(match[2]) : fault.startsWith('header ') ? 1 : undefined, fault };
}

/**
 * Reads and validates the set in `dir` and maps every record to its item. Throws
 * ReferenceDataLoadError (exit 2) listing every problem found; touches no AWS.
 */
export function prepareReferenceSet(dir: string): PreparedReferenceSet {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ReferenceDataLoadError(`reference data directory "${redactPans(dir)}" does not exist`, 2);
  const problems: ReferenceDataProblem[] = [];
  const texts = new Map<string, string>();
  const hashes = {} as Record<ReferenceFileName, string>;
  for (const { file, format } of [...REFERENCE_FILES, { file: REFERENCE_MANIFEST_FILE, format: 'json' as const }]) {
    const full = path.join(dir, file);
    if (!existsSync(full)) {
      problems.push({ file, fault: 'missing' });
      continue;
    }
    const bytes = readFileSync(full);
    const text = bytes.toString('utf8');
    texts.set(file, text);
    if (file !== REFERENCE_MANIFEST_FILE) hashes[file as ReferenceFileName] = createHash('sha256').update(bytes).digest('hex');
    const faults = textProblems(file, text, format);
    if (faults.length === 0 && format === 'json' && file !== REFERENCE_MANIFEST_FILE) faults.push(...jsonArrayProblems(file, text));
    problems.push(...faults);
  }
  if (problems.length > 0) refuse(problems, dir);

  // The embedded adapter's parser: headers, cell counts, statuses (one reading of the files for both runtimes).
  let parsed: EmbeddedReferenceData;
  try {
    parsed = new EmbeddedReferenceData(dir);
  } catch (error) {
    refuse([embeddedProblem(error)], dir);
  }
  const lines = {} as Record<ReferenceFileName, number[]>;
  for (const { file, format } of REFERENCE_FILES) lines[file] = recordLines(texts.get(file) as string, format);
  const records = sourcedRecords(parsed, lines);
  problems.push(...recordProblems(records));
  const counts = {} as Record<ReferenceFileName, number>;
  for (const { file } of REFERENCE_FILES) counts[file] = lines[file].length;
  problems.push(...manifestProblems(parsed.manifest, hashes, counts));
  if (problems.length > 0) refuse(problems, dir);

  const items = records.map(({ kind, record, file, line }): PreparedItem => {
    const item = referenceItem(kind, record as never);
    return { key: (item[PK] as { S: string }).S, item, file, line };
  });
  const keys = new Map<string, PreparedItem>();
  for (const item of items) {
    const first = keys.get(item.key);
    if (first) problems.push({ file: item.file, line: item.line, fault: `maps to the same item as ${first.file} line ${first.line}` });
    keys.set(item.key, item);
  }
  if (problems.length > 0) refuse(problems, dir);
  return { dir, version: parsed.version, effectiveDate: parsed.manifest.effectiveDate as string, items, counts };
}

// ---------------------------------------------------------------------------
// Loading a prepared set

export interface RetryPolicy {
  /** Attempts per batch (the first included). */
  attempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseMs: 50, capMs: 5_000 };

export interface LoadOptions {
  /** Only `send` is used (tests wrap a client to inject failures). */
  client: Pick<DynamoDBClient, 'send'>;
  tableName: string;
  /** Batches in flight at once. */
  concurrency?: number;
  retry?: RetryPolicy;
  /** Progress lines (the CLI writes them to stderr). */
  progress?: (line: string) => void;
  /** Least time between two progress lines while writing. */
  progressEveryMs?: number;
  now?: () => Date;
}

export interface LoadResult {
  table: string;
  version: string;
  effectiveDate: string;
  /** The version the pointer named before (undefined: none). */
  previousVersion?: string;
  written: number;
  deleted: number;
  batches: number;
  /** Requests repeated for unprocessed items or transient errors. */
  retries: number;
  elapsedMs: number;
}

interface Pointer {
  version: string;
  effectiveDate?: string;
}

interface Sourced {
  key: string;
  request: WriteRequest;
  /** "cards.csv line 12" or "stale item CARD#tok_…". */
  file?: ReferenceFileName;
  line?: number;
}

function describeBatch(batch: readonly Sourced[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < batch.length) {
    const first = batch[i] as Sourced;
    if (!first.file) {
      parts.push(`stale item ${first.key}`);
      i += 1;
      continue;
    }
    let j = i;
    while (j + 1 < batch.length && batch[j + 1]?.file === first.file) j += 1;
    const last = batch[j] as Sourced;
    parts.push(first.line === last.line ? `${first.file} line ${first.line}` : `${first.file} lines ${first.line}–${last.line}`);
    i = j + 1;
  }
  return parts.length > 3 ? `${parts.slice(0, 3).join(', ')} and ${parts.length - 3} more` : parts.join(', ');
}

function describeError(error: unknown): string {
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  return name && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message;
}

function keyOfRequest(request: WriteRequest): string | undefined {
  return (request.PutRequest?.Item?.[PK] ?? request.DeleteRequest?.Key?.[PK])?.S;
}

/** The `META#VERSION` item (strongly consistent), or undefined when the table has none. */
async function readPointer(options: LoadOptions): Promise<Pointer | undefined> {
  const result = await options.client.send(new GetItemCommand({ TableName: options.tableName, Key: { [PK]: { S: REFERENCE_KEYS.version } }, ConsistentRead: true }));
  const version = result.Item?.version?.S;
  return version === undefined ? undefined : { version, effectiveDate: result.Item?.effectiveDate?.S };
}

function describePointer(pointer: Pointer): string {
  return `${pointer.version}${pointer.effectiveDate ? ` (effective ${pointer.effectiveDate})` : ''}`;
}

class Loader {
  retries = 0;
  /** Set once the pointer names this load's version (failures after that are of the clean-up). */
  live = false;
  private readonly retry: RetryPolicy;
  private readonly concurrency: number;

  constructor(
    private readonly options: LoadOptions,
    private readonly version: string,
    /** What the pointer named when the load started (undefined: the table had none). */
    private readonly previous: string | undefined,
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
  }

  failure(step: string, error: unknown): ReferenceDataLoadError {
    if (this.live) {
      return new ReferenceDataLoadError(
        `reference data ${this.version} is live in ${this.options.tableName} (${REFERENCE_KEYS.version} names it), but ${step} failed: ${describeError(error)}. Re-run the load to delete the records it no longer has.`,
        1,
      );
    }
    return new ReferenceDataLoadError(
      `reference data ${this.version} not loaded into ${this.options.tableName}: ${step} failed: ${describeError(error)}. ${
        this.previous ? `The ${REFERENCE_KEYS.version} pointer still names ${this.previous}` : `The table still has no ${REFERENCE_KEYS.version} pointer`
      }; re-run the load.`,
      1,
    );
  }

  /** Writes every request, BATCH_SIZE per BatchWriteItem, `concurrency` at a time; stops launching at the first failure. */
  async writeAll(requests: readonly Sourced[], onBatch: (done: number, last: Sourced) => void): Promise<number> {
    const batches: Sourced[][] = [];
    for (let i = 0; i < requests.length; i += BATCH_SIZE) batches.push(requests.slice(i, i + BATCH_SIZE));
    let next = 0;
    let done = 0;
    let failed: { error: unknown } | undefined;
    const worker = async (): Promise<void> => {
      while (!failed && next < batches.length) {
        const batch = batches[next] as Sourced[];
        next += 1;
        try {
          await this.writeBatch(batch);
          done += batch.length;
          onBatch(done, batch[batch.length - 1] as Sourced);
        } catch (error) {
          failed ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batches.length) }, worker));
    if (failed) throw failed.error;
    return batches.length;
  }

  private async writeBatch(batch: readonly Sourced[]): Promise<void> {
    const { client, tableName } = this.options;
    let pending = batch;
    for (let attempt = 1; ; attempt += 1) {
      let unprocessed: WriteRequest[];
      try {
        const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending.map((sourced) => sourced.request) } }));
        unprocessed = result.UnprocessedItems?.[tableName] ?? [];
      } catch (error) {
        if (!isTransientAwsError(error) || attempt >= this.retry.attempts) throw this.failure(`${pending[0]?.request.DeleteRequest ? 'deleting' : 'writing'} ${describeBatch(pending)}`, error);
        this.retries += 1;
        await sleep(backoffMs(attempt, this.retry.baseMs, this.retry.capMs));
        continue;
      }
      if (unprocessed.length === 0) return;
      const left = new Set(unprocessed.map(keyOfRequest));
      pending = pending.filter((sourced) => left.has(sourced.key));
      if (attempt >= this.retry.attempts) {
        throw this.failure(
          `${pending[0]?.request.DeleteRequest ? 'deleting' : 'writing'} ${describeBatch(pending)}`,
          new Error(`${pending.length} items still unprocessed (throttled) after ${this.retry.attempts} attempts`),
        );
      }
      this.retries += 1;
      await sleep(backoffMs(attempt, this.retry.baseMs, this.retry.capMs));
    }
  }

  /** The keys of record items in the table that `keep` lacks. */
  async staleKeys(keep: ReadonlySet<string>): Promise<string[]> {
    const stale: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.options.client.send(
        new ScanCommand({
          TableName: this.options.tableName,
          ProjectionExpression: '#pk, #kind',
          ExpressionAttributeNames: { '#pk': PK, '#kind': 'kind' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const key = item[PK]?.S;
        if (key !== undefined && RECORD_KINDS.has(item.kind?.S ?? '') && !keep.has(key)) stale.push(key);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return stale;
  }
}

/**
 * Loads a prepared set into the table (steps 2–5 of the module comment). Throws
 * ReferenceDataLoadError (exit 1) naming what failed; the pointer then names what it did before.
 */
export async function loadReferenceSet(prepared: PreparedReferenceSet, options: LoadOptions): Promise<LoadResult> {
  const started = Date.now();
  const progress = options.progress ?? (() => undefined);
  const now = options.now ?? (() => new Date());
  const { tableName } = options;
  const { version, effectiveDate } = prepared;

  let pointer: Pointer | undefined;
  try {
    pointer = await readPointer(options);
  } catch (error) {
    throw new ReferenceDataLoadError(`reference data ${version} not loaded into ${tableName}: reading ${REFERENCE_KEYS.version} failed: ${describeError(error)}. Nothing was written.`, 1);
  }
  const previous = pointer ? describePointer(pointer) : undefined;
  if (pointer && pointer.version !== version && pointer.effectiveDate !== undefined && pointer.effectiveDate > effectiveDate) {
    throw new ReferenceDataLoadError(
      `reference data ${version} (effective ${effectiveDate}) not loaded into ${tableName}: the table holds a later set, ${previous as string}; a load never moves the ${REFERENCE_KEYS.version} pointer backwards. Nothing was written.`,
      1,
    );
  }
  const loader = new Loader(options, version, previous);
  progress(`reference data ${version} (effective ${effectiveDate}) → ${tableName}: ${prepared.items.length} items; the table holds ${previous ?? 'no version yet'}`);

  // 3. Every item of the new version.
  const everyMs = options.progressEveryMs ?? 2_000;
  let lastProgress = Date.now();
  const puts: Sourced[] = prepared.items.map(({ key, item, file, line }) => ({ key, request: { PutRequest: { Item: item } }, file, line }));
  const putBatches = await loader.writeAll(puts, (done, last) => {
    if (Date.now() - lastProgress < everyMs && done < puts.length) return;
    lastProgress = Date.now();
    progress(`  written ${done}/${puts.length} items (${last.file} line ${last.line})`);
  });

  // 4. The pointer, once every item is written.
  const names: Record<string, string> = { '#pk': PK, '#version': 'version', '#effective': 'effectiveDate' };
  const values: Record<string, AttributeValue> = { ':version': { S: version }, ':effective': { S: effectiveDate } };
  const allowed = ['attribute_not_exists(#pk)', '#version = :version', 'attribute_not_exists(#effective)', '#effective < :effective'];
  if (pointer) {
    // A same-date set replaces only the version this load saw when it started.
    values[':seen'] = { S: pointer.version };
    allowed.push('(#version = :seen AND #effective = :effective)');
  }
  try {
    await options.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { ...referenceVersionItem(version), effectiveDate: { S: effectiveDate }, loadedAt: { S: now().toISOString() } },
        ConditionExpression: allowed.join(' OR '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  } catch (error) {
    if (errorName(error) === 'ConditionalCheckFailedException') {
      let moved = 'another version';
      try {
        const current = await readPointer(options);
        if (current) moved = describePointer(current);
      } catch {
        // the message below stands without it
      }
      throw new ReferenceDataLoadError(
        `reference data ${version} (effective ${effectiveDate}) not made live in ${tableName}: another load moved the ${REFERENCE_KEYS.version} pointer to ${moved} while this one ran, and it stays there. This load's record writes may have replaced some of that version's records: re-run the load of ${moved.split(' ')[0]}.`,
        1,
      );
    }
    throw loader.failure(`flipping ${REFERENCE_KEYS.version}`, error);
  }
  loader.live = true;
  progress(`  ${REFERENCE_KEYS.version} → ${version}`);

  // 5. The old version's records the new one lacks.
  let stale: string[];
  try {
    stale = await loader.staleKeys(new Set(prepared.items.map((item) => item.key)));
  } catch (error) {
    throw loader.failure('scanning for the records the new version no longer has', error);
  }
  let deleteBatches = 0;
  if (stale.length > 0) {
    progress(`  deleting ${stale.length} records the new version no longer has`);
    // A failed batch throws loader.failure, naming the stale items it held.
    deleteBatches = await loader.writeAll(
      stale.map((key) => ({ key, request: { DeleteRequest: { Key: { [PK]: { S: key } } } } })),
      () => undefined,
    );
  }
  return {
    table: tableName,
    version,
    effectiveDate,
    previousVersion: pointer?.version,
    written: puts.length,
    deleted: stale.length,
    batches: putBatches + deleteBatches,
    retries: loader.retries,
    elapsedMs: Date.now() - started,
  };
}

// ---------------------------------------------------------------------------
// The command (`ledgerline load-reference-data`, scripts/load-reference-data.ts)

export interface LoadCommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface LoadCommandOptions {
  table?: string;
  dir: string;
  region?: string;
  endpoint?: string;
  dryRun?: boolean;
  json?: boolean;
}

const COUNT_LABELS: Readonly<Record<ReferenceFileName, string>> = {
  'products.json': 'products',
  'fx-rates.json': 'FX rates',
  'settlement-accounts.csv': 'settlement accounts',
  'accounts.csv': 'accounts',
  'merchants.csv': 'merchants',
  'cards.csv': 'cards',
};

function countsText(prepared: PreparedReferenceSet): string {
  return REFERENCE_FILES.map(({ file }) => `${prepared.counts[file]} ${COUNT_LABELS[file]}`).join(', ');
}

/** Runs one load (or dry run) as the command does; throws ReferenceDataLoadError on refusal or failure. */
export async function runReferenceDataLoad(options: LoadCommandOptions, io: LoadCommandIo, client?: Pick<DynamoDBClient, 'send'>): Promise<void> {
  if (!options.dryRun && !options.table) throw new ReferenceDataLoadError('--table <name> is required (or --dry-run to validate only)', 2);
  const prepared = prepareReferenceSet(path.resolve(options.dir));
  const batches = Math.ceil(prepared.items.length / BATCH_SIZE);
  if (options.dryRun) {
    const summary = { dryRun: true, dir: redactPans(prepared.dir), version: prepared.version, effectiveDate: prepared.effectiveDate, counts: prepared.counts, items: prepared.items.length, batches };
    if (options.json) io.stdout(`${JSON.stringify(summary)}\n`);
    else io.stdout(`reference data ${prepared.version} (effective ${prepared.effectiveDate}) is valid: ${countsText(prepared)}; a load writes ${prepared.items.length} items in ${batches} batches\n`);
    return;
  }
  const owned = client ? undefined : new DynamoDBClient({ region: options.region, endpoint: options.endpoint });
  try {
    const result = await loadReferenceSet(prepared, { client: client ?? (owned as DynamoDBClient), tableName: options.table as string, progress: (line) => io.stderr(`${line}\n`) });
    if (options.json) io.stdout(`${JSON.stringify({ dryRun: false, dir: redactPans(prepared.dir), counts: prepared.counts, ...result })}\n`);
    else
      io.stdout(
        `reference data ${result.version} loaded into ${result.table}: ${result.written} items written (${countsText(prepared)}), ${result.deleted} withdrawn records deleted, ${REFERENCE_KEYS.version} was ${result.previousVersion ?? '(none)'}; ${(result.elapsedMs / 1000).toFixed(1)} s\n`,
      );
  } finally {
    owned?.destroy();
  }
}

/** Configures `command` (a fresh commander command) as the load command. */
export function configureLoadReferenceDataCommand(command: Command, io: LoadCommandIo): Command {
  return command
    .description('load reference data (cards, accounts, merchants, settlement accounts, products, FX rates) into the DynamoDB reference table, as one versioned set')
    .option('--table <name>', 'the reference table (the data stack creates it); required unless --dry-run')
    .addOption(new Option('--dir <dir>', 'the reference data directory').default(DEFAULT_REFERENCE_DATA_DIR, "the repository's reference-data/"))
    .option('--region <region>', 'AWS region (default: the SDK default chain, e.g. AWS_REGION)')
    .option('--endpoint <url>', 'DynamoDB endpoint override (a local emulator)')
    .option('--dry-run', 'validate the files and count the items; no AWS call')
    .option('--json', 'print one JSON summary object on stdout')
    .addHelpText(
      'after',
      [
        '',
        'Every file is validated before anything is written: headers, statuses, currencies, amounts, FX',
        'rates, duplicate keys, dangling references, no byte-order mark or CRLF, no card number anywhere',
        '(cards are stored as tokens), and the manifest (version, effective date, SHA-256 and count of',
        'every file). Then the items of the manifest version are written (BatchWriteItem, 25 a request,',
        'throttled items retried with backoff), records the new version no longer has are deleted, and',
        `the ${REFERENCE_KEYS.version} pointer the functions read is moved last, with a conditional write: it`,
        'never names a half-written set and never moves to an earlier effective date. Re-running the',
        'same version is harmless. Progress goes to stderr.',
        '',
        'Exit status: 0 loaded (or valid, with --dry-run); 2 bad input (nothing written); 1 AWS failure or',
        'a refused pointer move (the pointer still names the version it named before).',
        '',
        'Examples:',
        '  ledgerline load-reference-data --dry-run',
        '  ledgerline load-reference-data --table ledgerline-prod-reference --region eu-west-2',
      ].join('\n'),
    )
    .action(async (options: LoadCommandOptions) => {
      try {
        await runReferenceDataLoad(options, io);
      } catch (error) {
        if (error instanceof ReferenceDataLoadError) throw new CliError(error.message, error.exitCode);
        throw error;
      }
    });
}
