/**
 * A run's results as files: matches.csv, exceptions.csv and summary.json. Pure functions of
 * the inputs and the match result: the same inputs give byte-identical files (canonical order,
 * no timestamps; the run time lives only in audit.ndjson).
 */
import { redactPans } from '../../domain/pan';
import type { BalanceProof, ExceptionReason, LedgerEntry, Match, MatchResult, StatementLine, UnmatchedItem } from '../types';
import type { ExcludedLine, ExclusionReason } from './bookable';
import { csvTable } from './csv-writer';

export const MATCH_COLUMNS = ['matchId', 'statementLineId', 'bankReference', 'ledgerEntryId', 'ruleId', 'confidence', 'status'] as const;
export const EXCEPTION_COLUMNS = ['side', 'id', 'reason', 'ageDays', 'statementLineId', 'bankReference', 'ledgerEntryId', 'accountId', 'currency', 'amount', 'detail'] as const;

/** matches.csv and exceptions.csv through the one formula-safe CSV writer (REC-OUT-1); the numbers stay numbers. */
export const MATCHES_CSV = csvTable(MATCH_COLUMNS, { numeric: ['confidence'] });
export const EXCEPTIONS_CSV = csvTable(EXCEPTION_COLUMNS, { numeric: ['ageDays', 'amount'] });

const CHUNKS = /(\d+)|(\D+)/g;

/** Natural order: digit runs compare as numbers ("abc:2:10" after "abc:2:9"). */
export function naturalCompare(a: string, b: string): number {
  if (a === b) return 0;
  const left = a.match(CHUNKS) ?? [];
  const right = b.match(CHUNKS) ?? [];
  for (let i = 0; i < Math.min(left.length, right.length); i += 1) {
    const x = left[i]!;
    const y = right[i]!;
    if (x === y) continue;
    const xd = x.charCodeAt(0) >= 48 && x.charCodeAt(0) <= 57;
    const yd = y.charCodeAt(0) >= 48 && y.charCodeAt(0) <= 57;
    if (xd && yd) {
      const xn = x.replace(/^0+/, '') || '0';
      const yn = y.replace(/^0+/, '') || '0';
      if (xn.length !== yn.length) return xn.length - yn.length;
      if (xn !== yn) return xn < yn ? -1 : 1;
      if (x.length !== y.length) return x.length - y.length;
      continue;
    }
    return x < y ? -1 : 1;
  }
  if (left.length !== right.length) return left.length - right.length;
  return a < b ? -1 : 1;
}

const LINE_ID = /^([0-9a-f]+):(\d+):(\d+)$/;

/** Statement line ids (`<hash>:<statement>:<line>`) by file hash, then statement and line number; other ids naturally. */
export function idCompare(a: string, b: string): number {
  const x = LINE_ID.exec(a);
  const y = LINE_ID.exec(b);
  if (x && y) {
    if (x[1] !== y[1]) return x[1]! < y[1]! ? -1 : 1;
    return Number(x[2]) - Number(y[2]) || Number(x[3]) - Number(y[3]);
  }
  return naturalCompare(a, b);
}

function byNatural(ids: readonly string[]): string[] {
  return [...ids].sort(idCompare);
}

/**
 * The presentation order of a match result in the CSV files: ids inside a match in natural
 * order, matches by their first statement line then first ledger entry, exceptions statement
 * side first then by id. The local run and the partitioned (AWS) path both render through it.
 */
export function canonicalResult(result: MatchResult): MatchResult {
  const matches = result.matches
    .map((match): Match => ({ ...match, statementLineIds: byNatural(match.statementLineIds), ledgerEntryIds: byNatural(match.ledgerEntryIds) }))
    .sort((a, b) => idCompare(a.statementLineIds[0] ?? '', b.statementLineIds[0] ?? '') || idCompare(a.ledgerEntryIds[0] ?? '', b.ledgerEntryIds[0] ?? '') || naturalCompare(a.matchId, b.matchId));
  const unmatched = [...result.unmatched].sort((a, b) => (a.side === b.side ? idCompare(a.id, b.id) : a.side === 'statement' ? -1 : 1));
  return { matches, unmatched };
}

export function formatConfidence(confidence: number): string {
  return (Math.round(confidence * 10_000) / 10_000).toFixed(4);
}

/** PCI-3, at the output too: a bank reference is an identifier (PCI-2: a Luhn-valid reference stays visible), a detail is free text. */
const reference = (text: string | undefined): string => (text ? redactPans(text, 'identifier') : '');
const freeText = (text: string | undefined): string => (text ? redactPans(text) : '');

export interface Lookups {
  statementLine(id: string): Pick<StatementLine, 'statementLineId' | 'bankReference' | 'accountId' | 'currency' | 'amount'> | undefined;
  ledgerEntry(id: string): Pick<LedgerEntry, 'entryId' | 'accountId' | 'currency' | 'amount'> | undefined;
}

export function lookupsFor(lines: readonly StatementLine[], entries: readonly LedgerEntry[]): Lookups {
  const lineById = new Map(lines.map((line) => [line.statementLineId, line]));
  const entryById = new Map(entries.map((entry) => [entry.entryId, entry]));
  return { statementLine: (id) => lineById.get(id), ledgerEntry: (id) => entryById.get(id) };
}

/** One row per (statement line, ledger entry) pair of a match: a one-to-many match is one row per ledger entry. */
export function* matchRows(result: MatchResult, lookups: Lookups): Generator<string[]> {
  for (const match of result.matches) {
    for (const statementLineId of match.statementLineIds) {
      const bankReference = reference(lookups.statementLine(statementLineId)?.bankReference);
      for (const ledgerEntryId of match.ledgerEntryIds) {
        yield [match.matchId, statementLineId, bankReference, ledgerEntryId, match.ruleId, formatConfidence(match.confidence), match.status];
      }
    }
  }
}

export function* exceptionRows(result: MatchResult, lookups: Lookups): Generator<string[]> {
  for (const item of result.unmatched) {
    if (item.side === 'statement') {
      const line = lookups.statementLine(item.id);
      yield [
        item.side,
        item.id,
        item.reason,
        String(item.ageDays),
        item.id,
        reference(line?.bankReference),
        item.candidateId ?? '',
        line?.accountId ?? '',
        line?.currency ?? '',
        line?.amount ?? '',
        freeText(item.detail),
      ];
    } else {
      const entry = lookups.ledgerEntry(item.id);
      const candidate = item.candidateId ? lookups.statementLine(item.candidateId) : undefined;
      yield [
        item.side,
        item.id,
        item.reason,
        String(item.ageDays),
        item.candidateId ?? '',
        reference(candidate?.bankReference),
        item.id,
        entry?.accountId ?? '',
        entry?.currency ?? '',
        entry?.amount ?? '',
        freeText(item.detail),
      ];
    }
  }
}

export function renderMatchesCsv(result: MatchResult, lookups: Lookups): string {
  return MATCHES_CSV.render(matchRows(result, lookups));
}

export function renderExceptionsCsv(result: MatchResult, lookups: Lookups): string {
  return EXCEPTIONS_CSV.render(exceptionRows(result, lookups));
}

export interface StatementFileSummary {
  file: string;
  contentHash: string;
  format: string;
  status: 'reconciled' | 'reuploaded';
  statements: number;
  statementLines: number;
  /** For a re-upload: the run that reconciled this content first. */
  firstRunId?: string;
  /** A re-upload recognised by its statements' identity rather than its bytes (e.g. a CRLF copy). */
  reuploadedBy?: 'statement identity';
  /** Statements of a new file that an earlier run reconciled already (REC-OUT-2): reported, never reconciled twice. */
  skippedStatements?: { statementId: string; accountId: string; firstRunId: string }[];
}

export interface BalanceCheck {
  statementId: string;
  accountId: string;
  currency: string;
  ok: boolean;
  difference: string;
  opening: string;
  movements: string;
  closing: string;
  /** Why the proof cannot hold besides arithmetic (e.g. entries in another currency), kept from the parser. */
  fault?: string;
}

export interface RunSummary {
  runId: string;
  asOf: string;
  ruleSet: { ruleSetId: string; version: number };
  statementFiles: StatementFileSummary[];
  /** Files reconciled before (REC-OUT-2): by the same bytes (`content`) or the same statements (`statement identity`). */
  reuploaded: { file: string; contentHash: string; firstRunId: string; by: 'content' | 'statement identity' }[];
  statementLines: number;
  ledgerEntries: number;
  /** Ledger entries left out because an earlier committed run matched them. */
  ledgerEntriesAlreadyReconciled: number;
  matched: { total: number; confirmed: number; proposed: number; byRule: Record<string, number> };
  unmatchedStatement: number;
  unmatchedLedger: number;
  exceptions: Partial<Record<ExceptionReason, number>>;
  balanceChecks: BalanceCheck[];
  /** Statement lines kept out of matching (REC-1: pending, foreign currency), when there are any. */
  excludedFromMatching?: { counts: Partial<Record<ExclusionReason, number>>; lines: ExcludedLine[] };
}

function sortedCounts<K extends string>(counts: Map<K, number>): Record<K, number> {
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as Record<K, number>;
}

export function countResult(result: MatchResult): Pick<RunSummary, 'matched' | 'unmatchedStatement' | 'unmatchedLedger' | 'exceptions'> {
  const byRule = new Map<string, number>();
  let confirmed = 0;
  for (const match of result.matches) {
    byRule.set(match.ruleId, (byRule.get(match.ruleId) ?? 0) + 1);
    if (match.status === 'confirmed') confirmed += 1;
  }
  const reasons = new Map<ExceptionReason, number>();
  let unmatchedStatement = 0;
  for (const item of result.unmatched as UnmatchedItem[]) {
    reasons.set(item.reason, (reasons.get(item.reason) ?? 0) + 1);
    if (item.side === 'statement') unmatchedStatement += 1;
  }
  return {
    matched: { total: result.matches.length, confirmed, proposed: result.matches.length - confirmed, byRule: sortedCounts(byRule) },
    unmatchedStatement,
    unmatchedLedger: result.unmatched.length - unmatchedStatement,
    exceptions: sortedCounts(reasons),
  };
}

export function balanceCheck(proof: BalanceProof): BalanceCheck {
  return {
    statementId: proof.statementId,
    accountId: proof.accountId,
    currency: proof.currency,
    ok: proof.ok,
    difference: proof.difference,
    opening: proof.opening,
    movements: proof.movements,
    closing: proof.closing,
    ...(proof.fault !== undefined ? { fault: proof.fault } : {}),
  };
}

/** summary.json: stable key order, two-space indent, trailing newline. */
export function renderSummary(summary: RunSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}

/** The `--json` object of `ledgerline reconcile` (the CLI contract) plus run details. */
export function cliSummary(summary: RunSummary, elapsedMs: number, out: string) {
  return {
    statementLines: summary.statementLines,
    ledgerEntries: summary.ledgerEntries,
    elapsedMs,
    matched: { total: summary.matched.total, byRule: summary.matched.byRule, confirmed: summary.matched.confirmed, proposed: summary.matched.proposed },
    unmatchedStatement: summary.unmatchedStatement,
    unmatchedLedger: summary.unmatchedLedger,
    exceptions: summary.exceptions,
    balanceChecks: summary.balanceChecks.map((check) => ({
      statementId: check.statementId,
      accountId: check.accountId,
      ok: check.ok,
      difference: check.difference,
      ...(check.fault !== undefined ? { fault: check.fault } : {}),
    })),
    runId: summary.runId,
    asOf: summary.asOf,
    reuploaded: summary.reuploaded,
    ledgerEntriesAlreadyReconciled: summary.ledgerEntriesAlreadyReconciled,
    out,
  };
}

/** The default as-of date: the latest statement booking/value date (deterministic), else the ledger's, else today. */
export function defaultAsOf(lines: readonly StatementLine[], entries: readonly LedgerEntry[], now: Date): string {
  let latest = '';
  for (const line of lines) {
    if (line.bookingDate && line.bookingDate > latest) latest = line.bookingDate;
    if (line.valueDate && line.valueDate > latest) latest = line.valueDate;
  }
  if (!latest) for (const entry of entries) if (entry.bookingDate > latest) latest = entry.bookingDate;
  return latest || now.toISOString().slice(0, 10);
}
