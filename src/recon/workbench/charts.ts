/**
 * REC-DASH-1, pure: the workbench's charts as server-rendered SVG. Scales, ticks and paths are
 * computed here from the data; nothing is drawn by a script or a library (the CSP allows neither)
 * and no style attribute is written (the CSP allows no inline style): colours are SVG presentation
 * attributes. Every chart is an image with a title and a description (aria-labelledby /
 * aria-describedby), and the numbers it draws are in a table behind a <details> below it.
 *
 * Values are integers (bigint) of 10^-scale units, so a money axis is exact: its ticks are exact
 * decimal strings of the amounts, and only the final pixel position is a number. Colours are a
 * sequential ramp of distinct lightness, and a second series is hatched as well, so a chart reads
 * the same printed in greyscale.
 */
import { html, SafeHtml } from './html';

/** The drawing: width and height in user units (the viewBox), and the plot area's margins. */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The plot area of a frame: x from `x0` to `x1`, y from `y0` (top) to `y1` (bottom). */
export interface PlotArea {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

export function plotArea(frame: Frame): PlotArea {
  return { x0: frame.left, x1: frame.width - frame.right, y0: frame.top, y1: frame.height - frame.bottom };
}

/** A plain signed decimal string ("-12.50", "7"): anything else is refused by name. */
const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

export class ChartDataError extends Error {
  override name = 'ChartDataError';
}

/** The number of decimals of a decimal string (0 for an integer); throws naming the value when it is no decimal. */
export function decimalPlaces(value: string): number {
  const match = DECIMAL.exec(value);
  if (!match) throw new ChartDataError(`chart value "${value}" is not a decimal number`);
  return match[3]?.length ?? 0;
}

/** A decimal string as an integer of 10^-scale units, exactly; throws naming the value when it is no decimal or carries more decimals than `scale`. */
export function toUnits(value: string, scale: number): bigint {
  const match = DECIMAL.exec(value);
  if (!match) throw new ChartDataError(`chart value "${value}" is not a decimal number`);
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > scale) throw new ChartDataError(`chart value "${value}" has more than ${scale} decimals`);
  const units = BigInt(whole! + fraction.padEnd(scale, '0'));
  return sign === '-' ? -units : units;
}

/** Units of 10^-scale as a decimal string with the thousands grouped ("-1,234,567.80"). */
export function formatUnits(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${digits.slice(-scale)}` : ''}`;
}

/** The smallest of 1, 2 and 5 times a power of ten that is at least `rough` (and at least 1). */
export function niceStep(rough: bigint): bigint {
  if (rough <= 1n) return 1n;
  let power = 1n;
  while (power * 10n < rough) power *= 10n;
  for (const factor of [1n, 2n, 5n, 10n]) if (power * factor >= rough) return power * factor;
  return power * 10n;
}

/** A value axis over integers of 10^-scale units: always holds 0 (bars start there) and every value. */
export interface Axis {
  lo: bigint;
  hi: bigint;
  step: bigint;
  scale: number;
  /** lo, lo + step, … hi: strictly increasing. */
  ticks: { units: bigint; label: string }[];
}

const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const ceilDiv = (a: bigint, b: bigint): bigint => -floorDiv(-a, b);

/**
 * The axis of `values` (integers of 10^-scale units) with about `target` steps of 1, 2 or 5 times a
 * power of ten; with no value, or only zeros, the axis 0..1 (in whole units of the scale).
 */
export function valueAxis(values: readonly bigint[], scale: number, target = 5): Axis {
  let min = 0n;
  let max = 0n;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (min === max) max = 10n ** BigInt(scale);
  const steps = BigInt(Math.max(1, Math.floor(target)));
  const step = niceStep(ceilDiv(max - min, steps));
  const lo = floorDiv(min, step) * step;
  const hi = ceilDiv(max, step) * step;
  // Ticks on whole units are labelled without the zero decimals ("1,000", not "1,000.00").
  const tickScale = step % 10n ** BigInt(scale) === 0n ? 0 : scale;
  const shift = 10n ** BigInt(scale - tickScale);
  const ticks: Axis['ticks'] = [];
  for (let units = lo; units <= hi; units += step) ticks.push({ units, label: formatUnits(units / shift, tickScale) });
  return { lo, hi, step, scale, ticks };
}

/** Where `units` lies on the axis, from 0 (lo) to 1 (hi), clamped: a value outside the axis is drawn at its end. */
export function axisFraction(axis: Axis, units: bigint): number {
  const span = axis.hi - axis.lo;
  if (span <= 0n) return 0;
  const clamped = units < axis.lo ? axis.lo : units > axis.hi ? axis.hi : units;
  // Exact to one part in 10^9 before the one conversion to a number.
  return Number(((clamped - axis.lo) * 1_000_000_000n) / span) / 1_000_000_000;
}

/** `n` positions spread evenly over [from, to] (one in the middle when n = 1). */
export function spread(n: number, from: number, to: number): number[] {
  if (n <= 0) return [];
  if (n === 1) return [(from + to) / 2];
  const step = (to - from) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? to : from + i * step));
}

/** `n` bands over [from, to]: each band's start and size, with `padding` (0..1) of each band left empty around its bar. */
export function bands(n: number, from: number, to: number, padding = 0.25): { start: number; size: number }[] {
  if (n <= 0) return [];
  const slot = (to - from) / n;
  const inset = (slot * Math.min(Math.max(padding, 0), 0.9)) / 2;
  return Array.from({ length: n }, (_, i) => ({ start: from + i * slot + inset, size: slot - 2 * inset }));
}

/** At most `max` of the indexes 0..n-1 evenly chosen, the first and the last among them: which points get a label. */
export function labelled(n: number, max: number): number[] {
  if (n <= 0 || max <= 0) return [];
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  if (max === 1) return [0];
  const chosen = new Set<number>();
  for (let k = 0; k < max; k += 1) chosen.add(Math.round((k * (n - 1)) / (max - 1)));
  return [...chosen].sort((a, b) => a - b);
}

/** A coordinate with two decimals (geometry only; never money). */
export const coordinate = (value: number): string => (Math.round(value * 100) / 100).toString();

/** An SVG path through the points: "M x,y L x,y …" ('' for no point). */
export function linePath(points: readonly { x: number; y: number }[]): string {
  return points.map((point, i) => `${i === 0 ? 'M' : 'L'}${coordinate(point.x)},${coordinate(point.y)}`).join(' ');
}

/** A series' look: a fill of its own lightness, hatched for the second series and on. */
export interface SeriesStyle {
  name: string;
  fill: string;
  hatch: boolean;
}

/**
 * Fills of a sequential blue ramp, light to dark, distinct in lightness (relative luminance about
 * 0.55, 0.26, 0.11, 0.03: a contrast of about 1.9 between neighbours): the order reads in greyscale too.
 */
export const RAMP = ['#9ecae1', '#4292c6', '#1f5f9e', '#08306b'] as const;
/** A dark and a light series (luminance about 0.04 and 0.37: a contrast of 4.5). */
export const PAIR = ['#0b3d62', '#6fa8dc'] as const;

const BACKGROUND = '#ffffff';
const AXIS = '#5b6776';
const GRID = '#d8dee6';
const INK = '#1d2733';

/** The text of a chart: its id (unique on the page), title, description and what the empty chart says. */
export interface ChartText {
  id: string;
  title: string;
  description: string;
  /** Shown instead of the chart when there is nothing to draw: says why. */
  empty: string;
}

/** The table behind the chart: a caption, column headings (numeric ones right-aligned) and rows of text. */
export interface DataTable {
  label: string;
  columns: readonly { heading: string; numeric?: boolean }[];
  rows: readonly (readonly string[])[];
}

function dataTable(table: DataTable, open: boolean): SafeHtml {
  return html`<details class="chart-data"${open ? new SafeHtml(' open') : ''}>
<summary>${table.label}: the numbers as a table</summary>
<table aria-label="${table.label}">
<thead><tr>${table.columns.map((column) => html`<th${column.numeric ? new SafeHtml(' class="num"') : ''}>${column.heading}</th>`)}</tr></thead>
<tbody>
${table.rows.map((row) => html`<tr>${row.map((cell, i) => html`<td${table.columns[i]?.numeric ? new SafeHtml(' class="num"') : ''}>${cell}</td>`)}</tr>`)}
</tbody>
</table>
</details>`;
}

function figure(text: ChartText, svg: SafeHtml | undefined, table: DataTable): SafeHtml {
  return html`<figure class="chart panel" id="${text.id}">
<figcaption>${text.title}</figcaption>
${svg ?? html`<p class="muted empty" role="note">${text.empty}</p>`}
${dataTable(table, false)}
</figure>`;
}

function svgOpen(text: ChartText, frame: Frame): SafeHtml {
  return html`<svg role="img" aria-labelledby="${text.id}-title" aria-describedby="${text.id}-desc" viewBox="0 0 ${frame.width} ${frame.height}" width="${frame.width}" height="${frame.height}" xmlns="http://www.w3.org/2000/svg"><title id="${text.id}-title">${text.title}</title><desc id="${text.id}-desc">${text.description}</desc><rect x="0" y="0" width="${frame.width}" height="${frame.height}" fill="${BACKGROUND}"/>`;
}

/** The hatch pattern of a series (white diagonal stripes over its fill): ids are scoped by the chart id. */
function patterns(chartId: string, series: readonly SeriesStyle[]): SafeHtml {
  const hatched = series.map((style, i) => ({ style, i })).filter(({ style }) => style.hatch);
  if (hatched.length === 0) return html``;
  return html`<defs>${hatched.map(
    ({ style, i }) =>
      html`<pattern id="${chartId}-hatch-${i}" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="${style.fill}"/><line x1="0" y1="0" x2="0" y2="6" stroke="${BACKGROUND}" stroke-width="2"/></pattern>`,
  )}</defs>`;
}

function paint(chartId: string, series: readonly SeriesStyle[], index: number): string {
  const style = series[index]!;
  return style.hatch ? `url(#${chartId}-hatch-${index})` : style.fill;
}

function legend(chartId: string, series: readonly SeriesStyle[], x: number, y: number): SafeHtml {
  if (series.length < 2) return html``;
  let at = x;
  const items: SafeHtml[] = [];
  for (let i = 0; i < series.length; i += 1) {
    items.push(
      html`<g class="legend-item"><rect x="${coordinate(at)}" y="${coordinate(y - 10)}" width="12" height="12" fill="${paint(chartId, series, i)}" stroke="${AXIS}" stroke-width="0.5"/><text class="label" x="${coordinate(at + 16)}" y="${coordinate(y)}" fill="${AXIS}" font-size="11">${series[i]!.name}</text></g>`,
    );
    at += 28 + series[i]!.name.length * 6.5;
  }
  return html`<g class="legend">${items}</g>`;
}

/** A label no wider than `chars` characters (the whole label stays in the mark's title and the table). */
export function clip(label: string, chars: number): string {
  const characters = [...label];
  return characters.length <= chars ? label : `${characters.slice(0, Math.max(1, chars - 1)).join('')}…`;
}

/** One bar segment: from and to on the value axis (units), in a series. */
export interface BarSegment {
  series: number;
  from: bigint;
  to: bigint;
  /** The value as shown in the mark's title. */
  text: string;
  /** The value printed beside the bar (default `text`; '' for none, e.g. inside a stack). */
  label?: string;
}

/** One row of a horizontal bar chart. */
export interface BarRow {
  label: string;
  segments: readonly BarSegment[];
  /** data-* attributes of the row's group (what the row stands for, machine-readable). */
  data?: Readonly<Record<string, string>>;
  /** The row's group's class (default "bar-row"). */
  kind?: string;
  /** A fill per row instead of the series' (e.g. the ageing ramp). */
  fill?: string;
  hatch?: boolean;
}

export interface BarChart extends ChartText {
  rows: readonly BarRow[];
  series: readonly SeriesStyle[];
  /** Decimals of the values (0 for counts). */
  scale: number;
  /** What the value axis counts ("open cases", "EUR"). */
  unit: string;
  table: DataTable;
}

const BAR_WIDTH = 720;
/** The width of a character of the 11-unit labels, generously (the widest digits and capitals). */
const CHAR_WIDTH = 7;
const ROW_HEIGHT = 26;

/** The geometry of a bar chart: the frame, the axis, and each segment's rectangle inside the plot area. */
export function barGeometry(chart: Pick<BarChart, 'rows' | 'scale' | 'series'>): {
  frame: Frame;
  plot: PlotArea;
  axis: Axis;
  labelChars: number;
  /** Characters printed left of the plot (values below zero). */
  printedLeft: number;
  rects: { row: number; segment: number; x: number; y: number; width: number; height: number }[];
} {
  const longest = chart.rows.reduce((most, row) => Math.max(most, [...row.label].length), 0);
  const labelChars = Math.min(32, Math.max(6, longest));
  // Room for the value printed beside a bar: right of the plot for values above zero, left of it below.
  const printed = (negative: boolean): number =>
    chart.rows.reduce((most, row) => row.segments.reduce((m, segment) => (segment.to < 0n === negative ? Math.max(m, [...(segment.label ?? segment.text)].length) : m), most), 0);
  const left = 16 + Math.ceil(labelChars * CHAR_WIDTH) + Math.ceil(printed(true) * CHAR_WIDTH);
  const right = Math.max(24, 12 + Math.ceil(printed(false) * CHAR_WIDTH));
  const legendSpace = chart.series.length > 1 ? 22 : 0;
  const frame: Frame = { width: BAR_WIDTH, height: 0, left, right, top: 10 + legendSpace, bottom: 34 };
  frame.height = frame.top + Math.max(1, chart.rows.length) * ROW_HEIGHT + frame.bottom;
  const plot = plotArea(frame);
  const values: bigint[] = [];
  for (const row of chart.rows) for (const segment of row.segments) values.push(segment.from, segment.to);
  // As many ticks as their labels leave room for (long money labels get fewer).
  let axis = valueAxis(values, chart.scale);
  for (let target = 4; target >= 1 && !ticksFit(axis, plot.x1 - plot.x0); target -= 1) axis = valueAxis(values, chart.scale, target);
  const xOf = (units: bigint): number => plot.x0 + axisFraction(axis, units) * (plot.x1 - plot.x0);
  const rects: { row: number; segment: number; x: number; y: number; width: number; height: number }[] = [];
  chart.rows.forEach((row, r) => {
    // A row's segments share its lane: stacked (one from where the other ends) or either side of zero.
    const y = plot.y0 + r * ROW_HEIGHT + 4;
    row.segments.forEach((segment, s) => {
      const a = xOf(segment.from);
      const b = xOf(segment.to);
      rects.push({ row: r, segment: s, x: Math.min(a, b), y, width: Math.abs(b - a), height: ROW_HEIGHT - 8 });
    });
  });
  return { frame, plot, axis, labelChars, printedLeft: printed(true), rects };
}

/** Whether the tick labels of an axis fit side by side along `length`. */
export function ticksFit(axis: Axis, length: number): boolean {
  const widest = axis.ticks.reduce((most, tick) => Math.max(most, tick.label.length), 0);
  return axis.ticks.length < 2 || length / (axis.ticks.length - 1) >= widest * CHAR_WIDTH + 8;
}

/** A horizontal bar chart (a row per category; segments may go below zero: money out). */
export function barChart(chart: BarChart): SafeHtml {
  if (chart.rows.length === 0) return figure(chart, undefined, chart.table);
  const { frame, plot, axis, labelChars, printedLeft, rects } = barGeometry(chart);
  const xOf = (units: bigint): number => plot.x0 + axisFraction(axis, units) * (plot.x1 - plot.x0);
  const last = axis.ticks.length - 1;
  const grid = axis.ticks.map(
    (tick, i) =>
      html`<line class="grid" x1="${coordinate(xOf(tick.units))}" y1="${plot.y0}" x2="${coordinate(xOf(tick.units))}" y2="${plot.y1}" stroke="${tick.units === 0n ? AXIS : GRID}" stroke-width="1"/><text class="label tick" x="${coordinate(xOf(tick.units))}" y="${plot.y1 + 14}" text-anchor="${i === 0 && last > 0 ? 'start' : i === last && last > 0 ? 'end' : 'middle'}" fill="${AXIS}" font-size="11">${tick.label}</text>`,
  );
  const rowFill = (row: BarRow, series: number): string => {
    if (row.fill !== undefined) return row.hatch ? `url(#${chart.id}-row-hatch-${row.fill.slice(1)})` : row.fill;
    return paint(chart.id, chart.series, series);
  };
  const rowHatches = [...new Set(chart.rows.filter((row) => row.fill !== undefined && row.hatch).map((row) => row.fill!))].map(
    (fill) =>
      html`<pattern id="${chart.id}-row-hatch-${fill.slice(1)}" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="${fill}"/><line x1="0" y1="0" x2="0" y2="6" stroke="${BACKGROUND}" stroke-width="2"/></pattern>`,
  );
  const marks = chart.rows.map((row, r) => {
    const y = plot.y0 + r * ROW_HEIGHT;
    const data = Object.entries(row.data ?? {}).map(([name, value]) => html` data-${name}="${value}"`);
    const segments = row.segments.map((segment, s) => {
      const rect = rects.find((each) => each.row === r && each.segment === s)!;
      const end = segment.to >= segment.from ? rect.x + rect.width : rect.x;
      const textX = segment.to >= 0n ? end + 4 : end - 4;
      const shown = segment.label ?? segment.text;
      return html`<rect class="chart-bar series-${segment.series}" x="${coordinate(rect.x)}" y="${coordinate(rect.y)}" width="${coordinate(rect.width)}" height="${coordinate(rect.height)}" fill="${rowFill(row, segment.series)}" stroke="${INK}" stroke-width="0.5"><title>${row.label}: ${segment.text}${chart.series.length > 1 ? ` (${chart.series[segment.series]?.name ?? ''})` : ''}</title></rect>${shown === '' ? '' : html`<text class="value" x="${coordinate(textX)}" y="${coordinate(rect.y + rect.height / 2 + 4)}" text-anchor="${segment.to >= 0n ? 'start' : 'end'}" fill="${INK}" font-size="11">${shown}</text>`}`;
    });
    return html`<g class="${row.kind ?? 'bar-row'}"${data}><text class="label" x="${frame.left - 8 - Math.ceil(printedLeft * CHAR_WIDTH)}" y="${coordinate(y + ROW_HEIGHT / 2 + 4)}" text-anchor="end" fill="${AXIS}" font-size="11">${clip(row.label, labelChars)}</text>${segments}</g>`;
  });
  const svg = html`${svgOpen(chart, frame)}${patterns(chart.id, chart.series)}${rowHatches.length ? html`<defs>${rowHatches}</defs>` : ''}${legend(chart.id, chart.series, plot.x0, 18)}${grid}${marks}<text class="label unit" x="${plot.x1}" y="${plot.y1 + 27}" text-anchor="end" fill="${AXIS}" font-size="11">${chart.unit}</text></svg>`;
  return figure(chart, svg, chart.table);
}

/** One point of a line chart: its label on the x axis, its value (units of 10^-scale) and how it is shown. */
export interface LinePoint {
  label: string;
  value: bigint;
  text: string;
  data?: Readonly<Record<string, string>>;
}

export interface LineChart extends ChartText {
  points: readonly LinePoint[];
  scale: number;
  /** A fixed axis (e.g. 0..100 %) instead of one fitted to the values. */
  axis?: Axis;
  unit: string;
  table: DataTable;
}

/** At most this many points are drawn as marks with a label; the line is drawn through all of them. */
export const MAX_MARKS = 60;
const X_LABELS = 8;

/** The geometry of a line chart: the frame, the axis and each point's position inside the plot area. */
export function lineGeometry(chart: Pick<LineChart, 'points' | 'scale' | 'axis'>): { frame: Frame; plot: PlotArea; axis: Axis; xy: { x: number; y: number }[] } {
  const frame: Frame = { width: BAR_WIDTH, height: 260, left: 56, right: 24, top: 22, bottom: 40 };
  const plot = plotArea(frame);
  const axis =
    chart.axis ??
    valueAxis(
      chart.points.map((point) => point.value),
      chart.scale,
    );
  const xs = spread(chart.points.length, plot.x0 + 12, plot.x1 - 12);
  const xy = chart.points.map((point, i) => ({ x: xs[i]!, y: plot.y1 - axisFraction(axis, point.value) * (plot.y1 - plot.y0) }));
  return { frame, plot, axis, xy };
}

/** A line chart (e.g. the match rate per run): the line through every point, a mark on each when there are few. */
export function lineChart(chart: LineChart): SafeHtml {
  if (chart.points.length === 0) return figure(chart, undefined, chart.table);
  const { frame, plot, axis, xy } = lineGeometry(chart);
  const grid = axis.ticks.map((tick) => {
    const y = plot.y1 - axisFraction(axis, tick.units) * (plot.y1 - plot.y0);
    return html`<line class="grid" x1="${plot.x0}" y1="${coordinate(y)}" x2="${plot.x1}" y2="${coordinate(y)}" stroke="${tick.units === axis.lo ? AXIS : GRID}" stroke-width="1"/><text class="label tick" x="${plot.x0 - 6}" y="${coordinate(y + 4)}" text-anchor="end" fill="${AXIS}" font-size="11">${tick.label}</text>`;
  });
  const line = chart.points.length > 1 ? html`<path class="chart-line" d="${linePath(xy)}" fill="none" stroke="${PAIR[0]}" stroke-width="2"/>` : '';
  const withMarks = chart.points.length <= MAX_MARKS;
  const xLabels = new Set(labelled(chart.points.length, X_LABELS));
  const marks = chart.points.map((point, i) => {
    const { x, y } = xy[i]!;
    const data = Object.entries(point.data ?? {}).map(([name, value]) => html` data-${name}="${value}"`);
    const label = xLabels.has(i) ? html`<text class="label" x="${coordinate(x)}" y="${plot.y1 + 16}" text-anchor="middle" fill="${AXIS}" font-size="11">${point.label}</text>` : '';
    if (!withMarks) return label;
    return html`<g class="point"${data}><circle class="chart-point" cx="${coordinate(x)}" cy="${coordinate(y)}" r="4" fill="${PAIR[0]}" stroke="${BACKGROUND}" stroke-width="1"><title>${point.label}: ${point.text}</title></circle><text class="value" x="${coordinate(x)}" y="${coordinate(Math.max(plot.y0 + 10, y - 8))}" text-anchor="middle" fill="${INK}" font-size="11">${point.text}</text>${label}</g>`;
  });
  const svg = html`${svgOpen(chart, frame)}${grid}${line}${marks}<text class="label unit" x="${plot.x0 - 6}" y="${plot.y0 - 8}" text-anchor="end" fill="${AXIS}" font-size="11">${chart.unit}</text></svg>`;
  return figure(chart, svg, chart.table);
}
