/**
 * REC-DASH-1, pure: what the workbench's dashboards show. Each run's statistics are taken once, on
 * import, from the run's own result (runStatsOf) and kept by the workbench store beside the run's
 * cases; the dashboards read them back with the open cases' ages:
 *   - match rate over time: per run (by as-of date), statement lines in confirmed matches over the
 *     statement lines the run matched or reported;
 *   - exception ageing: OPEN and PENDING_APPROVAL cases by age bucket 0–1, 2–7, 8–30, >30 days,
 *     and by SLA bucket (overdue, due today, due soon, on track: sla.ts) from their due days;
 *   - volumes by account: statement lines, money in and money out per account and currency,
 *     summed over the imported runs as exact decimal strings (never floats);
 *   - volumes by rule: confirmed and proposed matches and their statement lines per matching rule.
 */
import { redactPans } from '../../domain/pan';
import type { Match, MatchResult, StatementLine } from '../types';
import type { StatementRows } from '../statement-rows';
import { currencyExponent, isKnownCurrency } from '../../domain/money';
import { sumAmounts } from './amounts';
import { SLA_BUCKETS, type SlaBucket, slaBucket } from './sla';

/** What the statistics read of a statement line (a workbench case's line has these and more). */
export type StatsLine = Pick<StatementLine, 'accountId' | 'currency' | 'amount'>;

/** What the statistics read of a run's lines as rows (REC-PERF-1: field by field, no object per line). */
export type StatsRows = Pick<StatementRows, 'length' | 'statementLineId' | 'accountId' | 'currency' | 'amount'>;

/** One account and currency of one run: its statement lines and their sums (exact, signed: debits ≤ 0). */
export interface AccountVolume {
  accountId: string;
  currency: string;
  lines: number;
  credits: string;
  debits: string;
}

/** One matching rule's matches in one run (or summed over runs): confirmed and proposed, and their statement lines. */
export interface RuleVolume {
  ruleId: string;
  matches: number;
  lines: number;
  proposedMatches: number;
  proposedLines: number;
}

export interface RunStats {
  runId: string;
  /** YYYY-MM-DD: the run's as-of date (the time axis). */
  asOf: string;
  /** When the run was recorded (ISO timestamp). */
  recordedAt: string;
  /** Statement lines the run matched or reported as exceptions. */
  statementLines: number;
  /** Of them, lines in confirmed matches. */
  matchedLines: number;
  /** Lines in proposed matches only. */
  proposedLines: number;
  /** Statement-side exceptions. */
  unmatchedLines: number;
  /** Ledger-side exceptions. */
  ledgerExceptions: number;
  /** By account then currency. */
  volumes: AccountVolume[];
  /**
   * By rule id: each confirmed line counted under the rule of the match that holds it, each proposed
   * line under the least rule id of its proposed matches. Absent from statistics kept before it was counted.
   */
  rules?: RuleVolume[];
}

/** One account and currency of a run being summed: a safe-integer total in the currency's minor units, and any amount it could not take exactly. */
interface VolumeSum {
  accountId: string;
  currency: string;
  scale: number;
  lines: number;
  credits: number;
  debits: number;
  /** Amounts (and flushed partial totals) summed exactly at the end: more decimals than the currency's, or too many digits. */
  creditsRest: string[];
  debitsRest: string[];
}

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_DOT = 46;
const CHAR_PLUS = 43;
const CHAR_MINUS = 45;
/** At most 15 digits: any such integer and any sum of two of them below 2^53 is exact in a double. */
const MAX_EXACT_DIGITS = 15;

/** Not a decimal (isDecimal's rule, /^[+-]?\d+(\.\d+)?$/). */
const NOT_DECIMAL = -1;
/** A decimal this fast path does not take: summed exactly from its string instead. */
const INEXACT = -2;

/**
 * The absolute value of a plain decimal string in 10^-scale units as a safe integer, without
 * allocating; NOT_DECIMAL when it is no decimal, INEXACT when it carries more decimals than
 * `scale` or too many digits to be exact as a double.
 */
function minorUnits(amount: string, scale: number): number {
  const length = amount.length;
  let at = 0;
  const first = length > 0 ? amount.charCodeAt(0) : 0;
  if (first === CHAR_PLUS || first === CHAR_MINUS) at = 1;
  let units = 0;
  let wholeDigits = 0;
  for (; at < length; at += 1) {
    const code = amount.charCodeAt(at);
    if (code < CHAR_0 || code > CHAR_9) break;
    units = units * 10 + (code - CHAR_0);
    wholeDigits += 1;
  }
  if (wholeDigits === 0) return NOT_DECIMAL;
  let fractionDigits = 0;
  if (at < length) {
    if (amount.charCodeAt(at) !== CHAR_DOT) return NOT_DECIMAL;
    for (at += 1; at < length; at += 1) {
      const code = amount.charCodeAt(at);
      if (code < CHAR_0 || code > CHAR_9) return NOT_DECIMAL;
      units = units * 10 + (code - CHAR_0);
      fractionDigits += 1;
    }
    if (fractionDigits === 0) return NOT_DECIMAL;
  }
  if (fractionDigits > scale) return INEXACT;
  if (wholeDigits + scale > MAX_EXACT_DIGITS) return INEXACT;
  for (let pad = fractionDigits; pad < scale; pad += 1) units *= 10;
  return units;
}

/** A safe-integer total of minor units as a decimal string at `scale` (sumAmounts reads it back exactly). */
function formatUnits(units: number, scale: number): string {
  const negative = units < 0;
  const digits = String(negative ? -units : units);
  if (scale === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/** What runStatsOf knows of a line the result names: reported (an exception), proposed, or proposed and then found confirmed. */
const REPORTED = 0;
const PROPOSED = 1;
const CONFIRMED = 2;

/**
 * A filter over a set of ids with no false negatives (REC-PERF-1): each id sets one bit chosen by its
 * length and its last characters (where a run's line ids differ: `<file>:<statement>:<line>`), so
 * most of a run's confirmed lines are known to be in no small set without hashing their whole id
 * into a map. `has` is true for every id given, and for some others (the map decides those).
 */
class MarkFilter {
  private readonly bits: Int32Array;
  private readonly mask: number;
  constructor(ids: Iterable<string>, count: number) {
    let size = 1024;
    // About 16 bits per id: about one other id in 16 passes.
    while (size < count * 16 && size < 1 << 26) size *= 2;
    this.bits = new Int32Array(size >>> 5);
    this.mask = size - 1;
    for (const id of ids) {
      const bit = this.bitOf(id);
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  private bitOf(id: string): number {
    let hash = id.length * 0x9e3779b1;
    for (let at = Math.max(0, id.length - 12); at < id.length; at += 1) hash = Math.imul(hash ^ id.charCodeAt(at), 0x01000193);
    hash ^= hash >>> 15;
    return (Math.imul(hash, 0x2c1b3c6d) >>> 0) & this.mask;
  }

  has(id: string): boolean {
    const bit = this.bitOf(id);
    return (this.bits[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }
}

/** The largest total kept as a double before it is flushed to the exact rest (2^53 - 10^15: one more amount stays exact). */
const FLUSH_AT = Number.MAX_SAFE_INTEGER - 10 ** MAX_EXACT_DIGITS;

/**
 * The statistics of one run from its match result and its own statement lines (PCI-3: account ids
 * masked as identifiers). Each statement line the result names counts once: as an exception if it
 * is reported, else as matched if a confirmed match holds it, else as proposed. REC-PERF-1: one pass
 * over the confirmed matches with no object or set entry per line: each account id is masked once,
 * amounts are summed exactly as integers of minor units, and only the reported and proposed lines
 * (a run's few) are kept in sets; a line is in one confirmed match at most (REC-MATCH-1 uses no
 * statement line twice). Given `allLines`, the run's rows (every line the result names among
 * them), the volumes are summed over them in order with no lookup when the result names exactly
 * that many lines: then it names each of them once. Otherwise (lines kept out of matching) each
 * line the result names is found among the rows by `rowOf` (the run's lookups: runLookups.statementRow)
 * and read field by field; an id it does not find, or every id without it, is asked of `statementLine`.
 */
export function runStatsOf(
  run: { runId: string; asOf: string; recordedAt: string },
  result: MatchResult,
  statementLine: (id: string) => StatsLine | undefined,
  allLines?: StatsRows,
  rowOf?: (id: string) => number,
): RunStats {
  const byAccount = new Map<string, Map<string, VolumeSum>>();
  const byMasked = new Map<string, VolumeSum>();
  // The last line's account, currency and volume: a statement's lines share them, so most lines need no map lookup.
  let lastAccount: string | undefined;
  let lastCurrency: string | undefined;
  let lastVolume: VolumeSum | undefined;
  const volumeOf = (lineAccount: string, currency: string): VolumeSum => {
    let byCurrency = byAccount.get(lineAccount);
    if (!byCurrency) byAccount.set(lineAccount, (byCurrency = new Map()));
    let volume = byCurrency.get(currency);
    if (!volume) {
      const accountId = redactPans(lineAccount, 'identifier');
      const key = `${accountId}\u0000${currency}`;
      volume = byMasked.get(key);
      if (!volume) {
        const scale = isKnownCurrency(currency) ? currencyExponent(currency) : 0;
        byMasked.set(key, (volume = { accountId, currency, scale, lines: 0, credits: 0, debits: 0, creditsRest: [], debitsRest: [] }));
      }
      byCurrency.set(currency, volume);
    }
    lastAccount = lineAccount;
    lastCurrency = currency;
    lastVolume = volume;
    return volume;
  };
  const add = (id: string): void => {
    if (allLines !== undefined && rowOf !== undefined) {
      const row = rowOf(id);
      if (row >= 0) return addRow(allLines, row);
    }
    const line = statementLine(id);
    if (line) addLine(line.accountId, line.currency, line.amount);
  };
  const addRow = (rows: StatsRows, row: number): void => addLine(rows.accountId(row), rows.currency(row), rows.amount(row));
  const addLine = (accountId: string, currency: string, amount: string): void => {
    let volume = accountId === lastAccount && currency === lastCurrency ? lastVolume : undefined;
    if (volume === undefined) volume = volumeOf(accountId, currency);
    volume.lines += 1;
    const units = minorUnits(amount, volume.scale);
    if (units === NOT_DECIMAL) return;
    const debit = amount.charCodeAt(0) === CHAR_MINUS;
    if (units === INEXACT) (debit ? volume.debitsRest : volume.creditsRest).push(amount);
    else if (debit) {
      volume.debits -= units;
      if (volume.debits < -FLUSH_AT) {
        volume.debitsRest.push(formatUnits(volume.debits, volume.scale));
        volume.debits = 0;
      }
    } else {
      volume.credits += units;
      if (volume.credits > FLUSH_AT) {
        volume.creditsRest.push(formatUnits(volume.credits, volume.scale));
        volume.credits = 0;
      }
    }
  };
  // An exception before a confirmed match before a proposed one: one (small) map of the reported
  // and proposed lines decides, one lookup per confirmed line; confirmed lines are counted as the
  // matches name them.
  const marks = new Map<string, number>();
  let ledgerExceptions = 0;
  for (const item of result.unmatched) {
    if (item.side !== 'statement') ledgerExceptions += 1;
    else marks.set(item.id, REPORTED);
  }
  const unmatchedLines = marks.size;
  const proposedMatches: Match[] = [];
  for (const match of result.matches) if (match.status !== 'confirmed') proposedMatches.push(match);
  let proposedLines = 0;
  for (const match of proposedMatches) {
    for (const id of match.statementLineIds) {
      if (marks.has(id)) continue;
      marks.set(id, PROPOSED);
      proposedLines += 1;
    }
  }
  const byRule = new Map<string, RuleVolume>();
  let lastRule: RuleVolume | undefined;
  const ruleOf = (ruleId: string): RuleVolume => {
    // Matches come grouped by rule: the last one found is most often the one wanted.
    if (lastRule !== undefined && lastRule.ruleId === ruleId) return lastRule;
    let rule = byRule.get(ruleId);
    if (!rule) byRule.set(ruleId, (rule = { ruleId, matches: 0, lines: 0, proposedMatches: 0, proposedLines: 0 }));
    return (lastRule = rule);
  };
  // Which ids may be marked: a confirmed line's id whose bit is clear is neither reported nor proposed (no map lookup).
  const maybeMarked = new MarkFilter(marks.keys(), marks.size);
  /** The confirmed lines as the matches name them (each once per match), not reported; a proposed line found there is confirmed instead. */
  const confirmedLines = (each?: (id: string) => void): number => {
    let counted = 0;
    const marked = marks.size > 0;
    for (const match of result.matches) {
      if (match.status !== 'confirmed') continue;
      const ids = match.statementLineIds;
      const before = counted;
      for (let at = 0; at < ids.length; at += 1) {
        const id = ids[at]!;
        if (marked && maybeMarked.has(id)) {
          const mark = marks.get(id);
          if (mark === REPORTED) continue;
          if (mark === PROPOSED) {
            marks.set(id, CONFIRMED);
            proposedLines -= 1;
          }
        }
        if (at > 0 && ids.lastIndexOf(id, at - 1) >= 0) continue;
        counted += 1;
        each?.(id);
      }
      if (each === undefined) {
        const rule = ruleOf(match.ruleId);
        rule.matches += 1;
        rule.lines += counted - before;
      }
    }
    return counted;
  };
  const matchedLines = confirmedLines();
  // A proposed line counts under the least rule id of its proposed matches (whatever their order).
  const proposedRule = new Map<string, string>();
  for (const match of proposedMatches) {
    ruleOf(match.ruleId).proposedMatches += 1;
    for (const id of match.statementLineIds) {
      if (marks.get(id) !== PROPOSED) continue;
      const known = proposedRule.get(id);
      if (known === undefined || match.ruleId < known) proposedRule.set(id, match.ruleId);
    }
  }
  for (const ruleId of proposedRule.values()) ruleOf(ruleId).proposedLines += 1;
  if (allLines !== undefined && allLines.length === matchedLines + proposedLines + unmatchedLines) {
    // The result names every one of the run's lines once (the matcher accounts for each bookable line
    // once, and no more lines exist): its volumes are its lines', read in order, with no lookup.
    for (let row = 0; row < allLines.length; row += 1) addRow(allLines, row);
  } else {
    for (const [id, mark] of marks) if (mark === REPORTED) add(id);
    confirmedLines(add);
    for (const [id, mark] of marks) if (mark === PROPOSED) add(id);
  }
  return {
    runId: run.runId,
    asOf: run.asOf,
    recordedAt: run.recordedAt,
    statementLines: matchedLines + proposedLines + unmatchedLines,
    matchedLines,
    proposedLines,
    unmatchedLines,
    ledgerExceptions,
    volumes: [...byMasked.values()]
      .map((volume) => ({
        accountId: volume.accountId,
        currency: volume.currency,
        lines: volume.lines,
        credits: sumAmounts([formatUnits(volume.credits, volume.scale), ...volume.creditsRest], volume.currency),
        debits: sumAmounts([formatUnits(volume.debits, volume.scale), ...volume.debitsRest], volume.currency),
      }))
      .sort(volumeOrder),
    rules: [...byRule.values()].sort(ruleOrder),
  };
}

function ruleOrder(a: { ruleId: string }, b: { ruleId: string }): number {
  return a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0;
}

function volumeOrder(a: { accountId: string; currency: string }, b: { accountId: string; currency: string }): number {
  if (a.accountId !== b.accountId) return a.accountId < b.accountId ? -1 : 1;
  return a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0;
}

/** Runs in time order: as-of date, then when recorded, then run id. */
export function runOrder(a: RunStats, b: RunStats): number {
  if (a.asOf !== b.asOf) return a.asOf < b.asOf ? -1 : 1;
  if (a.recordedAt !== b.recordedAt) return a.recordedAt < b.recordedAt ? -1 : 1;
  return a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0;
}

/**
 * A share as a percentage with one decimal, exact and rounded half up ("92.3"); "–" when there is
 * nothing to divide. Integer arithmetic only.
 */
export function percent(part: number, whole: number): string {
  if (whole <= 0) return '–';
  const tenths = (BigInt(part) * 2000n + BigInt(whole)) / (2n * BigInt(whole));
  return `${tenths / 10n}.${tenths % 10n}`;
}

export const AGE_BUCKETS = ['0–1', '2–7', '8–30', '>30'] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];

/** The bucket of an age in days (an age below 0, a line dated after the as-of date, counts as 0–1). */
export function ageBucket(ageDays: number): AgeBucket {
  if (ageDays <= 1) return '0–1';
  if (ageDays <= 7) return '2–7';
  if (ageDays <= 30) return '8–30';
  return '>30';
}

/** Open cases by age bucket, from the store's counts of open cases per age. */
export function ageing(openCaseAges: readonly { ageDays: number; cases: number }[]): Record<AgeBucket, number> {
  const buckets = Object.fromEntries(AGE_BUCKETS.map((bucket) => [bucket, 0])) as Record<AgeBucket, number>;
  for (const { ageDays, cases } of openCaseAges) buckets[ageBucket(ageDays)] += cases;
  return buckets;
}

/** Volumes by account and currency over the given runs (exact sums). */
export function volumesByAccount(runs: readonly RunStats[]): AccountVolume[] {
  const byKey = new Map<string, { accountId: string; currency: string; lines: number; credits: string[]; debits: string[] }>();
  for (const run of runs) {
    for (const volume of run.volumes) {
      const key = `${volume.accountId}\u0000${volume.currency}`;
      let total = byKey.get(key);
      if (!total) byKey.set(key, (total = { accountId: volume.accountId, currency: volume.currency, lines: 0, credits: [], debits: [] }));
      total.lines += volume.lines;
      total.credits.push(volume.credits);
      total.debits.push(volume.debits);
    }
  }
  return [...byKey.values()]
    .map((total) => ({
      accountId: total.accountId,
      currency: total.currency,
      lines: total.lines,
      credits: sumAmounts(total.credits, total.currency),
      debits: sumAmounts(total.debits, total.currency),
    }))
    .sort(volumeOrder);
}

/** Matches and their statement lines by rule over the given runs (runs kept before rules were counted add nothing). */
export function volumesByRule(runs: readonly RunStats[]): RuleVolume[] {
  const byRule = new Map<string, RuleVolume>();
  for (const run of runs) {
    for (const rule of run.rules ?? []) {
      let total = byRule.get(rule.ruleId);
      if (!total) byRule.set(rule.ruleId, (total = { ruleId: rule.ruleId, matches: 0, lines: 0, proposedMatches: 0, proposedLines: 0 }));
      total.matches += rule.matches;
      total.lines += rule.lines;
      total.proposedMatches += rule.proposedMatches;
      total.proposedLines += rule.proposedLines;
    }
  }
  return [...byRule.values()].sort(ruleOrder);
}

/** How many open cases (OPEN or PENDING_APPROVAL) are due on this day (YYYY-MM-DD; '' when the store has none for them). */
export interface OpenCaseDue {
  dueDay: string;
  cases: number;
}

/** Open cases by SLA bucket (sla.ts's slaBucket, one definition) at `now`, and those with no due date. */
export type SlaAgeing = Record<SlaBucket, number> & { 'no due date': number };

export function slaAgeing(openCaseDues: readonly OpenCaseDue[], now: Date, soonDays?: number): SlaAgeing {
  const buckets = Object.fromEntries([...SLA_BUCKETS, 'no due date'].map((bucket) => [bucket, 0])) as SlaAgeing;
  for (const { dueDay, cases } of openCaseDues) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(dueDay)) buckets['no due date'] += cases;
    else buckets[slaBucket(dueDay, now, soonDays)] += cases;
  }
  return buckets;
}

export interface DashboardData {
  /** Time order (runOrder). */
  runs: RunStats[];
  ageing: Record<AgeBucket, number>;
  /** Open cases by SLA bucket, when the store keeps due dates. */
  sla?: SlaAgeing;
  volumes: AccountVolume[];
  /** By rule id, over the runs that counted them. */
  rules: RuleVolume[];
}

export function dashboardData(
  runs: readonly RunStats[],
  openCaseAges: readonly { ageDays: number; cases: number }[],
  due?: { openCaseDues: readonly OpenCaseDue[]; now: Date; soonDays?: number },
): DashboardData {
  const ordered = [...runs].sort(runOrder);
  return {
    runs: ordered,
    ageing: ageing(openCaseAges),
    ...(due ? { sla: slaAgeing(due.openCaseDues, due.now, due.soonDays) } : {}),
    volumes: volumesByAccount(ordered),
    rules: volumesByRule(ordered),
  };
}
