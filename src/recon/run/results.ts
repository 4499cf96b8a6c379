/**
 * A run's results as files: matches.csv, exceptions.csv and summary.json. Pure functions of
 * the inputs and the match result: the same inputs give byte-identical files (canonical order,
 * no timestamps; the run time lives only in audit.ndjson).
 */
import { redactPans } from '../../domain/pan';
import type { BalanceProof, ExceptionReason, LedgerEntry, Match, MatchResult, StatementLine, UnmatchedItem } from '../types';
import type { ExcludedLine, ExclusionReason } from './bookable';
import type { LedgerRows } from '../ledger-rows';
import type { StatementRows } from '../statement-rows';
import { CsvBytes, csvTable, textCell } from './csv-writer';

export const MATCH_COLUMNS = ['matchId', 'statementLineId', 'bankReference', 'ledgerEntryId', 'ruleId', 'confidence', 'status'] as const;
/** `group` (REC-CASE-1): the case group an exception is worked in (UnmatchedItem.group), empty when it stands alone; last, so readers of the older files still read them. */
export const EXCEPTION_COLUMNS = ['side', 'id', 'reason', 'ageDays', 'statementLineId', 'bankReference', 'ledgerEntryId', 'accountId', 'currency', 'amount', 'detail', 'group'] as const;

/** matches.csv and exceptions.csv through the one formula-safe CSV writer (REC-OUT-1); the numbers stay numbers. */
export const MATCHES_CSV = csvTable(MATCH_COLUMNS, { numeric: ['confidence'] });
export const EXCEPTIONS_CSV = csvTable(EXCEPTION_COLUMNS, { numeric: ['ageDays', 'amount'] });

const isDigitCode = (code: number): boolean => code >= 48 && code <= 57;

/** End of the run of digits (or of non-digits) that starts at `from`. */
function runEnd(text: string, from: number): number {
  const digit = isDigitCode(text.charCodeAt(from));
  let end = from + 1;
  while (end < text.length && isDigitCode(text.charCodeAt(end)) === digit) end += 1;
  return end;
}

/** Code-unit order of text[a0, a1) and other[b0, b1), as `<` orders the two substrings. */
function compareRange(a: string, a0: number, a1: number, b: string, b0: number, b1: number): number {
  const n = Math.min(a1 - a0, b1 - b0);
  for (let k = 0; k < n; k += 1) {
    const x = a.charCodeAt(a0 + k);
    const y = b.charCodeAt(b0 + k);
    if (x !== y) return x < y ? -1 : 1;
  }
  return a1 - a0 === b1 - b0 ? 0 : a1 - a0 < b1 - b0 ? -1 : 1;
}

function countRuns(text: string, from: number): number {
  let runs = 0;
  for (let at = from; at < text.length; at = runEnd(text, at)) runs += 1;
  return runs;
}

/**
 * Natural order: digit runs compare as numbers ("abc:2:10" after "abc:2:9"). The strings are cut
 * into maximal runs of digits and of non-digits; the first pair of runs that differs decides (two
 * digit runs by value, then the shorter spelling first; otherwise as text), then the number of
 * runs, then the text. Scans in place: no arrays or substrings per comparison (sorting 1M ids).
 */
export function naturalCompare(a: string, b: string): number {
  if (a === b) return 0;
  let ia = 0;
  let ib = 0;
  while (ia < a.length && ib < b.length) {
    const ea = runEnd(a, ia);
    const eb = runEnd(b, ib);
    if (compareRange(a, ia, ea, b, ib, eb) !== 0) {
      if (isDigitCode(a.charCodeAt(ia)) && isDigitCode(b.charCodeAt(ib))) {
        let za = ia;
        while (za < ea - 1 && a.charCodeAt(za) === 48) za += 1;
        let zb = ib;
        while (zb < eb - 1 && b.charCodeAt(zb) === 48) zb += 1;
        if (ea - za !== eb - zb) return ea - za - (eb - zb);
        const value = compareRange(a, za, ea, b, zb, eb);
        if (value !== 0) return value;
        if (ea - ia !== eb - ib) return ea - ia - (eb - ib);
      } else {
        return compareRange(a, ia, ea, b, ib, eb);
      }
    }
    ia = ea;
    ib = eb;
  }
  const left = countRuns(a, ia);
  const right = countRuns(b, ib);
  if (left !== right) return left - right;
  return a < b ? -1 : 1;
}

const isHexCode = (code: number): boolean => (code >= 48 && code <= 57) || (code >= 97 && code <= 102);

/** readLineId's result: the parts of the last line id it read. */
let lineHashEnd = 0;
let lineStatement = 0;
let lineNumber = 0;

/** Whether `id` is a statement line id `<hex>:<digits>:<digits>`, its parts (end of the hash, statement number, line number) left in lineHashEnd/lineStatement/lineNumber (no allocation: REC-PERF-1). */
function readLineId(id: string): boolean {
  let i = 0;
  while (i < id.length && isHexCode(id.charCodeAt(i))) i += 1;
  if (i === 0 || id.charCodeAt(i) !== 58) return false;
  const hashEnd = i;
  let statement = 0;
  for (let part = 0; part < 2; part += 1) {
    const start = (i += 1);
    while (i < id.length && isDigitCode(id.charCodeAt(i))) i += 1;
    if (i === start || (part === 0 ? id.charCodeAt(i) !== 58 : i !== id.length)) return false;
    const value = i - start > 15 ? Number(id.slice(start, i)) : digitsValue(id, start, i);
    if (part === 0) statement = value;
    else lineNumber = value;
  }
  lineHashEnd = hashEnd;
  lineStatement = statement;
  return true;
}

function digitsValue(text: string, from: number, to: number): number {
  let value = 0;
  for (let k = from; k < to; k += 1) value = value * 10 + (text.charCodeAt(k) - 48);
  return value;
}

/** Statement line ids (`<hash>:<statement>:<line>`) by file hash, then statement and line number; other ids naturally. */
export function idCompare(a: string, b: string): number {
  if (readLineId(a)) {
    const hashEnd = lineHashEnd;
    const statement = lineStatement;
    const line = lineNumber;
    if (readLineId(b)) return compareRange(a, 0, hashEnd, b, 0, lineHashEnd) || statement - lineStatement || line - lineNumber;
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
  const natural = result.matches.map((match) =>
    match.statementLineIds.length > 1 || match.ledgerEntryIds.length > 1 ? { ...match, statementLineIds: byNatural(match.statementLineIds), ledgerEntryIds: byNatural(match.ledgerEntryIds) } : match,
  );
  // The run hands its matches over in its lines' order, usually this order already (REC-PERF-1): then no sort.
  const matches = inMatchOrder(natural) ? natural : sortedMatches(natural);
  const unmatched = [...result.unmatched].sort((a, b) => (a.side === b.side ? idCompare(a.id, b.id) : a.side === 'statement' ? -1 : 1));
  return { matches, unmatched };
}

/** The order of two matches whose first statement lines are in the same place: first ledger entry, then match id. */
function tieOrder(a: Match, b: Match): number {
  return idCompare(a.ledgerEntryIds[0] ?? '', b.ledgerEntryIds[0] ?? '') || naturalCompare(a.matchId, b.matchId);
}

/** `matches` (ids inside each in natural order) sorted: by first statement line (idCompare), then tieOrder. */
function sortedMatches(matches: Match[]): Match[] {
  // Each match's sort key is worked out once (not once per comparison): 1M matches sort in ~20M comparisons.
  const keyed = matches.map((match) => {
    const first = match.statementLineIds[0] ?? '';
    const isLine = readLineId(first);
    return { match, first, hash: isLine ? first.slice(0, lineHashEnd) : undefined, statement: isLine ? lineStatement : 0, line: isLine ? lineNumber : 0 };
  });
  keyed.sort((a, b) => {
    let order: number;
    if (a.hash !== undefined && b.hash !== undefined) order = a.hash === b.hash ? a.statement - b.statement || a.line - b.line : a.hash < b.hash ? -1 : 1;
    else order = idCompare(a.first, b.first);
    return order || tieOrder(a.match, b.match);
  });
  return keyed.map((entry) => entry.match);
}

/** Whether sortedMatches would leave `matches` as they are: each in order with the one before (one pass, no allocation). */
function inMatchOrder(matches: readonly Match[]): boolean {
  let previous: Match | undefined;
  let previousFirst = '';
  let previousIsLine = false;
  let previousHashEnd = 0;
  let previousStatement = 0;
  let previousLine = 0;
  for (const match of matches) {
    const first = match.statementLineIds[0] ?? '';
    const isLine = readLineId(first);
    // Its parts, before a comparison below reads other ids through readLineId.
    const hashEnd = lineHashEnd;
    const statement = lineStatement;
    const line = lineNumber;
    if (previous !== undefined) {
      const order =
        previousIsLine && isLine ? compareRange(previousFirst, 0, previousHashEnd, first, 0, hashEnd) || previousStatement - statement || previousLine - line : idCompare(previousFirst, first);
      if (order > 0 || (order === 0 && tieOrder(previous, match) > 0)) return false;
    }
    previous = match;
    previousFirst = first;
    previousIsLine = isLine;
    previousHashEnd = hashEnd;
    previousStatement = statement;
    previousLine = line;
  }
  return true;
}

const CONFIDENCE = new Map<number, string>();

export function formatConfidence(confidence: number): string {
  let text = CONFIDENCE.get(confidence);
  if (text === undefined) {
    text = (Math.round(confidence * 10_000) / 10_000).toFixed(4);
    // A run has a handful of distinct confidences; the cache stays small whatever the input.
    if (CONFIDENCE.size < 10_000) CONFIDENCE.set(confidence, text);
  }
  return text;
}

/**
 * Whether a text can hold a card number at all (REC-PAN-1): a PAN is 13–19 digits, so a text of
 * ASCII with fewer than 13 ASCII digits and no backslash holds none under any evidence; any
 * non-ASCII character (another script's digits, look-alike separators) or backslash (a JSON
 * escape, which the guard decodes: PCI-1) leaves the decision to redactPans. Lets the
 * writers skip the PAN guard for the common short reference (REC-PERF-1) without weakening it.
 */
export function mayHoldPan(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 0x80 || code === 0x5c) return true;
    if (code >= 48 && code <= 57 && (digits += 1) >= 13) return true;
  }
  return false;
}

/** PCI-3, at the output too: a bank reference is an identifier (PCI-2: a Luhn-valid reference stays visible), a detail is free text. */
const reference = (text: string | undefined): string => (text ? (mayHoldPan(text) ? redactPans(text, 'identifier') : text) : '');
const freeText = (text: string | undefined): string => (text ? (mayHoldPan(text) ? redactPans(text) : text) : '');

export interface Lookups {
  statementLine(id: string): Pick<StatementLine, 'statementLineId' | 'bankReference' | 'accountId' | 'currency' | 'amount'> | undefined;
  /**
   * A line's bank reference alone, when the lookups can read it without building the line
   * (runLookups: REC-PERF-1, one per matched line); else statementLine(id)'s is read.
   */
  statementBankReference?(id: string): string | undefined;
  ledgerEntry(id: string): Pick<LedgerEntry, 'entryId' | 'accountId' | 'currency' | 'amount'> | undefined;
}

/** The bank reference of the line `statementLineId` (undefined when the run has no such line). */
const bankReferenceOf = (lookups: Lookups, statementLineId: string): string | undefined =>
  lookups.statementBankReference ? lookups.statementBankReference(statementLineId) : lookups.statementLine(statementLineId)?.bankReference;

/** One row per (statement line, ledger entry) pair of a match: a one-to-many match is one row per ledger entry. */
export function* matchRows(result: MatchResult, lookups: Lookups): Generator<string[]> {
  for (const match of result.matches) {
    for (const statementLineId of match.statementLineIds) {
      const bankReference = reference(bankReferenceOf(lookups, statementLineId));
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
        // A case group key is never a card number (caseGroupKey re-derives one that reads as a PAN): written as it is.
        item.group ?? '',
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
        item.group ?? '',
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

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const referenceText = (text: string | undefined): string => textCell(reference(text));
const freeTextCell = (text: string | undefined): string => textCell(freeText(text));

/**
 * matches.csv as ~1 MB pieces of bytes, the same text as renderMatchesCsv: written cell by cell
 * into the piece (CsvBytes: a common cell copied as it is scanned; any other through the same cell
 * writers as MATCHES_CSV's rows, the bank reference through the PAN guard first), with no string
 * per record nor array per row (REC-PERF-1: a million rows). For writeChunksAsync. `decoded`, when
 * given, is set true at each column (MATCH_COLUMNS order) a cell of which, as written, starts with
 * an apostrophe (a reader's decodeCsvText drops it): the others read back as they are.
 */
export function* matchesCsvBytes(result: MatchResult, lookups: Lookups, decoded: boolean[] = []): Generator<Uint8Array> {
  const out = new CsvBytes();
  const d = decoded;
  out.raw(MATCHES_CSV.header());
  for (const match of result.matches) {
    const confidence = formatConfidence(match.confidence);
    for (const statementLineId of match.statementLineIds) {
      const bankReference = bankReferenceOf(lookups, statementLineId);
      for (const ledgerEntryId of match.ledgerEntryIds) {
        if (out.text(match.matchId)) d[0] = true;
        out.char(COMMA);
        if (out.text(statementLineId)) d[1] = true;
        out.char(COMMA);
        if (out.guarded(bankReference, referenceText)) d[2] = true;
        out.char(COMMA);
        if (out.text(ledgerEntryId)) d[3] = true;
        out.char(COMMA);
        if (out.text(match.ruleId)) d[4] = true;
        out.char(COMMA);
        if (out.number(confidence)) d[5] = true;
        out.char(COMMA);
        if (out.text(match.status)) d[6] = true;
        out.char(NEWLINE);
        if (out.full) yield out.take();
      }
    }
  }
  yield out.take();
}

/** exceptions.csv as ~1 MB pieces of bytes, the same text as renderExceptionsCsv (cell by cell, as matchesCsvBytes; `decoded` in EXCEPTION_COLUMNS order). */
export function* exceptionsCsvBytes(result: MatchResult, lookups: Lookups, decoded: boolean[] = []): Generator<Uint8Array> {
  const out = new CsvBytes();
  const d = decoded;
  out.raw(EXCEPTIONS_CSV.header());
  for (const item of result.unmatched) {
    const statement = item.side === 'statement';
    const line = statement ? lookups.statementLine(item.id) : undefined;
    const entry = statement ? undefined : lookups.ledgerEntry(item.id);
    const candidate = statement || !item.candidateId ? undefined : lookups.statementLine(item.candidateId);
    if (out.text(item.side)) d[0] = true;
    out.char(COMMA);
    if (out.text(item.id)) d[1] = true;
    out.char(COMMA);
    if (out.text(item.reason)) d[2] = true;
    out.char(COMMA);
    if (out.number(String(item.ageDays))) d[3] = true;
    out.char(COMMA);
    if (out.text(statement ? item.id : (item.candidateId ?? ''))) d[4] = true;
    out.char(COMMA);
    if (out.guarded(statement ? line?.bankReference : candidate?.bankReference, referenceText)) d[5] = true;
    out.char(COMMA);
    if (out.text(statement ? (item.candidateId ?? '') : item.id)) d[6] = true;
    out.char(COMMA);
    if (out.text((statement ? line?.accountId : entry?.accountId) ?? '')) d[7] = true;
    out.char(COMMA);
    if (out.text((statement ? line?.currency : entry?.currency) ?? '')) d[8] = true;
    out.char(COMMA);
    if (out.number((statement ? line?.amount : entry?.amount) ?? '')) d[9] = true;
    out.char(COMMA);
    if (out.guarded(item.detail, freeTextCell)) d[10] = true;
    out.char(COMMA);
    // A case group key is never a card number (caseGroupKey re-derives one that reads as a PAN): written as it is.
    if (out.text(item.group ?? '')) d[11] = true;
    out.char(NEWLINE);
    if (out.full) yield out.take();
  }
  yield out.take();
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
    // REC-IN-4/5: the lines kept out of matching, by reason, when there are any (summary.json lists each).
    ...(summary.excludedFromMatching ? { excludedFromMatching: summary.excludedFromMatching.counts } : {}),
    out,
  };
}

/** The default as-of date: the latest statement booking/value date (deterministic), else the ledger's, else today. */
export function defaultAsOf(lines: StatementRows, entries: LedgerRows, now: Date): string {
  let latest = '';
  for (let row = 0; row < lines.length; row += 1) {
    const bookingDate = lines.bookingDate(row);
    if (bookingDate && bookingDate > latest) latest = bookingDate;
    const valueDate = lines.valueDate(row);
    if (valueDate && valueDate > latest) latest = valueDate;
  }
  if (!latest)
    for (let row = 0; row < entries.length; row += 1) {
      const bookingDate = entries.bookingDate(row);
      if (bookingDate > latest) latest = bookingDate;
    }
  return latest || now.toISOString().slice(0, 10);
}
