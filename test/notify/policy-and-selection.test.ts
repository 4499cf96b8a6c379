/**
 * HOOK-2: the delivery policy (exponential backoff, full jitter, in line then parked, dead-lettered
 * at its end). NOTIFY-1: the fallback chain over random purpose/channel/language/region, and every
 * class of bad template refused when loaded.
 */
import * as fc from 'fast-check';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTemplates } from '../../src/adapters/embedded/notify-templates';
import { CHANNELS, PURPOSE_NAMES } from '../../src/notify/catalogue';
import type { AttemptOutcome, DeliveryPolicy } from '../../src/notify/delivery-policy';
import { backoffCeilingMs, backoffDelayMs, checkPolicy, DEFAULT_DELIVERY_POLICY, nextStep, outcomeOfStatus, parseRetryAfter, PolicyError } from '../../src/notify/delivery-policy';
import type { Template } from '../../src/notify/template';
import { checkTemplateSet, fallbackChain, NoTemplateError, parseTemplate, selectTemplate, TemplateError } from '../../src/notify/template';

const policy: DeliveryPolicy = { ...DEFAULT_DELIVERY_POLICY, inlineAttempts: 3, maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 60_000, maxInlineDelayMs: 2000, maxAgeMs: 24 * 3600_000 };
const retryable: AttemptOutcome = { kind: 'retryable', reason: 'HTTP 503', status: 503 };

describe('the delivery policy', () => {
  it('property: a delay lies in [0, min(max, base × 2^(n−1))], the random source decides where', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const delay = backoffDelayMs(attempt, policy, () => r);
        const ceiling = backoffCeilingMs(attempt, policy);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(ceiling);
        expect(ceiling).toBe(Math.min(60_000, 1000 * 2 ** (attempt - 1)));
        expect(backoffDelayMs(attempt, policy, () => 0)).toBe(0);
      }),
    );
  });

  it('property: the ceiling never decreases with the attempt number (exponential, then capped)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 100 }), (attempt) => expect(backoffCeilingMs(attempt + 1, policy)).toBeGreaterThanOrEqual(backoffCeilingMs(attempt, policy))));
  });

  it.each([-0.1, 1, Number.NaN, 2])('refuses a random source giving %s', (r) => {
    expect(() => backoffDelayMs(1, policy, () => r)).toThrow(PolicyError);
  });

  it('retries in line while cheap, then parks for the sweeper, then dead-letters with the reason', () => {
    const start = new Date('2026-12-06T00:00:00Z');
    const steps = Array.from({ length: policy.maxAttempts }, (_, i) => nextStep({ attempt: i + 1, outcome: retryable, firstAttemptAt: start, now: start, inline: true, policy, random: () => 0.5 }));
    expect(steps[0]).toEqual({ kind: 'retry-inline', delayMs: 500 });
    expect(steps[1]).toEqual({ kind: 'retry-inline', delayMs: 1000 });
    expect(steps[2]).toEqual({ kind: 'park', dueAt: new Date(start.getTime() + 2000).toISOString(), delayMs: 2000 });
    expect(steps.slice(3, -1).every((step) => step.kind === 'park')).toBe(true);
    expect(steps.at(-1)).toEqual({ kind: 'dead-letter', reason: 'attempts exhausted (8 of 8); last: HTTP 503' });
    // Re-driven by the sweeper: never in line.
    expect(nextStep({ attempt: 1, outcome: retryable, firstAttemptAt: start, now: start, inline: false, policy, random: () => 0.5 }).kind).toBe('park');
  });

  it('property: an attempt ends in exactly one of done / retry / park / dead-letter, consistent with the policy', () => {
    const outcomeArb: fc.Arbitrary<AttemptOutcome> = fc.oneof(
      fc.integer({ min: 200, max: 299 }).map((status) => outcomeOfStatus(status)),
      fc.integer({ min: 300, max: 599 }).map((status) => outcomeOfStatus(status)),
      fc.constant<AttemptOutcome>({ kind: 'retryable', reason: 'timed out after 10 ms' }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        outcomeArb,
        fc.boolean(),
        fc.integer({ min: 0, max: 30 * 3600_000 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (attempt, outcome, inline, age, r) => {
          const first = new Date('2026-12-06T00:00:00Z');
          const now = new Date(first.getTime() + age);
          const step = nextStep({ attempt, outcome, firstAttemptAt: first, now, inline, policy, random: () => r });
          if (outcome.kind === 'delivered') return expect(step.kind).toBe('done');
          if (outcome.kind === 'refused' || attempt >= policy.maxAttempts) return expect(step.kind).toBe('dead-letter');
          if (step.kind === 'dead-letter') return expect(step.reason).toMatch(/older than/);
          expect(step.kind === 'park' || (inline && step.kind === 'retry-inline')).toBe(true);
          if (step.kind === 'park') expect(Date.parse(step.dueAt)).toBeGreaterThanOrEqual(now.getTime());
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('classifies HTTP answers: 2xx delivered; 5xx, 408, 425, 429 retried; other 4xx and 3xx refused', () => {
    expect(outcomeOfStatus(204).kind).toBe('delivered');
    for (const status of [500, 502, 503, 504, 408, 425, 429]) expect(outcomeOfStatus(status).kind).toBe('retryable');
    for (const status of [301, 400, 401, 403, 404, 410, 422]) expect(outcomeOfStatus(status).kind).toBe('refused');
  });

  it('honours Retry-After (seconds or a date) as the least delay', () => {
    const now = new Date('2026-12-06T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sun, 06 Dec 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    const step = nextStep({ attempt: 1, outcome: { kind: 'retryable', reason: 'HTTP 429', status: 429, retryAfterMs: 120_000 }, firstAttemptAt: now, now, inline: true, policy, random: () => 0 });
    expect(step).toEqual({ kind: 'park', dueAt: '2026-12-06T00:02:00.000Z', delayMs: 120_000 });
  });

  it.each([
    [{ inlineAttempts: 0 }, /inlineAttempts = 0/],
    [{ maxAttempts: 2, inlineAttempts: 3 }, /inlineAttempts 3 > maxAttempts 2/],
    [{ baseDelayMs: -1 }, /baseDelayMs = -1/],
    [{ timeoutMs: 1.5 }, /timeoutMs = 1.5/],
  ])('refuses a policy with %o', (change, message) => {
    expect(() => checkPolicy({ ...DEFAULT_DELIVERY_POLICY, ...change })).toThrow(message);
  });
});

// --- Template selection -------------------------------------------------------------------

const LANGUAGES = ['en', 'de', 'fr', 'it', 'es', 'nl'];
const REGIONS = ['GB', 'US', 'DE', 'CH', 'FR', 'IT', 'AT'];

function template(purpose: Template['purpose'], channel: Template['channel'], language: string, region: string | undefined, version: number): Template {
  const needsSubject = channel === 'email' || channel === 'push';
  return {
    id: `${purpose}/${channel}/${language}${region ? `-${region}` : ''}`,
    version,
    purpose,
    channel,
    language,
    ...(region ? { region } : {}),
    ...(needsSubject ? { subject: 's' } : {}),
    text: `${language}-${region ?? ''}-v${version}`,
  };
}

const templateSetArb = fc
  .uniqueArray(
    fc.record({
      purpose: fc.constantFrom(...PURPOSE_NAMES),
      channel: fc.constantFrom(...CHANNELS),
      language: fc.constantFrom(...LANGUAGES),
      region: fc.option(fc.constantFrom(...REGIONS), { nil: undefined }),
      version: fc.integer({ min: 1, max: 4 }),
    }),
    { selector: (t) => `${t.purpose}/${t.channel}/${t.language}-${t.region ?? ''}@${t.version}`, maxLength: 60 },
  )
  .map((items) => items.map((t) => template(t.purpose, t.channel, t.language, t.region, t.version)));

describe('the fallback chain', () => {
  it('is language+region → language → default+region → default', () => {
    expect(fallbackChain({ language: 'de', region: 'CH' }, 'en')).toEqual([{ language: 'de', region: 'CH' }, { language: 'de' }, { language: 'en', region: 'CH' }, { language: 'en' }]);
    expect(fallbackChain({ language: 'en' }, 'en')).toEqual([{ language: 'en' }]);
  });

  it('property: always the first step of the chain that has a template, at its highest version, or a clear error naming every step tried', () => {
    fc.assert(
      fc.property(
        templateSetArb,
        fc.constantFrom(...PURPOSE_NAMES),
        fc.constantFrom(...CHANNELS),
        fc.constantFrom(...LANGUAGES),
        fc.option(fc.constantFrom(...REGIONS), { nil: undefined }),
        (templates, purpose, channel, language, region) => {
          const request = { purpose, channel, language, ...(region ? { region } : {}) };
          const chain = fallbackChain(request, 'en');
          const firstStep = chain.find((step) => templates.some((t) => t.purpose === purpose && t.channel === channel && t.language === step.language && t.region === step.region));
          if (!firstStep) {
            let error: unknown;
            try {
              selectTemplate(templates, request, 'en');
            } catch (caught) {
              error = caught;
            }
            expect(error).toBeInstanceOf(NoTemplateError);
            expect((error as Error).message).toBe(`no template for ${purpose} on ${channel}: tried ${chain.map((s) => (s.region ? `${s.language}-${s.region}` : s.language)).join(' → ')}`);
            return;
          }
          const chosen = selectTemplate(templates, request, 'en');
          const versions = templates.filter((t) => t.purpose === purpose && t.channel === channel && t.language === firstStep.language && t.region === firstStep.region).map((t) => t.version);
          expect([chosen.language, chosen.region]).toEqual([firstStep.language, firstStep.region]);
          expect(chosen.version).toBe(Math.max(...versions));
          // Metamorphic: adding the default-language template never breaks a request that succeeded, and makes every request succeed.
          const withDefault = [...templates, template(purpose, channel, 'en', undefined, 9)];
          expect(selectTemplate(withDefault, request, 'en').id).toBe(chosen.id);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: once the set passes checkTemplateSet, every purpose/channel it serves resolves for every locale', () => {
    fc.assert(
      fc.property(templateSetArb, fc.constantFrom(...LANGUAGES), fc.option(fc.constantFrom(...REGIONS), { nil: undefined }), (templates, language, region) => {
        const complete = [...templates];
        for (const t of templates)
          if (!complete.some((c) => c.purpose === t.purpose && c.channel === t.channel && c.language === 'en' && !c.region)) complete.push(template(t.purpose, t.channel, 'en', undefined, 1));
        checkTemplateSet(complete, 'en');
        for (const t of complete) expect(() => selectTemplate(complete, { purpose: t.purpose, channel: t.channel, language, ...(region ? { region } : {}) }, 'en')).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});

describe('template validation', () => {
  const valid = { id: 'payment.posted/sms/en', version: 1, purpose: 'payment.posted', channel: 'sms', language: 'en', text: '{{amount}} at {{merchant}}' };
  it('accepts a valid template', () => expect(parseTemplate(valid, 'x.json')).toEqual(valid));

  it.each([
    ['an unknown variable', { ...valid, text: '{{amount}} {{pan}}' }, /\/text uses \{\{pan\}\}, not a variable of payment.posted/],
    ['a stray brace', { ...valid, text: '{{amount} at' }, /"\{\{" or "\}\}" that is not a \{\{variable\}\}/],
    ['a wrong id', { ...valid, id: 'payment.posted/sms/de' }, /\/id is "payment.posted\/sms\/de", expected "payment.posted\/sms\/en"/],
    ['a subject on SMS', { ...valid, subject: 'x' }, /\/subject is not used on sms/],
    ['HTML on SMS', { ...valid, html: '<p>x</p>' }, /\/html is only for email/],
    ['an email without a subject', { ...valid, id: 'payment.posted/email/en', channel: 'email' }, /\/subject is required on email/],
    ['an unknown purpose', { ...valid, id: 'payment.lost/sms/en', purpose: 'payment.lost' }, /\/purpose "payment.lost" is not a purpose/],
    ['an unknown channel', { ...valid, channel: 'fax' }, /\/channel must be equal to one of the allowed values/],
    ['version 0', { ...valid, version: 0 }, /\/version must be >= 1/],
    ['a fractional version', { ...valid, version: 1.5 }, /\/version must be integer/],
    ['an extra property', { ...valid, colour: 'red' }, /must NOT have additional properties/],
    ['no text', { ...valid, text: undefined }, /must have required property 'text'/],
    ['a region in lower case', { ...valid, id: 'payment.posted/sms/en-gb', region: 'gb' }, /\/region must match pattern/],
    ['not an object', 'hello', /must be object/],
  ])('refuses %s, naming the file and the field', (_, document, message) => {
    expect(() => parseTemplate(document, 'payment.posted/sms.en.v1.json')).toThrow(TemplateError);
    expect(() => parseTemplate(document, 'payment.posted/sms.en.v1.json')).toThrow(message);
    expect(() => parseTemplate(document, 'payment.posted/sms.en.v1.json')).toThrow(/^payment.posted\/sms.en.v1.json: /);
  });

  describe('a template directory', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'templates-'));
      mkdirSync(join(dir, 'payment.posted'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, body: unknown) => writeFileSync(join(dir, 'payment.posted', name), typeof body === 'string' ? body : JSON.stringify(body));

    it('refuses a file named for another id or version', () => {
      write('sms.en.v2.json', valid);
      expect(() => loadTemplates(dir, 'en')).toThrow(/belongs in payment.posted\/sms.en.v1.json/);
    });
    it('refuses a file that is not JSON, naming it', () => {
      write('sms.en.v1.json', '{ nope');
      expect(() => loadTemplates(dir, 'en')).toThrow(/payment.posted\/sms.en.v1.json: not JSON/);
    });
    it('refuses a set without the default language at the end of a chain', () => {
      write('sms.de.v1.json', { ...valid, id: 'payment.posted/sms/de', language: 'de' });
      expect(() => loadTemplates(dir, 'en')).toThrow(/payment.posted on sms has no en template without a region/);
    });
    it('refuses an id and version defined twice', () => {
      expect(() => checkTemplateSet([valid as Template, valid as Template], 'en')).toThrow(/payment.posted\/sms\/en version 1 is defined twice/);
    });
    it('refuses an empty directory', () => {
      expect(() => loadTemplates(dir, 'en')).toThrow(/no templates/);
    });
    it('picks the highest version among several', () => {
      write('sms.en.v1.json', valid);
      write('sms.en.v2.json', { ...valid, version: 2, text: 'v2 {{amount}}' });
      const templates = loadTemplates(dir, 'en');
      expect(selectTemplate(templates, { purpose: 'payment.posted', channel: 'sms', language: 'fr', region: 'FR' }, 'en').version).toBe(2);
    });
  });
});
