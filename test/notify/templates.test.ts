/**
 * NOTIFY-1: every template in config/templates loads, renders with generated sample data for every
 * locale, escapes HTML, formats money exactly, shows a card only as the last four of its token,
 * and never lets a card number through (PCI-3), whatever the inputs carry.
 */
import * as fc from 'fast-check';
import { join } from 'node:path';
import { loadTemplates } from '../../src/adapters/embedded/notify-templates';
import type { VariableKind } from '../../src/notify/catalogue';
import { PURPOSES, variablesOf } from '../../src/notify/catalogue';
import type { Variables, VariableValue } from '../../src/notify/render';
import { renderTemplate, RenderError, webhookData } from '../../src/notify/render';
import { CURRENCY_EXPONENTS } from '../../src/domain/money';
import { cardPanArb, containsDigitsOf, panSpellingArb, SAMPLE_PANS, spellPan } from '../support/pan-spellings';

const TEMPLATES_DIR = join(__dirname, '..', '..', 'config', 'templates');
const templates = loadTemplates(TEMPLATES_DIR, 'en');

const REGIONS = ['GB', 'US', 'DE', 'CH', 'FR', 'IN', 'JP', 'BE', undefined] as const;
const ZONES = ['UTC', 'Europe/London', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham'];
const CURRENCIES = Object.keys(CURRENCY_EXPONENTS);

const tokenArb = fc.stringMatching(/^[A-Za-z0-9]{8,64}$/).map((body) => `tok_${body}`);
const moneyArb = fc.constantFrom(...CURRENCIES).chain((currency) =>
  fc.tuple(fc.bigInt({ min: -(10n ** 12n) + 1n, max: 10n ** 12n - 1n }), fc.constant(currency)).map(([minor, ccy]) => {
    const exponent = CURRENCY_EXPONENTS[ccy]!;
    const negative = minor < 0n;
    const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
    const value = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
    return { value: `${negative ? '-' : ''}${value}`, currency: ccy };
  }),
);
const isoArb = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).map((date) => date.toISOString());
/** Free text that may carry a card number in any spelling, HTML, quotes and control characters. */
const textArb = (pan: string) =>
  fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom('<script>alert(1)</script>', 'Müller & Söhne "Café"', "O'Brien\r\nBcc: evil@example.com", '{{amount}}'),
    panSpellingArb(fc.constant(pan)).map((spelling) => spelling.text),
    fc.constantFrom(...(['bare', 'prose', 'csv', 'json'] as const)).map((context) => spellPan(pan, { context })),
  );

/**
 * Identifiers the system and banks make (run ids with their date and hex digits, authorisation ids,
 * IBAN-like account ids, case ids), or one holding the card number the way card numbers are printed
 * in an identifier field: bare, or in groups of four joined by one space or hyphen.
 */
// Built once: fast-check compiles a stringMatching pattern into an arbitrary when it is made, which
// is costly (made per property run, they took most of this file's time).
const SYSTEM_IDENTIFIERS = [
  fc.tuple(fc.integer({ min: 20200101, max: 20291231 }), fc.stringMatching(/^[0-9a-f]{16}$/)).map(([day, hex]) => `run-${day}-${hex}`),
  fc.stringMatching(/^AUTH-[0-9]{1,12}-[A-Z]-[0-9a-f]{8}$/),
  fc.stringMatching(/^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,26}$/),
] as const;
const identifierArb = (pan: string) =>
  fc.oneof(
    ...SYSTEM_IDENTIFIERS,
    fc.tuple(fc.constantFrom('', 'ref ', 'case-'), fc.constantFrom(' ', '-', '')).map(([prefix, sep]) => `${prefix}${sep === '' ? pan : (pan.match(/.{1,4}/g) ?? []).join(sep)}`),
  );

function valueArb(kind: VariableKind, pan: string): fc.Arbitrary<VariableValue> {
  switch (kind) {
    case 'text':
      return textArb(pan);
    case 'identifier':
      return identifierArb(pan);
    case 'money':
      return moneyArb;
    case 'card':
      return tokenArb.map((panToken) => ({ panToken }));
    case 'datetime':
      return isoArb;
    case 'count':
      return fc.nat({ max: 10_000_000 });
  }
}

function variablesArb(purpose: keyof typeof PURPOSES, pan: string): fc.Arbitrary<Variables> {
  const entries = Object.entries(variablesOf(purpose)).map(([name, kind]) => valueArb(kind, pan).map((value) => [name, value] as const));
  return fc.tuple(...entries).map((pairs) => Object.fromEntries(pairs));
}

describe('the template set in config/templates', () => {
  it('loads: every file valid, named for its id and version, the default language ending every chain', () => {
    expect(templates.length).toBeGreaterThanOrEqual(30);
    for (const purpose of Object.keys(PURPOSES)) expect(templates.some((template) => template.purpose === purpose)).toBe(true);
  });

  it.each(templates.map((template) => [`${template.id} v${template.version}`, template] as const))('%s renders with generated data, never showing a card number', (_, template) => {
    fc.assert(
      fc.property(cardPanArb(), fc.constantFrom(...REGIONS), fc.constantFrom(...ZONES), (pan, region, timeZone) => {
        return fc.assert(
          fc.property(variablesArb(template.purpose, pan), (variables) => {
            let rendered;
            try {
              rendered = renderTemplate(template, variables, { ...(region ? { region } : {}), timeZone });
            } catch (error) {
              // Refusing is allowed; the refusal never repeats the number.
              expect(error).toBeInstanceOf(RenderError);
              expect(containsDigitsOf((error as Error).message, pan)).toBe(false);
              return;
            }
            for (const part of [rendered.subject, rendered.text, rendered.html]) {
              if (part === undefined) continue;
              expect(containsDigitsOf(part, pan)).toBe(false);
            }
            if (rendered.subject !== undefined) expect(rendered.subject).not.toMatch(/[\r\n]/);
            if (rendered.html !== undefined) expect(rendered.html).not.toMatch(/<script>/);
            expect(containsDigitsOf(JSON.stringify(webhookData(template.purpose, variables)), pan)).toBe(false);
          }),
          { numRuns: 3 },
        );
      }),
      { numRuns: 8 },
    );
  });
});

describe('rendering', () => {
  const posted = templates.find((template) => template.id === 'payment.posted/email/en' && template.version === 1)!;
  const base: Variables = {
    customerName: 'Ada',
    amount: { value: '1234.5', currency: 'EUR' },
    merchant: 'Shop',
    card: { panToken: 'tok_abcdEFGH1234' },
    postedAt: '2026-12-06T10:15:00Z',
    reference: 'AUTH-1',
  };

  it('escapes every variable in HTML and not in the text part', () => {
    const rendered = renderTemplate(posted, { ...base, merchant: '<b>"Tom & Jerry\'s"</b>' });
    expect(rendered.html).toContain('&lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;');
    expect(rendered.html).not.toContain('<b>"Tom');
    expect(rendered.text).toContain('<b>"Tom & Jerry\'s"</b>');
  });

  it('keeps a subject on one line (no header injection)', () => {
    const rendered = renderTemplate(posted, { ...base, merchant: 'Shop\r\nBcc: someone@example.com' });
    expect(rendered.subject).toBe('Payment of €1,234.50 at Shop Bcc: someone@example.com');
  });

  it('shows a card only as the last four characters of its token', () => {
    expect(renderTemplate(posted, base).text).toContain('•••• 1234');
    expect(renderTemplate(posted, base).text).not.toContain('abcdEFGH');
  });

  it.each([
    ['a card number', { panToken: SAMPLE_PANS[3]! }],
    ['a token carrying a card number', { panToken: `tok_${SAMPLE_PANS[3]!}` }],
    ['a token too short', { panToken: 'tok_abc' }],
    ['not an object', 'tok_abcdEFGH1234'],
  ])('refuses %s as a card, naming the variable and never the value', (_, card) => {
    const attempt = () => renderTemplate(posted, { ...base, card: card as VariableValue });
    expect(attempt).toThrow(RenderError);
    expect(attempt).toThrow(/variable card/);
    try {
      attempt();
    } catch (error) {
      for (const pan of SAMPLE_PANS) expect(containsDigitsOf((error as Error).message, pan)).toBe(false);
    }
  });

  it.each([
    ['a missing variable', { ...base, amount: undefined }, /amount \(money\): missing/],
    ['money with too many decimals', { ...base, amount: { value: '1.234', currency: 'EUR' } }, /amount.*3 decimal places/],
    ['money in an unknown currency', { ...base, amount: { value: '1.23', currency: 'XXX' } }, /amount.*unknown ISO 4217/],
    ['money as a float', { ...base, amount: 12.5 }, /amount \(money\): expected \{ value, currency \}/],
    ['a date without a zone', { ...base, postedAt: '2026-12-06T10:15:00' }, /postedAt.*not an ISO 8601 instant/],
    ['text as a number', { ...base, merchant: 42 }, /merchant \(text\): expected text/],
  ])('refuses %s, naming the template and the variable', (_, variables, message) => {
    expect(() => renderTemplate(posted, variables as Variables)).toThrow(message);
    expect(() => renderTemplate(posted, variables as Variables)).toThrow(/payment\.posted\/email\/en v1/);
  });

  it('formats money for the locale exactly, from the decimal string (never a float)', () => {
    const cases: [string, string, string][] = [
      ['en-GB', '12345678901234567.89', '€12,345,678,901,234,567.89'],
      ['de-DE', '0.1', '0,10 €'],
      ['de-CH', '1234567.05', "EUR 1'234'567.05"],
      ['fr-FR', '-9007199254740993.01', '-9 007 199 254 740 993,01 €'],
    ];
    for (const [locale, value, expected] of cases) {
      const template = { ...posted, language: locale.slice(0, 2) };
      const rendered = renderTemplate(template, { ...base, amount: { value, currency: 'EUR' } }, { region: locale.slice(3) });
      expect(rendered.text.replace(/\u202f|\u00a0/g, ' ')).toContain(expected);
    }
  });

  it('refuses an amount whose digits read as a card number rather than showing it', () => {
    const pan = SAMPLE_PANS.find((candidate) => candidate.length === 16)!;
    const amount = { value: `${pan.slice(0, 14)}.${pan.slice(14)}`, currency: 'EUR' };
    expect(() => renderTemplate(posted, { ...base, amount })).toThrow(/would contain a card number/);
  });

  it('property: the formatted money carries exactly the digits of the canonical amount, in every locale', () => {
    const locales = ['en-GB', 'en-US', 'de-DE', 'de-CH', 'fr-FR', 'en-IN', 'ja-JP'];
    fc.assert(
      fc.property(moneyArb, fc.constantFrom(...locales), (amount, locale) => {
        const template = { ...posted, language: locale.slice(0, 2), text: '{{amount}}', html: undefined, subject: undefined };
        const text = renderTemplate({ ...template, channel: 'sms' }, { amount }, { region: locale.slice(3) }).text;
        const exponent = CURRENCY_EXPONENTS[amount.currency]!;
        const digits = amount.value.replace(/^-/, '').replace('.', '');
        expect(text.replace(/[^0-9]/g, '')).toBe(digits);
        expect(/-|−/.test(text)).toBe(amount.value.startsWith('-') && /[1-9]/.test(amount.value));
        if (exponent > 0) expect(text.replace(/[^0-9]/g, '').slice(-exponent)).toBe(amount.value.split('.')[1]);
      }),
      { numRuns: 500 },
    );
  });
});

describe('identifiers in messages (PCI-2 evidence)', () => {
  const summary = templates.find((template) => template.id === 'reconciliation.summary/email/en' && template.version === 1)!;
  const variables = (runId: string): Variables => ({
    accountId: 'GB33BUKB20201555555555',
    runId,
    statementDate: '2026-12-05T00:00:00Z',
    matched: 3,
    exceptions: 1,
    unmatchedTotal: { value: '12.30', currency: 'GBP' },
  });

  it('a run id shows whole, whatever its date and hex digits (it used to be masked when its digits passed Luhn)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20200101, max: 20291231 }), fc.stringMatching(/^[0-9a-f]{16}$/), (day, hex) => {
        const runId = `run-${day}-${hex}`;
        const rendered = renderTemplate(summary, variables(runId));
        expect(rendered.text).toContain(runId);
        expect(rendered.html).toContain(runId);
        expect(webhookData('reconciliation.summary', variables(runId)).runId).toBe(runId);
      }),
      { numRuns: 300 },
    );
  });

  it('a card number standing in an identifier is still withheld, bare or printed in groups', () => {
    for (const pan of SAMPLE_PANS) {
      for (const spelled of [pan, (pan.match(/.{1,4}/g) ?? []).join(' '), (pan.match(/.{1,4}/g) ?? []).join('-')]) {
        const rendered = renderTemplate(summary, variables(spelled));
        expect(containsDigitsOf(rendered.text, pan)).toBe(false);
        expect(rendered.text).toContain('[REDACTED-PAN]');
      }
    }
  });
});
