/**
 * REC-DASH-1, REC-PERF-1: runStatsOf (one pass, amounts summed as integers of minor units, no set
 * entry per confirmed line) gives exactly the statistics of the straightforward definition kept
 * here as the reference (sets of every line per class, an exception before a confirmed match
 * before a proposed one, every amount summed with sumAmounts), on generated results: lines both
 * reported and matched, lines in a confirmed and a proposed match, a line named twice in one
 * match or reported twice, lines the run does not know, amounts that are no decimal, carry more
 * decimals than their currency, or too many digits for a double, unknown currencies, account ids
 * that are card numbers (PCI-3), and totals beyond 2^53 minor units.
 */
import fc from 'fast-check';
import { redactPans } from '../../../src/domain/pan';
import type { Match, MatchResult, UnmatchedItem } from '../../../src/recon/types';
import { isDecimal, sumAmounts } from '../../../src/recon/workbench/amounts';
import type { CaseStatementLine } from '../../../src/recon/workbench/cases';
import { type RunStats, runStatsOf, type StatsRows } from '../../../src/recon/workbench/dashboard';

/** Lines as the rows runStatsOf reads (the fields it reads of a run's StatementRows). */
const rowsOf = (lines: readonly CaseStatementLine[]): StatsRows => ({
  length: lines.length,
  statementLineId: (row) => lines[row]!.statementLineId,
  accountId: (row) => lines[row]!.accountId,
  currency: (row) => lines[row]!.currency,
  amount: (row) => lines[row]!.amount,
});

/** The reference: the definition, as plainly as it can be written. */
function referenceStats(run: { runId: string; asOf: string; recordedAt: string }, result: MatchResult, statementLine: (id: string) => CaseStatementLine | undefined): RunStats {
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
  // By rule: a confirmed line under its confirmed match's rule, a proposed line under the least rule id of its proposed matches.
  const rules = new Map<string, { ruleId: string; matches: number; lines: number; proposedMatches: number; proposedLines: number }>();
  const rule = (ruleId: string) => {
    if (!rules.has(ruleId)) rules.set(ruleId, { ruleId, matches: 0, lines: 0, proposedMatches: 0, proposedLines: 0 });
    return rules.get(ruleId)!;
  };
  for (const match of result.matches) {
    if (match.status !== 'confirmed') continue;
    rule(match.ruleId).matches += 1;
    rule(match.ruleId).lines += [...new Set(match.statementLineIds)].filter((id) => confirmed.has(id)).length;
  }
  for (const match of result.matches) if (match.status === 'proposed') rule(match.ruleId).proposedMatches += 1;
  for (const id of proposed) {
    const ruleIds = result.matches.filter((match) => match.status === 'proposed' && match.statementLineIds.includes(id)).map((match) => match.ruleId);
    rule(ruleIds.sort()[0]!).proposedLines += 1;
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
      .map((v) => ({ accountId: v.accountId, currency: v.currency, lines: v.lines, credits: sumAmounts(v.credits, v.currency), debits: sumAmounts(v.debits, v.currency) }))
      .sort((a, b) => (a.accountId !== b.accountId ? (a.accountId < b.accountId ? -1 : 1) : a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0)),
    rules: [...rules.values()].sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0)),
  };
}

const CURRENCIES = ['EUR', 'JPY', 'KWD', 'XXZ'];
// Two that mask to the same id (card numbers), an IBAN, a bank account number.
const ACCOUNTS = ['4111111111111111', '5500005555555559', 'GB29NWBK60161331926819', '10200123456'];

const amountArb = fc.oneof(
  // plain decimals with 0..4 decimals (more than some currencies carry)
  fc.tuple(fc.constantFrom('', '-', '+'), fc.bigInt({ min: 0n, max: 10n ** 16n }), fc.integer({ min: 0, max: 4 })).map(([sign, units, scale]) => {
    const digits = units.toString().padStart(scale + 1, '0');
    return `${sign}${scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits}`;
  }),
  // near the top of a double: totals cross 2^53 minor units
  fc.constantFrom('9999999999999.99', '-9999999999999.99', '999999999999999', '0000000000000000001.5', '-0.00', '0'),
  // no decimals
  fc.constantFrom('', '-', '1.', '.5', '1e3', '1,00', ' 1.00', 'abc', '١٢٣', '--1'),
);

const lineArb = fc.record({ account: fc.constantFrom(...ACCOUNTS), currency: fc.constantFrom(...CURRENCIES), amount: amountArb, known: fc.boolean() });

const runArb = fc
  .tuple(
    fc.array(lineArb, { minLength: 0, maxLength: 60 }),
    fc.array(fc.record({ fate: fc.constantFrom('confirmed', 'proposed', 'unmatched', 'unmatched+confirmed', 'confirmed+proposed', 'twice', 'none'), group: fc.integer({ min: 0, max: 4 }) }), {
      minLength: 60,
      maxLength: 60,
    }),
    fc.integer({ min: 0, max: 5 }),
  )
  .map(([lines, fates, ledgerExceptions]) => {
    const known = new Map<string, CaseStatementLine>();
    const confirmed = new Map<number, string[]>();
    const proposed = new Map<number, string[]>();
    const unmatched: UnmatchedItem[] = [];
    const add = (into: Map<number, string[]>, group: number, id: string): void => {
      into.set(group, [...(into.get(group) ?? []), id]);
    };
    lines.forEach((line, i) => {
      const id = `l${i}`;
      if (line.known) known.set(id, { statementLineId: id, accountId: line.account, currency: line.currency, amount: line.amount, bookingDate: null, valueDate: null });
      const { fate, group } = fates[i]!;
      // A line is in one confirmed match at most (REC-MATCH-1); any other overlap is generated.
      if (fate === 'confirmed' || fate === 'unmatched+confirmed' || fate === 'confirmed+proposed') add(confirmed, group, id);
      if (fate === 'twice') {
        add(confirmed, group, id);
        add(confirmed, group, id);
      }
      if (fate === 'proposed' || fate === 'confirmed+proposed') add(proposed, group, id);
      if (fate === 'unmatched' || fate === 'unmatched+confirmed') unmatched.push({ side: 'statement', id, reason: 'UNMATCHED', ageDays: 0 });
      if (fate === 'unmatched' && group === 0) unmatched.push({ side: 'statement', id, reason: 'DUPLICATE', ageDays: 0 });
      if (fate === 'proposed' && group === 1) add(proposed, group + 1, id);
    });
    for (let i = 0; i < ledgerExceptions; i += 1) unmatched.push({ side: 'ledger', id: `e${i}`, reason: 'UNMATCHED', ageDays: 0 });
    const matches: Match[] = [
      ...[...confirmed].map(([group, ids]) => ({ matchId: `c${group}`, ruleId: `r${group % 3}`, confidence: 1, status: 'confirmed' as const, statementLineIds: ids, ledgerEntryIds: [] })),
      ...[...proposed].map(([group, ids]) => ({ matchId: `p${group}`, ruleId: `r${group % 2}`, confidence: 0.5, status: 'proposed' as const, statementLineIds: ids, ledgerEntryIds: [] })),
    ];
    return { result: { matches, unmatched }, known };
  });

const RUN = { runId: 'run-1', asOf: '2025-07-01', recordedAt: '2025-07-01T06:00:00.000Z' };

describe('runStatsOf against the reference definition (REC-DASH-1)', () => {
  it('property: the same statistics, field for field, on generated results', () => {
    fc.assert(
      fc.property(runArb, ({ result, known }) => {
        const lookup = (id: string): CaseStatementLine | undefined => known.get(id);
        expect(runStatsOf(RUN, result, lookup)).toEqual(referenceStats(RUN, result, lookup));
      }),
      { numRuns: 500 },
    );
  });

  it("property: given the run's rows, the same statistics: read in order when the result names each once, each named line found among the rows otherwise", () => {
    fc.assert(
      fc.property(runArb, fc.boolean(), ({ result, known }, onlyNamed) => {
        const lookup = (id: string): CaseStatementLine | undefined => known.get(id);
        const named = new Set<string>([...result.matches.flatMap((m) => m.statementLineIds), ...result.unmatched.filter((u) => u.side === 'statement').map((u) => u.id)]);
        // allLines' contract: the run's lines, every line the result names among them.
        fc.pre([...named].every((id) => known.has(id)));
        // Exactly the named ones (the in-order path), or every known line (unnamed ones among them: by lookup).
        const lines = [...known.values()].filter((line) => !onlyNamed || named.has(line.statementLineId)).reverse();
        expect(runStatsOf(RUN, result, lookup, rowsOf(lines))).toEqual(referenceStats(RUN, result, lookup));
        // With the run's row lookup (runLookups.statementRow): each named line read from its row; the lookup of lines unused then.
        const rows = rowsOf(lines);
        const rowOf = (id: string): number => lines.findIndex((line) => line.statementLineId === id);
        const unused = (id: string): CaseStatementLine | undefined => {
          throw new Error(`line ${id} asked for: it is among the rows`);
        };
        expect(runStatsOf(RUN, result, unused, rows, rowOf)).toEqual(referenceStats(RUN, result, lookup));
      }),
      { numRuns: 500 },
    );
  });

  it('metamorphic: the order of the matches and of the exceptions changes nothing', () => {
    fc.assert(
      fc.property(runArb, ({ result, known }) => {
        const lookup = (id: string): CaseStatementLine | undefined => known.get(id);
        const reversed = { matches: [...result.matches].reverse(), unmatched: [...result.unmatched].reverse() };
        expect(runStatsOf(RUN, reversed, lookup)).toEqual(runStatsOf(RUN, result, lookup));
      }),
      { numRuns: 200 },
    );
  });

  it("property: the same statistics with ids shaped as a run's line ids (runStatsOf's filter of marked ids keys on their ends)", () => {
    const shaped = (id: string): string => (id.startsWith('l') ? `a1b2c3d4e5f6:${Number(id.slice(1)) % 3}:${Number(id.slice(1)) * 7919}` : id);
    fc.assert(
      fc.property(runArb, ({ result, known }) => {
        const renamed: MatchResult = {
          matches: result.matches.map((m) => ({ ...m, statementLineIds: m.statementLineIds.map(shaped) })),
          unmatched: result.unmatched.map((u) => (u.side === 'statement' ? { ...u, id: shaped(u.id) } : u)),
        };
        const lines = new Map([...known].map(([id, line]) => [shaped(id), { ...line, statementLineId: shaped(id) }]));
        const lookup = (id: string): CaseStatementLine | undefined => lines.get(id);
        expect(runStatsOf(RUN, renamed, lookup)).toEqual(referenceStats(RUN, renamed, lookup));
      }),
      { numRuns: 300 },
    );
  });

  it('sums past 2^53 minor units stay exact', () => {
    const lines = new Map<string, CaseStatementLine>();
    const ids: string[] = [];
    for (let i = 0; i < 2000; i += 1) {
      const id = `l${i}`;
      ids.push(id);
      lines.set(id, { statementLineId: id, accountId: 'A', currency: 'EUR', amount: i % 2 ? '9999999999999.99' : '-9999999999999.99', bookingDate: null, valueDate: null });
    }
    const stats = runStatsOf(RUN, { matches: [{ matchId: 'm', ruleId: 'r', confidence: 1, status: 'confirmed', statementLineIds: ids, ledgerEntryIds: [] }], unmatched: [] }, (id) => lines.get(id));
    expect(stats.volumes).toEqual([{ accountId: 'A', currency: 'EUR', lines: 2000, credits: '9999999999999990.00', debits: '-9999999999999990.00' }]);
  });
});
