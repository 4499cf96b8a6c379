/**
 * The reconciliation workflow's Lambda steps (workflows/reconciliation.asl.json), as plain async
 * functions over an S3 client. functions/reconcile-{normalise,match,summarise} wrap them.
 *
 *   normalise  statement object → parsed, checked against the ledger export, partitioned by
 *              account/currency into chunk objects (the Distributed Map's items), statement
 *              lines as NDJSON for the Glue job; the content hash claimed in the registry.
 *              Bad input → the object moves to quarantine/ with a reason object, and the step
 *              fails with BadStatementFile (nothing recorded).
 *   match      one chunk → matchPartition per account/currency partition (the ONE matcher) →
 *              its MatchResult object.
 *   summarise  every chunk's result → mergeResults → the run use case's record phase: the S3
 *              ResultSink (./result-sink.ts) writes matches.csv, exceptions.csv, summary.json,
 *              cases.json (the workbench cases of the same rows) and the Redshift load files;
 *              the registry commits the ledger entries the run matched (REC-RUN-1); returns
 *              the load SQL (one transaction per run).
 *   importCases (RaiseCases, after the Redshift load) cases.json → the workbench store (planImport,
 *              applied once per run); then the run is announced (NOTIFY-1): the
 *              reconciliation.completed events summarise prepared (outward-events.json, written
 *              BEFORE its registry commit) go to the event bus. Never lost: RaiseCases runs only
 *              once the run is committed and loaded, and the state machine retries it on a failed
 *              publish (TransientStoreError); the event ids derive from the run, so a retry
 *              publishes the same events and the notifier delivers each once.
 *
 * S3 layout (analytics bucket unless noted):
 *   normalised/<runId>/run.json                      run manifest
 *   normalised/<runId>/statement-lines/part-00000.ndjson   Glue input (--input_prefix)
 *   normalised/<runId>/ledger-entries/part-00000.ndjson
 *   normalised/<runId>/partitions/p-00000.json       chunk input {runId, asOf, partitions: [...]}
 *   matches/runs/<runId>/partitions/p-00000.json     chunk MatchResult
 *   matches/runs/<runId>/{matches.csv, exceptions.csv, summary.json, cases.json, outward-events.json}
 *   matches/runs/<runId>/load/{runs,matches,exceptions}.csv   Redshift COPY input (run_id first, no header)
 *   ingest bucket: results/registry/<sha256>.json (re-upload claim), results/registry/statements/<identity>.json
 *   (a statement's identity claim, pointing at the content claim), results/registry/{ledger,runs}/…
 *   (the ledger entries committed runs matched: src/adapters/aws/recon-registry.ts), quarantine/<runId>/<name>(.reason.json)
 */
import { statementRowsOf } from '../../statement-rows';
import { journalLedgerSource, s3LedgerExportSource, type PostedLegReader } from '../../../adapters/aws/recon-ledger-source';
import { ClaimLostError, DEFAULT_REGISTRY_PREFIX, s3ClaimRegistry } from '../../../adapters/aws/recon-registry';
import { readJson, readText, s3Uri, writeObject, type S3Client } from '../../../adapters/aws/recon-s3';
import { s3Quarantine, s3StatementSource } from '../../../adapters/aws/recon-statements';
import { reconciliationCompletedEvents, type OutwardEvent, type OutwardEventPublisher } from '../../../notify/outward';
import { ReconcileConfigError, type LedgerSource, type RecordedRun } from '../../../ports/reconciliation';
import { admit, record, RejectedInputError, runRecord, runSummary, scope, withDeclared, type AdmittedInput } from '../../../use-cases/reconcile-run/reconcile-run';
import { deserialisePartition, mergeResults, partitionInputs, serialisePartition } from '../../matching/partition';
import { matchPartition } from '../../matching/engine';
import { defaultRuleSet, validateRuleSet, type RuleSet } from '../../matching/rules';
import { parseEncoding, type StatementEncoding } from '../../parsers/encoding';
import type { LedgerEntry, MatchResult, StatementLine } from '../../types';
import { ledgerRowsOf } from '../../ledger-rows';
import type { ImportOutcome } from '../../workbench/import-cases';
import type { WorkbenchStore } from '../../workbench/ports';
import { parseAccountRegistry } from '../account-registry';
import { countExcluded, type ExcludedLine, type ExclusionReason } from '../bookable';
import { balanceCheck, canonicalResult, countResult, type BalanceCheck, type RunSummary } from '../results';
import { runLookups, unmatchedLedgerIds } from '../run-lookups';
import type { ObjectRef } from './objects';
import { redshiftLoadSql } from './redshift-load';
import { keys, s3ResultSink } from './result-sink';
import { checkRunCasesFile, importRunCasesFile } from './run-cases';

/** The workflow configuration (Parameter Store JSON, `$.config.value` in the ASL). */
export interface RunConfig {
  /** Only "default" (config/recon/default.rules.json, bundled) is supported. */
  ruleSet?: string;
  /** Overrides the rule set's threshold, e.g. "0.90". */
  confirmThreshold?: string | number;
  staleAfterDays?: number;
  matchConcurrency?: number;
  /**
   * The ledger side: the posting ledger's journal (`{ journal: true }`, the DynamoDB ledger table
   * posting writes; `accounts` maps statement accounts such as IBANs to ledger account ids), or a
   * ledger export object (CSV or NDJSON, same format as `ledgerline reconcile --ledger`).
   */
  ledger?: { bucket: string; key: string } | { journal: true; accounts?: Record<string, string> };
  /** CSV column-mapping profile for CSV statements. */
  profile?: string;
  /** REC-IN-7: the statement objects' text encoding (one of STATEMENT_ENCODINGS or an alias); default: the reader decides. */
  encoding?: string;
  /** REC-ACC-1: the accounts finance reconciles (account ids or IBANs): declared, a statement account with no ledger entries yet reconciles to all unmatched. */
  accounts?: string[];
  /** Target statement lines + ledger entries per Distributed Map item (default 50000). */
  partitionRows?: number;
  /** At most this many Distributed Map items (default 500; keeps the item list small). */
  maxPartitions?: number;
  redshift?: { workgroup?: string; database?: string; schema?: string };
}

export interface NormaliseEvent {
  bucket: string;
  key: string;
  versionId?: string | null;
  runId: string;
  analyticsBucket: string;
  config: RunConfig;
  /** YYYY-MM-DD; default: the latest statement booking/value date. */
  asOf?: string;
}

export interface PartitionItem {
  id: string;
  /** Analytics bucket key of the chunk input. */
  key: string;
  rows: number;
}

/** Every field is always present (null when not applicable): the ASL selects them by path. */
export interface NormaliseResult {
  runId: string;
  duplicate: boolean;
  /** True when this run owns the registry claim (released again if the run fails). */
  claimed: boolean;
  contentHash: string;
  registryBucket: string;
  registryKey: string;
  /** For a re-upload: the run that claimed this content first. */
  firstRunId: string | null;
  format: string | null;
  asOf: string | null;
  statementLines: number;
  ledgerEntries: number;
  /** The Glue job's --input_prefix (analytics bucket). */
  statementLinesPrefix: string | null;
  runManifestKey: string | null;
  partitions: PartitionItem[];
}

export interface StepContext {
  s3: S3Client;
  /** The posting ledger's journal (reconcile-normalise, when the ledger table is configured). */
  journal?: PostedLegReader & { source: string };
  /** Local scratch directory (Lambda: /tmp). */
  tmpDir?: string;
  quarantinePrefix?: string;
  registryPrefix?: string;
  now?: () => Date;
}

export class BadStatementFileError extends Error {
  override name = 'BadStatementFile';
}

export class ReconConfigurationError extends Error {
  override name = 'ReconConfigurationError';
}

const RUN_ID = /^[A-Za-z0-9_-]{1,80}$/;

function checkRunId(runId: unknown): string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) throw new ReconConfigurationError(`runId "${String(runId)}" must be 1-80 characters of [A-Za-z0-9_-]`);
  return runId;
}

/** The rule set the workflow configuration selects (the bundled default, with overrides). */
export function rulesFromConfig(config: RunConfig = {}): RuleSet {
  if (config.ruleSet !== undefined && config.ruleSet !== 'default') throw new ReconConfigurationError(`rule set "${config.ruleSet}" is not bundled (only "default")`);
  const rules = { ...defaultRuleSet() };
  if (config.confirmThreshold !== undefined) rules.confirmThreshold = Number(config.confirmThreshold);
  if (config.staleAfterDays !== undefined) rules.staleAfterDays = Number(config.staleAfterDays);
  return validateRuleSet(rules);
}

export { keys } from './result-sink';

/** NOTIFY-1: the run's reconciliation.completed events, prepared by summarise before its commit, published by RaiseCases. */
export const RUN_OUTWARD_EVENTS_FILE = 'outward-events.json';
export const runOutwardEventsKey = (runId: string): string => `${keys.results(runId)}${RUN_OUTWARD_EVENTS_FILE}`;

interface RunManifest {
  runId: string;
  source: { bucket: string; key: string; versionId: string | null };
  contentHash: string;
  format: string;
  asOf: string;
  statementLines: number;
  ledgerEntries: number;
  /** The run registry (ingest bucket): summarise commits the run's matched ledger entries there. Absent in older manifests: the source bucket, DEFAULT_REGISTRY_PREFIX. */
  registry?: { bucket: string; prefix: string };
  statements: { statementId: string; accountId: string; currency: string; lines: number }[];
  balanceChecks: BalanceCheck[];
  partitions: PartitionItem[];
  /** Statement lines kept out of matching (REC-1: pending, foreign currency), when there are any. */
  excludedFromMatching?: { counts: Partial<Record<ExclusionReason, number>>; lines: ExcludedLine[] };
  /**
   * summary.json before matching, by the use case's runSummary (the one definition, as locally:
   * the file's shown name, skipped statements, counts of an empty result); summarise adds the
   * result's counts and excludedFromMatching (kept once, above). Absent in older manifests.
   */
  summary?: Omit<RunSummary, 'excludedFromMatching'>;
}

/**
 * Groups the sorted account/currency partitions into chunks of about `target` rows (a chunk is
 * closed once it reaches the size), never more than `maxItems` chunks: each closed chunk holds at
 * least total/maxItems rows. A partition is never split.
 */
export function chunkPartitions(sizes: readonly { key: string; rows: number }[], target: number, maxItems: number): string[][] {
  const total = sizes.reduce((n, s) => n + s.rows, 0);
  const perChunk = Math.max(1, target, Math.ceil(total / Math.max(1, maxItems)));
  const chunks: string[][] = [];
  let current: string[] = [];
  let rows = 0;
  for (const size of sizes) {
    current.push(size.key);
    rows += size.rows;
    if (rows >= perChunk) {
      chunks.push(current);
      current = [];
      rows = 0;
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The ledger source the configuration names (REC-1). */
function ledgerFromConfig(ctx: StepContext, config: RunConfig): LedgerSource {
  const ledger = config.ledger;
  if (ledger && 'journal' in ledger && ledger.journal === true) {
    if (!ctx.journal) throw new ReconConfigurationError('normalise: config.ledger {journal: true} needs the ledger table (LEDGER_TABLE) in the function environment');
    return journalLedgerSource(ctx.journal, { source: ctx.journal.source, accounts: ledger.accounts });
  }
  if (!ledger || !('bucket' in ledger) || !ledger.bucket || !ledger.key) {
    throw new ReconConfigurationError('normalise: config.ledger ({journal: true} or the ledger export {bucket, key}) is not configured in Parameter Store');
  }
  return s3LedgerExportSource(ctx.s3, ledger, { tmpDir: ctx.tmpDir });
}

/** REC-ACC-1: the accounts finance reconciles, from the configuration (`accounts`). */
function declaredAccounts(config: RunConfig): ReadonlySet<string> | undefined {
  if (config.accounts === undefined) return undefined;
  if (!Array.isArray(config.accounts)) throw new ReconConfigurationError('config.accounts must be a list of account ids or IBANs');
  return parseAccountRegistry(config.accounts.map(String).join('\n'), 'config.accounts');
}

/**
 * Step 1: normalise (see the module comment): the run use case's admit and scope phases
 * (src/use-cases/reconcile-run) over the S3 adapters, then the Distributed Map's items.
 */
export async function normaliseStep(ctx: StepContext, event: NormaliseEvent): Promise<NormaliseResult> {
  const runId = checkRunId(event.runId);
  if (!event.bucket || !event.key) throw new ReconConfigurationError('normalise: bucket and key are required');
  if (!event.analyticsBucket) throw new ReconConfigurationError('normalise: analyticsBucket is required');
  const config = event.config ?? {};
  const rules = rulesFromConfig(config); // a bad configuration fails before anything is read or written
  let declared: ReadonlySet<string> | undefined;
  let encoding: StatementEncoding | undefined;
  try {
    declared = declaredAccounts(config);
    encoding = config.encoding === undefined ? undefined : parseEncoding(config.encoding);
  } catch (error) {
    throw new ReconConfigurationError(`normalise: ${(error as Error).message}`);
  }
  const now = () => ctx.now?.() ?? new Date();
  const ref: ObjectRef = { bucket: event.bucket, key: event.key, versionId: event.versionId ?? null };
  const registry = s3ClaimRegistry(ctx.s3, { bucket: event.bucket, prefix: ctx.registryPrefix, runId, source: ref, now });
  let ledgerSource: LedgerSource | undefined;
  // Read only when an account is checked: a re-upload needs no ledger.
  const lazyLedger: LedgerSource = {
    kind: 'file',
    get source() {
      return (ledgerSource ??= ledgerFromConfig(ctx, config)).source;
    },
    knows: (account) => (ledgerSource ??= ledgerFromConfig(ctx, config)).knows(account),
    unknownAccountFault: (account) => (ledgerSource ??= ledgerFromConfig(ctx, config)).unknownAccountFault(account),
    unknownAccountScope: () => (ledgerSource ??= ledgerFromConfig(ctx, config)).unknownAccountScope(),
    entries: (accounts) => (ledgerSource ??= ledgerFromConfig(ctx, config)).entries(accounts),
    digest: (accounts) => (ledgerSource ??= ledgerFromConfig(ctx, config)).digest(accounts),
  };
  const ledger = withDeclared(lazyLedger, declared);
  let inputs: AdmittedInput<ObjectRef>[];
  try {
    inputs = await admit(
      {
        statements: s3StatementSource(ctx.s3, { profile: config.profile, encoding }),
        ledger,
        registry,
        quarantine: s3Quarantine(ctx.s3, { runId, prefix: ctx.quarantinePrefix, now }),
      },
      [ref],
    );
  } catch (error) {
    if (error instanceof RejectedInputError) throw new BadStatementFileError(`${error.badInput.message} (moved to ${error.quarantined.file})`);
    if (error instanceof ReconcileConfigError) throw new ReconConfigurationError(error.message);
    throw error;
  }
  const input = inputs[0]!;
  const contentHash = input.contentHash;
  const base = {
    runId,
    contentHash,
    registryBucket: event.bucket,
    registryKey: registry.contentKey(contentHash),
    firstRunId: null,
    format: null,
    asOf: null,
    statementLines: 0,
    ledgerEntries: 0,
    statementLinesPrefix: null,
    runManifestKey: null,
    partitions: [] as PartitionItem[],
  };
  // A content hash or every statement claimed by another run: a re-upload (never double-counted).
  if (!input.parsed) return { ...base, duplicate: true, claimed: false, firstRunId: input.reuploadOf ?? null };
  const parsed = input.parsed;

  let runScope;
  try {
    runScope = await scope({ ledger, registry }, inputs, { asOf: event.asOf, now: now() });
  } catch (error) {
    if (error instanceof ReconcileConfigError) throw new ReconConfigurationError(error.message);
    throw error;
  }
  const { asOf, excluded } = runScope;
  // A Lambda's lines and ledger are a few thousand rows, as objects (the partitions travel as JSON).
  const lines = runScope.statementLines.toArray();
  const bookable = runScope.bookable.toArray();
  const entries = runScope.ledgerEntries.toArray();

  // Chunks of account/currency partitions: the Distributed Map's items. REC-1: pending and
  // foreign-currency lines are reported in the manifest, never matched (as locally).
  const partitions = partitionInputs(bookable, entries);
  const sizes = [...partitions.entries()].map(([key, input]) => ({ key, rows: input.statementLines.length + input.ledgerEntries.length }));
  const rowsOf = new Map(sizes.map((size) => [size.key, size.rows]));
  const chunks = chunkPartitions(sizes, config.partitionRows ?? 50_000, config.maxPartitions ?? 500);
  const items: PartitionItem[] = [];
  for (const [index, chunk] of chunks.entries()) {
    const id = `p-${String(index).padStart(5, '0')}`;
    const key = keys.chunk(runId, id);
    const body = `{"runId":${JSON.stringify(runId)},"asOf":${JSON.stringify(asOf)},"partitions":[${chunk.map((partitionKey) => serialisePartition(partitions.get(partitionKey)!)).join(',')}]}`;
    await writeObject(ctx.s3, event.analyticsBucket, key, body, 'application/json');
    items.push({ id, key, rows: chunk.reduce((n, partitionKey) => n + rowsOf.get(partitionKey)!, 0) });
  }
  const ndjson = (rows: readonly object[], extra: Record<string, string>): string => rows.map((row) => `${JSON.stringify({ ...row, ...extra })}\n`).join('');
  await writeObject(ctx.s3, event.analyticsBucket, `${keys.statementLinesPrefix(runId)}part-00000.ndjson`, ndjson(lines, { sourceFileSha256: contentHash, runId }), 'application/x-ndjson');
  await writeObject(ctx.s3, event.analyticsBucket, `${keys.ledgerEntriesPrefix(runId)}part-00000.ndjson`, ndjson(entries, { runId }), 'application/x-ndjson');
  const manifest: RunManifest = {
    runId,
    source: { bucket: event.bucket, key: event.key, versionId: event.versionId ?? null },
    contentHash,
    format: parsed.format,
    asOf,
    statementLines: lines.length,
    ledgerEntries: entries.length,
    registry: { bucket: event.bucket, prefix: registry.prefix },
    statements: parsed.statements.map((s) => ({ statementId: s.statementId, accountId: s.accountId, currency: s.currency, lines: s.rows.length })),
    balanceChecks: parsed.statements.flatMap((s) => (s.balance ? [balanceCheck(s.balance)] : [])),
    partitions: items,
    ...(excluded.length > 0 ? { excludedFromMatching: { counts: countExcluded(excluded), lines: excluded } } : {}),
  };
  // excludedFromMatching is kept once in the manifest (EMR reads it there).
  const { excludedFromMatching: _excluded, ...summary } = runSummary(runId, rules, inputs, runScope, { matches: [], unmatched: [] });
  manifest.summary = summary;
  await writeObject(ctx.s3, event.analyticsBucket, keys.runManifest(runId), `${JSON.stringify(manifest)}\n`, 'application/json');

  // Last: claim the content hash, then each new statement's identity (conditional puts: a
  // concurrent run of the same content, or of the same statements in other bytes, that claimed first wins).
  await registry.stage(runRecord(runId, asOf, now(), inputs, { matches: [], unmatched: [] }, runLookups(statementRowsOf([]), ledgerRowsOf([]), [])));
  try {
    await registry.commit();
  } catch (error) {
    if (error instanceof ClaimLostError) return { ...base, duplicate: true, claimed: false, firstRunId: error.firstRunId };
    throw error;
  }
  return {
    ...base,
    duplicate: false,
    claimed: true,
    format: parsed.format,
    asOf,
    statementLines: lines.length,
    ledgerEntries: entries.length,
    statementLinesPrefix: keys.statementLinesPrefix(runId),
    runManifestKey: keys.runManifest(runId),
    partitions: items,
  };
}

export interface MatchEvent {
  runId: string;
  analyticsBucket: string;
  config?: RunConfig;
  partition: PartitionItem;
}

export interface MatchStepResult {
  partition: string;
  resultKey: string;
  partitions: number;
  matched: number;
  unmatched: number;
}

/** Step 2 (one Distributed Map item): the ONE matcher over each account/currency partition of a chunk. */
export async function matchStep(ctx: StepContext, event: MatchEvent): Promise<MatchStepResult> {
  const runId = checkRunId(event.runId);
  const rules = rulesFromConfig(event.config);
  const chunk = await readJson<{ runId: string; asOf: string; partitions: unknown[] }>(ctx.s3, event.analyticsBucket, event.partition.key);
  if (chunk.runId !== runId) throw new ReconConfigurationError(`partition ${event.partition.id} belongs to run ${chunk.runId}, not ${runId}`);
  const results = chunk.partitions.map((partition) => matchPartition(deserialisePartition(partition), rules, chunk.asOf));
  const result = mergeResults(results);
  const resultKey = keys.chunkResult(runId, event.partition.id);
  await writeObject(ctx.s3, event.analyticsBucket, resultKey, JSON.stringify(result), 'application/json');
  return { partition: event.partition.id, resultKey, partitions: chunk.partitions.length, matched: result.matches.length, unmatched: result.unmatched.length };
}

export interface SummariseEvent {
  runId: string;
  analyticsBucket: string;
  config?: RunConfig;
}

export interface SummariseResult {
  runId: string;
  resultPrefix: string;
  summary: Pick<RunSummary, 'statementLines' | 'ledgerEntries' | 'matched' | 'unmatchedStatement' | 'unmatchedLedger' | 'exceptions'> & {
    balanceChecks: { statementId: string; accountId: string; ok: boolean; difference: string }[];
  };
  /** Redshift Data API BatchExecuteStatement Sqls: one transaction, idempotent per run id. */
  loadSql: string[];
}

/** Merges the chunk results of a run (every chunk must have one) into the canonical result. */
export async function collectRun(ctx: StepContext, analyticsBucket: string, runId: string) {
  const manifest = await readJson<RunManifest>(ctx.s3, analyticsBucket, keys.runManifest(runId));
  const lines: StatementLine[] = [];
  const entries: LedgerEntry[] = [];
  const results: MatchResult[] = [];
  for (const item of manifest.partitions) {
    const chunk = await readJson<{ partitions: unknown[] }>(ctx.s3, analyticsBucket, item.key);
    for (const partition of chunk.partitions) {
      const input = deserialisePartition(partition);
      lines.push(...input.statementLines);
      entries.push(...input.ledgerEntries);
    }
    const resultText = await readText(ctx.s3, analyticsBucket, keys.chunkResult(runId, item.id));
    if (resultText === undefined) throw new Error(`run ${runId}: partition ${item.id} has no result (${keys.chunkResult(runId, item.id)})`);
    results.push(JSON.parse(resultText) as MatchResult);
  }
  return { manifest, lines, entries, result: mergeResults(results) };
}

// The Redshift load (REC-2, REC-RS-1): its tables, files and SQL are defined once, in ./redshift-load.ts.
export { LOAD_TABLES, redshiftLoadSql } from './redshift-load';

/**
 * Step 3: merge the chunk results, then the run use case's record phase over the AWS adapters:
 * the results (matches/exceptions CSV, summary.json, cases.json, the Redshift load files) through
 * the S3 ResultSink, then the registry commits the ledger entries the run matched (REC-RUN-1).
 * The cases are raised by the workflow's RaiseCases step, from cases.json (no case sink here).
 */
export async function summariseStep(ctx: StepContext, event: SummariseEvent): Promise<SummariseResult> {
  const runId = checkRunId(event.runId);
  rulesFromConfig(event.config); // a bad configuration fails before anything is written
  const { manifest, lines, entries, result } = await collectRun(ctx, event.analyticsBucket, runId);
  const presented = canonicalResult(result);
  const rows = statementRowsOf(lines);
  const lookups = runLookups(rows, ledgerRowsOf(entries), unmatchedLedgerIds(presented));
  const counts = countResult(presented);
  // A manifest an older normalise wrote has no summary: the run fails (its claim released), the file can be uploaded again.
  if (!manifest.summary)
    throw new ReconConfigurationError(`run ${runId}: ${s3Uri(event.analyticsBucket, keys.runManifest(runId))} has no summary (written by an older normalise); upload the statement again`);
  // The use case's summary (normalise's), the result's counts in their places.
  const summary: RunSummary = { ...manifest.summary, ...counts, ...(manifest.excludedFromMatching ? { excludedFromMatching: manifest.excludedFromMatching } : {}) };
  // The statement file as shown (PCI-3: a card number in an object key is redacted).
  const file = summary.statementFiles[0]?.file ?? '';
  const bucket = event.analyticsBucket;
  const recordedAt = ctx.now?.() ?? new Date();
  const run: RecordedRun = {
    runId,
    asOf: manifest.asOf,
    recordedAt,
    summary,
    result: presented,
    statementLines: rows,
    ledgerEntries: ledgerRowsOf(entries),
    fileOf: () => file,
    statementLine: lookups.statementLine,
    ledgerEntry: lookups.ledgerEntry,
    audit: [],
  };
  const registry = s3ClaimRegistry(ctx.s3, {
    bucket: manifest.registry?.bucket ?? manifest.source.bucket,
    prefix: manifest.registry?.prefix ?? DEFAULT_REGISTRY_PREFIX,
    runId,
    source: manifest.source,
    now: ctx.now,
  });
  const results = s3ResultSink(ctx.s3, { bucket, source: manifest.source, contentHash: manifest.contentHash, statementAccounts: manifest.statements.map((statement) => statement.accountId) });
  // The run's content claim (normalise's), held still, and the ledger entries it matched.
  const registryRecord = {
    ...runRecord(runId, manifest.asOf, recordedAt, [], presented, lookups),
    files: [{ contentHash: manifest.contentHash, runId, file, format: manifest.format, statementLines: manifest.statementLines }],
  };
  // NOTIFY-1: the run's announcement, prepared before the commit (RaiseCases publishes it once the run is committed and loaded).
  await writeObject(ctx.s3, bucket, runOutwardEventsKey(runId), JSON.stringify(reconciliationCompletedEvents(run, recordedAt.toISOString())), 'application/json');
  const resultPrefix = await record({ registry, results }, run, registryRecord);
  return {
    runId,
    resultPrefix,
    summary: {
      statementLines: summary.statementLines,
      ledgerEntries: summary.ledgerEntries,
      matched: summary.matched,
      unmatchedStatement: summary.unmatchedStatement,
      unmatchedLedger: summary.unmatchedLedger,
      exceptions: summary.exceptions,
      balanceChecks: summary.balanceChecks.map((check) => ({ statementId: check.statementId, accountId: check.accountId, ok: check.ok, difference: check.difference })),
    },
    loadSql: redshiftLoadSql(event.config?.redshift?.schema ?? 'reconciliation', bucket, runId),
  };
}

export interface ImportCasesEvent {
  runId: string;
  analyticsBucket: string;
}

export interface ImportCasesContext {
  s3: S3Client;
  store: WorkbenchStore;
  /** NOTIFY-1: where the committed run is announced (the event bus); absent: not announced. */
  outward?: OutwardEventPublisher;
  /** Told how many events the run's announcement published. */
  onAnnounced?: (events: number) => void;
}

/**
 * Step 4 (RaiseCases, once the run is loaded into Redshift): the run's cases.json → the
 * workbench (raise new cases, reopen cleared ones the run reports again, clear open ones of its
 * accounts it no longer reports). Idempotent: the store applies a run once, so a retried step
 * imports nothing twice (`alreadyImported`).
 */
export async function importCasesStep(ctx: ImportCasesContext, event: ImportCasesEvent): Promise<ImportOutcome> {
  const runId = checkRunId(event.runId);
  if (!event.analyticsBucket) throw new ReconConfigurationError('importCases: analyticsBucket is required');
  const key = keys.runCases(runId);
  const file = checkRunCasesFile(await readJson<unknown>(ctx.s3, event.analyticsBucket, key), runId, s3Uri(event.analyticsBucket, key));
  const outcome = await importRunCasesFile(ctx.store, file);
  if (ctx.outward) {
    const announced = await announceRun(ctx.s3, ctx.outward, event.analyticsBucket, runId);
    ctx.onAnnounced?.(announced);
  }
  return outcome;
}

/**
 * NOTIFY-1: publishes the run's prepared reconciliation.completed events (a failure rejects: the
 * state machine retries the step; the same ids again). A run summarised before announcements
 * existed has none: nothing is published.
 */
export async function announceRun(s3: S3Client, outward: OutwardEventPublisher, analyticsBucket: string, runId: string): Promise<number> {
  const key = runOutwardEventsKey(runId);
  const text = await readText(s3, analyticsBucket, key);
  if (text === undefined) return 0;
  const events = JSON.parse(text) as unknown;
  const where = s3Uri(analyticsBucket, key);
  if (!Array.isArray(events)) throw new ReconConfigurationError(`${where}: not a list of events`);
  for (const [index, item] of (events as Partial<OutwardEvent>[]).entries()) {
    if (item?.type !== 'reconciliation.completed' || typeof item.id !== 'string' || item.data?.runId !== runId)
      throw new ReconConfigurationError(`${where}: item ${index} is not a reconciliation.completed event of run ${runId}`);
    await outward.publish(item as OutwardEvent);
  }
  return events.length;
}
