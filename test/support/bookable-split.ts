/**
 * The statements' lines split as the run's scope splits them (REC-1): each line through
 * exclusionOf, bookable or excluded, in input order. The tests' way to see the split on its own;
 * the run does it in its one pass over the lines (scope in src/use-cases/reconcile-run).
 */
import { type ExcludedLine, exclusionOf } from '../../src/recon/run/bookable';
import type { ParsedStatement, StatementLine } from '../../src/recon/types';

export function splitBookable(statements: readonly Pick<ParsedStatement, 'currency' | 'lines'>[]): { bookable: StatementLine[]; excluded: ExcludedLine[] } {
  const bookable: StatementLine[] = [];
  const excluded: ExcludedLine[] = [];
  for (const statement of statements) {
    for (const line of statement.lines) {
      const exclusion = exclusionOf(statement, line);
      if (exclusion) excluded.push(exclusion);
      else bookable.push(line);
    }
  }
  return { bookable, excluded };
}
