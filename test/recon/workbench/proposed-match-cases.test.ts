/**
 * REC-CASE-1, REC-PERF-1: a proposed match's case is built by assignment (no spreads, no array of
 * every line) and is byte for byte the case the earlier builder made, kept here as the oracle:
 * the same fields in the same order (the stored case is its JSON), on generated proposed matches
 * of one or more lines, lines the run does not know, mixed currencies, amounts that are no
 * decimal, ledger entries named twice, and ids and references that are card numbers (masked as
 * before, PCI-3).
 */
import fc from 'fast-check';
import { redactPans } from '../../../src/domain/pan';
import { formatConfidence } from '../../../src/recon/run/results';
import type { Match } from '../../../src/recon/types';
import { isDecimal, sumAmounts } from '../../../src/recon/workbench/amounts';
import { type CaseStatementLine, casesFromResult, type ExceptionCase, statementLineFacts } from '../../../src/recon/workbench/cases';

const maskId = (value: string): string => redactPans(value, 'identifier');

/** The earlier builder of a proposed match's case (the oracle), as it was written. */
function oracleCase(match: Match, runId: string, asOf: string, at: string, statementLine: (id: string) => CaseStatementLine | undefined): ExceptionCase {
  const lines = match.statementLineIds.map((lineId) => statementLine(lineId));
  const first = lines[0];
  const facts = first ? statementLineFacts(first, asOf) : undefined;
  const sameCurrency = lines.every((line) => line !== undefined && line.currency === first?.currency && isDecimal(line.amount));
  const amount =
    lines.length > 1 && sameCurrency && first
      ? sumAmounts(
          lines.map((line) => line!.amount),
          first.currency,
        )
      : (facts?.amount ?? '');
  const statementLineId = match.statementLineIds[0];
  const bankReference = first?.bankReference;
  return {
    caseId: `match:${maskId(match.matchId)}`,
    kind: 'proposed-match',
    runId,
    asOf,
    side: 'both',
    reason: 'PROPOSED_MATCH',
    accountId: maskId(facts?.accountId ?? ''),
    currency: facts?.currency ?? '',
    amount,
    ageDays: facts?.ageDays ?? 0,
    ...(statementLineId !== undefined ? { statementLineId: maskId(statementLineId) } : {}),
    ...(bankReference ? { bankReference: maskId(bankReference) } : {}),
    ledgerEntryIds: [...new Set(match.ledgerEntryIds.map(maskId))],
    ruleId: match.ruleId,
    confidence: formatConfidence(match.confidence),
    status: 'OPEN',
    version: 1,
    updatedAt: at,
  };
}

const PAN = '4111111111111111';
const lineArb = fc.record({
  known: fc.boolean(),
  account: fc.constantFrom('GB29NWBK60161331926819', PAN, '10200123456', ''),
  currency: fc.constantFrom('EUR', 'JPY', 'KWD', 'XXZ', ''),
  amount: fc.constantFrom('12.34', '-0.01', '1000000', '0.125', '', 'abc', '1e3', '99999999999999999.99'),
  bookingDate: fc.constantFrom('2026-03-01', '2026-02-28', null, 'bad'),
  valueDate: fc.constantFrom('2026-03-02', null),
  bankReference: fc.constantFrom(undefined, '', 'BR-1', PAN, 'ref 5500 0055 5555 5559'),
});
const runArb = fc.tuple(
  fc.array(lineArb, { minLength: 1, maxLength: 12 }),
  fc.array(
    fc.record({
      lines: fc.array(fc.nat(15), { maxLength: 4 }),
      entries: fc.array(fc.constantFrom('LE-1', 'LE-2', PAN, 'LE-1'), { maxLength: 4 }),
      id: fc.constantFrom('m-1', PAN, 'm:2'),
      confidence: fc.constantFrom(0.8125, 0.5, 1 / 3, 0.99995),
      ruleId: fc.constantFrom('fuzzy', 'batch'),
    }),
    { minLength: 1, maxLength: 8 },
  ),
);

describe('proposed match cases (REC-CASE-1)', () => {
  it('property: byte for byte the cases of the earlier builder', () => {
    fc.assert(
      fc.property(runArb, ([lines, matchArbs]) => {
        const known = new Map<string, CaseStatementLine>();
        lines.forEach((line, i) => {
          const id = `a1b2c3d4e5f6:0:${i}`;
          if (!line.known) return;
          const value: CaseStatementLine = { statementLineId: id, accountId: line.account, currency: line.currency, amount: line.amount, bookingDate: line.bookingDate, valueDate: line.valueDate };
          if (line.bankReference !== undefined) value.bankReference = line.bankReference;
          known.set(id, value);
        });
        const matches: Match[] = matchArbs.map((m, i) => ({
          matchId: `${m.id}-${i}`,
          ruleId: m.ruleId,
          confidence: m.confidence,
          status: 'proposed',
          statementLineIds: m.lines.map((n) => `a1b2c3d4e5f6:0:${n}`),
          ledgerEntryIds: m.entries,
        }));
        const confirmed: Match = { matchId: 'c-1', ruleId: 'exact', confidence: 1, status: 'confirmed', statementLineIds: ['a1b2c3d4e5f6:0:0'], ledgerEntryIds: ['LE-9'] };
        const run = { runId: 'run-1', asOf: '2026-03-10', at: '2026-03-10T06:00:00.000Z' };
        const lookup = (id: string): CaseStatementLine | undefined => known.get(id);
        const built = casesFromResult(run, { matches: [confirmed, ...matches], unmatched: [] }, { statementLine: lookup, ledgerEntry: () => undefined });
        const expected = matches.map((m) => oracleCase(m, run.runId, run.asOf, run.at, lookup));
        expect(JSON.stringify(built)).toBe(JSON.stringify(expected));
      }),
      { numRuns: 1000 },
    );
  });
});
