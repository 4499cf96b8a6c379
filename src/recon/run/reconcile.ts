/**
 * The `reconcile` use case (REC-1, embedded): statement files + a ledger side → matches,
 * exceptions, summary and audit, written atomically into --out, loaded into DuckDB, and the
 * statement files registered by content hash.
 *
 *   1. hash every statement file; a registered hash is a re-upload (reported, lines skipped)
 *   2. parse the rest (streaming parsers); a statement whose identity is registered (the same
 *      statement re-encoded: CRLF, BOM, trailing newline…) is a re-upload too (REC-OUT-2); check
 *      every remaining line's account against the ledger side
 *   3. nothing new (every statement a re-upload): report it and stop — no run is committed and
 *      the current results stay (REC-OUT-2)
 *   4. load the ledger side (minus entries earlier runs already matched) and run the ONE matcher
 *   5. stage the files, load DuckDB (+ Parquet) in an open transaction, stage the registry, swap
 *      `current`, commit the registry, then commit DuckDB (REC-OUT-3)
 *
 * Bad input (any step before 5) quarantines the file with its reason and records nothing.
 * A failure in step 5 before the registry commit undoes what was done: no results, no registry
 * entry, no DuckDB rows. The registry is the record of committed runs: a run starts by pruning
 * run directories and DuckDB rows of runs it does not hold (left by an interrupted run), and by
 * reloading a committed run DuckDB lacks (a crash between the two commits) from its Parquet.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { acquireDirLock } from '../../adapters/embedded/dir-lock';
import { loadReferenceData } from '../../adapters/embedded/reference-data';
import { containsPan, PAN_REDACTION, redactPans } from '../../domain/pan';
import { matchAll } from '../matching/partition';
import { defaultRuleSet, parseRuleSet, type RuleSet } from '../matching/rules';
import type { LedgerEntry, MatchResult, ParsedStatementFile, StatementFormat, StatementLine } from '../types';
import { type AnalyticsLoad, type CommittedRuns, loadRun, type StoreSync, syncAnalyticsStore } from './analytics-store';
import { asBadInput, BadInputError, describePosition } from './errors';
import { ledgerFileSide, type LedgerSide } from './ledger-file';
import { stateLedgerSide } from './ledger-state';
import { AccountRegistryError, readAccountRegistry, withDeclaredAccounts } from './account-registry';
import { pruneUncommittedRuns, stageRun, type StagingHooks } from './output-dir';
import { countExcluded, splitBookable } from './bookable';
import { quarantine, type Quarantined } from './quarantine';
import { RunRegistry, statementIdentity, type StatementIdentity } from './registry';
import {
  balanceCheck,
  canonicalResult,
  cliSummary,
  countResult,
  defaultAsOf,
  lookupsFor,
  renderExceptionsCsv,
  renderMatchesCsv,
  renderSummary,
  type RunSummary,
  type StatementFileSummary,
} from './results';
import { parseStatement as defaultParseStatement } from './statements';

export type ParseStatement = (path: string, options: { profile?: string; format?: StatementFormat; contentHash?: string }) => Promise<ParsedStatementFile>;

/** The ledger side, and optionally the registry of accounts finance reconciles (REC-ACC-1). */
export type LedgerOption = ({ file: string } | { stateDir: string; referenceDataDir?: string }) & { accounts?: string };

export interface ReconcileOptions {
  statements: readonly string[];
  ledger: LedgerOption;
  /** A rule-set JSON file (default: config/recon/default.rules.json). */
  rulesFile?: string;
  /** CSV column-mapping profile name. */
  profile?: string;
  /** Force a format instead of detecting it. */
  format?: StatementFormat;
  /** YYYY-MM-DD; default: the latest booking/value date of the statement lines. */
  asOf?: string;
  out: string;
  /** Directory of registry.db (default: out). */
  registryDir?: string;
  /** Default: <out>/quarantine. */
  quarantineDir?: string;
  /** The inbox moves bad files; reconcile copies them. */
  quarantineMode?: 'copy' | 'move';
  now?: () => Date;
  /** Points where a test interrupts the commit (StagingHooks, plus the analytics load and the registry commit). */
  hooks?: StagingHooks & { afterAnalytics?(): void; beforeRegistryCommit?(): void; afterRegistryCommit?(): void };
  progress?: (message: string) => void;
  parseStatement?: ParseStatement;
  /** The caller holds --out's writer lock already (the inbox holds it for as long as it runs). */
  outLocked?: boolean;
  /** Who holds the writer lock, as a second writer is told (default `ledgerline reconcile`). */
  lockCommand?: string;
}

/** A run was committed and is the current one. */
export interface CommittedRun {
  committed: true;
  summary: RunSummary;
  runDir: string;
  elapsedMs: number;
  /** The `--json` object. */
  json: ReturnType<typeof cliSummary> & { committed: true };
}

/** Every statement was a re-upload: nothing was committed and the current results stay (REC-OUT-2). */
export interface NothingNew {
  committed: false;
  reuploaded: Reupload[];
  /** The run whose results are current (unchanged), if any. */
  currentRunId: string | null;
  elapsedMs: number;
  /** The `--json` object: the contract fields (zero counts, runId null) plus `committed` and `current`. */
  json: ReturnType<typeof nothingNewJson>;
}

export type ReconcileOutcome = CommittedRun | NothingNew;

export type Reupload = RunSummary['reuploaded'][number];

/** Bad input, after the file was quarantined. */
export class RejectedInputError extends Error {
  override name = 'RejectedInputError';
  constructor(
    readonly badInput: BadInputError,
    readonly quarantined: Quarantined,
  ) {
    super(badInput.message);
  }
}

/** Rule-set problems are configuration errors (no quarantine). */
export class ReconcileConfigError extends Error {
  override name = 'ReconcileConfigError';
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function loadRules(file: string | undefined): RuleSet {
  if (!file) return defaultRuleSet();
  if (!existsSync(file)) throw new ReconcileConfigError(`rules file "${file}" does not exist`);
  try {
    return parseRuleSet(readFileSync(file, 'utf8'), file);
  } catch (error) {
    throw new ReconcileConfigError(`rules file "${file}": ${(error as Error).message}`);
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A path as shown in progress and the audit: a card number in a file name is masked (PCI-3). */
const shown = (path: string): string => redactPans(path, 'identifier');

/** A problem found at the end of a file (truncation) names the file's last line. */
async function withEndLine(error: BadInputError, path: string): Promise<BadInputError> {
  if (error.position.line !== undefined || error.position.element) return error;
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const bytes = chunk as Buffer;
    for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) lines += 1;
    if (bytes.length > 0) last = bytes[bytes.length - 1]!;
  }
  const position = { ...error.position, line: last === 10 ? Math.max(lines, 1) : lines + 1 };
  return new BadInputError(error.file, position, `${error.fault} (at the end of the file)`, error.kind);
}

function where(line: StatementLine): string {
  if (line.position.line !== undefined) return `line ${line.position.line}`;
  if (line.position.element) return `element ${line.position.element}`;
  return 'statement';
}

interface ParsedInput {
  path: string;
  name: string;
  contentHash: string;
  /** The statements to reconcile (re-uploaded statements taken out); absent for a re-uploaded file. */
  parsed?: ParsedStatementFile;
  /** The identities of parsed.statements, in order. */
  identities?: StatementIdentity[];
  /** The run that reconciled this content (or all its statements) first; 'this run' for a repeat within the command. */
  reuploadOf?: string;
  reuploadedBy?: 'content' | 'statement identity';
  /** Statements of a new file that an earlier run (or an earlier file of this command) reconciled already. */
  skipped?: { statementId: string; accountId: string; firstRunId: string }[];
}

/** The run `<out>/current` points at, if any. */
function currentRunId(out: string): string | null {
  const current = join(out, 'current');
  try {
    if (!lstatSync(current).isSymbolicLink()) return null;
    return basename(readlinkSync(current));
  } catch {
    return null;
  }
}

function nothingNewJson(reuploaded: Reupload[], elapsedMs: number, out: string, current: string | null) {
  return {
    statementLines: 0,
    ledgerEntries: 0,
    elapsedMs,
    matched: { total: 0, byRule: {}, confirmed: 0, proposed: 0 },
    unmatchedStatement: 0,
    unmatchedLedger: 0,
    exceptions: {},
    balanceChecks: [],
    runId: null,
    asOf: null,
    reuploaded,
    ledgerEntriesAlreadyReconciled: 0,
    out,
    committed: false as const,
    current,
  };
}

export async function reconcile(options: ReconcileOptions): Promise<ReconcileOutcome> {
  const started = performance.now();
  const now = options.now ?? (() => new Date());
  const progress = options.progress ?? (() => undefined);
  const parse = options.parseStatement ?? defaultParseStatement;
  const out = resolve(options.out);
  if (existsSync(out) && !statSync(out).isDirectory()) throw new ReconcileConfigError(`--out "${options.out}" exists and is not a directory`);
  if (options.asOf !== undefined && !DATE.test(options.asOf)) throw new ReconcileConfigError(`--as-of must be YYYY-MM-DD, got "${options.asOf}"`);
  const rules = loadRules(options.rulesFile);
  // LOCK-1: one writer per --out; a second one fails at once naming the holder (DirLockedError). Readers need no lock.
  const lock = options.outLocked ? undefined : acquireDirLock(out, options.lockCommand ?? 'ledgerline reconcile');
  try {
    return await reconcileLocked(options, out, rules, started, now, progress, parse);
  } finally {
    lock?.release();
  }
}

async function reconcileLocked(
  options: ReconcileOptions,
  out: string,
  rules: RuleSet,
  started: number,
  now: () => Date,
  progress: (message: string) => void,
  parse: ParseStatement,
): Promise<ReconcileOutcome> {
  const registry = RunRegistry.at(resolve(options.registryDir ?? out));
  const quarantineDir = options.quarantineDir ?? join(out, 'quarantine');
  const audit: Record<string, unknown>[] = [];
  const startedAt = now();

  const reject = (error: BadInputError): never => {
    // Only statement files are ever moved (the inbox); a bad ledger file is copied.
    const move = options.quarantineMode === 'move' && options.statements.some((path) => resolve(path) === resolve(error.file));
    const quarantined = quarantine(error, quarantineDir, { move, now: now() });
    progress(`quarantined ${error.file} → ${quarantined.file}: ${error.message}`);
    throw new RejectedInputError(error, quarantined);
  };

  try {
    // 1 + 2: hash, detect re-uploads (content, then statement identity), parse, check accounts.
    let ledger: LedgerSide;
    try {
      ledger = 'file' in options.ledger ? await ledgerFileSide(options.ledger.file) : stateLedgerSide(options.ledger.stateDir, loadReferenceData(options.ledger.referenceDataDir));
      if (options.ledger.accounts) ledger = withDeclaredAccounts(ledger, readAccountRegistry(options.ledger.accounts));
    } catch (error) {
      // A bad registry is the caller's configuration, not a file to quarantine.
      if (error instanceof AccountRegistryError) throw new ReconcileConfigError(error.message);
      if (error instanceof BadInputError) {
        // A missing state directory / ledger file is a usage error, not a file to quarantine.
        if (!existsSync(error.file) || statSync(error.file).isDirectory()) throw new ReconcileConfigError(error.message);
        reject(error);
      }
      throw error;
    }
    const inputs: ParsedInput[] = [];
    const seen = new Map<string, string>();
    const seenStatements = new Set<string>();
    for (const path of options.statements) {
      if (!existsSync(path)) throw new ReconcileConfigError(`statement file "${path}" does not exist`);
      if (statSync(path).isDirectory()) throw new ReconcileConfigError(`statement "${path}" is a directory, expected a file`);
      const contentHash = await sha256File(path);
      // A file name is the sender's text (an inbox drop): shown and stored masked like an identifier (PCI-3).
      const input: ParsedInput = { path, name: redactPans(basename(path), 'identifier'), contentHash };
      const registered = registry.lookup(contentHash);
      if (registered) input.reuploadOf = registered.runId;
      else if (seen.has(contentHash)) input.reuploadOf = 'this run';
      if (input.reuploadOf) {
        input.reuploadedBy = 'content';
        progress(`${shown(path)}: already reconciled (content ${contentHash.slice(0, 12)}, run ${input.reuploadOf}); skipped`);
        inputs.push(input);
        continue;
      }
      seen.set(contentHash, path);
      let parsed: ParsedStatementFile;
      try {
        parsed = await parse(path, { profile: options.profile, format: options.format, contentHash });
      } catch (error) {
        if ((error as Error).name === 'CsvProfileError') throw new ReconcileConfigError(`--profile: ${(error as Error).message}`);
        const bad = asBadInput(error, path);
        if (bad instanceof BadInputError) reject(await withEndLine(bad, path));
        throw error;
      }
      // REC-OUT-2: a statement reconciled before (by an earlier run, or earlier in this command) is a re-upload however its file is encoded.
      const kept: ParsedStatementFile['statements'] = [];
      const identities: StatementIdentity[] = [];
      const skipped: NonNullable<ParsedInput['skipped']> = [];
      for (const statement of parsed.statements) {
        const identity = statementIdentity(parsed.format, statement);
        const firstRunId = registry.lookupStatement(identity.key)?.runId ?? (seenStatements.has(identity.key) ? 'this run' : undefined);
        if (firstRunId) {
          skipped.push({ statementId: statement.statementId, accountId: statement.accountId, firstRunId });
          continue;
        }
        seenStatements.add(identity.key);
        kept.push(statement);
        identities.push(identity);
      }
      if (parsed.statements.length > 0 && kept.length === 0) {
        input.reuploadOf = skipped[0]!.firstRunId;
        input.reuploadedBy = 'statement identity';
        progress(`${shown(path)}: already reconciled (the same statement${skipped.length === 1 ? '' : 's'}, run ${input.reuploadOf}); skipped`);
        inputs.push(input);
        continue;
      }
      input.parsed = { ...parsed, statements: kept };
      input.identities = identities;
      if (skipped.length > 0) {
        input.skipped = skipped;
        for (const s of skipped) progress(`${shown(path)}: statement ${s.statementId} of ${s.accountId} already reconciled (run ${s.firstRunId}); skipped`);
      }
      for (const statement of kept) {
        for (const line of statement.lines) {
          // PCI-3: a card number as the account is refused, not masked: masked, every such account would look alike.
          if (line.accountId.includes(PAN_REDACTION) || containsPan(line.accountId, 'identifier')) {
            reject(new BadInputError(path, { ...line.position, file: path }, 'the account id is a card number (PCI-3); a statement account must be an account id or IBAN', 'malformed'));
          }
          if (!ledger.knows(line.accountId)) {
            const fault = ledger.unknownAccountFault(line.accountId);
            const side = ledger.kind === 'file' ? `the ledger ${ledger.source}` : 'reference data';
            reject(new BadInputError(path, { ...line.position, file: path }, fault, 'unknown-account', `account ${line.accountId} in statement file ${path} ${where(line)} is not in ${side}`));
          }
        }
      }
      const lineCount = kept.reduce((n, s) => n + s.lines.length, 0);
      progress(`${shown(path)}: ${parsed.format}, ${kept.length} statement(s), ${lineCount} line(s)`);
      inputs.push(input);
    }

    // The registry is the record of committed runs: what an interrupted run left behind goes first (REC-OUT-3).
    const committedRunIds = registry.runIds();
    const pruned = registry.exists ? pruneUncommittedRuns(out, committedRunIds) : [];
    if (pruned.length > 0) progress(`removed ${pruned.length} run director${pruned.length === 1 ? 'y' : 'ies'} the registry does not hold (an interrupted run): ${pruned.join(', ')}`);
    const committedRuns: CommittedRuns = { runIds: new Set(committedRunIds), runDir: (id) => (existsSync(join(out, 'runs', id)) ? join(out, 'runs', id) : undefined) };
    const reportSync = (sync: StoreSync): void => {
      if (sync.removed.length + sync.restored.length === 0) return;
      progress(`analytics store brought in line with the registry: ${sync.removed.length} uncommitted run(s) removed, ${sync.restored.length} committed run(s) reloaded`);
    };

    // 3: nothing new → no run: the current results stay as they are (REC-OUT-2).
    if (!inputs.some((input) => input.parsed)) {
      reportSync(await syncAnalyticsStore(out, committedRuns));
      const reuploaded = inputs.map((input): Reupload => ({ file: input.name, contentHash: input.contentHash, firstRunId: input.reuploadOf!, by: input.reuploadedBy! }));
      const current = currentRunId(out);
      progress(`nothing new: every statement was reconciled before; no run committed${current ? `, the current results (run ${current}) stay` : ''}`);
      const elapsedMs = Math.round(performance.now() - started);
      return { committed: false, reuploaded, currentRunId: current, elapsedMs, json: nothingNewJson(reuploaded, elapsedMs, out, current) };
    }

    // 4: the ledger side in scope, minus what earlier runs matched; the matcher.
    const statementLines: StatementLine[] = [];
    const fileOfLine = new Map<string, string>();
    for (const input of inputs) {
      for (const statement of input.parsed?.statements ?? []) {
        for (const line of statement.lines) {
          statementLines.push(line);
          fileOfLine.set(line.statementLineId, input.name);
        }
      }
    }
    // REC-1: pending (not booked) and foreign-currency lines are reported, never matched.
    const { bookable, excluded } = splitBookable(inputs.flatMap((input) => input.parsed?.statements ?? []));
    if (excluded.length > 0)
      progress(
        `${excluded.length} statement line(s) kept out of matching (${Object.entries(countExcluded(excluded))
          .map(([reason, n]) => `${reason} ${n}`)
          .join(', ')})`,
      );
    const statementAccounts = new Set(statementLines.map((line) => line.accountId));
    let ledgerEntries: LedgerEntry[];
    try {
      ledgerEntries = ledger.entries(statementAccounts);
    } catch (error) {
      throw new ReconcileConfigError(`${ledger.source}: ${(error as Error).message}`);
    }
    const loadedEntries = ledgerEntries.length;
    const reconciled = registry.reconciledLedgerKeys(new Set(ledgerEntries.map((entry) => entry.accountId)));
    if (reconciled.size > 0) ledgerEntries = ledgerEntries.filter((entry) => !reconciled.has(`${entry.accountId}\u0000${entry.entryId}`));
    const alreadyReconciled = loadedEntries - ledgerEntries.length;
    const asOf = options.asOf ?? defaultAsOf(statementLines, ledgerEntries, startedAt);
    progress(`matching ${statementLines.length} statement line(s) against ${ledgerEntries.length} ledger entr${ledgerEntries.length === 1 ? 'y' : 'ies'} (as of ${asOf})`);
    const matchStarted = performance.now();
    const result: MatchResult = canonicalResult(matchAll(bookable, ledgerEntries, rules, asOf));
    const matchMs = Math.round(performance.now() - matchStarted);

    // The run id: the inputs and how many runs the registry has seen.
    const runHash = createHash('sha256');
    for (const input of [...inputs].sort((a, b) => (a.contentHash < b.contentHash ? -1 : 1))) runHash.update(`${input.contentHash}\n`);
    runHash.update(`ledger ${ledger.digest(statementAccounts)}\nrules ${JSON.stringify(rules)}\nasOf ${asOf}\nprofile ${options.profile ?? ''}\nruns ${registry.runCount()}\n`);
    const runId = `run-${asOf.replace(/-/g, '')}-${runHash.digest('hex').slice(0, 16)}`;
    const firstRun = (reuploadOf: string): string => (reuploadOf === 'this run' ? runId : reuploadOf);

    const statementFiles: StatementFileSummary[] = inputs.map((input) =>
      input.parsed
        ? {
            file: input.name,
            contentHash: input.contentHash,
            format: input.parsed.format,
            status: 'reconciled',
            statements: input.parsed.statements.length,
            statementLines: input.parsed.statements.reduce((n, s) => n + s.lines.length, 0),
            ...(input.skipped ? { skippedStatements: input.skipped.map((s) => ({ ...s, firstRunId: firstRun(s.firstRunId) })) } : {}),
          }
        : {
            file: input.name,
            contentHash: input.contentHash,
            format: 'unparsed',
            status: 'reuploaded',
            statements: 0,
            statementLines: 0,
            firstRunId: firstRun(input.reuploadOf!),
            ...(input.reuploadedBy === 'statement identity' ? { reuploadedBy: input.reuploadedBy } : {}),
          },
    );
    const summary: RunSummary = {
      runId,
      asOf,
      ruleSet: { ruleSetId: rules.ruleSetId, version: rules.version },
      statementFiles,
      reuploaded: inputs.filter((input) => !input.parsed).map((input) => ({ file: input.name, contentHash: input.contentHash, firstRunId: firstRun(input.reuploadOf!), by: input.reuploadedBy! })),
      statementLines: statementLines.length,
      ledgerEntries: ledgerEntries.length,
      ledgerEntriesAlreadyReconciled: alreadyReconciled,
      ...countResult(result),
      balanceChecks: inputs.flatMap((input) => (input.parsed?.statements ?? []).flatMap((statement) => (statement.balance ? [balanceCheck(statement.balance)] : []))),
      ...(excluded.length > 0 ? { excludedFromMatching: { counts: countExcluded(excluded), lines: excluded } } : {}),
    };

    // 5: stage, load, commit.
    const recordedAt = now();
    audit.push(
      {
        type: 'run.started',
        runId,
        at: startedAt.toISOString(),
        statements: options.statements.map((p) => shown(resolve(p))),
        ledger: { kind: ledger.kind, source: shown(resolve(ledger.source)) },
        rules: options.rulesFile ? resolve(options.rulesFile) : 'default',
        ruleSet: summary.ruleSet,
        asOf,
        profile: options.profile ?? null,
      },
      ...inputs.map((input) =>
        input.parsed
          ? {
              type: 'statement.parsed',
              runId,
              file: shown(resolve(input.path)),
              contentHash: input.contentHash,
              format: input.parsed.format,
              statements: input.parsed.statements.length,
              statementLines: input.parsed.statements.reduce((n, s) => n + s.lines.length, 0),
              ...(input.skipped ? { skippedStatements: input.skipped.map((s) => ({ ...s, firstRunId: firstRun(s.firstRunId) })) } : {}),
            }
          : { type: 'statement.reuploaded', runId, file: shown(resolve(input.path)), contentHash: input.contentHash, firstRunId: firstRun(input.reuploadOf!), by: input.reuploadedBy },
      ),
      { type: 'ledger.loaded', runId, kind: ledger.kind, source: resolve(ledger.source), entries: ledgerEntries.length, alreadyReconciled },
      {
        type: 'matching.completed',
        runId,
        elapsedMs: matchMs,
        matched: summary.matched,
        unmatchedStatement: summary.unmatchedStatement,
        unmatchedLedger: summary.unmatchedLedger,
        exceptions: summary.exceptions,
      },
      { type: 'run.recorded', runId, at: recordedAt.toISOString(), registry: registry.path, store: join(out, 'recon.duckdb') },
    );
    const lookups = lookupsFor(statementLines, ledgerEntries);
    const staging = stageRun(out, runId, options.hooks);
    let analytics: AnalyticsLoad | undefined;
    let committed = false;
    try {
      staging.write('matches.csv', renderMatchesCsv(result, lookups));
      staging.write('exceptions.csv', renderExceptionsCsv(result, lookups));
      staging.write('summary.json', renderSummary(summary));
      staging.write(
        'audit.ndjson',
        audit.map((record) => `${JSON.stringify(record)}\n`),
      );
      analytics = await loadRun(
        out,
        { runId, recordedAt, summary, statementLines, fileOf: (id) => fileOfLine.get(id) ?? '', ledgerEntries, result, lookups, parquetDir: join(staging.dir, 'parquet') },
        committedRuns,
        reportSync,
      );
      options.hooks?.afterAnalytics?.();
      registry.stage({
        runId,
        asOf,
        recordedAt: recordedAt.toISOString(),
        files: inputs
          .filter((input) => input.parsed)
          .map((input) => ({
            contentHash: input.contentHash,
            runId,
            file: input.name,
            format: input.parsed!.format,
            statementLines: input.parsed!.statements.reduce((n, s) => n + s.lines.length, 0),
          })),
        statements: inputs.flatMap((input) => (input.identities ?? []).map((identity) => ({ ...identity, file: input.name, contentHash: input.contentHash }))),
        matchedLedger: result.matches.flatMap((match) => {
          const accountId = lookups.ledgerEntry(match.ledgerEntryIds[0]!)?.accountId ?? '';
          return match.ledgerEntryIds.map((entryId) => ({ accountId: lookups.ledgerEntry(entryId)?.accountId ?? accountId, entryId, matchId: match.matchId }));
        }),
      });
      const runDir = staging.commit();
      options.hooks?.beforeRegistryCommit?.();
      registry.commit();
      committed = true;
      options.hooks?.afterRegistryCommit?.();
      try {
        await analytics.commit();
      } catch (error) {
        // The run is committed (registry, files): the next run reloads it into DuckDB from its Parquet copies.
        progress(`warning: run ${runId} is committed but the analytics store could not commit it (${(error as Error).message}); the next run reloads it`);
      }
      const elapsedMs = Math.round(performance.now() - started);
      return { committed: true, summary, runDir, elapsedMs, json: { ...cliSummary(summary, elapsedMs, out), committed: true } };
    } finally {
      if (!committed) {
        registry.rollback();
        staging.revert();
        staging.abort();
      }
      // Not committed (or interrupted between the two commits): DuckDB keeps nothing of the run.
      await analytics?.rollback().catch(() => undefined);
    }
  } finally {
    registry.close();
  }
}

export { defaultAsOf, describePosition };
