/**
 * The two renderings of a cost report (COST-1): a stable machine-readable document (`--json`)
 * and a readable table. Numbers in the document are strings: dollars to the micro-dollar,
 * per-payment counts to 9 significant digits, headrooms to 2 decimals.
 */
import type { MeasuredCounts } from './counts';
import { Exact, groupDigits, significant } from './exact';
import { REPORT_FORMAT, type CostReport } from './model';
import type { PriceList } from './prices';

export interface ReportSources {
  pricesFile: string;
  prices: PriceList;
  countsFile: string;
  counts: MeasuredCounts;
  synthDir: string;
}

function dollars(micro: bigint): string {
  return Exact.of(micro, 1_000_000n).toFixed(6);
}

export function reportDocument(report: CostReport, sources: ReportSources): Record<string, unknown> {
  const { counts, prices } = sources;
  return {
    format: REPORT_FORMAT,
    env: report.env,
    region: report.region,
    payments: report.payments,
    ratePerSecond: report.ratePerSecond,
    prices: { file: sources.pricesFile, asOf: prices.asOf, region: prices.region, currency: prices.currency },
    counts: {
      file: sources.countsFile,
      date: counts.date,
      gitCommit: counts.gitCommit,
      gitDirty: counts.gitDirty,
      authorisations: counts.count,
      posted: counts.posted,
      clean: counts.clean,
      window: counts.window,
      injected: counts.injected,
      topology: counts.topology,
    },
    synth: sources.synthDir,
    lines: report.lines.map((line) => ({
      id: line.id,
      service: line.service,
      item: line.item,
      unit: line.unit,
      perPayment: significant(line.perPayment, 9),
      quantity: significant(line.quantity, 9),
      unitPriceUsd: line.unitPrice.toString(),
      usd: dollars(line.microDollars),
      priceKey: line.priceKey,
      basis: line.basis,
      breakdown: line.breakdown.map((part) => ({ name: part.name, perPayment: significant(part.perPayment, 9) })),
    })),
    totalUsd: dollars(report.totalMicroDollars),
    quotas: report.quotas.map((quota) => ({
      id: quota.id,
      name: quota.name,
      quota: quota.quota.toString(),
      unit: quota.unit,
      regional: quota.regional,
      needPerPayment: significant(quota.needPerPayment, 9),
      needAtRate: significant(quota.needAtRate, 9),
      headroom: quota.headroom ? quota.headroom.toFixed(2) : null,
      maxPaymentsPerSecond: quota.maxPaymentsPerSecond ? quota.maxPaymentsPerSecond.floor().toString() : null,
      ok: quota.headroom ? quota.headroom.compare(Exact.ONE) >= 0 : true,
      source: quota.source,
      basis: quota.basis,
    })),
    notCounted: report.notCounted,
    caveats: report.caveats,
  };
}

/** Plain-text columns: each cell padded to its column's width, `rightAligned` columns to the right. */
export function table(rows: readonly (readonly string[])[], rightAligned: readonly number[] = []): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (rightAligned.includes(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function reportText(report: CostReport, sources: ReportSources): string {
  const { counts, prices } = sources;
  const out: string[] = [];
  const payments = groupDigits(report.payments);
  out.push(`AWS list-price bill per ${payments} posted payments: ${report.env} (${report.region})`);
  out.push(`prices  ${sources.pricesFile} (${prices.region}, as of ${prices.asOf})`);
  out.push(
    `counts  ${sources.countsFile}: ${groupDigits(counts.posted)} payments posted of ${groupDigits(counts.count)} authorisations, measured ${counts.date} at ${counts.gitCommit.slice(0, 12)}${counts.gitDirty ? ' (uncommitted changes)' : ''}${counts.clean ? '' : ' — NOT a clean run'}`,
  );
  out.push(`        ${counts.window}`);
  out.push(`synth   ${sources.synthDir}`);
  out.push('');
  out.push(
    table(
      [
        ['SERVICE', 'ITEM', 'PER PAYMENT', '', `× ${payments} × UNIT PRICE`, '= USD'],
        ...report.lines.map((line) => [line.service, line.item, significant(line.perPayment, 6), line.unit, `× $${line.unitPrice.toString()}`, dollars(line.microDollars)]),
        ['', 'TOTAL', '', '', '', dollars(report.totalMicroDollars)],
      ],
      [2, 5],
    ),
  );
  out.push('');
  out.push('Breakdown (per payment):');
  for (const line of report.lines) {
    if (line.breakdown.length < 2) continue;
    out.push(`  ${line.service} ${line.item}: ${line.breakdown.map((part) => `${part.name} ${significant(part.perPayment, 4)}`).join('; ')}`);
  }
  out.push('');
  out.push(`Quotas at ${groupDigits(report.ratePerSecond)} payments/s (the seed's sustained rate), ${report.region}:`);
  out.push(
    table(
      [
        ['QUOTA', 'NEED', 'LIMIT', '', 'HEADROOM', 'MAX PAYMENTS/S'],
        ...report.quotas.map((quota) => [
          quota.name,
          `${significant(quota.needAtRate, 4)}`,
          groupDigits(quota.quota.floor()),
          quota.unit,
          quota.headroom ? `${quota.headroom.toFixed(2)}×${quota.headroom.compare(Exact.ONE) < 0 ? ' EXCEEDED' : ''}` : 'n/a',
          quota.maxPaymentsPerSecond ? groupDigits(quota.maxPaymentsPerSecond.floor()) : 'unbounded',
        ]),
      ],
      [1, 2, 4, 5],
    ),
  );
  out.push('');
  out.push('Sources of the quotas:');
  for (const source of [...new Set(report.quotas.map((quota) => quota.source))]) out.push(`  ${source}`);
  out.push('');
  out.push('Not counted:');
  for (const note of report.notCounted) out.push(`  - ${note}`);
  if (report.caveats.length > 0) {
    out.push('Caveats:');
    for (const note of report.caveats) out.push(`  - ${note}`);
  }
  return `${out.join('\n')}\n`;
}
