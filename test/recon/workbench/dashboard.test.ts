/**
 * REC-DASH-1, the pure part: each run's statistics from its result (every statement line counted
 * once, in exactly one of matched / proposed / unmatched; volumes exact), the age buckets, the
 * exact percentages, and volumes summed over runs (metamorphic: one run split in two gives the
 * same volumes).
 */
import fc from 'fast-check';
import { AGE_BUCKETS, ageBucket, ageing, dashboardData, percent, runStatsOf, slaAgeing, volumesByAccount, volumesByRule, type RunStats } from '../../../src/recon/workbench/dashboard';
import { renderDashboard } from '../../../src/recon/workbench/dashboard-html';
import { dayText, SLA_BUCKETS, slaBucket } from '../../../src/recon/workbench/sla';
import type { CaseStatementLine } from '../../../src/recon/workbench/cases';
import type { Match, MatchResult, UnmatchedItem } from '../../../src/recon/types';

const SCALE: Record<string, number> = { EUR: 2, JPY: 0, KWD: 3 };
const CURRENCIES = Object.keys(SCALE);
const ACCOUNTS = ['NL26VAYB8060476890', 'GB29NWBK60161331926819', '10200123456'];
const RULES = ['exact-reference', 'amount-date', 'batch-sum'];

function minor(amount: string, currency: string): bigint {
  const [whole, fraction = ''] = amount.replace('-', '').split('.');
  const units = BigInt(whole! + fraction.padEnd(SCALE[currency]!, '0'));
  return amount.startsWith('-') ? -units : units;
}

const lineArb = fc
  .record({
    account: fc.constantFrom(...ACCOUNTS),
    currency: fc.constantFrom(...CURRENCIES),
    units: fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }),
    fate: fc.constantFrom('confirmed', 'proposed', 'unmatched'),
  })
  .map((line) => {
    const scale = SCALE[line.currency]!;
    const digits = (line.units < 0n ? -line.units : line.units).toString().padStart(scale + 1, '0');
    const amount = `${line.units < 0n ? '-' : ''}${scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits}`;
    return { ...line, amount };
  });

interface Run {
  result: MatchResult;
  lines: Map<string, CaseStatementLine>;
}

const runArb: fc.Arbitrary<Run> = fc.tuple(fc.array(lineArb, { maxLength: 60 }), fc.integer({ min: 0, max: 10 })).map(([generated, ledgerOnly]) => {
  const lines = new Map<string, CaseStatementLine>();
  const matches: Match[] = [];
  const unmatched: UnmatchedItem[] = [];
  generated.forEach((line, i) => {
    const id = `0123456789ab:0:${i}`;
    lines.set(id, { statementLineId: id, accountId: line.account, currency: line.currency, amount: line.amount, bookingDate: '2025-03-01', valueDate: null });
    if (line.fate === 'unmatched') unmatched.push({ side: 'statement', id, reason: 'UNMATCHED', ageDays: 1 });
    else matches.push({ matchId: `m-${i}`, ruleId: RULES[i % RULES.length]!, confidence: 1, status: line.fate as Match['status'], statementLineIds: [id], ledgerEntryIds: [`L-${i}`] });
  });
  for (let i = 0; i < ledgerOnly; i += 1) unmatched.push({ side: 'ledger', id: `L-X${i}`, reason: 'UNMATCHED', ageDays: 3 });
  return { result: { matches, unmatched }, lines };
});

const statsOf = (run: Run, runId = 'run-1'): RunStats => runStatsOf({ runId, asOf: '2025-03-02', recordedAt: '2025-03-02T10:00:00.000Z' }, run.result, (id) => run.lines.get(id));

describe('runStatsOf', () => {
  it('counts every statement line once, in exactly one of matched / proposed / unmatched', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        const stats = statsOf(run);
        expect(stats.statementLines).toBe(run.lines.size);
        expect(stats.matchedLines + stats.proposedLines + stats.unmatchedLines).toBe(stats.statementLines);
        expect(stats.matchedLines).toBe(run.result.matches.filter((m) => m.status === 'confirmed').length);
        expect(stats.ledgerExceptions).toBe(run.result.unmatched.filter((item) => item.side === 'ledger').length);
        expect(stats.volumes.reduce((sum, volume) => sum + volume.lines, 0)).toBe(run.lines.size);
      }),
      { numRuns: 300 },
    );
  });

  it('volumes are the exact sums of money in and money out per account and currency', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        for (const volume of statsOf(run).volumes) {
          const mine = [...run.lines.values()].filter((line) => line.accountId === volume.accountId && line.currency === volume.currency);
          expect(volume.lines).toBe(mine.length);
          expect(minor(volume.credits, volume.currency)).toBe(mine.filter((l) => !l.amount.startsWith('-')).reduce((sum, l) => sum + minor(l.amount, volume.currency), 0n));
          expect(minor(volume.debits, volume.currency)).toBe(mine.filter((l) => l.amount.startsWith('-')).reduce((sum, l) => sum + minor(l.amount, volume.currency), 0n));
          const scale = SCALE[volume.currency]!;
          for (const amount of [volume.credits, volume.debits]) expect(amount).toMatch(scale ? new RegExp(`^-?\\d+\\.\\d{${scale}}$`) : /^-?\d+$/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a line both matched and reported counts as unmatched; one in a confirmed and a proposed match counts as matched', () => {
    const line = (id: string): CaseStatementLine => ({ statementLineId: id, accountId: 'A', currency: 'EUR', amount: '1.00', bookingDate: null, valueDate: null });
    const lines = new Map(['a', 'b', 'c'].map((id) => [id, line(id)]));
    const stats = statsOf({
      lines,
      result: {
        matches: [
          { matchId: 'm1', ruleId: 'r', confidence: 1, status: 'confirmed', statementLineIds: ['a', 'b'], ledgerEntryIds: [] },
          { matchId: 'm2', ruleId: 'r', confidence: 0.5, status: 'proposed', statementLineIds: ['a', 'c'], ledgerEntryIds: [] },
        ],
        unmatched: [{ side: 'statement', id: 'b', reason: 'DUPLICATE', ageDays: 0 }],
      },
    });
    expect(stats).toMatchObject({ statementLines: 3, matchedLines: 1, proposedLines: 1, unmatchedLines: 1, volumes: [{ accountId: 'A', currency: 'EUR', lines: 3, credits: '3.00', debits: '0.00' }] });
  });

  it('PCI-3: an account id that is a card number is masked in the statistics', () => {
    const pan = '4111111111111111';
    const stats = statsOf({
      lines: new Map([['a', { statementLineId: 'a', accountId: pan, currency: 'EUR', amount: '1.00', bookingDate: null, valueDate: null }]]),
      result: { matches: [], unmatched: [{ side: 'statement', id: 'a', reason: 'UNMATCHED', ageDays: 0 }] },
    });
    expect(JSON.stringify(stats)).not.toContain(pan);
  });
});

describe('volumesByAccount', () => {
  it('metamorphic: a run split into two runs gives the same volumes', () => {
    fc.assert(
      fc.property(runArb, fc.integer({ min: 0, max: 60 }), (run, cut) => {
        const ids = [...run.lines.keys()];
        const part = (keep: Set<string>): Run => ({
          lines: new Map([...run.lines].filter(([id]) => keep.has(id))),
          result: { matches: run.result.matches.filter((m) => keep.has(m.statementLineIds[0]!)), unmatched: run.result.unmatched.filter((item) => item.side === 'statement' && keep.has(item.id)) },
        });
        const first = part(new Set(ids.slice(0, cut)));
        const second = part(new Set(ids.slice(cut)));
        expect(volumesByAccount([statsOf(first, 'a'), statsOf(second, 'b')])).toEqual(volumesByAccount([statsOf(run)]));
      }),
      { numRuns: 200 },
    );
  });
});

describe('volumes by rule', () => {
  it("count each matched line once under its rule and each proposed one once: they sum to the run's matched and proposed lines", () => {
    fc.assert(
      fc.property(runArb, (run) => {
        const stats = statsOf(run);
        const rules = stats.rules!;
        expect(rules.map((rule) => rule.ruleId)).toEqual([...new Set(run.result.matches.map((m) => m.ruleId))].sort());
        expect(rules.reduce((sum, rule) => sum + rule.lines, 0)).toBe(stats.matchedLines);
        expect(rules.reduce((sum, rule) => sum + rule.proposedLines, 0)).toBe(stats.proposedLines);
        for (const rule of rules) {
          const mine = run.result.matches.filter((m) => m.ruleId === rule.ruleId);
          expect(rule.matches).toBe(mine.filter((m) => m.status === 'confirmed').length);
          expect(rule.proposedMatches).toBe(mine.filter((m) => m.status === 'proposed').length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('metamorphic: summed over runs, a run split into two gives the same rule volumes; runs kept before rules were counted add nothing', () => {
    fc.assert(
      fc.property(runArb, fc.integer({ min: 0, max: 60 }), (run, cut) => {
        const ids = [...run.lines.keys()];
        const part = (keep: Set<string>): Run => ({
          lines: new Map([...run.lines].filter(([id]) => keep.has(id))),
          result: { matches: run.result.matches.filter((m) => keep.has(m.statementLineIds[0]!)), unmatched: run.result.unmatched.filter((item) => item.side === 'statement' && keep.has(item.id)) },
        });
        const { rules: _dropped, ...before } = statsOf(run, 'old');
        void _dropped;
        expect(volumesByRule([statsOf(part(new Set(ids.slice(0, cut))), 'a'), statsOf(part(new Set(ids.slice(cut))), 'b'), before])).toEqual(volumesByRule([statsOf(run)]));
      }),
      { numRuns: 200 },
    );
  });
});

describe('ageing by SLA', () => {
  const NOW = new Date('2025-03-10T15:30:00Z');
  const TODAY = Math.floor(NOW.getTime() / 86_400_000);

  it('counts every open case once, in the bucket sla.ts gives its due day today; a case with no due date apart', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ offset: fc.option(fc.integer({ min: -400, max: 400 }), { nil: undefined }), cases: fc.integer({ min: 0, max: 10_000 }) })),
        fc.integer({ min: 0, max: 10 }),
        (rows, soonDays) => {
          const dues = rows.map((row) => ({ dueDay: row.offset === undefined ? '' : dayText(TODAY + row.offset), cases: row.cases }));
          const sla = slaAgeing(dues, NOW, soonDays);
          expect(Object.keys(sla)).toEqual([...SLA_BUCKETS, 'no due date']);
          expect(Object.values(sla).reduce((sum, n) => sum + n, 0)).toBe(rows.reduce((sum, row) => sum + row.cases, 0));
          expect(sla['no due date']).toBe(rows.filter((row) => row.offset === undefined).reduce((sum, row) => sum + row.cases, 0));
          for (const bucket of SLA_BUCKETS) {
            expect(sla[bucket]).toBe(dues.filter((due) => due.dueDay !== '' && slaBucket(due.dueDay, NOW, soonDays) === bucket).reduce((sum, due) => sum + due.cases, 0));
          }
          expect(sla.overdue).toBe(rows.filter((row) => row.offset !== undefined && row.offset < 0).reduce((sum, row) => sum + row.cases, 0));
          expect(sla['due-today']).toBe(rows.filter((row) => row.offset === 0).reduce((sum, row) => sum + row.cases, 0));
        },
      ),
    );
  });

  it('is drawn (most urgent first) only when the store gives due days; without, the page has no SLA chart', () => {
    const dues = [
      { dueDay: dayText(TODAY - 3), cases: 5 },
      { dueDay: dayText(TODAY), cases: 2 },
      { dueDay: dayText(TODAY + 1), cases: 1 },
      { dueDay: dayText(TODAY + 30), cases: 7 },
      { dueDay: '', cases: 1 },
    ];
    const actor = { user: 'v', roles: ['viewer' as const] };
    const page = renderDashboard({ actor, data: dashboardData([], [{ ageDays: 3, cases: 16 }], { openCaseDues: dues, now: NOW }) });
    const bars = [...page.matchAll(/<g class="sla" data-bucket="([^"]+)" data-count="(\d+)">/g)].map((match) => [match[1], Number(match[2])]);
    expect(bars).toEqual([
      ['overdue', 5],
      ['due-today', 2],
      ['due-soon', 1],
      ['on-track', 7],
      ['no due date', 1],
    ]);
    expect(page).toContain('<svg role="img" aria-labelledby="sla-title" aria-describedby="sla-desc"');
    expect(page).toContain('<tr><td>All</td><td class="num">16</td></tr>');
    expect(renderDashboard({ actor, data: dashboardData([], [{ ageDays: 3, cases: 16 }]) })).not.toContain('id="sla"');
  });
});

describe('percent', () => {
  it('is the exact share to one decimal, rounded half up (checked against rational arithmetic)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000_000 }), (whole, raw) => {
        const part = raw % (whole + 1);
        const text = percent(part, whole);
        expect(text).toMatch(/^\d{1,3}\.\d$/);
        const tenths = BigInt(text.replace('.', ''));
        // |tenths/10 - 100*part/whole| <= 1/20, i.e. |tenths*whole - 1000*part| * 20 <= 10*whole; ties go up.
        const diff = tenths * BigInt(whole) - 1000n * BigInt(part);
        expect(diff * 2n <= BigInt(whole)).toBe(true);
        expect(diff * 2n > -BigInt(whole)).toBe(true);
      }),
    );
    expect([percent(0, 0), percent(1, 3), percent(2, 3), percent(1, 8), percent(1, 1)]).toEqual(['–', '33.3', '66.7', '12.5', '100.0']);
  });
});

describe('ageing', () => {
  it('puts every age in exactly one bucket at the stated bounds: 0–1, 2–7, 8–30, >30 days', () => {
    expect([-3, 0, 1, 2, 7, 8, 30, 31, 4000].map(ageBucket)).toEqual(['0–1', '0–1', '0–1', '2–7', '2–7', '8–30', '8–30', '>30', '>30']);
    fc.assert(
      fc.property(fc.array(fc.record({ ageDays: fc.integer({ min: -5, max: 400 }), cases: fc.integer({ min: 0, max: 1000 }) })), (ages) => {
        const buckets = ageing(ages);
        expect(Object.keys(buckets)).toEqual([...AGE_BUCKETS]);
        expect(AGE_BUCKETS.reduce((sum, bucket) => sum + buckets[bucket], 0)).toBe(ages.reduce((sum, age) => sum + age.cases, 0));
        expect(buckets['>30']).toBe(ages.filter((age) => age.ageDays > 30).reduce((sum, age) => sum + age.cases, 0));
      }),
    );
  });

  it('dashboardData orders runs by as-of date, then when recorded', () => {
    const run = (runId: string, asOf: string, recordedAt: string): RunStats => ({
      runId,
      asOf,
      recordedAt,
      statementLines: 0,
      matchedLines: 0,
      proposedLines: 0,
      unmatchedLines: 0,
      ledgerExceptions: 0,
      volumes: [],
    });
    const data = dashboardData([run('c', '2025-03-02', 'T2'), run('a', '2025-03-03', 'T1'), run('b', '2025-03-02', 'T1')], []);
    expect(data.runs.map((r) => r.runId)).toEqual(['b', 'c', 'a']);
  });
});
