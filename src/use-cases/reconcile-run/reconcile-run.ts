/**
 * The reconciliation run (REC-1, REC-RUN-1): statement files + a ledger → matches, exceptions,
 * summary and audit, recorded once. One definition for the local command and the AWS workflow,
 * as four phases over the ports of src/ports/reconciliation.ts:
 *
 *   1. admit   read every statement once (StatementSource); a content hash a committed run (or an
 *              earlier file of this run) holds is a re-upload, and so is a file whose every
 *              statement identity is held (REC-OUT-2: the same statement re-encoded); statements
 *              already held are skipped from a new file. Every remaining line's account must be
 *              known to the ledger or declared in the account registry (REC-ACC-1); a card number
 *              as the account is refused (PCI-3). Bad input goes to the Quarantine with its reason
 *              and the run stops (RejectedInputError): nothing is recorded.
 *   2. scope   the statement lines (pending and foreign-currency lines kept out of matching:
 *              REC-IN-4/5), the ledger entries of the statements' accounts minus those committed
 *              runs matched, the as-of date and the run id.
 *   3. match   the ONE matcher (src/recon/matching) over the bookable lines. Before it, the
 *              ResultSink may begin staging what the results hold of the inputs (ResultSink.begin:
 *              its copies run beside the matching, REC-PERF-1); undone if the run stops first.
 *   4. record  the summary; the ResultSink stages files + analytics (its Parquet copies run while
 *              the registry stages the run); the results are published, then the registry commits,
 *              then the analytics commit (REC-OUT-3). A failure before the registry commit undoes
 *              all of it; after it, the run is committed and the sink catches up later. Then the
 *              CaseSink's cases become visible, if any (prepared beside the recording where the
 *              sink can: REC-PERF-1).
 *
 * Before recording, the ResultSink is aligned with the registry (what an interrupted run left goes).
 * Nothing new (every statement a re-upload): no run, the current results stay (REC-OUT-2).
 */
import { createHash } from 'node:crypto';
import { containsPan, PAN_REDACTION, redactPans } from '../../domain/pan';
import { matchAllInLineOrder } from '../../recon/matching/partition';
import type { RuleSet } from '../../recon/matching/rules';
import type { MatchResult, SourcePosition } from '../../recon/types';
import { concatStatementRows, type ParsedStatementRows, type StatementOfRows, type StatementRows } from '../../recon/statement-rows';
import type { LedgerRows } from '../../recon/ledger-rows';
import { BadInputError } from '../../recon/run/errors';
import { countExcluded, exclusionOfRow, type ExcludedLine } from '../../recon/run/bookable';
import { canonicalAccount } from '../../recon/run/account-registry';
import { statementIdentity, type StatementIdentity } from '../../recon/run/statement-identity';
import { runLookups, unmatchedLedgerIds, type RunLookups } from '../../recon/run/run-lookups';
import { balanceCheck, canonicalResult, countResult, defaultAsOf, type RunSummary, type StatementFileSummary } from '../../recon/run/results';
import {
  ReconcileConfigError,
  type CaseSink,
  type LedgerSource,
  type Quarantine,
  type Quarantined,
  type RecordedRun,
  type ResultSink,
  type RunRecord,
  type RunRegistry,
  type StagedResults,
  type StatementSource,
} from '../../ports/reconciliation';

export { ReconcileConfigError } from '../../ports/reconciliation';

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

export type Reupload = RunSummary['reuploaded'][number];

export interface AdmitPorts<Ref> {
  statements: StatementSource<Ref>;
  ledger: LedgerSource;
  registry: Pick<RunRegistry, 'lookupContent' | 'lookupStatement'>;
  quarantine: Quarantine<Ref>;
  progress?: (message: string) => void;
}

export interface ReconcileRunPorts<Ref> extends AdmitPorts<Ref> {
  registry: RunRegistry;
  results: ResultSink;
  cases?: CaseSink;
  now: () => Date;
  /** Points where a test interrupts the commit (REC-OUT-3). */
  hooks?: { beforeRegistryCommit?(): void; afterRegistryCommit?(): void };
  /**
   * NOTIFY-1, never lost: the run's announcement (reconciliation.completed: src/notify/outward.ts).
   * `prepare` keeps it durably, unpublished, BEFORE the registry commits (a failure stops the run:
   * nothing is committed); `committed` publishes it once the registry has. A failure there is a
   * warning (the run is committed): the adapter publishes what it prepared at its next start
   * (settlePrepared), and an interrupted run's preparation is discarded there.
   */
  announce?: { prepare(run: RecordedRun): Promise<void>; committed(run: RecordedRun): Promise<void> };
}

export interface ReconcileRunRequest<Ref> {
  statements: readonly Ref[];
  rules: RuleSet;
  /** How the rules are named in the audit (a path, 'default'). */
  rulesLabel?: string;
  /** Accounts finance reconciles even without ledger entries yet (REC-ACC-1). */
  declaredAccounts?: ReadonlySet<string>;
  asOf?: string;
  /** The CSV profile (part of the run id). */
  profile?: string;
}

/** One statement file after admission. */
export interface AdmittedInput<Ref> {
  ref: Ref;
  name: string;
  contentHash: string;
  /** The statements to reconcile (re-uploaded statements taken out); absent for a re-uploaded file. */
  parsed?: ParsedStatementRows;
  /** The identities of parsed.statements, in order. */
  identities?: StatementIdentity[];
  /** The run that reconciled this content (or all its statements) first; 'this run' for a repeat within the run. */
  reuploadOf?: string;
  reuploadedBy?: 'content' | 'statement identity';
  /** Statements of a new file that a committed run (or an earlier file of this run) reconciled already. */
  skipped?: { statementId: string; accountId: string; firstRunId: string }[];
}

export const THIS_RUN = 'this run';

/** The ledger, knowing also the declared accounts (REC-ACC-1): a declared account it does not know has no entries yet. */
export function withDeclared(ledger: LedgerSource, declared: ReadonlySet<string> | undefined): LedgerSource {
  if (!declared || declared.size === 0) return ledger;
  const knownToLedger = async (accounts: ReadonlySet<string>): Promise<Set<string>> => {
    const known = new Set<string>();
    for (const account of accounts) if (await ledger.knows(account)) known.add(account);
    return known;
  };
  return {
    ...ledger,
    knows: async (accountId) => (await ledger.knows(accountId)) || declared.has(canonicalAccount(accountId)),
    entries: async (accounts) => ledger.entries(await knownToLedger(accounts)),
    digest: async (accounts) => {
      const known = await knownToLedger(accounts);
      const declaredOnly = [...accounts].filter((account) => !known.has(account)).sort();
      const digest = await ledger.digest(known);
      return declaredOnly.length > 0 ? `${digest}+declared:${declaredOnly.join(',')}` : digest;
    },
  };
}

function where(position: SourcePosition): string {
  if (position.line !== undefined) return `line ${position.line}`;
  if (position.element) return `element ${position.element}`;
  return 'statement';
}

/** Quarantines the bad input and stops the run. */
async function reject<Ref>(ports: Pick<AdmitPorts<Ref>, 'quarantine' | 'progress'>, ref: Ref | undefined, error: BadInputError): Promise<never> {
  const quarantined = await ports.quarantine.quarantine(ref, error);
  ports.progress?.(`quarantined ${error.file} → ${quarantined.file}: ${error.message}`);
  throw new RejectedInputError(error, quarantined);
}

/**
 * Phase 1 (admit): every statement read once, re-uploads recognised (content, then statement
 * identity, against the registry and the run's earlier files), every new line's account checked.
 */
export async function admit<Ref>(ports: AdmitPorts<Ref>, refs: readonly Ref[]): Promise<AdmittedInput<Ref>[]> {
  const progress = ports.progress ?? (() => undefined);
  const inputs: AdmittedInput<Ref>[] = [];
  const seen = new Set<string>();
  const seenStatements = new Set<string>();
  const known = new Map<string, boolean>();
  for (const ref of refs) {
    const shown = ports.statements.describe(ref);
    let reuploadOf: string | undefined;
    let read;
    try {
      read = await ports.statements.read(ref, async (contentHash) => {
        reuploadOf = (await ports.registry.lookupContent(contentHash))?.runId ?? (seen.has(contentHash) ? THIS_RUN : undefined);
        return reuploadOf !== undefined;
      });
    } catch (error) {
      if (error instanceof BadInputError) return reject(ports, ref, error);
      throw error;
    }
    const input: AdmittedInput<Ref> = { ref, name: read.name, contentHash: read.contentHash };
    if (reuploadOf !== undefined) {
      input.reuploadOf = reuploadOf;
      input.reuploadedBy = 'content';
      progress(`${shown}: already reconciled (content ${read.contentHash.slice(0, 12)}, run ${reuploadOf}); skipped`);
      inputs.push(input);
      continue;
    }
    if (!read.parsed) throw new Error(`${shown}: the statement source returned no statements for content it was not told to skip`);
    seen.add(read.contentHash);
    const parsed = read.parsed;
    const kept: StatementOfRows[] = [];
    const identities: StatementIdentity[] = [];
    const skipped: NonNullable<AdmittedInput<Ref>['skipped']> = [];
    for (const statement of parsed.statements) {
      const identity = statementIdentity(parsed.format, statement);
      const firstRunId = (await ports.registry.lookupStatement(identity.key))?.runId ?? (seenStatements.has(identity.key) ? THIS_RUN : undefined);
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
      progress(`${shown}: already reconciled (the same statement${skipped.length === 1 ? '' : 's'}, run ${input.reuploadOf}); skipped`);
      inputs.push(input);
      continue;
    }
    // The file's rows when every statement is kept (a range of them each), else the kept statements' rows.
    input.parsed = { ...parsed, statements: kept, rows: kept.length === parsed.statements.length ? parsed.rows : concatStatementRows(kept.map((s) => s.rows)) };
    input.identities = identities;
    if (skipped.length > 0) {
      input.skipped = skipped;
      for (const s of skipped) progress(`${shown}: statement ${s.statementId} of ${s.accountId} already reconciled (run ${s.firstRunId}); skipped`);
    }
    const file = parsed.file;
    for (const statement of kept) {
      const rows = statement.rows;
      // Each account is checked once where it begins a run of rows (REC-PERF-1: a statement's rows share theirs).
      let lastAccount: string | undefined;
      for (let row = 0; row < rows.length; row += 1) {
        const accountId = rows.accountId(row);
        if (accountId === lastAccount) continue;
        lastAccount = accountId;
        // PCI-3: a card number as the account is refused, not masked: masked, every such account would look alike.
        if (accountId.includes(PAN_REDACTION) || containsPan(accountId, 'identifier')) {
          await reject(
            ports,
            ref,
            new BadInputError(file, { ...rows.line(row).position, file }, 'the account id is a card number (PCI-3); a statement account must be an account id or IBAN', 'malformed'),
          );
        }
        let isKnown = known.get(accountId);
        if (isKnown === undefined) known.set(accountId, (isKnown = await ports.ledger.knows(accountId)));
        if (!isKnown) {
          const fault = ports.ledger.unknownAccountFault(accountId);
          const position = rows.line(row).position;
          await reject(
            ports,
            ref,
            new BadInputError(
              file,
              { ...position, file },
              fault,
              'unknown-account',
              `account ${accountId} in statement file ${file} ${where(position)} is not in ${ports.ledger.unknownAccountScope()}`,
            ),
          );
        }
      }
    }
    const lineCount = kept.reduce((n, s) => n + s.rows.length, 0);
    progress(`${shown}: ${parsed.format}, ${kept.length} statement(s), ${lineCount} line(s)`);
    inputs.push(input);
  }
  return inputs;
}

/** What a run reconciles. */
export interface RunScope {
  /** The run's statement lines, file after file (REC-PERF-1: rows, a large file's columns). */
  statementLines: StatementRows;
  /** The statement file (shown name) of each line. */
  fileOfLine: Map<string, string>;
  /** The lines the matcher sees (REC-IN-4/5). */
  bookable: StatementRows;
  excluded: ExcludedLine[];
  statementAccounts: Set<string>;
  ledgerEntries: LedgerRows;
  alreadyReconciled: number;
  ledgerDigest: string;
  asOf: string;
}

/** Stands for "no row yet" where a row's account is compared with the row before's. */
const NO_ACCOUNT = Symbol('no account');

/** Phase 2 (scope): the lines and ledger entries in scope, minus what committed runs matched; the as-of date. */
export async function scope<Ref>(
  ports: { ledger: LedgerSource; registry: Pick<RunRegistry, 'reconciledLedgerKeys'>; progress?: (message: string) => void },
  inputs: readonly AdmittedInput<Ref>[],
  options: { asOf?: string; now: Date },
): Promise<RunScope> {
  const progress = ports.progress ?? (() => undefined);
  const parts: StatementRows[] = [];
  // REC-1: pending (not booked) and foreign-currency lines are reported, never matched.
  /** Per part: the rows kept out of matching, if any. */
  const outOfMatching: (Set<number> | undefined)[] = [];
  const excluded: ExcludedLine[] = [];
  const statementAccounts = new Set<string>();
  // A line's file: by its id's content-hash prefix (`<hash 12>:<statement>:<line>`), one entry per
  // file; a line whose id does not carry its file's prefix gets an entry of its own.
  const fileOfLine = new Map<string, string>();
  // An as-of date the user gave that is before lines' booking dates ages them below zero, so none
  // can become STALE (REC-1): said, with the count and the latest such date, never silently.
  const givenAsOf = options.asOf;
  let bookedAfterAsOf = 0;
  let latestBooked = '';
  // One pass over the lines (REC-PERF-1), read by row and field: each line is filed, sorted into
  // bookable or excluded (exclusionOfRow) and its account noted.
  for (const input of inputs) {
    const prefix = `${input.contentHash.slice(0, 12)}:`;
    fileOfLine.set(prefix, input.name);
    const parsed = input.parsed;
    if (!parsed) continue;
    const fileRows = parsed.rows;
    parts.push(fileRows);
    let out: Set<number> | undefined;
    let row = 0;
    for (const statement of parsed.statements) {
      const rows = statement.rows;
      let lastAccount: string | undefined;
      for (let r = 0; r < rows.length; r += 1, row += 1) {
        const id = rows.statementLineId(r);
        if (!id.startsWith(prefix)) fileOfLine.set(id, input.name);
        const exclusion = exclusionOfRow(statement, rows, r);
        if (exclusion) {
          excluded.push(exclusion);
          (out ??= new Set()).add(row);
        }
        const accountId = rows.accountId(r);
        if (accountId !== lastAccount) statementAccounts.add((lastAccount = accountId));
        if (givenAsOf !== undefined) {
          const bookingDate = rows.bookingDate(r);
          if (bookingDate !== null && bookingDate !== undefined && bookingDate > givenAsOf) {
            bookedAfterAsOf += 1;
            if (bookingDate > latestBooked) latestBooked = bookingDate;
          }
        }
      }
    }
    if (row !== fileRows.length) throw new Error(`${input.name}: its statements hold ${row} line(s), its rows ${fileRows.length}`);
    outOfMatching.push(out);
  }
  const statementLines = concatStatementRows(parts);
  const bookable = outOfMatching.every((out) => out === undefined)
    ? statementLines
    : concatStatementRows(parts.map((rows, part) => (outOfMatching[part] ? rows.filter((_, row) => !outOfMatching[part]!.has(row)) : rows)));
  if (bookedAfterAsOf > 0)
    progress(
      `warning: the as-of date ${givenAsOf} is before the booking date of ${bookedAfterAsOf} statement line(s) (the latest ${latestBooked}): their ages count below zero and none of them can become STALE; without --as-of a run is as of its statements' latest date`,
    );
  if (excluded.length > 0)
    progress(
      `${excluded.length} statement line(s) kept out of matching (${Object.entries(countExcluded(excluded))
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', ')})`,
    );
  let ledgerEntries: LedgerRows;
  let ledgerDigest: string;
  try {
    ledgerEntries = await ports.ledger.entries(statementAccounts);
    ledgerDigest = await ports.ledger.digest(statementAccounts);
  } catch (error) {
    if (error instanceof ReconcileConfigError) throw error;
    throw new ReconcileConfigError(`${ports.ledger.source}: ${(error as Error).message}`);
  }
  const loaded = ledgerEntries.length;
  const ledgerAccounts = new Set<string>();
  let lastAccount: unknown = NO_ACCOUNT;
  for (let row = 0; row < loaded; row += 1) {
    const accountId = ledgerEntries.accountId(row);
    if (accountId !== lastAccount) ledgerAccounts.add((lastAccount = accountId));
  }
  const reconciled = await ports.registry.reconciledLedgerKeys(ledgerAccounts);
  if (reconciled.size > 0) ledgerEntries = ledgerEntries.filter((rows, row) => !reconciled.has(`${rows.accountId(row)}\u0000${rows.entryId(row)}`));
  const asOf = options.asOf ?? defaultAsOf(statementLines, ledgerEntries, options.now);
  return {
    statementLines,
    fileOfLine,
    bookable,
    excluded,
    statementAccounts,
    ledgerEntries,
    alreadyReconciled: loaded - ledgerEntries.length,
    ledgerDigest,
    asOf,
  };
}

/**
 * The file of a line id, from scope's map (one entry per file's id prefix, plus lines whose id does
 * not carry their file's prefix): the id's own entry, else its prefix's. While the map holds no more
 * entries than the `prefixes` (the files' distinct id prefixes), the full id is not looked up: a
 * million lines, a million hashed ids spared (REC-PERF-1).
 */
export function fileOfLineId(fileOfLine: ReadonlyMap<string, string>, prefixes: number): (statementLineId: string) => string {
  const byPrefix = (id: string): string => fileOfLine.get(id.slice(0, id.indexOf(':') + 1)) ?? '';
  if (fileOfLine.size <= prefixes) return byPrefix;
  return (id) => fileOfLine.get(id) ?? byPrefix(id);
}

/**
 * Phase 3 (match): the ONE matcher, its result in canonical order. The matches come in the lines'
 * order (matchAllInLineOrder), which canonicalResult's order usually is already (REC-PERF-1).
 */
export function match(runScope: Pick<RunScope, 'bookable' | 'ledgerEntries' | 'asOf'>, rules: RuleSet): MatchResult {
  return canonicalResult(matchAllInLineOrder(runScope.bookable, runScope.ledgerEntries, rules, runScope.asOf));
}

/** The run id of a local run: the inputs, the ledger in scope, the rules, as-of, profile and how many runs came before. */
export function runIdFor(inputs: readonly { contentHash: string }[], runScope: Pick<RunScope, 'ledgerDigest' | 'asOf'>, rules: RuleSet, profile: string | undefined, runCount: number): string {
  const hash = createHash('sha256');
  for (const input of [...inputs].sort((a, b) => (a.contentHash < b.contentHash ? -1 : 1))) hash.update(`${input.contentHash}\n`);
  hash.update(`ledger ${runScope.ledgerDigest}\nrules ${JSON.stringify(rules)}\nasOf ${runScope.asOf}\nprofile ${profile ?? ''}\nruns ${runCount}\n`);
  return `run-${runScope.asOf.replace(/-/g, '')}-${hash.digest('hex').slice(0, 16)}`;
}

const lineCount = (parsed: ParsedStatementRows): number => parsed.statements.reduce((n, s) => n + s.rows.length, 0);

/** summary.json of a run (REC-OUT-1). */
export function runSummary<Ref>(runId: string, rules: RuleSet, inputs: readonly AdmittedInput<Ref>[], runScope: RunScope, result: MatchResult): RunSummary {
  const firstRun = (reuploadOf: string): string => (reuploadOf === THIS_RUN ? runId : reuploadOf);
  const statementFiles: StatementFileSummary[] = inputs.map((input) =>
    input.parsed
      ? {
          file: input.name,
          contentHash: input.contentHash,
          format: input.parsed.format,
          status: 'reconciled',
          statements: input.parsed.statements.length,
          statementLines: lineCount(input.parsed),
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
  return {
    runId,
    asOf: runScope.asOf,
    ruleSet: { ruleSetId: rules.ruleSetId, version: rules.version },
    statementFiles,
    reuploaded: inputs.filter((input) => !input.parsed).map((input) => ({ file: input.name, contentHash: input.contentHash, firstRunId: firstRun(input.reuploadOf!), by: input.reuploadedBy! })),
    statementLines: runScope.statementLines.length,
    ledgerEntries: runScope.ledgerEntries.length,
    ledgerEntriesAlreadyReconciled: runScope.alreadyReconciled,
    ...countResult(result),
    balanceChecks: inputs.flatMap((input) => (input.parsed?.statements ?? []).flatMap((statement) => (statement.balance ? [balanceCheck(statement.balance)] : []))),
    ...(runScope.excluded.length > 0 ? { excludedFromMatching: { counts: countExcluded(runScope.excluded), lines: runScope.excluded } } : {}),
  };
}

/** The registry's record of a run: its files, statement identities and the ledger entries it matched. */
export function runRecord<Ref>(runId: string, asOf: string, recordedAt: Date, inputs: readonly AdmittedInput<Ref>[], result: MatchResult, lookups: RunLookups): RunRecord {
  let length = 0;
  for (const m of result.matches) length += m.ledgerEntryIds.length;
  // Produced as the registry reads it, never held (REC-PERF-1: 10^6 entries).
  const matchedLedger: RunRecord['matchedLedger'] = {
    length,
    *[Symbol.iterator]() {
      for (const m of result.matches) {
        // A match lies in one (account, currency) partition: its entries share its statement lines' account (one lookup a match).
        const accountId = (m.statementLineIds.length > 0 ? lookups.statementAccountId(m.statementLineIds[0]!) : undefined) ?? lookups.ledgerEntry(m.ledgerEntryIds[0]!)?.accountId ?? '';
        for (const entryId of m.ledgerEntryIds) yield { accountId, entryId, matchId: m.matchId };
      }
    },
  };
  return {
    runId,
    asOf,
    recordedAt: recordedAt.toISOString(),
    files: inputs.filter((input) => input.parsed).map((input) => ({ contentHash: input.contentHash, runId, file: input.name, format: input.parsed!.format, statementLines: lineCount(input.parsed!) })),
    statements: inputs.flatMap((input) => (input.identities ?? []).map((identity) => ({ ...identity, file: input.name, contentHash: input.contentHash }))),
    matchedLedger,
  };
}

/**
 * Phase 4 (record): stage the results, stage the registry, publish, commit the registry, settle
 * the analytics (REC-OUT-3), then raise the cases: a sink that prepares them (CaseSink.prepare)
 * builds them beside all of that and makes them visible only now; if the run is not committed they
 * are dropped. Returns where the results were published.
 */
export async function record<Ref>(ports: Pick<ReconcileRunPorts<Ref>, 'registry' | 'results' | 'cases' | 'hooks' | 'progress'>, run: RecordedRun, registryRecord: RunRecord): Promise<string> {
  const progress = ports.progress ?? (() => undefined);
  const since = performance.now();
  const took = (): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;
  // A case sink that can prepares the cases beside the staging and the commit (REC-PERF-1); they become visible only after the registry commits.
  const preparedCases = ports.cases?.prepare?.(run);
  let staged: StagedResults;
  try {
    staged = await ports.results.stage(run);
  } catch (error) {
    await preparedCases?.abort();
    throw error;
  }
  progress(`results staged at ${ports.results.location} (${took()})`);
  let committed = false;
  try {
    await ports.registry.stage(registryRecord);
    const location = await staged.publish();
    ports.hooks?.beforeRegistryCommit?.();
    await ports.registry.commit();
    committed = true;
    ports.hooks?.afterRegistryCommit?.();
    progress(`run ${run.runId} committed (${took()})`);
    await staged.settle(progress);
    // The run is committed: a case sink that fails is reported, and catches up from the run's results later.
    if (ports.cases) {
      await (preparedCases ? preparedCases.commit() : ports.cases.record(run)).then(
        () => progress(`cases raised in the workbench (${took()})`),
        (error: Error) => progress(`warning: run ${run.runId} is committed but its cases were not raised (${error.message}); the workbench imports them when it next opens`),
      );
    }
    return location;
  } finally {
    if (!committed) {
      await preparedCases?.abort();
      await ports.registry.rollback();
      await staged.abort();
    }
    await staged.close();
  }
}

export interface RunRecorded {
  committed: true;
  summary: RunSummary;
  /** Where the results were published. */
  location: string;
  inputs: AdmittedInput<unknown>[];
}

export interface NothingNewRun {
  committed: false;
  reuploaded: Reupload[];
  /** The run whose results are current (unchanged), if any. */
  currentRunId: string | null;
}

/** The whole run (see the module comment): admit → scope → match → record. */
export async function reconcileRun<Ref>(ports: ReconcileRunPorts<Ref>, request: ReconcileRunRequest<Ref>): Promise<RunRecorded | NothingNewRun> {
  const progress = ports.progress ?? (() => undefined);
  const startedAt = ports.now();
  const ledger = withDeclared(ports.ledger, request.declaredAccounts);
  const admitPorts = { ...ports, ledger };

  // 1. admit
  const inputs = await admit(admitPorts, request.statements);

  // The registry is the record of committed runs: what an interrupted run left behind goes first (REC-OUT-3).
  await ports.results.align(await ports.registry.runIds());

  if (!inputs.some((input) => input.parsed)) {
    const currentRunId = await ports.results.keepCurrent();
    progress(`nothing new: every statement was reconciled before; no run committed${currentRunId ? `, the current results (run ${currentRunId}) stay` : ''}`);
    return {
      committed: false,
      reuploaded: inputs.map((input): Reupload => ({ file: input.name, contentHash: input.contentHash, firstRunId: input.reuploadOf!, by: input.reuploadedBy! })),
      currentRunId,
    };
  }

  // 2. scope
  const runScope = await scope(admitPorts, inputs, { asOf: request.asOf, now: startedAt });
  const { statementLines, ledgerEntries, asOf } = runScope;
  const runId = runIdFor(inputs, runScope, request.rules, request.profile, await ports.registry.runCount());
  const fileOf = fileOfLineId(runScope.fileOfLine, new Set(inputs.map((input) => `${input.contentHash.slice(0, 12)}:`)).size);
  // REC-PERF-1: what the results hold of the inputs is staged before matching (its copies run beside it); undone if the run stops before recording.
  const begun = await ports.results.begin?.({ runId, statementLines, ledgerEntries, fileOf });
  progress(`matching ${statementLines.length} statement line(s) against ${ledgerEntries.length} ledger entr${ledgerEntries.length === 1 ? 'y' : 'ies'} (as of ${asOf})`);
  try {
    return await matchAndRecord(ports, request, { inputs, runScope, runId, fileOf, startedAt, ledger });
  } finally {
    // Taken by the recording (then this does nothing), or undone; a failure to undo it never hides the run's own outcome
    // (what it left is a staging directory the next run removes).
    await begun?.abort().catch((error: Error) => progress(`warning: run ${runId}: what its results began could not be undone (${error.message}); the next run removes it`));
  }
}

/** Phases 3 (match) and 4 (record) of reconcileRun, for the run `runId` over `runScope`. */
async function matchAndRecord<Ref>(
  ports: ReconcileRunPorts<Ref>,
  request: ReconcileRunRequest<Ref>,
  run: { inputs: AdmittedInput<Ref>[]; runScope: RunScope; runId: string; fileOf: (statementLineId: string) => string; startedAt: Date; ledger: LedgerSource },
): Promise<RunRecorded> {
  const progress = ports.progress ?? (() => undefined);
  const { inputs, runScope, runId, startedAt, ledger } = run;
  const { statementLines, ledgerEntries, asOf } = runScope;
  // 3. match
  const matchStarted = performance.now();
  const result = match(runScope, request.rules);
  const matchMs = Math.round(performance.now() - matchStarted);
  progress(`matched in ${(matchMs / 1000).toFixed(1)} s: ${result.matches.length} match(es), ${result.unmatched.length} exception(s)`);

  // 4. record
  const summary = runSummary(runId, request.rules, inputs, runScope, result);
  const recordedAt = ports.now();
  const firstRun = (reuploadOf: string): string => (reuploadOf === THIS_RUN ? runId : reuploadOf);
  const audit: Record<string, unknown>[] = [
    {
      type: 'run.started',
      runId,
      at: startedAt.toISOString(),
      statements: request.statements.map((ref) => ports.statements.describe(ref)),
      ledger: { kind: ledger.kind, source: redactPans(ledger.source, 'identifier') },
      rules: request.rulesLabel ?? 'default',
      ruleSet: summary.ruleSet,
      asOf,
      profile: request.profile ?? null,
    },
    ...inputs.map((input) =>
      input.parsed
        ? {
            type: 'statement.parsed',
            runId,
            file: ports.statements.describe(input.ref),
            contentHash: input.contentHash,
            format: input.parsed.format,
            statements: input.parsed.statements.length,
            statementLines: lineCount(input.parsed),
            ...(input.skipped ? { skippedStatements: input.skipped.map((s) => ({ ...s, firstRunId: firstRun(s.firstRunId) })) } : {}),
          }
        : { type: 'statement.reuploaded', runId, file: ports.statements.describe(input.ref), contentHash: input.contentHash, firstRunId: firstRun(input.reuploadOf!), by: input.reuploadedBy },
    ),
    { type: 'ledger.loaded', runId, kind: ledger.kind, source: ledger.source, entries: ledgerEntries.length, alreadyReconciled: runScope.alreadyReconciled },
    {
      type: 'matching.completed',
      runId,
      elapsedMs: matchMs,
      matched: summary.matched,
      unmatchedStatement: summary.unmatchedStatement,
      unmatchedLedger: summary.unmatchedLedger,
      exceptions: summary.exceptions,
    },
    { type: 'run.recorded', runId, at: recordedAt.toISOString(), registry: ports.registry.location, store: ports.results.location },
  ];
  // REC-PERF-1: no million-entry maps; the sinks ask for lines by id and for the unmatched ledger items' entries.
  const lookups = runLookups(statementLines, ledgerEntries, unmatchedLedgerIds(result));
  const recorded: RecordedRun = {
    runId,
    asOf,
    recordedAt,
    summary,
    result,
    statementLines,
    ledgerEntries,
    fileOf: run.fileOf,
    statementLine: lookups.statementLine,
    statementBankReference: lookups.statementBankReference,
    statementRow: lookups.statementRow,
    ledgerEntry: lookups.ledgerEntry,
    audit,
  };
  await ports.announce?.prepare(recorded);
  const location = await record(ports, recorded, runRecord(runId, asOf, recordedAt, inputs, result, lookups));
  await ports.announce?.committed(recorded).catch((error: Error) => progress(`warning: run ${runId} is committed but was not announced yet (${error.message}); it is announced at the next run`));
  return { committed: true, summary, location, inputs: inputs as AdmittedInput<unknown>[] };
}
