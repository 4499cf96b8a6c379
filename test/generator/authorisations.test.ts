import { loadReferenceData } from '../../src/adapters/embedded/reference-data';
import { businessKey } from '../../src/domain/dedup';
import type { Authorisation } from '../../src/domain/events';
import { currencyExponent, toMinorUnits } from '../../src/domain/money';
import { findPan } from '../../src/domain/pan';
import { GENERATOR_MIX, GENERATOR_PACE, HIGH_RISK_MCCS, Prng, authorisationLines, generateAuthorisations } from '../../src/generator/authorisations';
import { validateAuthorisation } from '../../schemas';

const ref = loadReferenceData();
const generate = (count: number, seed: number, duplicateRate?: number): Authorisation[] => [...generateAuthorisations({ count, seed, duplicateRate, referenceData: ref })];

describe('Prng', () => {
  it('is deterministic for a seed and spreads over [0, 1)', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 10_000 }, () => a.next());
    expect(Array.from({ length: 10_000 }, () => b.next())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(new Prng(43).next()).not.toBe(new Prng(42).next());
  });
});

describe('generateAuthorisations', () => {
  const records = generate(20_000, 42, 0.05);

  it('gives identical output for the same seed and different output for another seed', () => {
    expect(JSON.stringify(generate(2_000, 42, 0.05))).toBe(JSON.stringify(records.slice(0, 2_000)));
    const other = generate(2_000, 43, 0.05);
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(records.slice(0, 2_000)));
    expect(other[0]?.authorizationId).toBe('AUTH-43-N00000001');
  });

  it('yields exactly count records whose every one validates against the authorisation schema', () => {
    expect(records).toHaveLength(20_000);
    const invalid: string[] = [];
    for (const record of records) {
      try {
        validateAuthorisation(record);
      } catch (error) {
        invalid.push(`${record.authorizationId}: ${(error as Error).message}`);
      }
    }
    expect(invalid).toEqual([]);
    expect(generate(0, 1)).toEqual([]);
  });

  it('has unique authorizationIds and nothing PAN-like', () => {
    expect(new Set(records.map((r) => r.authorizationId)).size).toBe(records.length);
    expect(findPan(records)).toBeUndefined();
  });

  it('re-sends about duplicateRate of the records with a new authorizationId but the same business key', () => {
    const firstByKey = new Map<string, Authorisation>();
    let duplicates = 0;
    for (const record of records) {
      const key = businessKey(record);
      const original = firstByKey.get(key);
      if (!original) {
        firstByKey.set(key, record);
        continue;
      }
      duplicates += 1;
      expect(record.authorizationId).not.toBe(original.authorizationId);
      expect({ ...record, authorizationId: original.authorizationId }).toEqual(original);
    }
    expect(duplicates / records.length).toBeGreaterThan(0.04);
    expect(duplicates / records.length).toBeLessThan(0.06);
    // without duplicateRate every business key is unique
    expect(new Set(generate(5_000, 42).map(businessKey)).size).toBe(5_000);
  });

  it('uses shipped card tokens and merchants, except the intended ~0.2% unknown tokens', () => {
    const originals = generate(50_000, 9);
    const unknown = originals.filter((r) => ref.cardSync(r.panToken) === undefined);
    expect(unknown.length / originals.length).toBeGreaterThan(GENERATOR_MIX.unknownCard * 0.5);
    expect(unknown.length / originals.length).toBeLessThan(GENERATOR_MIX.unknownCard * 1.6);
    expect(unknown.every((r) => /^tok_[A-Za-z0-9]{16}$/.test(r.panToken))).toBe(true);
    expect(originals.filter((r) => ref.merchantSync(r.merchant.id) === undefined)).toEqual([]);
    for (const r of originals.slice(0, 2_000)) {
      const merchant = ref.merchantSync(r.merchant.id);
      expect({ name: r.merchant.name, mcc: r.merchant.mcc, country: r.merchant.country, currency: r.amount.currency }).toEqual({
        name: merchant?.name,
        mcc: merchant?.mcc,
        country: merchant?.country,
        currency: merchant?.currency,
      });
    }
  });

  it('has the intended realistic mix', () => {
    const originals = generate(50_000, 5);
    const share = (predicate: (r: Authorisation) => boolean): number => originals.filter(predicate).length / originals.length;
    const account = (r: Authorisation) => {
      const card = ref.cardSync(r.panToken);
      return card ? ref.accountSync(card.accountId) : undefined;
    };

    expect(share((r) => r.network === 'VISA' || r.network === 'MASTERCARD')).toBeGreaterThan(0.9);
    const declined = share((r) => r.responseCode !== '00');
    expect(declined).toBeGreaterThan(0.012);
    expect(declined).toBeLessThan(0.03);
    expect(originals.filter((r) => r.responseCode === '00').every((r) => r.authCode !== undefined)).toBe(true);

    const cross = share((r) => account(r) !== undefined && account(r)?.currency !== r.amount.currency);
    expect(cross).toBeGreaterThan(0.07);
    expect(cross).toBeLessThan(0.13);
    const crossRecords = originals.filter((r) => account(r) !== undefined && account(r)?.currency !== r.amount.currency);
    const withBilling = crossRecords.filter((r) => r.billingAmount !== undefined);
    expect(withBilling.length / crossRecords.length).toBeGreaterThan(0.7);
    expect(withBilling.every((r) => r.billingAmount?.currency === account(r)?.currency && r.conversionRate !== undefined)).toBe(true);
    expect(originals.filter((r) => account(r)?.currency === r.amount.currency).every((r) => r.billingAmount === undefined)).toBe(true);

    const blocked = share((r) => HIGH_RISK_MCCS.has(r.merchant.mcc));
    expect(blocked).toBeGreaterThan(0.001);
    expect(blocked).toBeLessThan(0.006);

    const problem = share((r) => {
      const card = ref.cardSync(r.panToken);
      const acc = account(r);
      return card !== undefined && (card.status !== 'ACTIVE' || (acc !== undefined && acc.status !== 'OPEN'));
    });
    expect(problem).toBeGreaterThan(0.002);
    expect(problem).toBeLessThan(0.01);
    expect(originals.some((r) => account(r)?.status === 'CLOSED')).toBe(true);
    expect(originals.some((r) => account(r)?.status === 'FROZEN')).toBe(true);

    const overLimit = share((r) => {
      const acc = account(r);
      const product = acc ? ref.productSync(acc.productType) : undefined;
      return (
        acc !== undefined &&
        product !== undefined &&
        acc.currency === r.amount.currency &&
        toMinorUnits(r.amount.value, r.amount.currency) > toMinorUnits(product.perTransactionLimit.value, product.perTransactionLimit.currency)
      );
    });
    expect(overLimit).toBeGreaterThan(0.002);
    expect(overLimit).toBeLessThan(0.02);
  });

  it('writes amounts with exactly the precision of their currency', () => {
    const wrong = records.filter((r) => {
      const exponent = currencyExponent(r.amount.currency);
      const fraction = r.amount.value.split('.')[1] ?? '';
      return fraction.length !== exponent || toMinorUnits(r.amount.value, r.amount.currency) <= 0n;
    });
    expect(wrong).toEqual([]);
    const currencies = new Set(records.map((r) => r.amount.currency));
    expect(currencies.has('JPY') || currencies.has('BHD')).toBe(true);
  });

  it('has 6-digit STANs, 12-character RRNs and increasing transmission times from the fixed start', () => {
    expect(records[0]?.transmittedAt.startsWith('2026-11-01T00:00:00')).toBe(true);
    let previous = '';
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const record of records) {
      if (!/^[0-9]{6}$/.test(record.stan) || !/^[A-Za-z0-9]{12}$/.test(record.rrn)) problems.push(`${record.authorizationId}: stan/rrn`);
      const key = businessKey(record);
      if (seen.has(key)) continue; // a re-send keeps the original's time
      seen.add(key);
      if (!(record.transmittedAt > previous)) problems.push(`${record.authorizationId}: ${record.transmittedAt} <= ${previous}`);
      previous = record.transmittedAt;
    }
    expect(problems).toEqual([]);
  });

  it('paces like a real network: a card pays about once an hour, except the one burst card of each hour', () => {
    const records = generate(60_000, 21);
    const first = Date.parse(records[0]!.transmittedAt);
    const last = Date.parse(records[records.length - 1]!.transmittedAt);
    const meanGap = (last - first) / (records.length - 1);
    expect(meanGap).toBeGreaterThan(GENERATOR_PACE.meanGapMs * 0.9);
    expect(meanGap).toBeLessThan(GENERATOR_PACE.meanGapMs * 1.1);

    // Whole hours only: the last hour of the run is cut short.
    const lastHour = Math.floor(last / 3_600_000);
    const perCardHour = new Map<string, number>();
    for (const r of records) {
      const hour = Math.floor(Date.parse(r.transmittedAt) / 3_600_000);
      if (hour === lastHour) continue;
      const key = `${r.panToken}@${hour}`;
      perCardHour.set(key, (perCardHour.get(key) ?? 0) + 1);
    }
    const hours = new Set([...perCardHour.keys()].map((key) => key.split('@')[1])).size;
    expect(hours).toBe(4);
    const counts = [...perCardHour.values()].sort((a, b) => b - a);
    // One burst card per hour, far over the strictest product velocity limit (8 an hour)...
    expect(counts.slice(0, hours).every((n) => n > 40)).toBe(true);
    // ...while every other card pays a handful of times at most.
    expect(counts[hours]).toBeLessThanOrEqual(10);
  });

  it('rejects bad options', () => {
    expect(() => generate(-1, 1)).toThrow(RangeError);
    expect(() => generate(10, 1, 1.5)).toThrow(RangeError);
  });
});

describe('authorisationLines', () => {
  it('yields one JSON object per line, the same records as generateAuthorisations', () => {
    const lines = [...authorisationLines({ count: 500, seed: 8, duplicateRate: 0.1, referenceData: ref })];
    expect(lines).toHaveLength(500);
    expect(lines.every((line) => !line.includes('\n'))).toBe(true);
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(generate(500, 8, 0.1));
  });
});
