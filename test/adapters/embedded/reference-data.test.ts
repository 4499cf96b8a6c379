import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_REFERENCE_DATA_DIR, EmbeddedReferenceData, ReferenceDataError, loadReferenceData } from '../../../src/adapters/embedded/reference-data';
import { REFERENCE_FILES, buildReferenceData, ibanMod97 } from '../../../scripts/generate-reference-data';
import { containsPan, findPan } from '../../../src/domain/pan';
import { isKnownCurrency, parseRate, toMinorUnits } from '../../../src/domain/money';

const REPO_DIR = path.join(__dirname, '../../../reference-data');

describe('embedded reference data', () => {
  const ref = loadReferenceData();

  it('resolves the default directory to <repo>/reference-data and loads it once', () => {
    expect(path.resolve(DEFAULT_REFERENCE_DATA_DIR)).toBe(path.resolve(REPO_DIR));
    expect(loadReferenceData()).toBe(ref);
    expect(loadReferenceData(REPO_DIR)).toBe(ref);
  });

  it('loads the same data again into a fresh instance', () => {
    const fresh = new EmbeddedReferenceData(REPO_DIR);
    expect(fresh.cards.length).toBe(ref.cards.length);
    expect(fresh.accounts.length).toBe(ref.accounts.length);
  });

  it('has at least 10,000 cards and accounts, several products, currencies and statuses', () => {
    expect(ref.cards.length).toBeGreaterThanOrEqual(10_000);
    expect(ref.accounts.length).toBeGreaterThanOrEqual(10_000);
    expect(ref.merchants.length).toBeGreaterThanOrEqual(180);
    const products = new Set(ref.accounts.map((a) => a.productType));
    for (const type of ['CURRENT_STANDARD', 'CURRENT_PREMIUM', 'STUDENT', 'BUSINESS', 'CREDIT_GOLD']) expect(products.has(type)).toBe(true);
    const currencies = count(ref.accounts.map((a) => a.currency));
    expect(Object.keys(currencies).sort()).toEqual(['EUR', 'GBP', 'USD']);
    expect(currencies.GBP as number).toBeGreaterThan(ref.accounts.length * 0.8);
    const statuses = count(ref.accounts.map((a) => a.status));
    expect(Object.keys(statuses).sort()).toEqual(['CLOSED', 'DORMANT', 'FROZEN', 'OPEN']);
    expect(statuses.OPEN as number).toBeGreaterThan(ref.accounts.length * 0.9);
    expect(Object.keys(count(ref.cards.map((c) => c.status))).sort()).toEqual(['ACTIVE', 'BLOCKED', 'EXPIRED']);
    expect(Object.keys(count(ref.cards.map((c) => c.network))).sort()).toEqual(['AMEX', 'MASTERCARD', 'VISA']);
    expect(new Set(ref.merchants.map((m) => m.currency)).size).toBeGreaterThanOrEqual(6);
    expect(new Set(ref.merchants.map((m) => m.country)).size).toBeGreaterThanOrEqual(10);
  });

  it('contains nothing PAN-like in any file or record', () => {
    for (const name of readdirSync(REPO_DIR)) {
      const text = readFileSync(path.join(REPO_DIR, name), 'utf8');
      // Judged cell by cell: PCI-1 joins digit groups across a comma, so two neighbouring cells
      // (an IBAN's digits and a sort code) would read as one chain.
      const offending = text.split('\n').filter((line) => (name.endsWith('.csv') ? line.split(',') : [line]).some((cell) => containsPan(cell)));
      expect({ name, offending }).toEqual({ name, offending: [] });
    }
    expect(findPan([ref.accounts, ref.settlementAccounts, ref.cards, ref.merchants, ref.products, ref.fxRates])).toBeUndefined();
    // the check itself works on this data's shapes
    expect(containsPan('GB00LDGL4111111111111111')).toBe(true);
  });

  it('links every card to an existing account, and every account to a product in its currency', () => {
    const accountIds = new Set(ref.accounts.map((a) => a.accountId));
    expect(ref.cards.filter((c) => !accountIds.has(c.accountId))).toEqual([]);
    const mismatched = ref.accounts.filter((account) => ref.productSync(account.productType)?.perTransactionLimit.currency !== account.currency);
    expect(mismatched).toEqual([]);
    const perAccount = count(ref.cards.map((c) => c.accountId));
    expect(Object.keys(perAccount).length).toBe(ref.accounts.length);
    expect(Math.max(...Object.values(perAccount))).toBeLessThanOrEqual(2);
  });

  it('gives every merchant a settlement account in its currency, with a few very hot ones', () => {
    for (const merchant of ref.merchants) {
      const settlement = ref.accountSync(merchant.settlementAccountId);
      expect(settlement).toMatchObject({ productType: 'MERCHANT_SETTLEMENT', status: 'OPEN', currency: merchant.currency });
      expect(merchant.category).not.toBe('UNCLASSIFIED');
      expect(merchant.city.length).toBeGreaterThan(0);
    }
    const shared = count(ref.merchants.map((m) => m.settlementAccountId));
    expect(shared['SETTLE-GBP-001'] as number).toBeGreaterThanOrEqual(40);
    expect(Object.entries(shared).filter(([, n]) => n >= 10).length).toBeGreaterThanOrEqual(3);
    expect(ref.merchants.filter((m) => m.mcc === '7995').length).toBeGreaterThanOrEqual(2);
    expect(ref.merchants.some((m) => m.mcc === '6051')).toBe(true);
  });

  it('has GB IBANs with valid mod-97 check digits that carry the sort code', () => {
    const invalid = [...ref.accounts, ...ref.settlementAccounts].filter(
      (account) =>
        !/^GB[0-9]{2}[A-Z]{4}[0-9]{14}$/.test(account.iban) ||
        ibanMod97(account.iban) !== 1 ||
        !/^[0-9]{2}-[0-9]{2}-[0-9]{2}$/.test(account.sortCode) ||
        account.iban.slice(8, 14) !== account.sortCode.replace(/-/g, ''),
    );
    expect(invalid).toEqual([]);
    expect(ref.accounts.length + ref.settlementAccounts.length).toBeGreaterThan(10_000);
    expect(new Set(ref.accounts.map((a) => a.iban)).size).toBe(ref.accounts.length);
    // a known-good IBAN passes the same check
    expect(ibanMod97('GB82WEST12345698765432')).toBe(1);
  });

  it('has unique tokens of the form tok_ + 16 alphanumerics', () => {
    const tokens = ref.cards.map((c) => c.panToken);
    expect(tokens.filter((t) => !/^tok_[A-Za-z0-9]{16}$/.test(t))).toEqual([]);
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('has products with exact limits, integer fees and velocity limits', () => {
    expect(ref.products.length).toBeGreaterThanOrEqual(5);
    for (const product of ref.products) {
      expect(toMinorUnits(product.perTransactionLimit.value, product.perTransactionLimit.currency)).toBeGreaterThan(0n);
      expect(Number.isInteger(product.fxFeeBasisPoints)).toBe(true);
      expect(Number.isInteger(product.velocityLimit)).toBe(true);
      expect(typeof product.foreignTransactionsAllowed).toBe('boolean');
    }
    expect(ref.products.some((p) => !p.foreignTransactionsAllowed)).toBe(true);
  });

  it('has an FX rate (≤ 8 dp) between every pair of used currencies, roughly inverse of each other', () => {
    const used = [...new Set([...ref.accounts.map((a) => a.currency), ...ref.merchants.map((m) => m.currency)])];
    for (const from of used) {
      expect(isKnownCurrency(from)).toBe(true);
      for (const to of used) {
        if (from === to) continue;
        const rate = ref.fxRateSync(from, to);
        expect(rate?.rate).toMatch(/^[0-9]+\.[0-9]{1,8}$/);
        const there = parseRate((rate as { rate: string }).rate);
        const back = parseRate((ref.fxRateSync(to, from) as { rate: string }).rate);
        const product = (there.numerator * back.numerator * 1_000_000n) / (there.denominator * back.denominator);
        expect(product >= 999_000n && product <= 1_001_000n).toBe(true);
      }
    }
  });

  it('answers the ReferenceData port asynchronously, undefined for unknown keys', async () => {
    const card = ref.cards[0];
    if (!card) throw new Error('no cards');
    await expect(ref.card(card.panToken)).resolves.toEqual(card);
    await expect(ref.account(card.accountId)).resolves.toMatchObject({ accountId: card.accountId });
    await expect(ref.merchant('MER-00001')).resolves.toMatchObject({ id: 'MER-00001' });
    await expect(ref.product('CURRENT_STANDARD')).resolves.toMatchObject({ productType: 'CURRENT_STANDARD' });
    await expect(ref.fxRate('EUR', 'GBP')).resolves.toMatchObject({ from: 'EUR', to: 'GBP' });
    await expect(ref.card('tok_doesnotexist0000')).resolves.toBeUndefined();
    await expect(ref.account('ACC-9999999')).resolves.toBeUndefined();
    await expect(ref.merchant('MER-99999')).resolves.toBeUndefined();
    await expect(ref.product('NOPE')).resolves.toBeUndefined();
    await expect(ref.fxRate('GBP', 'GBP')).resolves.toBeUndefined();
  });

  it('matches its manifest: version, counts and per-file SHA-256', () => {
    const manifest = ref.manifest;
    expect(ref.version).toBe(manifest.version);
    expect(manifest.version).toMatch(/^2026-11-01\.[0-9a-f]{12}$/);
    for (const name of REFERENCE_FILES) {
      const hash = createHash('sha256')
        .update(readFileSync(path.join(REPO_DIR, name)))
        .digest('hex');
      expect({ name, hash }).toEqual({ name, hash: manifest.files?.[name] });
    }
    expect(manifest.counts).toMatchObject({ cards: ref.cards.length, accounts: ref.accounts.length, merchants: ref.merchants.length });
  });

  it('is exactly what the deterministic generator script produces (committed files are up to date)', () => {
    const { files } = buildReferenceData();
    expect(Object.keys(files).sort()).toEqual(readdirSync(REPO_DIR).sort());
    for (const [name, content] of Object.entries(files)) {
      expect({ name, same: readFileSync(path.join(REPO_DIR, name), 'utf8') === content }).toEqual({ name, same: true });
    }
    expect(buildReferenceData(7).manifest.version).not.toBe(ref.version);
  });

  it('refuses a damaged file with a clear error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'refdata-'));
    try {
      cpSync(REPO_DIR, dir, { recursive: true });
      writeFileSync(path.join(dir, 'cards.csv'), 'panToken,accountId,network,status\ntok_AAAAAAAAAAAAAAAA,ACC-0000001,VISA,LOST\n');
      expect(() => new EmbeddedReferenceData(dir)).toThrow(ReferenceDataError);
      expect(() => new EmbeddedReferenceData(dir)).toThrow('cards.csv line 2: unknown card status "LOST"');
      writeFileSync(path.join(dir, 'cards.csv'), 'token,account\n');
      expect(() => new EmbeddedReferenceData(dir)).toThrow(/cards\.csv: header/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function count(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
