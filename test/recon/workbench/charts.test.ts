/**
 * REC-DASH-1, the chart module (pure): exact value axes (ticks strictly increasing, 1/2/5 × 10^k
 * steps, holding zero and every value, labels that read back to the exact units, money past 2^53
 * minor units included), every drawn point and bar inside the plot area for generated data (empty,
 * one, 10,000 points; zero, negative and huge values), the empty state, escaping, no style
 * attribute and no non-finite coordinate, and colours whose order survives greyscale.
 */
import fc from 'fast-check';
import {
  axisFraction,
  bands,
  barChart,
  type BarChart,
  barGeometry,
  ChartDataError,
  clip,
  decimalPlaces,
  formatUnits,
  labelled,
  lineChart,
  type LineChart,
  lineGeometry,
  linePath,
  MAX_MARKS,
  niceStep,
  PAIR,
  RAMP,
  spread,
  ticksFit,
  toUnits,
  valueAxis,
} from '../../../src/recon/workbench/charts';

const EPSILON = 0.01;
const huge = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n });
const values = fc.oneof(fc.array(huge, { maxLength: 40 }), fc.array(fc.bigInt({ min: -1000n, max: 1000n }), { maxLength: 40 }), fc.constant([0n, 0n]), fc.constant([] as bigint[]));
const scale = fc.integer({ min: 0, max: 4 });

/** A tick or value label read back as units of 10^-scale (the thousands separators removed). */
const unitsOf = (label: string, scale: number): bigint => toUnits(label.replace(/,/g, ''), scale);

const text = (id = 'c') => ({ id, title: 'A chart', description: 'What it shows', empty: 'Nothing to draw yet: import a run.' });

function attributesOf(svg: string): string[] {
  return [...svg.matchAll(/\s(x|y|x1|x2|y1|y2|cx|cy|width|height|r)="([^"]*)"/g)].map((match) => match[2]!);
}

describe('value axes', () => {
  it('hold zero and every value, with strictly increasing ticks a 1/2/5 × 10^k step apart, labelled exactly', () => {
    fc.assert(
      fc.property(values, scale, fc.integer({ min: 1, max: 10 }), (data, decimals, target) => {
        const axis = valueAxis(data, decimals, target);
        expect(axis.lo <= 0n && axis.hi >= 0n && axis.lo < axis.hi).toBe(true);
        for (const value of data) expect(axis.lo <= value && value <= axis.hi).toBe(true);
        expect(/^[125]0*$/.test(axis.step.toString())).toBe(true);
        expect(axis.ticks[0]!.units).toBe(axis.lo);
        expect(axis.ticks.at(-1)!.units).toBe(axis.hi);
        for (let i = 1; i < axis.ticks.length; i += 1) expect(axis.ticks[i]!.units - axis.ticks[i - 1]!.units).toBe(axis.step);
        // About `target` steps: never more than twice as many and two for rounding out each end.
        expect(axis.ticks.length - 1).toBeLessThanOrEqual(2 * target + 2);
        for (const tick of axis.ticks) expect(unitsOf(tick.label, decimals)).toBe(tick.units);
      }),
      { numRuns: 500 },
    );
  });

  it('place every value between 0 and 1, monotonically, clamping what lies outside', () => {
    fc.assert(
      fc.property(fc.array(huge, { minLength: 1, maxLength: 30 }), scale, huge, (data, decimals, outside) => {
        const axis = valueAxis(data, decimals);
        const sorted = [...data].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const fractions = sorted.map((value) => axisFraction(axis, value));
        for (const f of fractions) expect(f >= 0 && f <= 1).toBe(true);
        for (let i = 1; i < fractions.length; i += 1) expect(fractions[i]!).toBeGreaterThanOrEqual(fractions[i - 1]!);
        expect(axisFraction(axis, axis.lo)).toBe(0);
        expect(axisFraction(axis, axis.hi)).toBe(1);
        const f = axisFraction(axis, outside);
        expect(f >= 0 && f <= 1).toBe(true);
      }),
    );
  });

  it('on money: exact past 2^53 minor units, labels without zero decimals only when the step is whole', () => {
    const axis = valueAxis([toUnits('99999999999999999.99', 2), toUnits('-0.21', 2)], 2);
    expect(axis.hi).toBeGreaterThanOrEqual(toUnits('99999999999999999.99', 2));
    for (const tick of axis.ticks) expect(tick.label).toMatch(/^-?\d{1,3}(,\d{3})*$/);
    const cents = valueAxis([toUnits('0.07', 2)], 2);
    expect(cents.ticks.map((tick) => tick.label)).toEqual(['0.00', '0.02', '0.04', '0.06', '0.08']);
    expect(valueAxis([], 0).ticks.map((tick) => tick.label)).toEqual(['0', '1']);
  });

  it('niceStep is the least 1/2/5 × 10^k at or above its argument', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -5n, max: 10n ** 25n }), (rough) => {
        const step = niceStep(rough);
        expect(step >= rough && step >= 1n).toBe(true);
        expect(/^[125]0*$/.test(step.toString())).toBe(true);
        // The next smaller nice step would be too small.
        const digits = step.toString();
        const smaller = digits[0] === '1' ? (digits.length > 1 ? 5n * 10n ** BigInt(digits.length - 2) : 0n) : digits[0] === '2' ? step / 2n : (step * 2n) / 5n;
        expect(smaller < rough || smaller === 0n).toBe(true);
      }),
    );
  });

  it('fewer ticks are chosen when their labels would not fit', () => {
    const axis = valueAxis([10n ** 20n], 0, 10);
    expect(ticksFit(axis, 200)).toBe(false);
    expect(ticksFit(valueAxis([10n ** 20n], 0, 1), 200)).toBe(true);
  });
});

describe('decimals', () => {
  it('round-trip exactly through units and the grouped label, at any scale', () => {
    fc.assert(
      fc.property(huge, scale, (units, decimals) => {
        const label = formatUnits(units, decimals);
        expect(unitsOf(label, decimals)).toBe(units);
        expect(decimalPlaces(label.replace(/,/g, ''))).toBe(decimals);
      }),
    );
  });

  it('refuse what is no decimal, or has more decimals than the axis, naming the value', () => {
    for (const bad of ['', '1e3', '1,00', ' 1', '1.', '.5', 'NaN', 'Infinity', '--1', '١٢٣']) {
      expect(() => toUnits(bad, 2)).toThrow(new ChartDataError(`chart value "${bad}" is not a decimal number`));
      expect(() => decimalPlaces(bad)).toThrow(ChartDataError);
    }
    expect(() => toUnits('1.234', 2)).toThrow('chart value "1.234" has more than 2 decimals');
  });
});

describe('positions', () => {
  it('spread, bands and labelled stay inside their range, in order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 2000 }), (n, from, length) => {
        const to = from + length;
        const xs = spread(n, from, to);
        expect(xs).toHaveLength(n);
        const outside = xs.findIndex((x, i) => x < from - EPSILON || x > to + EPSILON || (i > 0 && x <= xs[i - 1]!));
        expect(outside).toBe(-1);
        const inBands = bands(Math.min(n, 500), from, to).every((band) => band.start >= from - EPSILON && band.start + band.size <= to + EPSILON && band.size > 0);
        expect(inBands).toBe(true);
        const chosen = labelled(n, 8);
        expect(chosen.length).toBeLessThanOrEqual(Math.min(n, 8));
        if (n > 0) expect([chosen[0], chosen.at(-1)]).toEqual([0, n - 1]);
        expect(chosen.every((index, i) => index >= 0 && index < n && (i === 0 || index > chosen[i - 1]!))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('linePath goes through every point in order', () => {
    expect(linePath([])).toBe('');
    expect(linePath([{ x: 1, y: 2 }])).toBe('M1,2');
    fc.assert(
      fc.property(fc.array(fc.record({ x: fc.integer({ min: -100_000, max: 100_000 }), y: fc.integer({ min: -100_000, max: 100_000 }) }), { maxLength: 50 }), (cents) => {
        const points = cents.map((point) => ({ x: point.x / 100, y: point.y / 100 }));
        const d = linePath(points);
        expect(d === '' ? [] : d.split(' ').map((part) => part.slice(1).split(',').map(Number))).toEqual(points.map((point) => [point.x, point.y]));
        expect(d.split(' ').every((part, i) => part === '' || part[0] === (i === 0 ? 'M' : 'L'))).toBe(true);
      }),
    );
  });

  it('clip keeps short labels and marks the cut of long ones', () => {
    expect(clip('ACC-1', 10)).toBe('ACC-1');
    expect(clip('GB29NWBK60161331926819', 10)).toBe('GB29NWBK6…');
  });
});

const rowArb = fc.record({
  label: fc.string({ maxLength: 50 }),
  a: huge,
  b: fc.bigInt({ min: 0n, max: 10n ** 18n }),
});

function bars(rows: { label: string; a: bigint; b: bigint }[], decimals = 2): BarChart {
  return {
    ...text('bars'),
    scale: decimals,
    unit: 'EUR',
    series: [
      { name: 'in', fill: PAIR[0], hatch: false },
      { name: 'out', fill: PAIR[1], hatch: true },
    ],
    // Either side of zero (money in and out), or stacked (b on top of a positive a).
    rows: rows.map((row) => ({
      label: row.label,
      segments:
        row.a >= 0n
          ? [
              { series: 0, from: 0n, to: row.a, text: formatUnits(row.a, decimals) },
              { series: 1, from: row.a, to: row.a + row.b, text: formatUnits(row.b, decimals) },
            ]
          : [
              { series: 0, from: 0n, to: row.b, text: formatUnits(row.b, decimals) },
              { series: 1, from: 0n, to: row.a, text: formatUnits(row.a, decimals) },
            ],
    })),
    table: { label: 'Bars', columns: [{ heading: 'Label' }], rows: rows.map((row) => [row.label]) },
  };
}

describe('bar charts', () => {
  it('draw every bar inside the plot area, at its value, for any data (huge, negative, zero)', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 30 }), (rows) => {
        const chart = bars(rows);
        const { plot, rects, axis } = barGeometry(chart);
        expect(rects).toHaveLength(rows.length * 2);
        for (const rect of rects) {
          expect(rect.x).toBeGreaterThanOrEqual(plot.x0 - EPSILON);
          expect(rect.x + rect.width).toBeLessThanOrEqual(plot.x1 + EPSILON);
          expect(rect.y).toBeGreaterThanOrEqual(plot.y0 - EPSILON);
          expect(rect.y + rect.height).toBeLessThanOrEqual(plot.y1 + EPSILON);
          expect(rect.width).toBeGreaterThanOrEqual(0);
        }
        // A bar's length is its value's share of the axis (to the pixel's hundredth).
        const width = plot.x1 - plot.x0;
        chart.rows.forEach((row, r) =>
          row.segments.forEach((segment, s) => {
            const rect = rects.find((each) => each.row === r && each.segment === s)!;
            expect(Math.abs(rect.width - Math.abs(axisFraction(axis, segment.to) - axisFraction(axis, segment.from)) * width)).toBeLessThan(EPSILON);
          }),
        );
        const svg = barChart(chart).text;
        if (rows.length === 0) {
          expect(svg).not.toContain('<svg');
          expect(svg).toContain('Nothing to draw yet: import a run.');
        } else {
          expect(svg.match(/<rect class="chart-bar/g)).toHaveLength(rows.length * 2);
          for (const value of attributesOf(svg)) expect(Number.isFinite(Number(value))).toBe(true);
        }
        expect(svg).not.toMatch(/\sstyle=|<script/i);
        expect(svg).toContain('<details class="chart-data">');
      }),
      { numRuns: 200 },
    );
  });

  it('escape labels and texts, and name the image by its title and description', () => {
    const svg = barChart({ ...bars([{ label: '<script>alert(1)</script>', a: 1n, b: 2n }]), title: 'Money "in" & out' }).text;
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('<svg role="img" aria-labelledby="bars-title" aria-describedby="bars-desc"');
    expect(svg).toContain('<title id="bars-title">Money &quot;in&quot; &amp; out</title><desc id="bars-desc">What it shows</desc>');
    // The hatched series has its pattern, scoped by the chart id; the legend names both series.
    expect(svg).toContain('<pattern id="bars-hatch-1"');
    expect(svg).toContain('fill="url(#bars-hatch-1)"');
    expect(svg).toMatch(/<g class="legend">.*>in<.*>out</);
  });
});

function line(values: bigint[], decimals = 1): LineChart {
  return {
    ...text('line'),
    scale: decimals,
    unit: '%',
    points: values.map((value, i) => ({ label: `2025-01-${String((i % 28) + 1).padStart(2, '0')}`, value, text: formatUnits(value, decimals), data: { run: `run-${i}` } })),
    table: { label: 'Line', columns: [{ heading: 'Run' }], rows: values.map((_, i) => [`run-${i}`]) },
  };
}

describe('line charts', () => {
  it('put every point inside the plot area, left to right, higher for a higher value', () => {
    fc.assert(
      fc.property(fc.array(huge, { maxLength: 200 }), (data) => {
        const { plot, xy } = lineGeometry(line(data));
        expect(xy).toHaveLength(data.length);
        xy.forEach((point, i) => {
          expect(point.x >= plot.x0 - EPSILON && point.x <= plot.x1 + EPSILON).toBe(true);
          expect(point.y >= plot.y0 - EPSILON && point.y <= plot.y1 + EPSILON).toBe(true);
          if (i > 0) expect(point.x).toBeGreaterThan(xy[i - 1]!.x);
        });
        for (let i = 0; i < data.length; i += 1) for (let j = 0; j < data.length; j += 1) if (data[i]! > data[j]!) expect(xy[i]!.y).toBeLessThanOrEqual(xy[j]!.y);
      }),
      { numRuns: 200 },
    );
  });

  it('one point: a mark and no line; 10,000 points: one line through all, no mark, at most 8 date labels', () => {
    const one = lineChart(line([500n])).text;
    expect(one.match(/<g class="point"/g)).toHaveLength(1);
    expect(one).not.toContain('<path');
    const many = Array.from({ length: 10_000 }, (_, i) => BigInt((i * 7919) % 1001));
    const chart = line(many);
    const svg = lineChart(chart).text;
    expect(svg).not.toContain('<g class="point"');
    const d = /<path class="chart-line" d="([^"]+)"/.exec(svg)![1]!;
    expect(d.split(' ')).toHaveLength(10_000);
    const { plot } = lineGeometry(chart);
    for (const pair of d.split(' ')) {
      const [x, y] = pair.slice(1).split(',').map(Number);
      expect(x! >= plot.x0 - EPSILON && x! <= plot.x1 + EPSILON && y! >= plot.y0 - EPSILON && y! <= plot.y1 + EPSILON).toBe(true);
    }
    expect((svg.match(/<text class="label" x="[^"]+" y="[^"]+" text-anchor="middle"/g) ?? []).length).toBeLessThanOrEqual(8);
    expect(lineChart(line(many.slice(0, MAX_MARKS))).text.match(/<g class="point"/g)).toHaveLength(MAX_MARKS);
  });

  it('with no point: the empty state says why, and the table is still there', () => {
    const html = lineChart(line([])).text;
    expect(html).not.toContain('<svg');
    expect(html).toContain('<p class="muted empty" role="note">Nothing to draw yet: import a run.</p>');
    expect(html).toContain('<table aria-label="Line">');
  });
});

describe('colours', () => {
  /** WCAG relative luminance of #rrggbb. */
  const luminance = (hex: string): number => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };

  /** WCAG contrast ratio of two colours (1 = the same grey). */
  const contrast = (a: string, b: string): number => {
    const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (light! + 0.05) / (dark! + 0.05);
  };

  it('the ramp darkens step by step and the pair is far apart: the order reads in greyscale', () => {
    for (let i = 1; i < RAMP.length; i += 1) {
      expect(luminance(RAMP[i - 1]!)).toBeGreaterThan(luminance(RAMP[i]!));
      expect(contrast(RAMP[i - 1]!, RAMP[i]!)).toBeGreaterThan(1.8);
    }
    expect(contrast(PAIR[0], PAIR[1])).toBeGreaterThan(4);
    // Against the white background, even the lightest fill stands out.
    expect(contrast('#ffffff', RAMP[0])).toBeGreaterThan(1.6);
  });
});
