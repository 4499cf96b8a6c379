/**
 * Candidates for a case, pure (no storage, no files): the open rows of the other side that could
 * match the case's row, and the groups of them whose sum equals it (REC-MATCH-1's batches: a
 * booking and its items, several lines and their one entry), ranked, each with per-field reasons:
 *   - reference: equal, equal once normalised (case and spaces, as the matcher compares), one is
 *     the other's batch reference (the rule set's itemReferencePattern), or both in one case group
 *     (REC-CASE-1: the run linked them by reference);
 *   - amount: equal, within the rule set's tolerance (by how much, of how much allowed), or differs;
 *   - date: the distance in days;
 *   - group: the sum of the items equals the line (or differs by how much).
 * The matcher's own definitions are used (normaliseReference, the compiled rule set's ignored
 * references, item pattern and tolerance, allowedDifference); amounts are exact: decimal strings
 * to bigint minor units, never floats. A reason claims equality only when it holds exactly.
 *
 * The rows come through a port (CandidateSource in ports.ts): the store keeps the open rows
 * indexed by account, currency, side, amount and reference, so a lookup never scans.
 */
import { compileRuleSet, type CompiledRuleSet, type CompiledTolerance, defaultRuleSet } from '../matching/rules';
import { dayNumber, normaliseReference } from '../matching/rows';
import { currencyExponent, fromMinorUnits, isKnownCurrency } from '../../domain/money';
import { type Actor, applyCaseAction, type CaseAction, type CaseEvent, type ExceptionCase, type Resolution, WorkbenchError } from './cases';
import { dayText } from './sla';

/** One unmatched row of an open case, as the candidate search sees it (masked like the case, PCI-3). */
export interface OpenRow {
  side: 'statement' | 'ledger';
  id: string;
  /** The case the row belongs to (a lone exception's or a grouped case's). */
  caseId: string;
  accountId: string;
  currency: string;
  /** Signed exact decimal string. */
  amount: string;
  /** YYYY-MM-DD: the row's date (the run's as-of date minus its age), when known. */
  day?: string;
  /** The row's own references, as known (raw; normalised when compared). */
  references: string[];
  /** REC-CASE-1: the case group the run put the row in. */
  group?: string;
}

/** What to ask the store for: rows of the other side near the subject. */
export interface CandidateQuery {
  accountId: string;
  currency: string;
  /** The side candidates come from. */
  side: 'statement' | 'ledger';
  /** Normalised references and batch keys: rows carrying any of them. */
  references: string[];
  /** Exact minor units of the subject's amount: the nearest rows by amount around it. */
  amountMinor: bigint;
  /** The subject's own case: its rows of the other side (a grouped case's items). */
  caseId: string;
  /** Rows per criterion (references, amounts above, amounts below). */
  limit: number;
}

export type ReferenceVerdict = 'equal' | 'equal-normalised' | 'batch-item' | 'same-group' | 'none';
export type Reason =
  | { field: 'reference'; verdict: ReferenceVerdict; text: string }
  | { field: 'amount'; verdict: 'equal' | 'within-tolerance' | 'differs'; difference: string; allowed?: string; text: string }
  | { field: 'date'; days: number | null; text: string }
  | { field: 'group'; verdict: 'sum-equal' | 'sum-differs'; sum: string; difference: string; items: number; of: number; text: string };

export interface Candidate {
  /** `<side>:<id>+<id>…` (ids sorted): what the match action names. */
  key: string;
  kind: 'single' | 'group';
  side: 'statement' | 'ledger';
  rows: OpenRow[];
  /** The cases the rows belong to (the subject's own case included when its items are among them). */
  caseIds: string[];
  /** Exact sum of the rows' amounts. */
  total: string;
  score: number;
  reasons: Reason[];
}

export interface CaseCandidates {
  /** The row the candidates are for (the case's line, or its one entry). */
  subject: OpenRow;
  candidates: Candidate[];
}

export interface CandidateOptions {
  /** The matcher's compiled rule set (default: config/recon/default.rules.json). */
  rules?: CompiledRuleSet;
  /** Rows per lookup criterion; default 20. */
  lookupLimit?: number;
  /** Candidates shown; default 9 (one digit key each). */
  maxCandidates?: number;
  /** Items searched for an exact-sum subset; default 16. */
  maxSubsetItems?: number;
}

let defaultRules: CompiledRuleSet | undefined;
function rulesOf(options: CandidateOptions): CompiledRuleSet {
  if (options.rules) return options.rules;
  defaultRules ??= compileRuleSet(defaultRuleSet());
  return defaultRules;
}

// ---------------------------------------------------------------------------
// Rows of a case

function dayOf(asOf: string | undefined, ageDays: number): string | undefined {
  if (!asOf) return undefined;
  const day = dayNumber(asOf);
  return Number.isFinite(day) ? dayText(day - ageDays) : undefined;
}

/** The open rows a case stands for: a lone exception's row, or a grouped case's members; none for a proposed match. */
export function openRowsOf(c: ExceptionCase): OpenRow[] {
  if (c.kind !== 'exception') return [];
  const row = (side: 'statement' | 'ledger', id: string, amount: string, ageDays: number, bankReference: string | undefined, currency: string, accountId: string): OpenRow => {
    const day = dayOf(c.asOf, ageDays);
    return {
      side,
      id,
      caseId: c.caseId,
      accountId,
      currency,
      amount,
      ...(day ? { day } : {}),
      // A ledger row's bank reference is its candidate line's, not its own: only a line's is its own.
      references: side === 'statement' && bankReference ? [bankReference] : [],
      ...(c.group ? { group: c.group } : {}),
    };
  };
  if (c.members?.length) return c.members.map((m) => row(m.side, m.id, m.amount, m.ageDays, m.bankReference, m.currency, m.accountId));
  const match = /^exception:(statement|ledger):(.+)$/.exec(c.caseId);
  if (!match) return [];
  return [row(match[1] as 'statement' | 'ledger', match[2]!, c.amount, c.ageDays, c.bankReference, c.currency, c.accountId)];
}

/** The row candidates are sought for: the case's one statement line, else its one ledger entry, else its first line; none for a proposed match. */
export function subjectOf(c: ExceptionCase): OpenRow | undefined {
  const rows = openRowsOf(c).filter((row) => minorOf(row.amount, row.currency) !== undefined);
  const lines = rows.filter((row) => row.side === 'statement');
  const entries = rows.filter((row) => row.side === 'ledger');
  if (lines.length === 1) return lines[0];
  if (entries.length === 1) return entries[0];
  return lines[0] ?? entries[0];
}

// ---------------------------------------------------------------------------
// Exact amounts

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

function scaleOf(currency: string): number {
  return isKnownCurrency(currency) ? currencyExponent(currency) : 0;
}

/** Exact minor units of a decimal string in `currency`, or undefined when it is not one (or has more decimals than the currency). */
export function minorOf(amount: string, currency: string): bigint | undefined {
  const match = DECIMAL.exec(amount);
  if (!match) return undefined;
  const scale = scaleOf(currency);
  const fraction = match[3] ?? '';
  if (fraction.length > scale) return undefined;
  const units = BigInt(match[2]! + fraction.padEnd(scale, '0'));
  return match[1] === '-' ? -units : units;
}

function text(minor: bigint, currency: string): string {
  return isKnownCurrency(currency) ? fromMinorUnits(minor, currency) : minor.toString();
}

const abs = (value: bigint): bigint => (value < 0n ? -value : value);

/** The rule set's amount tolerance: its first tolerance rule's, else its first exact-reference rule with one. */
function toleranceOf(rules: CompiledRuleSet): CompiledTolerance | null {
  for (const rule of rules.rules) if (rule.kind === 'tolerance') return rule.tolerance;
  for (const rule of rules.rules) if (rule.kind === 'exactReference' && rule.tolerance) return rule.tolerance;
  return null;
}

/**
 * The allowed difference (minor units) when `diff` (> 0) is within the tolerance, else undefined:
 * the matcher's allowedDifference, in bigint so that amounts beyond 2^53 minor units stay exact.
 */
export function withinTolerance(tolerance: CompiledTolerance | null, currency: string, a: bigint, b: bigint, diff: bigint): bigint | undefined {
  if (!tolerance || diff === 0n) return undefined;
  const absolute = BigInt(tolerance.absoluteFor(currency));
  const percent = tolerance.percent;
  if (!percent) return diff <= absolute ? absolute : undefined;
  const larger = abs(a) > abs(b) ? abs(a) : abs(b);
  const relative = (larger * BigInt(percent.num)) / BigInt(percent.den);
  if (diff > absolute && diff * BigInt(percent.den) > larger * BigInt(percent.num)) return undefined;
  return relative > absolute ? relative : absolute;
}

function amountReason(subject: bigint, other: bigint, currency: string, tolerance: CompiledTolerance | null): Extract<Reason, { field: 'amount' }> {
  const diff = other - subject;
  const difference = text(diff, currency);
  if (diff === 0n) return { field: 'amount', verdict: 'equal', difference, text: `amount equal (${text(other, currency)} ${currency})` };
  const allowed = withinTolerance(tolerance, currency, subject, other, abs(diff));
  if (allowed !== undefined) {
    return {
      field: 'amount',
      verdict: 'within-tolerance',
      difference,
      allowed: text(allowed, currency),
      text: `amount within tolerance: differs by ${text(abs(diff), currency)} ${currency} (allowed ${text(allowed, currency)})`,
    };
  }
  return { field: 'amount', verdict: 'differs', difference, text: `amount differs by ${text(abs(diff), currency)} ${currency}` };
}

// ---------------------------------------------------------------------------
// References and dates

interface RefView {
  raw: string[];
  normal: string[];
  batchKeys: string[];
}

function refsOf(row: OpenRow, rules: CompiledRuleSet): RefView {
  const normal: string[] = [];
  const batchKeys: string[] = [];
  for (const reference of row.references) {
    const n = normaliseReference(reference, rules.ignoreReferences);
    if (n === undefined) continue;
    normal.push(n);
    const key = rules.itemPattern?.exec(n)?.[1];
    if (key) batchKeys.push(key);
  }
  return { raw: row.references, normal, batchKeys };
}

function referenceReason(subject: OpenRow, a: RefView, other: OpenRow, b: RefView, ignored: ReadonlySet<string>): Extract<Reason, { field: 'reference' }> {
  for (const x of a.raw) if (b.raw.includes(x) && normaliseReference(x, ignored) !== undefined) return { field: 'reference', verdict: 'equal', text: `reference equal (${x})` };
  for (let i = 0; i < a.normal.length; i += 1) {
    if (b.normal.includes(a.normal[i]!)) return { field: 'reference', verdict: 'equal-normalised', text: `reference similar: equal ignoring case and spaces (${a.normal[i]})` };
  }
  for (const key of b.batchKeys) if (a.normal.includes(key)) return { field: 'reference', verdict: 'batch-item', text: `reference similar: ${other.side} reference is an item of batch ${key}` };
  for (const key of a.batchKeys) if (b.normal.includes(key)) return { field: 'reference', verdict: 'batch-item', text: `reference similar: ${subject.side} reference is an item of batch ${key}` };
  if (subject.group && subject.group === other.group) return { field: 'reference', verdict: 'same-group', text: `reference linked: the run put both in case group ${subject.group}` };
  return { field: 'reference', verdict: 'none', text: 'no reference in common' };
}

function daysBetween(a: OpenRow, b: OpenRow): number | null {
  if (!a.day || !b.day) return null;
  const d = Math.abs(dayNumber(a.day) - dayNumber(b.day));
  return Number.isFinite(d) ? d : null;
}

function dateReason(days: number | null): Extract<Reason, { field: 'date' }> {
  if (days === null) return { field: 'date', days: null, text: 'date distance unknown' };
  return { field: 'date', days, text: days === 0 ? 'same date' : `dates ${days} day${days === 1 ? '' : 's'} apart` };
}

// ---------------------------------------------------------------------------
// Ranking

const REFERENCE_POINTS: Record<ReferenceVerdict, number> = { equal: 300, 'equal-normalised': 290, 'batch-item': 220, 'same-group': 200, none: 0 };
const AMOUNT_POINTS = { equal: 300, 'within-tolerance': 200, differs: 0 } as const;
const GROUP_SUM_EQUAL = 1000;
const VERDICT_LABELS: Record<ReferenceVerdict, string> = {
  equal: 'equal',
  'equal-normalised': 'equal ignoring case and spaces',
  'batch-item': 'batch items',
  'same-group': 'same case group',
  none: 'none',
};

function datePenalty(days: number | null): number {
  return days === null ? 40 : Math.min(days, 60) * 2;
}

function keyOf(side: string, rows: readonly OpenRow[]): string {
  return `${side}:${rows
    .map((row) => row.id)
    .sort()
    .join('+')}`;
}

function candidateOf(kind: 'single' | 'group', rows: OpenRow[], total: bigint, currency: string, score: number, reasons: Reason[]): Candidate {
  return { key: keyOf(rows[0]!.side, rows), kind, side: rows[0]!.side, rows, caseIds: [...new Set(rows.map((row) => row.caseId))].sort(), total: text(total, currency), score, reasons };
}

/** Subsets (at least two items) of `amounts` summing to `target`: the largest, then the first in index order; undefined for none. */
function exactSubset(amounts: readonly bigint[], target: bigint): number[] | undefined {
  const n = amounts.length;
  let best: number[] | undefined;
  for (let mask = 1; mask < 1 << n; mask += 1) {
    let sum = 0n;
    let size = 0;
    for (let bit = 0; bit < n; bit += 1) {
      if (mask & (1 << bit)) {
        sum += amounts[bit]!;
        size += 1;
      }
    }
    if (size < 2 || sum !== target) continue;
    if (!best || size > best.length) {
      best = [];
      for (let bit = 0; bit < n; bit += 1) if (mask & (1 << bit)) best.push(bit);
    }
  }
  return best;
}

/**
 * Pure: ranks the rows of the other side (whatever the store's lookup returned; the subject's own
 * row and duplicates are ignored) as candidates for `subject`: groups whose sum equals it first,
 * then single rows by reference, amount and date. Deterministic: ties by key.
 */
export function rankCandidates(subject: OpenRow, rows: readonly OpenRow[], options: CandidateOptions = {}): Candidate[] {
  const rules = rulesOf(options);
  const tolerance = toleranceOf(rules);
  const currency = subject.currency;
  const target = minorOf(subject.amount, currency);
  if (target === undefined) return [];
  const otherSide = subject.side === 'statement' ? 'ledger' : 'statement';
  const seen = new Set<string>();
  const others: { row: OpenRow; minor: bigint; refs: RefView }[] = [];
  for (const row of [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (row.side !== otherSide || row.currency !== currency || row.accountId !== subject.accountId || seen.has(row.id)) continue;
    const minor = minorOf(row.amount, currency);
    if (minor === undefined) continue;
    seen.add(row.id);
    others.push({ row, minor, refs: refsOf(row, rules) });
  }
  const own = refsOf(subject, rules);
  const candidates: Candidate[] = [];

  // Single rows.
  const singles = others.map(({ row, minor, refs }) => {
    const reference = referenceReason(subject, own, row, refs, rules.ignoreReferences);
    const amount = amountReason(target, minor, currency, tolerance);
    const days = daysBetween(subject, row);
    return {
      row,
      minor,
      reference,
      candidate: candidateOf('single', [row], minor, currency, REFERENCE_POINTS[reference.verdict] + AMOUNT_POINTS[amount.verdict] - datePenalty(days), [reference, amount, dateReason(days)]),
    };
  });
  candidates.push(...singles.map((single) => single.candidate));

  // Groups: the rows tied to the subject by reference (equal, batch item, same case group), whose sum may equal it.
  const pool = singles.filter((single) => single.reference.verdict !== 'none');
  if (pool.length >= 2) {
    const maxSubset = options.maxSubsetItems ?? 16;
    const all = pool.reduce((sum, single) => sum + single.minor, 0n);
    const groupReasons = (items: typeof pool, sum: bigint): Reason[] => {
      const diff = sum - target;
      const verdicts = [...new Set(items.map((item) => item.reference.verdict))];
      const maxDays = items.reduce<number | null>((max, item) => {
        const d = daysBetween(subject, item.row);
        return d === null ? max : Math.max(max ?? 0, d);
      }, null);
      return [
        diff === 0n
          ? {
              field: 'group',
              verdict: 'sum-equal',
              sum: text(sum, currency),
              difference: text(0n, currency),
              items: items.length,
              of: pool.length,
              text: `group sum equal: ${items.length} items sum to ${text(sum, currency)} ${currency}`,
            }
          : {
              field: 'group',
              verdict: 'sum-differs',
              sum: text(sum, currency),
              difference: text(diff, currency),
              items: items.length,
              of: pool.length,
              text: `group sum differs by ${text(abs(diff), currency)} ${currency}: ${items.length} items sum to ${text(sum, currency)}`,
            },
        {
          field: 'reference',
          verdict: verdicts.length === 1 ? verdicts[0]! : 'same-group',
          text:
            verdicts.length === 1 && verdicts[0] === 'same-group'
              ? `reference linked: the run put all of them in case group ${subject.group}`
              : `every item tied by reference (${verdicts.map((verdict) => VERDICT_LABELS[verdict]).join(', ')})`,
        },
        dateReason(maxDays),
      ];
    };
    const maxDaysOf = (items: typeof pool) => items.reduce((max, item) => Math.max(max, datePenalty(daysBetween(subject, item.row))), 0);
    if (all === target) {
      candidates.push(
        candidateOf(
          'group',
          pool.map((item) => item.row),
          all,
          currency,
          GROUP_SUM_EQUAL + 50 - maxDaysOf(pool),
          groupReasons(pool, all),
        ),
      );
    } else {
      if (pool.length <= maxSubset) {
        const subset = exactSubset(
          pool.map((item) => item.minor),
          target,
        );
        if (subset) {
          const items = subset.map((i) => pool[i]!);
          candidates.push(
            candidateOf(
              'group',
              items.map((item) => item.row),
              target,
              currency,
              GROUP_SUM_EQUAL - maxDaysOf(items),
              groupReasons(items, target),
            ),
          );
        }
      }
      candidates.push(
        candidateOf(
          'group',
          pool.map((item) => item.row),
          all,
          currency,
          100 - maxDaysOf(pool),
          groupReasons(pool, all),
        ),
      );
    }
  }
  candidates.sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return candidates.slice(0, options.maxCandidates ?? 9);
}

/** What to look up for a subject (its references and batch keys, its amount, its case). */
export function candidateQuery(subject: OpenRow, options: CandidateOptions = {}): CandidateQuery {
  const refs = refsOf(subject, rulesOf(options));
  return {
    accountId: subject.accountId,
    currency: subject.currency,
    side: subject.side === 'statement' ? 'ledger' : 'statement',
    references: [...new Set([...refs.normal, ...refs.batchKeys])],
    amountMinor: minorOf(subject.amount, subject.currency) ?? 0n,
    caseId: subject.caseId,
    limit: options.lookupLimit ?? 20,
  };
}

/** The key a normalised reference is indexed under (the store indexes a row's references and batch keys with it). */
export function referenceKeys(row: OpenRow, options: CandidateOptions = {}): string[] {
  const refs = refsOf(row, rulesOf(options));
  return [...new Set([...refs.normal, ...refs.batchKeys])];
}

// ---------------------------------------------------------------------------
// Matching a candidate: one action for the line and all its items

/** The candidate a request names, recomputed from the rows the store holds now; refused when it is no longer offered. */
export function chosenCandidate(caseId: string, offered: readonly Candidate[], key: unknown): Candidate {
  if (typeof key !== 'string' || key === '') throw new WorkbenchError('INVALID', 'field "candidate" is required: the key of the candidate to match');
  const found = offered.find((candidate) => candidate.key === key);
  if (!found) throw new WorkbenchError('CONFLICT', `candidate ${key} is no longer offered for case ${caseId} (its rows were matched or changed); reload the case and pick again`);
  return found;
}

/**
 * Pure: the writes that match `subject` with `candidate` as one action: the subject's case and
 * every other case the candidate's rows belong to are resolved MATCHED_MANUALLY (each through
 * applyCaseAction: role, status and version checks, one history event each), the subject's case
 * at the version the person saw, the others at the versions just read. Another grouped case is
 * only matched whole: a candidate holding part of it is refused.
 */
export function matchCandidateWrites(input: {
  subjectCase: ExceptionCase;
  subject: OpenRow;
  candidate: Candidate;
  /** The other cases the candidate's rows belong to, as stored now. */
  cases: ReadonlyMap<string, ExceptionCase>;
  actor: Actor;
  at: string;
  expectedVersion: number;
  note?: string;
}): { next: ExceptionCase; event: CaseEvent }[] {
  const { subjectCase, subject, candidate, actor, at } = input;
  const matchedIds = new Set(candidate.rows.map((row) => row.id));
  const ledgerIds = candidate.side === 'ledger' ? candidate.rows.map((row) => row.id) : [subject.id];
  const reasons = candidate.reasons.map((reason) => reason.text).join('; ');
  const left = openRowsOf(subjectCase).filter((row) => row.side === candidate.side && !matchedIds.has(row.id));
  const note =
    input.note ??
    `matched ${subject.side} ${subject.id} with ${candidate.rows.length === 1 ? `${candidate.side} ${candidate.rows[0]!.id}` : `${candidate.rows.length} ${candidate.side} items`} (${reasons})${
      left.length ? `; not in this match: ${left.map((row) => row.id).join(', ')}` : ''
    }`;
  // Every case this one action resolves: each records the group, so an undo of any of them takes them all back.
  const matchedCases = [...new Set([subjectCase.caseId, ...candidate.caseIds])].sort();
  const writes = [applyCaseAction(subjectCase, { type: 'resolve', resolution: 'MATCHED_MANUALLY', note, ledgerEntryIds: ledgerIds, matchedCases }, actor, at, input.expectedVersion)];
  for (const caseId of candidate.caseIds) {
    if (caseId === subjectCase.caseId) continue;
    const other = input.cases.get(caseId);
    if (!other) throw new WorkbenchError('CONFLICT', `case ${caseId} of candidate ${candidate.key} no longer exists; reload the case and pick again`);
    const rest = openRowsOf(other).filter((row) => !(row.side === candidate.side && matchedIds.has(row.id)));
    if (rest.length) {
      throw new WorkbenchError(
        'CONFLICT',
        `case ${caseId} also holds ${rest.map((row) => `${row.side} ${row.id}`).join(', ')}, which this match leaves out; a case is matched whole: open ${caseId} to work it`,
      );
    }
    const ids = candidate.side === 'ledger' ? candidate.rows.filter((row) => row.caseId === caseId).map((row) => row.id) : [subject.id];
    writes.push(
      applyCaseAction(
        other,
        { type: 'resolve', resolution: 'MATCHED_MANUALLY', note: `matched with case ${subjectCase.caseId} (${candidate.key})`, ledgerEntryIds: ids, matchedCases },
        actor,
        at,
        other.version,
      ),
    );
  }
  return writes;
}

// ---------------------------------------------------------------------------
// Undoing a match that resolved several cases: all of them or none

/** The other cases one match resolved together with `c` (its resolution's group, WB-1); none when it was resolved alone. */
export function matchPartners(c: ExceptionCase): string[] {
  return (c.resolution?.matchedCases ?? []).filter((id) => id !== c.caseId);
}

/** Whether `partner` still holds the resolution of the same match as `subject` (nothing has moved it on since). */
function sameMatch(subject: Resolution, subjectId: string, partner: ExceptionCase): boolean {
  const r = partner.resolution;
  return partner.status === 'RESOLVED' && r !== undefined && r.kind === subject.kind && r.at === subject.at && r.by === subject.by && (r.matchedCases ?? []).includes(subjectId);
}

/** Why a partner of the match can no longer be undone with it: its status now, and what moved it. */
function movedOn(partner: ExceptionCase): string {
  if (partner.status === 'RESOLVED' || partner.status === 'WRITTEN_OFF') {
    const r = partner.resolution;
    return `it is ${partner.status} by another action since${r ? ` (${r.kind} by ${r.by} at ${r.at})` : ''}`;
  }
  const undone = partner.undone ? ` (its resolution was taken back by ${partner.undone.undoneBy} at ${partner.undone.undoneAt})` : '';
  return `it is ${partner.status} now${undone}`;
}

/**
 * Pure: the writes that undo a match which resolved several cases (the subject's resolution names
 * them, WB-1 / REC-MATCH-1), as one action: every case of the match OPEN again, each through
 * applyCaseAction (role, status, closed period, version: the subject at the version the person saw,
 * the others at the versions just read), each event naming the undo and the cases undone with it.
 * Refused whole, naming the case and why, when a case of the match no longer exists or has moved on
 * since (reopened, resolved or written off by another action): undoing the rest would leave it
 * resolved against rows that are candidates again.
 */
export function undoMatchWrites(input: {
  subjectCase: ExceptionCase;
  /** The other cases of the match (matchPartners), as stored now; undefined for one that no longer exists. */
  partners: ReadonlyMap<string, ExceptionCase | undefined>;
  action: Extract<CaseAction, { type: 'undo' }>;
  actor: Actor;
  at: string;
  expectedVersion: number;
}): { next: ExceptionCase; event: CaseEvent }[] {
  const { subjectCase, action, actor, at } = input;
  const ids = matchPartners(subjectCase);
  // The subject first: a refusal of its own (role, nothing to undo, closed period, stale form) names it.
  const writes = [applyCaseAction(subjectCase, { ...action, undoneWith: ids }, actor, at, input.expectedVersion)];
  const resolution = subjectCase.resolution!;
  for (const id of ids) {
    const partner = input.partners.get(id);
    const refusal = (why: string) =>
      new WorkbenchError(
        'CONFLICT',
        `case ${subjectCase.caseId} was matched together with case ${id} in one action (${resolution.kind} by ${resolution.by} at ${resolution.at}), so they are undone together; but case ${id} ${why}. Nothing was undone: work case ${id} first, or reopen case ${subjectCase.caseId} on its own`,
      );
    if (!partner) throw refusal('no longer exists');
    if (!sameMatch(resolution, subjectCase.caseId, partner)) throw refusal(`has moved on: ${movedOn(partner)}`);
    writes.push(applyCaseAction(partner, { ...action, undoneWith: [subjectCase.caseId, ...ids.filter((other) => other !== id)] }, actor, at, partner.version));
  }
  return writes;
}
