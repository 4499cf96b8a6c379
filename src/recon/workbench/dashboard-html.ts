/**
 * REC-DASH-1: the workbench's dashboards, server-rendered: each chart is inline SVG drawn here
 * (no chart library, no script, no external request: the CSP allows none) with a caption, an
 * accessible name, and the table of the numbers it draws. Money stays the exact decimal strings
 * of the store; only the bar lengths are scaled numbers.
 */
import { AGE_BUCKETS, type DashboardData, percent } from './dashboard';
import type { Actor } from './cases';
import { html, page, type SafeHtml } from './html';

const WIDTH = 720;
const HEIGHT = 240;
const PAD = { left: 48, right: 16, top: 16, bottom: 40 };
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;

/** A coordinate with two decimals (SVG geometry only; never money). */
const at = (value: number): string => (Math.round(value * 100) / 100).toString();

function matchRateChart(data: DashboardData): SafeHtml {
  const runs = data.runs;
  const step = runs.length > 1 ? PLOT_W / (runs.length - 1) : 0;
  const points = runs.map((run, i) => {
    const x = PAD.left + (runs.length > 1 ? i * step : PLOT_W / 2);
    const rate = run.statementLines > 0 ? run.matchedLines / run.statementLines : 0;
    return { run, x, y: PAD.top + PLOT_H * (1 - rate), rate: percent(run.matchedLines, run.statementLines) };
  });
  const grid = [0, 25, 50, 75, 100].map((tick) => {
    const y = PAD.top + PLOT_H * (1 - tick / 100);
    return html`<line class="grid" x1="${PAD.left}" y1="${at(y)}" x2="${WIDTH - PAD.right}" y2="${at(y)}"/><text class="label" x="${PAD.left - 6}" y="${at(y + 4)}" text-anchor="end">${tick}%</text>`;
  });
  const line = points.length > 1 ? html`<polyline class="rate-line" points="${points.map((p) => `${at(p.x)},${at(p.y)}`).join(' ')}"/>` : '';
  const marks = points.map(
    (p) =>
      html`<g class="rate" data-run="${p.run.runId}" data-rate="${p.rate}"><circle class="rate-point" cx="${at(p.x)}" cy="${at(p.y)}" r="4"><title>${p.run.asOf} ${p.run.runId}: ${p.rate}% matched</title></circle><text class="value" x="${at(p.x)}" y="${at(p.y - 8)}" text-anchor="middle">${p.rate}%</text><text class="label" x="${at(p.x)}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle">${p.run.asOf}</text></g>`,
  );
  const rows = runs.map(
    (run) =>
      html`<tr><td>${run.asOf}</td><td class="id">${run.runId}</td><td class="num">${run.statementLines}</td><td class="num">${run.matchedLines}</td><td class="num">${run.proposedLines}</td><td class="num">${run.unmatchedLines}</td><td class="num">${run.ledgerExceptions}</td><td class="num">${percent(run.matchedLines, run.statementLines)}%</td></tr>`,
  );
  return html`<figure class="chart panel" id="match-rate">
<figcaption>Match rate over time</figcaption>
${
  runs.length
    ? html`<svg role="img" aria-labelledby="match-rate-title" viewBox="0 0 ${WIDTH} ${HEIGHT}" xmlns="http://www.w3.org/2000/svg"><title id="match-rate-title">Match rate per run: statement lines in confirmed matches, by as-of date</title>
<line class="axis" x1="${PAD.left}" y1="${PAD.top + PLOT_H}" x2="${WIDTH - PAD.right}" y2="${PAD.top + PLOT_H}"/>${grid}${line}${marks}</svg>`
    : html`<p class="muted empty">No run has been imported yet.</p>`
}
<table aria-label="Match rate per run">
<thead><tr><th>As of</th><th>Run</th><th class="num">Statement lines</th><th class="num">Matched</th><th class="num">Proposed</th><th class="num">Unmatched</th><th class="num">Ledger exceptions</th><th class="num">Match rate</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</figure>`;
}

function ageingChart(data: DashboardData): SafeHtml {
  const max = Math.max(1, ...AGE_BUCKETS.map((bucket) => data.ageing[bucket]));
  const slot = PLOT_W / AGE_BUCKETS.length;
  const bars = AGE_BUCKETS.map((bucket, i) => {
    const count = data.ageing[bucket];
    const height = (PLOT_H * count) / max;
    const x = PAD.left + i * slot + slot * 0.2;
    const y = PAD.top + PLOT_H - height;
    const tone = i === AGE_BUCKETS.length - 1 ? ' age-old' : i === AGE_BUCKETS.length - 2 ? ' age-mid' : '';
    return html`<g class="age" data-bucket="${bucket}" data-count="${count}"><rect class="bar${tone}" x="${at(x)}" y="${at(y)}" width="${at(slot * 0.6)}" height="${at(height)}"><title>${bucket} days: ${count} open cases</title></rect><text class="value" x="${at(x + slot * 0.3)}" y="${at(y - 6)}" text-anchor="middle">${count}</text><text class="label" x="${at(x + slot * 0.3)}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle">${bucket} days</text></g>`;
  });
  const total = AGE_BUCKETS.reduce((sum, bucket) => sum + data.ageing[bucket], 0);
  return html`<figure class="chart panel" id="ageing">
<figcaption>Exception ageing: open cases by age</figcaption>
<svg role="img" aria-labelledby="ageing-title" viewBox="0 0 ${WIDTH} ${HEIGHT}" xmlns="http://www.w3.org/2000/svg"><title id="ageing-title">Open and pending-approval cases by age in days</title>
<line class="axis" x1="${PAD.left}" y1="${PAD.top + PLOT_H}" x2="${WIDTH - PAD.right}" y2="${PAD.top + PLOT_H}"/>${bars}</svg>
<table aria-label="Open cases by age">
<thead><tr><th>Age (days)</th><th class="num">Open cases</th></tr></thead>
<tbody>
${AGE_BUCKETS.map((bucket) => html`<tr><td>${bucket}</td><td class="num">${data.ageing[bucket]}</td></tr>`)}
<tr><td>All</td><td class="num">${total}</td></tr>
</tbody>
</table>
</figure>`;
}

function volumesChart(data: DashboardData): SafeHtml {
  const volumes = data.volumes;
  const rowHeight = 26;
  const height = PAD.top + Math.max(1, volumes.length) * rowHeight + 8;
  const labelWidth = 260;
  const barSpace = WIDTH - labelWidth - PAD.right - 60;
  const max = Math.max(1, ...volumes.map((volume) => volume.lines));
  const bars = volumes.map((volume, i) => {
    const y = PAD.top + i * rowHeight;
    const width = (barSpace * volume.lines) / max;
    return html`<g class="volume" data-account="${volume.accountId}" data-currency="${volume.currency}" data-lines="${volume.lines}"><text class="label" x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${volume.accountId} ${volume.currency}</text><rect class="bar" x="${labelWidth}" y="${y + 3}" width="${at(width)}" height="${rowHeight - 8}"><title>${volume.accountId} ${volume.currency}: ${volume.lines} lines</title></rect><text class="value" x="${at(labelWidth + width + 6)}" y="${y + 15}">${volume.lines}</text></g>`;
  });
  const rows = volumes.map(
    (volume) => html`<tr><td>${volume.accountId}</td><td>${volume.currency}</td><td class="num">${volume.lines}</td><td class="num">${volume.credits}</td><td class="num">${volume.debits}</td></tr>`,
  );
  return html`<figure class="chart panel" id="volumes">
<figcaption>Volumes by account</figcaption>
${
  volumes.length
    ? html`<svg role="img" aria-labelledby="volumes-title" viewBox="0 0 ${WIDTH} ${height}" xmlns="http://www.w3.org/2000/svg"><title id="volumes-title">Statement lines reconciled per account and currency, over the imported runs</title>${bars}</svg>`
    : html`<p class="muted empty">No statement lines yet.</p>`
}
<table aria-label="Volumes by account">
<thead><tr><th>Account</th><th>Currency</th><th class="num">Statement lines</th><th class="num">Money in</th><th class="num">Money out</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</figure>`;
}

export function renderDashboard(view: { actor: Actor; data: DashboardData }): string {
  const { actor, data } = view;
  return page(
    'Dashboard',
    actor,
    html`<h1>Reconciliation dashboard</h1>
<p class="muted">${data.runs.length} imported runs. Figures come from the workbench's own store: each run's statistics as imported, and the open cases now.</p>
<div class="charts">
${matchRateChart(data)}
${ageingChart(data)}
${volumesChart(data)}
</div>`,
  );
}
