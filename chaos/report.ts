/**
 * CHAOS-1: the report of a chaos run. One row per fault class: faults injected, how each was
 * recovered from (the buckets add up to the faults injected), lost, posted twice, ledger and
 * posting records equal to the clean run, and the time taken. A class fails when any guarantee
 * fails or a fault is not accounted for.
 */

export interface ClassResult {
  /** The fault class, e.g. "kill -9". */
  name: string;
  /** What was run (count, seed, options), for the reader. */
  setup: string;
  injected: number;
  /** How the injected faults ended: each bucket names a recovery; the buckets add up to `injected`. */
  accounted: Record<string, number>;
  /** Faults the run recovered from (restarts, retries, re-runs). */
  recoveries: number;
  lost: number;
  postedTwice: number;
  ledgerEqual: boolean;
  recordsEqual: boolean;
  countsEqual: boolean;
  /**
   * Duplicate pairs whose original and re-send swapped roles (the faulted run posted the re-send
   * and parked the original): each payment still posted once, the records name the other id.
   */
  swapped: number;
  /** The posting records are equal once the swapped pairs' sequence and authorisation ids are set aside. */
  recordsEqualExceptSwaps: boolean;
  /** Balance versions count conditional updates, which follow batch composition: shown, not required. */
  versionsEqual: boolean;
  ms: number;
  /** Anything that broke a guarantee or the accounting, in words. Empty when the class passed. */
  problems: string[];
  /** Extra figures for the reader (attempts, timings …). */
  details: Record<string, number | string>;
}

export function accountedTotal(result: Pick<ClassResult, 'accounted'>): number {
  return Object.values(result.accounted).reduce((sum, n) => sum + n, 0);
}

/** The class's guarantee failures, including any fault not accounted for. */
export function failures(result: ClassResult): string[] {
  const found = [...result.problems];
  if (result.lost !== 0) found.push(`${result.lost} lost`);
  if (result.postedTwice !== 0) found.push(`${result.postedTwice} posted twice`);
  if (!result.ledgerEqual) found.push('ledger differs from the clean run');
  if (!result.recordsEqual) {
    found.push(
      result.swapped > 0 && result.recordsEqualExceptSwaps
        ? `posting records differ from the clean run: ${result.swapped} duplicate pair(s) swapped roles (each posted once, under the other authorisation id); the rest is equal`
        : 'posting records differ from the clean run',
    );
  }
  if (!result.countsEqual) found.push('outcome counts differ from the clean run');
  if (result.injected === 0) found.push('no fault was injected: the class tested nothing');
  if (accountedTotal(result) !== result.injected) found.push(`${result.injected} faults injected but ${accountedTotal(result)} accounted for`);
  return found;
}

const yesNo = (value: boolean) => (value ? 'yes' : 'NO');

export function formatReport(results: readonly ClassResult[], header: string): string {
  const rows = [['fault class', 'injected', 'recoveries', 'lost', 'posted twice', 'ledger equal', 'records equal', 'time', 'result']];
  for (const result of results) {
    rows.push([
      result.name,
      String(result.injected),
      String(result.recoveries),
      String(result.lost),
      String(result.postedTwice),
      yesNo(result.ledgerEqual),
      yesNo(result.recordsEqual),
      `${(result.ms / 1000).toFixed(1)} s`,
      failures(result).length === 0 ? 'PASS' : 'FAIL',
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const table = rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')).join('\n');
  const sections = results.map((result) => {
    const accounted = Object.entries(result.accounted)
      .map(([bucket, n]) => `${bucket} ${n}`)
      .join(' + ');
    const details = Object.entries(result.details)
      .map(([key, value]) => `${key} ${value}`)
      .join(', ');
    const problems = failures(result);
    return [
      `${result.name}: ${result.setup}`,
      `  faults: ${result.injected} injected = ${accounted || 'none'} (${accountedTotal(result)})`,
      ...(result.swapped > 0 ? [`  duplicate pairs that swapped roles: ${result.swapped} (records equal but for them: ${result.recordsEqualExceptSwaps ? 'yes' : 'no'})`] : []),
      `  balance versions equal: ${result.versionsEqual ? 'yes' : 'no (batch composition differs under retries; balances are what must match)'}`,
      ...(details ? [`  ${details}`] : []),
      ...problems.map((problem) => `  FAILED: ${problem}`),
    ].join('\n');
  });
  const verdict = results.every((result) => failures(result).length === 0)
    ? 'every guarantee held: 0 lost, 0 posted twice, ledger and posting records equal, every fault accounted for'
    : 'GUARANTEE FAILED';
  return `${header}\n\n${table}\n\n${sections.join('\n\n')}\n\n${verdict}\n`;
}
