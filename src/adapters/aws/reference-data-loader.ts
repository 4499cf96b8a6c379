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
 * Records are keyed by version (REFERENCE_KEYS.item: `<version>#CARD#<token>`, ...): a load writes
 * the new version BESIDE the live one, never over it, and a reader reads only the version the
 * `META#VERSION` pointer named when it resolved it. So a reader never sees a mix of two versions,
 * whatever point a load fails at.
 *
 * The load, in order:
 * 1. validate everything before any write (src/domain/reference-data-set.ts on top of the embedded
 *    parser): a bad set is refused naming the file, line and fault, exit 2 (PCI-3: a card number
 *    is located, never shown);
 * 2. read the `META#VERSION` pointer; a live set with a later effective date is never replaced
 *    (exit 1, nothing written);
 * 3. put the load marker `META#LOAD#<version>` (a clean-up running meanwhile spares the version);
 * 4. put every item of the new version under its versioned key (BatchWriteItem, 25 per request, a
 *    few in parallel; UnprocessedItems and throttling retried with full-jitter backoff, a bounded
 *    number of times). Re-running a version rewrites the same items (idempotent);
 * 5. flip the pointer, with a conditional put: it names a version only once all its items are
 *    written, it never moves to an earlier effective date, and a same-date set replaces only the
 *    version this load saw when it started. It records the version it replaced as `previousVersion`
 *    (a re-run of the live version keeps the previous one);
 * 6. then the clean-up: delete the items of every version but the live one and the previous one
 *    (DEP-2: readers that resolved the pointer just before the flip keep reading a complete set),
 *    and this load's marker. After the flip, so a load that fails or loses a race never deletes a
 *    record of a version the pointer names or named just before.
 *
 * A failure before the flip (steps 2–5) leaves the pointer at the old version, whose records are
 * untouched, and says what failed (the file and lines of the batch, the AWS error), exit 1; the
 * new version's items written so far are read by no one, and re-running the load completes it
 * (a later successful load deletes them otherwise, once the marker is LOAD_MARKER_LEASE_MS old).
 * A failure of the clean-up (after the flip) exits 1 too, saying the new version is live;
 * re-running finishes it.
 *
 * Records written by the earlier unversioned layout (`CARD#<token>`, no `version` attribute) are
 * the records of the version its pointer named, and are kept as long as that version is live or
 * the previous one, like any version (the pointer's `legacyVersion`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AttributeValue, WriteRequest } from '@aws-sdk/client-dynamodb';
import { BatchWriteItemCommand, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
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
import { REFERENCE_KEY_LAYOUT, referenceItem, referenceRecordKey, referenceVersionItem } from './dynamo-reference-data';
import { backoffMs, errorName, isTransientAwsError, sleep } from './errors';
import { REFERENCE_KEYS, TABLES } from './tables';

const PK = TABLES.reference.partitionKey.name;
/** BatchWriteItem's limit. */
export const BATCH_SIZE = 25;
const RECORD_KINDS: ReadonlySet<string> = new Set<ReferenceRecordKind>(['card', 'account', 'merchant', 'product', 'fx']);
/** The `kind` of a load marker item (REFERENCE_KEYS.load). */
const LOAD_MARKER_KIND = 'load';
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
  /** The record's key within its version (`CARD#<token>`, ...; REFERENCE_KEYS). */
  key: string;
  /** The item's partition key: REFERENCE_KEYS.item(version, key). */
  pk: string;
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
    const item = referenceItem(parsed.version, kind, record as never);
    return { key: referenceRecordKey(kind, record as never), pk: (item[PK] as { S: string }).S, item, file, line };
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
  /** The version kept beside the live one for readers that resolved the pointer before the flip (undefined: none). */
  retainedVersion?: string;
  written: number;
  /** Record items deleted: those of versions older than the retained one. */
  deleted: number;
  /** The versions whose items were deleted. */
  deletedVersions: string[];
  batches: number;
  /** Requests repeated for unprocessed items or transient errors. */
  retries: number;
  elapsedMs: number;
}

/**
 * A load marker (`META#LOAD#<version>`) older than this is a dead load's: the clean-up may then
 * delete that version's items. A load of the shipped set takes seconds; its longest retry backoff
 * is bounded (DEFAULT_RETRY), so an hour is ample.
 */
export const LOAD_MARKER_LEASE_MS = 60 * 60_000;
/** How many times a flip re-reads a pointer another load moved, before giving up. */
const FLIP_ATTEMPTS = 5;
/** The `version` of record items stored before records were keyed by version (`CARD#<token>`, ...). */
const UNVERSIONED = '\u0000unversioned';

interface Pointer {
  version: string;
  effectiveDate?: string;
  loadedAt?: string;
  /** The version live before this one, kept for readers that resolved the pointer just before the flip. */
  previousVersion?: string;
  /** Written by a loader that keys records by version (REFERENCE_KEY_LAYOUT); false for a pointer of the unversioned layout. */
  versionedKeys: boolean;
  /** The version whose records are still in the unversioned layout, while that version is live or the previous one. */
  legacyVersion?: string;
}

interface Sourced {
  /** The item's partition key. */
  pk: string;
  request: WriteRequest;
  /** "cards.csv line 12" or "stale item <version>#CARD#tok_…". */
  file?: ReferenceFileName;
  line?: number;
}

function describeBatch(batch: readonly Sourced[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < batch.length) {
    const first = batch[i] as Sourced;
    if (!first.file) {
      parts.push(`stale item ${first.pk}`);
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
  const item = result.Item;
  const version = item?.version?.S;
  if (!item || version === undefined) return undefined;
  return {
    version,
    effectiveDate: item.effectiveDate?.S,
    loadedAt: item.loadedAt?.S,
    previousVersion: item.previousVersion?.S,
    versionedKeys: item.keyLayout?.S === REFERENCE_KEY_LAYOUT,
    legacyVersion: item.legacyVersion?.S,
  };
}

function describePointer(pointer: Pointer): string {
  return `${pointer.version}${pointer.effectiveDate ? ` (effective ${pointer.effectiveDate})` : ''}`;
}

/**
 * What a flip from `current` to `version` keeps beside it. DEP-2: the version live just before
 * the flip stays, complete, as `previousVersion`: a function container resolves the pointer once
 * (DynamoReferenceData.open) and may have done so just before the flip, so it still reads that
 * version while the load deletes older ones. A re-run of the live version keeps the same previous
 * one. Records of the unversioned layout (an earlier loader's) belong to the version its pointer
 * named and are kept, like any version, while that one is live or the previous one.
 */
function retention(current: Pointer | undefined, version: string): { previousVersion?: string; legacyVersion?: string } {
  if (!current) return {};
  const previousVersion = current.version !== version ? current.version : current.previousVersion;
  const legacy = current.versionedKeys ? current.legacyVersion : current.version;
  return { previousVersion, legacyVersion: legacy !== undefined && (legacy === version || legacy === previousVersion) ? legacy : undefined };
}

/**
 * Whether the pointer may move from `current` to this set: the same rules as the flip's
 * condition. `seen`: the version the pointer named when the load started.
 */
function mayReplace(current: Pointer | undefined, version: string, effectiveDate: string, seen: string | undefined): boolean {
  if (!current || current.version === version) return true;
  if (current.effectiveDate === undefined || current.effectiveDate < effectiveDate) return true;
  return current.version === seen && current.effectiveDate === effectiveDate;
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
        `reference data ${this.version} is live in ${this.options.tableName} (${REFERENCE_KEYS.version} names it), but ${step} failed: ${describeError(error)}. Re-run the load to finish deleting the versions older than the previous one.`,
        1,
      );
    }
    return new ReferenceDataLoadError(
      `reference data ${this.version} not loaded into ${this.options.tableName}: ${step} failed: ${describeError(error)}. ${
        this.previous ? `The ${REFERENCE_KEYS.version} pointer still names ${this.previous}, whose records are untouched` : `The table still has no ${REFERENCE_KEYS.version} pointer`
      } (this load's items are keyed by version ${this.version}: nothing reads them); re-run the load.`,
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
    // Every worker settles before this returns or throws: a failed load has no write left in flight.
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
      pending = pending.filter((sourced) => left.has(sourced.pk));
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

  /**
   * One scan of the table: record items by version (UNVERSIONED for the old layout) and load
   * markers by version, leaving out (server-side, a filter) the items of the `kept` versions.
   */
  async inventory(kept: readonly string[]): Promise<{ records: Map<string, string[]>; markers: Map<string, { pk: string; startedAt?: string }> }> {
    const records = new Map<string, string[]>();
    const markers = new Map<string, { pk: string; startedAt?: string }>();
    const values = Object.fromEntries(kept.map((version, i): [string, AttributeValue] => [`:kept${i}`, { S: version }]));
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.options.client.send(
        new ScanCommand({
          TableName: this.options.tableName,
          ProjectionExpression: '#pk, #kind, #version, #started',
          // An item without a version (the unversioned layout, other items) passes the filter.
          FilterExpression: `NOT (#version IN (${Object.keys(values).join(', ')}))`,
          ExpressionAttributeNames: { '#pk': PK, '#kind': 'kind', '#version': 'version', '#started': 'startedAt' },
          ExpressionAttributeValues: values,
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const pk = item[PK]?.S;
        const kind = item.kind?.S ?? '';
        if (pk === undefined) continue;
        if (RECORD_KINDS.has(kind)) {
          const version = item.version?.S ?? UNVERSIONED;
          const list = records.get(version);
          if (list) list.push(pk);
          else records.set(version, [pk]);
        } else if (kind === LOAD_MARKER_KIND && item.version?.S !== undefined && pk === REFERENCE_KEYS.load(item.version.S)) {
          markers.set(item.version.S, { pk, startedAt: item.startedAt?.S });
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return { records, markers };
  }

  /** The `startedAt` of the load marker of `version` (strongly consistent), or undefined when there is none. */
  async markerStartedAt(version: string): Promise<string | undefined> {
    const result = await this.options.client.send(new GetItemCommand({ TableName: this.options.tableName, Key: { [PK]: { S: REFERENCE_KEYS.load(version) } }, ConsistentRead: true }));
    return result.Item ? (result.Item.startedAt?.S ?? '') : undefined;
  }

  /** Deletes the load marker of `version` if it still holds `startedAt` (a newer load of that version keeps its own). */
  async deleteMarker(version: string, startedAt: string): Promise<void> {
    try {
      await this.options.client.send(
        new DeleteItemCommand({
          TableName: this.options.tableName,
          Key: { [PK]: { S: REFERENCE_KEYS.load(version) } },
          ConditionExpression: '#started = :started',
          ExpressionAttributeNames: { '#started': 'startedAt' },
          ExpressionAttributeValues: { ':started': { S: startedAt } },
        }),
      );
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
    }
  }
}

/**
 * Loads a prepared set into the table (steps 2–6 of the module comment). Throws
 * ReferenceDataLoadError (exit 1) naming what failed; the pointer then names what it did before,
 * and that version's records are untouched.
 */
export async function loadReferenceSet(prepared: PreparedReferenceSet, options: LoadOptions): Promise<LoadResult> {
  const started = Date.now();
  const progress = options.progress ?? (() => undefined);
  const now = options.now ?? (() => new Date());
  const { client, tableName } = options;
  const { version, effectiveDate } = prepared;

  // 2. The pointer as it is.
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

  // 3. The load marker, before any item: a concurrent load's clean-up leaves this version alone.
  const startedAt = now().toISOString();
  try {
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: { [PK]: { S: REFERENCE_KEYS.load(version) }, kind: { S: LOAD_MARKER_KIND }, version: { S: version }, startedAt: { S: startedAt } } }),
    );
  } catch (error) {
    throw loader.failure(`writing ${REFERENCE_KEYS.load(version)}`, error);
  }

  // 4. Every item of the new version, under its versioned key (beside the live version, never over it).
  const everyMs = options.progressEveryMs ?? 2_000;
  let lastProgress = Date.now();
  const puts: Sourced[] = prepared.items.map(({ pk, item, file, line }) => ({ pk, request: { PutRequest: { Item: item } }, file, line }));
  const putBatches = await loader.writeAll(puts, (done, last) => {
    if (Date.now() - lastProgress < everyMs && done < puts.length) return;
    lastProgress = Date.now();
    progress(`  written ${done}/${puts.length} items (${last.file} line ${last.line})`);
  });

  // 5. The pointer, once every item is written. The condition holds the rules (never to an earlier
  // effective date; a same-date set replaces only the version this load saw when it started) AND
  // pins the pointer read just before, so `previousVersion` is exactly the version it replaces; a
  // pointer another load moved meanwhile is re-read and the rules applied to it.
  const allowed = ['attribute_not_exists(#pk)', '#version = :version', 'attribute_not_exists(#effective)', '#effective < :effective'];
  if (pointer) allowed.push('(#version = :seen AND #effective = :effective)');
  let current = pointer;
  let kept: { previousVersion?: string; legacyVersion?: string };
  for (let attempt = 1; ; attempt += 1) {
    if (!mayReplace(current, version, effectiveDate, pointer?.version) || attempt > FLIP_ATTEMPTS) {
      const moved = current ? describePointer(current) : 'none';
      throw new ReferenceDataLoadError(
        `reference data ${version} (effective ${effectiveDate}) not made live in ${tableName}: another load moved the ${REFERENCE_KEYS.version} pointer to ${moved} while this one ran, and it stays there. Its records are untouched: this load's items are keyed by version ${version}, which nothing reads.`,
        1,
      );
    }
    kept = retention(current, version);
    const names: Record<string, string> = { '#pk': PK, '#version': 'version', '#effective': 'effectiveDate' };
    const values: Record<string, AttributeValue> = { ':version': { S: version }, ':effective': { S: effectiveDate } };
    if (pointer) values[':seen'] = { S: pointer.version };
    let pin = 'attribute_not_exists(#pk)';
    if (current) {
      values[':pinVersion'] = { S: current.version };
      names['#loadedAt'] = 'loadedAt';
      if (current.loadedAt !== undefined) values[':pinLoadedAt'] = { S: current.loadedAt };
      pin = `#version = :pinVersion AND ${current.loadedAt !== undefined ? '#loadedAt = :pinLoadedAt' : 'attribute_not_exists(#loadedAt)'}`;
    }
    const item: Record<string, AttributeValue> = { ...referenceVersionItem(version), effectiveDate: { S: effectiveDate }, loadedAt: { S: now().toISOString() } };
    if (kept.previousVersion !== undefined) item.previousVersion = { S: kept.previousVersion };
    if (kept.legacyVersion !== undefined) item.legacyVersion = { S: kept.legacyVersion };
    try {
      await client.send(
        new PutItemCommand({ TableName: tableName, Item: item, ConditionExpression: `(${allowed.join(' OR ')}) AND ${pin}`, ExpressionAttributeNames: names, ExpressionAttributeValues: values }),
      );
      break;
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw loader.failure(`flipping ${REFERENCE_KEYS.version}`, error);
    }
    try {
      current = await readPointer(options);
    } catch (error) {
      throw loader.failure(`re-reading ${REFERENCE_KEYS.version} (another load moved it)`, error);
    }
  }
  loader.live = true;
  progress(`  ${REFERENCE_KEYS.version} → ${version}${kept.previousVersion !== undefined ? ` (${kept.previousVersion} kept as the previous version)` : ''}`);

  // 6. The clean-up: only now that the new version is live.
  const cleaned = await cleanUp(loader, options, version, kept.previousVersion, startedAt, progress);
  return {
    table: tableName,
    version,
    effectiveDate,
    previousVersion: pointer?.version,
    retainedVersion: kept.previousVersion,
    written: puts.length,
    deleted: cleaned.deleted,
    deletedVersions: cleaned.versions,
    batches: putBatches + cleaned.batches,
    retries: loader.retries,
    elapsedMs: Date.now() - started,
  };
}

/**
 * Step 6: deletes the items of every version but the live one and the previous one (DEP-2: kept
 * for readers that resolved the pointer just before the flip), and of the unversioned layout once
 * its version is neither, and this load's marker. Spared too: a version whose load marker is fresh
 * (a load writing it now), everything that is not a record item or a marker (other items of the
 * table), and everything when another load has moved the pointer since this one's flip (that
 * load's clean-up does the work). The markers are read after the scan and the pointer after the
 * markers, so a version a concurrent load wrote items of during the scan is either marked or live.
 */
async function cleanUp(
  loader: Loader,
  options: LoadOptions,
  version: string,
  previousVersion: string | undefined,
  startedAt: string,
  progress: (line: string) => void,
): Promise<{ deleted: number; versions: string[]; batches: number }> {
  const now = options.now ?? (() => new Date());
  const step = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw loader.failure(what, error);
    }
  };
  await step(`deleting ${REFERENCE_KEYS.load(version)}`, () => loader.deleteMarker(version, startedAt));
  // The live version and the one this flip kept are left out of the scan (most of the table).
  const { records, markers } = await step('scanning for the versions to delete', () => loader.inventory(previousVersion === undefined ? [version] : [version, previousVersion]));

  const others = new Set([...records.keys(), ...markers.keys()].filter((v) => v !== version && v !== UNVERSIONED));
  const fresh = new Set<string>();
  const expiredMarkers: Array<{ version: string; startedAt: string }> = [];
  const leaseStart = now().getTime() - LOAD_MARKER_LEASE_MS;
  for (const other of others) {
    const markerStart = await step(`reading ${REFERENCE_KEYS.load(other)}`, () => loader.markerStartedAt(other));
    if (markerStart === undefined) continue;
    if (Date.parse(markerStart) > leaseStart) fresh.add(other);
    else expiredMarkers.push({ version: other, startedAt: markerStart });
  }
  const pointer = await step(`re-reading ${REFERENCE_KEYS.version}`, () => readPointer(options));
  if (pointer?.version !== version) {
    progress(`  another load has since made ${pointer ? describePointer(pointer) : 'no version'} live: its clean-up deletes the older versions`);
    return { deleted: 0, versions: [], batches: 0 };
  }
  // The scan left out this flip's previous version; the pointer's (the same, unless a same-version re-run moved it since) is kept too.
  const keep = new Set([version, ...fresh]);
  if (pointer.previousVersion !== undefined) keep.add(pointer.previousVersion);
  if (pointer.legacyVersion !== undefined) keep.add(UNVERSIONED);
  const stale: Sourced[] = [];
  const versions: string[] = [];
  for (const [itemVersion, pks] of records) {
    if (keep.has(itemVersion)) continue;
    versions.push(itemVersion === UNVERSIONED ? '(unversioned layout)' : itemVersion);
    for (const pk of pks) stale.push({ pk, request: { DeleteRequest: { Key: { [PK]: { S: pk } } } } });
  }
  let batches = 0;
  if (stale.length > 0) {
    progress(`  deleting ${stale.length} items of ${versions.join(', ')} (older than the previous version ${pointer.previousVersion ?? '(none)'})`);
    // A failed batch throws loader.failure, naming the stale items it held.
    batches = await loader.writeAll(stale, () => undefined);
  }
  for (const marker of expiredMarkers) await step(`deleting ${REFERENCE_KEYS.load(marker.version)}`, () => loader.deleteMarker(marker.version, marker.startedAt));
  return { deleted: stale.length, versions: versions.sort(), batches };
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
        `reference data ${result.version} loaded into ${result.table}: ${result.written} items written (${countsText(prepared)}), ${REFERENCE_KEYS.version} was ${result.previousVersion ?? '(none)'}, ${result.retainedVersion ?? 'no version'} kept as the previous version, ${result.deleted} items of older versions deleted${result.deletedVersions.length > 0 ? ` (${result.deletedVersions.join(', ')})` : ''}; ${(result.elapsedMs / 1000).toFixed(1)} s\n`,
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
        'every file). Then the items of the manifest version are written beside the live version (keyed',
        '<version>#..., BatchWriteItem, 25 a request, throttled items retried with backoff), and the',
        `${REFERENCE_KEYS.version} pointer the functions read is moved last, with a conditional write: it`,
        'never names a half-written set and never moves to an earlier effective date, and a function',
        'never reads a mix of two versions. Then the versions older than the one just replaced are',
        'deleted (that one is kept for functions that read it a moment ago). Re-running the same',
        'version is harmless. Progress goes to stderr.',
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
