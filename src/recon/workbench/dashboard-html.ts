/**
 * REC-DASH-1: the workbench's dashboards, server-rendered as charts (charts.ts: inline SVG, no
 * script, no inline style, no external request: the CSP allows none), each an image with a title
 * and a description and the table of its numbers behind a <details>:
 *   - match rate over time: one point per run, by as-of date (0–100 %);
 *   - exception ageing by SLA (when the store keeps due dates): open cases overdue, due today, due
 *     soon, on track (sla.ts), the most urgent darkest and hatched;
 *   - exception ageing: open cases by age bucket, a ramp that darkens (and is hatched) with age;
 *   - volumes by account: statement lines per account and currency, and, per currency, money in
 *     and money out per account on an exact decimal axis (money out drawn below zero);
 *   - volumes by rule: statement lines in confirmed and in proposed matches per matching rule.
 * Money stays the exact decimal strings of the store: the axis is computed on integers of minor
 * units; only the pixel positions are numbers.
 */
import { AGE_BUCKETS, type DashboardData, percent, type SlaAgeing } from './dashboard';
import { SLA_BUCKETS } from './sla';
import type { Actor } from './cases';
import { type Axis, barChart, decimalPlaces, formatUnits, lineChart, PAIR, RAMP, type SeriesStyle, toUnits } from './charts';
import { html, page, type SafeHtml } from './html';

/** The match-rate axis: 0 to 100 % in tenths of a percent, a tick every 25 %. */
const PERCENT_AXIS: Axis = {
  lo: 0n,
  hi: 1000n,
  step: 250n,
  scale: 1,
  ticks: [0n, 250n, 500n, 750n, 1000n].map((units) => ({ units, label: `${units / 10n}%` })),
};

const SINGLE: readonly SeriesStyle[] = [{ name: 'statement lines', fill: PAIR[0], hatch: false }];
const IN_OUT: readonly SeriesStyle[] = [
  { name: 'money in', fill: PAIR[0], hatch: false },
  { name: 'money out', fill: PAIR[1], hatch: true },
];
const CONFIRMED_PROPOSED: readonly SeriesStyle[] = [
  { name: 'confirmed', fill: PAIR[0], hatch: false },
  { name: 'proposed', fill: PAIR[1], hatch: true },
];

function matchRateChart(data: DashboardData): SafeHtml {
  return lineChart({
    id: 'match-rate',
    title: 'Match rate over time',
    description: 'Match rate per run: statement lines in confirmed matches over the statement lines the run matched or reported, by as-of date, from 0 to 100 %.',
    empty: 'No run has been imported yet: the match rate appears once a reconciliation run is committed.',
    scale: 1,
    axis: PERCENT_AXIS,
    unit: 'matched',
    points: data.runs.map((run) => {
      const rate = percent(run.matchedLines, run.statementLines);
      return {
        label: run.asOf,
        // A run with no statement line has no rate ("–"): drawn at 0, shown as "–".
        value: rate === '–' ? 0n : toUnits(rate, 1),
        text: `${rate}%`,
        data: { run: run.runId, rate },
      };
    }),
    table: {
      label: 'Match rate per run',
      columns: [
        { heading: 'As of' },
        { heading: 'Run' },
        { heading: 'Statement lines', numeric: true },
        { heading: 'Matched', numeric: true },
        { heading: 'Proposed', numeric: true },
        { heading: 'Unmatched', numeric: true },
        { heading: 'Ledger exceptions', numeric: true },
        { heading: 'Match rate', numeric: true },
      ],
      rows: data.runs.map((run) => [
        run.asOf,
        run.runId,
        `${run.statementLines}`,
        `${run.matchedLines}`,
        `${run.proposedLines}`,
        `${run.unmatchedLines}`,
        `${run.ledgerExceptions}`,
        `${percent(run.matchedLines, run.statementLines)}%`,
      ]),
    },
  });
}

/** One bucket of open cases in a count chart: its key, label, count and how it is drawn. */
interface CaseBucket {
  bucket: string;
  label: string;
  count: number;
  fill: string;
  hatch: boolean;
  /** Its name in the table (default: its label). */
  row?: string;
}

/** Open cases counted by bucket, one bar each, with the table behind it (the ageing and SLA charts). */
function openCasesChart(chart: { id: string; kind: string; title: string; description: (total: number) => string; tableLabel: string; heading: string; buckets: readonly CaseBucket[] }): SafeHtml {
  const total = chart.buckets.reduce((sum, bucket) => sum + bucket.count, 0);
  return barChart({
    id: chart.id,
    title: chart.title,
    description: chart.description(total),
    empty: 'No open case.',
    scale: 0,
    unit: 'open cases',
    series: SINGLE,
    rows:
      total === 0
        ? []
        : chart.buckets.map(({ bucket, label, count, fill, hatch }) => ({
            label,
            kind: chart.kind,
            data: { bucket, count: `${count}` },
            fill,
            hatch,
            segments: [{ series: 0, from: 0n, to: BigInt(count), text: `${count} open cases`, label: `${count}` }],
          })),
    table: {
      label: chart.tableLabel,
      columns: [{ heading: chart.heading }, { heading: 'Open cases', numeric: true }],
      rows: [...chart.buckets.map(({ label, row, count }) => [row ?? label, `${count}`]), ['All', `${total}`]],
    },
  });
}

function ageingChart(data: DashboardData): SafeHtml {
  return openCasesChart({
    id: 'ageing',
    kind: 'age',
    title: 'Exception ageing: open cases by age',
    description: (total) => `Open and pending-approval cases by age in days (${total} in all), in the buckets ${AGE_BUCKETS.join(', ')} days; older buckets are darker and the oldest is hatched.`,
    tableLabel: 'Open cases by age',
    heading: 'Age (days)',
    buckets: AGE_BUCKETS.map((bucket, i) => ({ bucket, label: `${bucket} days`, row: bucket, count: data.ageing[bucket], fill: RAMP[i]!, hatch: i === AGE_BUCKETS.length - 1 })),
  });
}

const SLA_LABELS: Record<keyof SlaAgeing, string> = { overdue: 'overdue', 'due-today': 'due today', 'due-soon': 'due soon', 'on-track': 'on track', 'no due date': 'no due date' };

/** Open cases by SLA bucket: the most urgent darkest (and hatched), first. */
function slaChart(sla: SlaAgeing): SafeHtml {
  const buckets = [...SLA_BUCKETS, ...(sla['no due date'] > 0 ? (['no due date'] as const) : [])];
  // RAMP is light to dark: overdue takes the darkest.
  const fillOf = (i: number): string => (i < SLA_BUCKETS.length ? RAMP[RAMP.length - 1 - i]! : '#d8dee6');
  return openCasesChart({
    id: 'sla',
    kind: 'sla',
    title: 'Exception ageing by SLA: open cases by how urgent they are',
    description: (total) => `Open and pending-approval cases (${total} in all) by their SLA due date today: overdue, due today, due soon, on track. The most urgent bucket is the darkest and hatched.`,
    tableLabel: 'Open cases by SLA',
    heading: 'SLA',
    buckets: buckets.map((bucket, i) => ({ bucket, label: SLA_LABELS[bucket], count: sla[bucket], fill: fillOf(i), hatch: i === 0 })),
  });
}

function accountLinesChart(data: DashboardData): SafeHtml {
  return barChart({
    id: 'volumes',
    title: 'Volumes by account',
    description: 'Statement lines reconciled per account and currency, over the imported runs.',
    empty: 'No statement lines yet: volumes appear once a reconciliation run is committed.',
    scale: 0,
    unit: 'statement lines',
    series: SINGLE,
    rows: data.volumes.map((volume) => ({
      label: `${volume.accountId} ${volume.currency}`,
      kind: 'volume',
      data: { account: volume.accountId, currency: volume.currency, lines: `${volume.lines}` },
      segments: [{ series: 0, from: 0n, to: BigInt(volume.lines), text: `${volume.lines} lines`, label: `${volume.lines}` }],
    })),
    table: {
      label: 'Volumes by account',
      columns: [{ heading: 'Account' }, { heading: 'Currency' }, { heading: 'Statement lines', numeric: true }, { heading: 'Money in', numeric: true }, { heading: 'Money out', numeric: true }],
      rows: data.volumes.map((volume) => [volume.accountId, volume.currency, `${volume.lines}`, volume.credits, volume.debits]),
    },
  });
}

/** Per currency: money in (right of zero) and money out (left of zero) per account, exact. */
function moneyCharts(data: DashboardData): SafeHtml[] {
  const currencies = [...new Set(data.volumes.map((volume) => volume.currency))].sort();
  return currencies.map((currency) => {
    const volumes = data.volumes.filter((volume) => volume.currency === currency);
    const scale = volumes.reduce((most, volume) => Math.max(most, decimalPlaces(volume.credits), decimalPlaces(volume.debits)), 0);
    const id = `money-${currency.replace(/[^A-Za-z0-9]/g, '_')}`;
    return barChart({
      id,
      title: `Money in and out by account (${currency})`,
      description: `Money in (right of zero) and money out (left of zero) per account in ${currency}, summed exactly over the imported runs.`,
      empty: `No ${currency} statement lines.`,
      scale,
      unit: currency,
      series: IN_OUT,
      rows: volumes.map((volume) => {
        const credits = toUnits(volume.credits, scale);
        const debits = toUnits(volume.debits, scale);
        return {
          label: volume.accountId,
          kind: 'money',
          data: { account: volume.accountId, currency, credits: volume.credits, debits: volume.debits },
          segments: [
            { series: 0, from: 0n, to: credits, text: `${formatUnits(credits, scale)} ${currency} in`, label: credits === 0n ? '' : formatUnits(credits, scale) },
            { series: 1, from: 0n, to: debits, text: `${formatUnits(debits, scale)} ${currency} out`, label: debits === 0n ? '' : formatUnits(debits, scale) },
          ],
        };
      }),
      table: {
        label: `Money in and out by account (${currency})`,
        columns: [{ heading: 'Account' }, { heading: 'Money in', numeric: true }, { heading: 'Money out', numeric: true }],
        rows: volumes.map((volume) => [volume.accountId, volume.credits, volume.debits]),
      },
    });
  });
}

function rulesChart(data: DashboardData): SafeHtml {
  return barChart({
    id: 'rules',
    title: 'Volumes by rule',
    description: 'Statement lines in confirmed matches and in proposed matches per matching rule, over the imported runs that counted them.',
    empty: 'No match by any rule yet (runs imported before rules were counted show none).',
    scale: 0,
    unit: 'statement lines',
    series: CONFIRMED_PROPOSED,
    rows: data.rules.map((rule) => ({
      label: rule.ruleId,
      kind: 'rule',
      data: { rule: rule.ruleId, lines: `${rule.lines}`, proposed: `${rule.proposedLines}` },
      segments: [
        { series: 0, from: 0n, to: BigInt(rule.lines), text: `${rule.lines} lines in ${rule.matches} confirmed matches`, label: '' },
        {
          series: 1,
          from: BigInt(rule.lines),
          to: BigInt(rule.lines + rule.proposedLines),
          text: `${rule.proposedLines} lines in ${rule.proposedMatches} proposed matches`,
          label: `${rule.lines + rule.proposedLines}`,
        },
      ],
    })),
    table: {
      label: 'Volumes by rule',
      columns: [
        { heading: 'Rule' },
        { heading: 'Confirmed matches', numeric: true },
        { heading: 'Their lines', numeric: true },
        { heading: 'Proposed matches', numeric: true },
        { heading: 'Their lines', numeric: true },
      ],
      rows: data.rules.map((rule) => [rule.ruleId, `${rule.matches}`, `${rule.lines}`, `${rule.proposedMatches}`, `${rule.proposedLines}`]),
    },
  });
}

export function renderDashboard(view: { actor: Actor; data: DashboardData }): string {
  const { actor, data } = view;
  return page(
    'Dashboard',
    actor,
    html`<h1>Reconciliation dashboard</h1>
<p class="muted">${data.runs.length} imported runs. Figures come from the workbench's own store: each run's statistics as imported, and the open cases now. Each chart's numbers are in the table below it.</p>
<div class="charts">
${matchRateChart(data)}
${data.sla ? slaChart(data.sla) : ''}
${ageingChart(data)}
${accountLinesChart(data)}
${moneyCharts(data)}
${rulesChart(data)}
</div>`,
  );
}
