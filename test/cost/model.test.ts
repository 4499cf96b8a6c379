/**
 * COST-1: the bill per 1M posted payments. The arithmetic is exact (each line is count per payment ×
 * payments × unit price, rounded once to micro-dollars), linear in the measured counts, and the
 * total is the sum of the lines; a small fixture gives a golden report; malformed counts and price
 * files are refused naming the field.
 */
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeCost, CostFileError, CostModelError, countsToJson, Exact, parseCounts, parsePrices, readDeploymentConfig, reportDocument, type MeasuredCounts, type PriceList } from '../../src/cost';

const FIXTURES = join(__dirname, 'fixtures');
const PRICE_FILE = join(__dirname, '../../config/prices/aws-us-east-1.2026-12.json');
const pricesJson = () => JSON.parse(readFileSync(PRICE_FILE, 'utf8')) as Record<string, unknown>;
const countsJson = () => JSON.parse(readFileSync(join(FIXTURES, 'small.counts.json'), 'utf8')) as Record<string, unknown>;
const synth = () => JSON.parse(readFileSync(join(FIXTURES, 'small.synth.json'), 'utf8')) as Record<string, unknown>;
const prices: PriceList = parsePrices(pricesJson(), 'prices.json');
const config = readDeploymentConfig('test', synth());
const counts: MeasuredCounts = parseCounts(countsJson(), 'small.counts.json');

/** The counts with every count-driven figure (not the principals or the run's identity) scaled by k. */
function scaled(base: MeasuredCounts, k: number): MeasuredCounts {
  const json = countsToJson(base) as Record<string, unknown>;
  const skip = new Set(['count', 'posted', 'seed', 'injected', 'topology']);
  const walk = (value: unknown, key: string): unknown => {
    if (skip.has(key)) return value;
    if (typeof value === 'number') return value * k;
    if (typeof value === 'string' && /^(readUnits|writeUnits)$/.test(key)) return Exact.parse(value).times(k).toString();
    if (Array.isArray(value)) return value.map((item) => walk(item, ''));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, walk(inner, name)]));
    return value;
  };
  const out = walk(json, '') as Record<string, unknown>;
  out.count = base.count * Math.max(1, k);
  return parseCounts(out, 'scaled');
}

const multiplier = fc.integer({ min: 0, max: 1000 });
/** Random measured counts of the fixture's shape: every figure drawn at random. */
const randomCounts = fc
  .record({
    posted: fc.integer({ min: 1, max: 100_000 }),
    numbers: fc.array(fc.integer({ min: 0, max: 5_000_000 }), { minLength: 64, maxLength: 64 }),
    halves: fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 4, maxLength: 4 }),
  })
  .map(({ posted, numbers, halves }) => {
    let next = 0;
    const json = countsToJson(counts) as Record<string, unknown>;
    let h = 0;
    const walk = (value: unknown, key: string): unknown => {
      if (['count', 'posted', 'seed', 'injected', 'topology'].includes(key)) return value;
      if (typeof value === 'number') return numbers[next++ % numbers.length];
      if (typeof value === 'string' && /^(readUnits|writeUnits)$/.test(key)) return Exact.of(halves[h++ % halves.length]!, 2).toString();
      if (Array.isArray(value)) return value.map((item) => walk(item, ''));
      if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, walk(inner, name)]));
      return value;
    };
    const out = walk(json, '') as Record<string, unknown>;
    out.posted = posted;
    out.count = posted;
    return parseCounts(out, 'random');
  });

describe('the cost model', () => {
  it('computes each line exactly: count per payment × 1,000,000 × unit price, rounded once to micro-dollars', () => {
    fc.assert(
      fc.property(randomCounts, (random) => {
        const report = computeCost(prices, config, random);
        for (const line of report.lines) {
          expect(line.quantity.equals(line.perPayment.times(1_000_000))).toBe(true);
          expect(line.dollars.equals(line.quantity.times(prices.prices[line.priceKey].usd))).toBe(true);
          expect(line.microDollars).toBe(line.dollars.scaled(6));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('totals are the sum of the lines', () => {
    fc.assert(
      fc.property(randomCounts, (random) => {
        const report = computeCost(prices, config, random);
        expect(report.totalMicroDollars).toBe(report.lines.reduce((sum, line) => sum + line.microDollars, 0n));
        const document = reportDocument(report, { pricesFile: 'p', prices, countsFile: 'c', counts: random, synthDir: 's' }) as { lines: { usd: string }[]; totalUsd: string };
        expect(Exact.sum(document.lines.map((line) => Exact.parse(line.usd))).equals(Exact.parse(document.totalUsd))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('is linear in the measured counts: k times every count is k times every count-driven line', () => {
    fc.assert(
      fc.property(multiplier, (k) => {
        const base = computeCost(prices, config, counts);
        const bigger = computeCost(prices, config, scaled(counts, k));
        for (const line of base.lines) {
          const other = bigger.lines.find((candidate) => candidate.id === line.id)!;
          // KMS for SSE-KMS queues is per principal and data key period (time), not per message.
          if (line.id === 'kms.requests') continue;
          expect(other.dollars.equals(line.dollars.times(k))).toBe(true);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('divides by the payments posted: the same run measured twice over costs the same per payment', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), (k) => {
        const twice = scaled(counts, k);
        const json = countsToJson(twice) as Record<string, unknown>;
        json.posted = counts.posted * k;
        const report = computeCost(prices, config, parseCounts(json, 'k'));
        const base = computeCost(prices, config, counts);
        for (const line of base.lines) expect(report.lines.find((candidate) => candidate.id === line.id)!.dollars.equals(line.dollars)).toBe(true);
      }),
      { numRuns: 20 },
    );
  });

  it('gives the golden report for the small fixture (hand-checked lines below)', () => {
    const report = computeCost(prices, config, counts);
    const document = reportDocument(report, {
      pricesFile: 'config/prices/aws-us-east-1.2026-12.json',
      prices,
      countsFile: 'test/cost/fixtures/small.counts.json',
      counts,
      synthDir: 'test/cost/fixtures/small.synth.json',
    });
    const golden = join(FIXTURES, 'small.report.json');
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, `${JSON.stringify(document, null, 2)}\n`);
    expect(document).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
    const usd = (id: string) => (document.lines as { id: string; usd: string }[]).find((line) => line.id === id)?.usd;
    // 141 custom + 4 S3 chunks per 100 payments × 1M × $1/M = $1.45 per payment... = $1,450,000 / 1M payments ÷ 1M = 1.45 × $1
    expect(usd('eventbridge.events')).toBe('1.450000');
    // (125 + 14 + 13) requests / 100 × 1M × $0.40/M = $0.608
    expect(usd('sqs.requests')).toBe('0.608000');
    // 1,250 WRU / 100 × 1M × $0.625/M = $7.8125
    expect(usd('dynamodb.writes')).toBe('7.812500');
    // (40 + 60.5) RRU / 100 × 1M × $0.125/M = $0.125625
    expect(usd('dynamodb.reads')).toBe('0.125625');
    // (1024 MB × 800 ms + 512 MB × 90 ms) / 1024 / 1000 = 0.845 GB-s per 100 payments → × 1M / 100 × $0.0000133334 = $0.11266723
    expect(usd('lambda.compute.arm64')).toBe('0.112667');
    // (4 + 12) invocations / 100 × 1M × $0.20/M
    expect(usd('lambda.requests')).toBe('0.032000');
    // KMS: 1M payments at 1,111/s take 900.09 s; one CMK queue: 900.09 / 300 × (2 × 1 + 1) = 9.0009 requests × $0.03/10k
    expect(usd('kms.requests')).toBe('0.000027');
    expect(document.totalUsd).toBe(
      Exact.sum((document.lines as { usd: string }[]).map((line) => Exact.parse(line.usd)))
        .toFixed(6)
        .toString(),
    );
  });

  it('checks each quota at the rate: need, headroom = quota ÷ need, max payments/s = quota ÷ need per payment', () => {
    const report = computeCost(prices, config, counts);
    const quota = (id: string) => report.quotas.find((check) => check.id === id)!;
    const putEvents = quota('eventbridge.putEvents');
    // eu-west-2 lists 1,200 PutEvents requests/s; 15 requests / 100 payments × 1,111/s = 166.65/s.
    expect(putEvents.quota.toString()).toBe('1200');
    expect(putEvents.regional).toBe(true);
    expect(putEvents.needAtRate.toString()).toBe('166.65');
    expect(putEvents.headroom!.equals(Exact.of(1200).dividedBy(Exact.parse('166.65')))).toBe(true);
    expect(putEvents.maxPaymentsPerSecond!.toString()).toBe('8000');
    expect(quota('eventbridge.invocations').quota.toString()).toBe('2250');
    // Little's law: (0.7985 s + 0.084 s) / 100 payments × 1,111/s concurrent executions.
    expect(quota('lambda.concurrency').needAtRate.equals(Exact.parse('0.8825').dividedBy(100).times(1111))).toBe(true);
    expect(quota('lambda.reserved.ledgerline-test-hot-path').quota.toString()).toBe('50');
    const mapping = quota('sqs.esm.ledgerline-test-payments-queue');
    expect(mapping.quota.toString()).toBe('40');
    expect(mapping.needAtRate.equals(Exact.parse('0.7985').dividedBy(100).times(1111))).toBe(true);
    const hot = quota('dynamodb.hotItem.wcu');
    expect(hot.name).toContain('1 of 2 shards seen');
    expect(hot.needAtRate.equals(Exact.of(12 * 1111, 100))).toBe(true);
    // The fastest of its 6 attempts took 8 ms: 125 serial updates a second (the mean, 10 ms, is shown).
    const serial = quota('dynamodb.hotItem.serial');
    expect(serial.quota.toString()).toBe('125');
    expect(serial.name).toContain('fastest 8.0 ms, mean 10.0 ms');
    expect(serial.needAtRate.equals(Exact.of(6 * 1111, 100))).toBe(true);
    // 130 messages / 100 payments × 1,111/s held for the 1 s window + 798.5 ms / 4 batches.
    expect(quota('sqs.inFlight').needAtRate.equals(Exact.of(130, 100).times(Exact.parse('1.199625')).times(1111))).toBe(true);
  });

  it('uses the default quota where AWS lists no regional value', () => {
    const json = synth() as Record<string, { provider: { aws: { region: string }[] } }>;
    for (const stack of Object.values(json)) stack.provider.aws[0]!.region = 'ap-south-2';
    const counted = countsJson();
    counted.region = 'ap-south-2';
    const report = computeCost(prices, readDeploymentConfig('test', json), parseCounts(counted, 'c'));
    const putEvents = report.quotas.find((check) => check.id === 'eventbridge.putEvents')!;
    expect(putEvents.quota.toString()).toBe('400');
    expect(putEvents.regional).toBe(false);
  });

  it('refuses counts measured on another environment, region or topology, naming the command that re-measures them', () => {
    const other = countsJson();
    other.env = 'prod';
    expect(() => computeCost(prices, config, parseCounts(other, 'c'))).toThrow(/measured on environment "prod".*npm run rehearse -- --env test/);
    const region = countsJson();
    region.region = 'us-east-1';
    expect(() => computeCost(prices, config, parseCounts(region, 'c'))).toThrow(CostModelError);
    const topology = countsJson();
    (topology.lambda as Record<string, unknown>)['ledgerline-test-dedup'] = (topology.lambda as Record<string, unknown>)['ledgerline-test-ingest'];
    expect(() => computeCost(prices, config, parseCounts(topology, 'c'))).toThrow(/ledgerline-test-dedup.*different topologies; synthesize afresh with `npm run synth`, or re-measure/);
  });
});

describe('refusing malformed files, naming the field', () => {
  const refuses = (parse: () => unknown, field: string) => {
    let caught: unknown;
    try {
      parse();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CostFileError);
    expect((caught as CostFileError).field).toBe(field);
  };

  it.each([
    ['a missing posted count', (json: Record<string, unknown>) => delete json.posted, 'posted'],
    [
      'capacity units as a float',
      (json: Record<string, unknown>) => (((json.dynamodb as Record<string, Record<string, unknown>>)['ledgerline-test-ledger']!.writeUnits = 1250.5), undefined),
      'dynamodb.ledgerline-test-ledger.writeUnits',
    ],
    [
      'a negative count',
      (json: Record<string, unknown>) => (((json.lambda as Record<string, Record<string, unknown>>)['ledgerline-test-ingest']!.billedMs = -1), undefined),
      'lambda.ledgerline-test-ingest.billedMs',
    ],
    [
      'a fractional count',
      (json: Record<string, unknown>) => (((json.sqs as Record<string, Record<string, unknown>>)['ledgerline-test-payments-queue']!.sendRequests = 1.5), undefined),
      'sqs.ledgerline-test-payments-queue.sendRequests',
    ],
    ['another format', (json: Record<string, unknown>) => (json.format = 'ledgerline-cost-counts/0'), 'format'],
    ['more posted than authorised', (json: Record<string, unknown>) => (json.posted = 121), 'posted'],
    ['a bad date', (json: Record<string, unknown>) => (json.date = '5 Dec 2026'), 'date'],
    ['a hot item without its key', (json: Record<string, unknown>) => delete (json.hotItems as Record<string, unknown>[])[1]!.key, 'hotItems[1].key'],
  ])('counts: %s', (_what, spoil, field) => {
    const json = countsJson();
    spoil(json);
    refuses(() => parseCounts(json, 'counts.json'), field);
  });

  it.each([
    [
      'a price as a JSON number',
      (json: Record<string, unknown>) => (((json.prices as Record<string, Record<string, unknown>>)['lambda.request']!.usd = 0.0000002), undefined),
      'prices.lambda.request.usd',
    ],
    ['a price in exponent form', (json: Record<string, unknown>) => (((json.prices as Record<string, Record<string, unknown>>)['kms.request']!.usd = '3e-6'), undefined), 'prices.kms.request.usd'],
    ['a missing price', (json: Record<string, unknown>) => delete (json.prices as Record<string, unknown>)['sqs.standardRequest'], 'prices.sqs.standardRequest'],
    ['an unknown price', (json: Record<string, unknown>) => (((json.prices as Record<string, unknown>)['sqs.fifoRequest'] = { usd: '0.0000005' }), undefined), 'prices.sqs.fifoRequest'],
    [
      'a source that is no URL',
      (json: Record<string, unknown>) => (((json.prices as Record<string, Record<string, unknown>>)['pipes.request']!.source = 'the AWS site'), undefined),
      'prices.pipes.request.source',
    ],
    ['no date', (json: Record<string, unknown>) => delete json.asOf, 'asOf'],
    [
      'a quota of zero',
      (json: Record<string, unknown>) => (((json.quotas as Record<string, Record<string, unknown>>)['lambda.concurrentExecutions']!.default = '0'), undefined),
      'quotas.lambda.concurrentExecutions.default',
    ],
    ['a missing quota', (json: Record<string, unknown>) => delete (json.quotas as Record<string, unknown>)['sqs.standardInFlightMessages'], 'quotas.sqs.standardInFlightMessages'],
  ])('prices: %s', (_what, spoil, field) => {
    const json = pricesJson();
    spoil(json);
    refuses(() => parsePrices(json, 'prices.json'), field);
  });

  it('the error message names the file and the field', () => {
    const json = countsJson();
    delete json.posted;
    expect(() => parseCounts(json, 'cost/measured/dev.counts.json')).toThrow('cost/measured/dev.counts.json: posted: expected a whole number ≥ 0, got nothing (the field is missing)');
  });
});
