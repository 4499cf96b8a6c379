/**
 * REC-DASH-1, pure: what the workbench's dashboards show. Each run's statistics are taken once, on
 * import, from the run's own result (runStatsOf) and kept by the workbench store beside the run's
 * cases; the dashboards read them back with the open cases' ages:
 *   - match rate over time: per run (by as-of date), statement lines in confirmed matches over the
 *     statement lines the run matched or reported;
 *   - exception ageing: OPEN and PENDING_APPROVAL cases by age bucket 0–1, 2–7, 8–30, >30 days;
 *   - volumes by account: statement lines, money in and money out per account and currency,
 *     summed over the imported runs as exact decimal strings (never floats).
 */
import { redactPans } from '../../domain/pan';
import type { MatchResult } from '../types';
import { isDecimal, sumAmounts } from './amounts';
import type { CaseStatementLine } from './cases';

/** One account and currency of one run: its statement lines and their sums (exact, signed: debits ≤ 0). */
export interface AccountVolume {
  accountId: string;
  currency: string;
  lines: number;
  credits: string;
  debits: string;
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
}

/** The statistics of one run from its match result and its own statement lines (PCI-3: account ids masked as identifiers). */
export function runStatsOf(run: { runId: string; asOf: string; recordedAt: string }, result: MatchResult, statementLine: (id: string) => CaseStatementLine | undefined): RunStats {
  const confirmed = new Set<string>();
  const proposed = new Set<string>();
  for (const match of result.matches) for (const id of match.statementLineIds) (match.status === 'confirmed' ? confirmed : proposed).add(id);
  for (const id of confirmed) proposed.delete(id);
  const unmatched = new Set<string>();
  let ledgerExceptions = 0;
  for (const item of result.unmatched) {
    if (item.side === 'statement') unmatched.add(item.id);
    else ledgerExceptions += 1;
  }
  for (const id of unmatched) {
    confirmed.delete(id);
    proposed.delete(id);
  }
  const byKey = new Map<string, { accountId: string; currency: string; lines: number; credits: string[]; debits: string[] }>();
  for (const id of [...confirmed, ...proposed, ...unmatched]) {
    const line = statementLine(id);
    if (!line) continue;
    const accountId = redactPans(line.accountId, 'identifier');
    const key = `${accountId}\u0000${line.currency}`;
    let volume = byKey.get(key);
    if (!volume) byKey.set(key, (volume = { accountId, currency: line.currency, lines: 0, credits: [], debits: [] }));
    volume.lines += 1;
    if (isDecimal(line.amount)) (line.amount.startsWith('-') ? volume.debits : volume.credits).push(line.amount);
  }
  return {
    runId: run.runId,
    asOf: run.asOf,
    recordedAt: run.recordedAt,
    statementLines: confirmed.size + proposed.size + unmatched.size,
    matchedLines: confirmed.size,
    proposedLines: proposed.size,
    unmatchedLines: unmatched.size,
    ledgerExceptions,
    volumes: [...byKey.values()]
      .map((volume) => ({
        accountId: volume.accountId,
        currency: volume.currency,
        lines: volume.lines,
        credits: sumAmounts(volume.credits, volume.currency),
        debits: sumAmounts(volume.debits, volume.currency),
      }))
      .sort(volumeOrder),
  };
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

export interface DashboardData {
  /** Time order (runOrder). */
  runs: RunStats[];
  ageing: Record<AgeBucket, number>;
  volumes: AccountVolume[];
}

export function dashboardData(runs: readonly RunStats[], openCaseAges: readonly { ageDays: number; cases: number }[]): DashboardData {
  const ordered = [...runs].sort(runOrder);
  return { runs: ordered, ageing: ageing(openCaseAges), volumes: volumesByAccount(ordered) };
}
