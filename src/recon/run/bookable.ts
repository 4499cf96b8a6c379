/**
 * Which statement lines the matcher may see (REC-1). A line is reconciled against the ledger only
 * when it is booked on the statement's account in the statement's currency:
 *
 *   - PENDING: a status other than BOOK (camt.052 PDNG, camt.054 INFO; no status counts as booked).
 *     Such an entry may still change or vanish, so it must never consume a ledger entry that the
 *     booked line arriving later needs.
 *   - FOREIGN_CURRENCY: the line's currency is not the statement's (account's) currency. The
 *     booked balance does not hold it at face value and the bank's conversion is not on the line.
 *
 * Excluded lines are reported (summary.json `excludedFromMatching`), never matched and never
 * reported as unmatched.
 */
import type { StatementRows } from '../statement-rows';
import type { ExclusionReason, ParsedStatement, StatementLine } from '../types';

export type { ExclusionReason };

export interface ExcludedLine {
  statementLineId: string;
  reason: ExclusionReason;
  detail: string;
}

/** Why a line is kept out of matching, or undefined when it is bookable. */
export function exclusionOf(statement: Pick<ParsedStatement, 'currency'>, line: StatementLine): ExcludedLine | undefined {
  return exclusion(statement.currency, line.status, line.currency, () => line.statementLineId);
}

/** exclusionOf for row `row` of `rows` (REC-PERF-1: read by field; the id only for a line kept out). */
export function exclusionOfRow(statement: Pick<ParsedStatement, 'currency'>, rows: StatementRows, row: number): ExcludedLine | undefined {
  return exclusion(statement.currency, rows.status(row), rows.currency(row), () => rows.statementLineId(row));
}

function exclusion(statementCurrency: string, status: string | undefined, currency: string, id: () => string): ExcludedLine | undefined {
  if (status !== undefined && status !== 'BOOK') {
    return { statementLineId: id(), reason: 'PENDING', detail: `status ${status}: not booked` };
  }
  if (statementCurrency && currency !== statementCurrency) {
    return { statementLineId: id(), reason: 'FOREIGN_CURRENCY', detail: `entry in ${currency}, the account in ${statementCurrency}` };
  }
  return undefined;
}

/** Counts by reason, in reason order (for summary.json). */
export function countExcluded(excluded: readonly ExcludedLine[]): Partial<Record<ExclusionReason, number>> {
  const counts: Partial<Record<ExclusionReason, number>> = {};
  for (const reason of ['FOREIGN_CURRENCY', 'PENDING'] as const) {
    const n = excluded.filter((e) => e.reason === reason).length;
    if (n > 0) counts[reason] = n;
  }
  return counts;
}
