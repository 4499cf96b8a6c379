/**
 * API-2, API-4, PCI-3 over real HTTP: every class of bad input is refused before posting, with a
 * problem document naming the field (never its value): generated schema violations (422, each
 * field path), card numbers of every length in any field, member name, path or header (422; the
 * digits in no response, log line or state file), 413, 415, 400 (not JSON, not UTF-8, not strict
 * JSON, no Idempotency-Key), 429 with Retry-After, 404 and 405.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { cardPanArb } from '../support/pan-spellings';
import { digitFreeId, sampleAuthorisations, startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ bodyLimit: 4096 });
});
afterAll(async () => {
  await h.stop();
});

const base = sampleAuthorisations(1, 5)[0]!;
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: { in: string; field: string; detail: string }[];
}

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** A field's pointer → set its value in the document. */
function setAt(doc: Record<string, unknown>, pointer: string, value: unknown): void {
  const parts = pointer.split('/').slice(1);
  let at = doc as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) at = at[part] as Record<string, unknown>;
  at[parts[parts.length - 1]!] = value;
}

function removeAt(doc: Record<string, unknown>, pointer: string): void {
  const parts = pointer.split('/').slice(1);
  let at = doc as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) at = at[part] as Record<string, unknown>;
  delete at[parts[parts.length - 1]!];
}

const FIELDS: { pointer: string; required: boolean; bad: unknown[] }[] = [
  { pointer: '/authorizationId', required: true, bad: ['', 'has space', 42, 'x'.repeat(129)] },
  { pointer: '/network', required: true, bad: ['VISAX', 'visa', 7, null] },
  { pointer: '/stan', required: true, bad: ['12345', '1234567', 'abcdef', 123456] },
  { pointer: '/rrn', required: true, bad: ['short', 'way-too-long-rrn', 12] },
  { pointer: '/transmittedAt', required: true, bad: ['yesterday', '2026-13-01T00:00:00Z', 5] },
  { pointer: '/panToken', required: true, bad: ['tok_', 'card_12345678', true] },
  { pointer: '/responseCode', required: true, bad: ['0', '000', 'a!'] },
  { pointer: '/amount/value', required: true, bad: ['1.2345', '-5', '01', 12.5, ''] },
  { pointer: '/amount/currency', required: true, bad: ['gbp', 'GB', 'POUND', 826] },
  { pointer: '/merchant/mcc', required: true, bad: ['58', 'abcd', 5812] },
  { pointer: '/merchant/country', required: true, bad: ['GBR', 'g', 44] },
  { pointer: '/merchant/name', required: true, bad: ['', 'x'.repeat(141), 1] },
  { pointer: '/authCode', required: false, bad: ['12345', 'ab', 123456] },
  { pointer: '/terminalId', required: false, bad: ['', 'has space', 'x'.repeat(17)] },
];

describe('422 names every failing field (generated invalid bodies)', () => {
  it('one or more fields made invalid, removed, or added: each named by its JSON pointer', async () => {
    const fault = fc.oneof(
      fc
        .record({ kind: fc.constant('bad' as const), field: fc.constantFrom(...FIELDS) })
        .chain(({ field }) => fc.record({ kind: fc.constant('bad' as const), pointer: fc.constant(field.pointer), value: fc.constantFrom(...field.bad) })),
      fc.record({ kind: fc.constant('missing' as const), pointer: fc.constantFrom(...FIELDS.filter((f) => f.required).map((f) => f.pointer)), value: fc.constant(undefined) }),
      fc.record({ kind: fc.constant('extra' as const), pointer: fc.constantFrom('/extra', '/merchant/extra', '/amount/extra'), value: fc.constantFrom('x', 1, null) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fault, { minLength: 1, maxLength: 4, selector: (f) => f.pointer.split('/').slice(0, 2).join('/') }), async (faults) => {
        const doc = clone(base);
        doc.authorizationId = digitFreeId('AUTH-GEN');
        for (const f of faults) if (f.kind === 'missing') removeAt(doc, f.pointer);
        for (const f of faults) if (f.kind !== 'missing') setAt(doc, f.pointer, f.value);
        const response = await h.post(doc);
        expect(response.status).toBe(422);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        const problem = (await response.json()) as Problem;
        const named = new Set(problem.errors!.map((e) => e.field));
        for (const f of faults) {
          // An object replaced by a scalar is reported at the object; otherwise at the field itself.
          const reportedAt = [f.pointer, f.pointer.split('/').slice(0, -1).join('/')];
          if (!reportedAt.some((p) => named.has(p))) throw new Error(`${f.pointer} not named in ${JSON.stringify(problem)}`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('domain checks after the schema: an amount finer than its currency, an impossible date, a zero amount', async () => {
    const cases: [string, unknown, string][] = [
      ['/amount/value', '1.234', '/amount/value'],
      ['/transmittedAt', '2026-02-30T10:00:00Z', '/transmittedAt'],
      ['/amount/value', '0.00', '/amount/value'],
      ['/amount/currency', 'XYZ', '/amount/currency'],
    ];
    for (const [pointer, value, field] of cases) {
      const doc = clone(base);
      setAt(doc, pointer, value);
      const response = await h.post(doc);
      expect(response.status).toBe(422);
      expect(((await response.json()) as Problem).errors![0]!.field).toBe(field);
    }
    // A billing amount finer than its currency is named as itself, not as the amount.
    const billed = { ...clone(base), billingAmount: { value: '98.765', currency: 'EUR' }, conversionRate: '1.17' };
    const response = await h.post(billed);
    expect(response.status).toBe(422);
    expect(((await response.json()) as Problem).errors![0]).toMatchObject({ field: '/billingAmount/value', detail: 'billingAmount.value: has 3 decimal places; EUR allows 2' });
  });
});

describe('PCI-3: a card number anywhere is refused with 422 naming where, and is nowhere after', () => {
  const seen: string[] = [];
  const places = fc.constantFrom('/merchant/name', '/terminalId', '/authorizationId', '/rrn', '/note', '/merchant/extra', 'key-name', 'number');

  it('generated PANs (13-19 digits, Luhn-valid) in random fields', async () => {
    await fc.assert(
      fc.asyncProperty(cardPanArb(), places, fc.constantFrom('', 'card ', 'ref:'), async (pan, place, prefix) => {
        seen.push(pan);
        const doc = clone(base);
        let expected: string;
        if (place === 'key-name') {
          (doc.merchant as Record<string, unknown>)[pan] = 'x';
          expected = `/merchant/${pan}`;
        } else if (place === 'number') {
          const raw = JSON.stringify(doc).replace('"stan":', `"n":${pan},"stan":`);
          const response = await h.post(undefined, { raw });
          const text = await response.text();
          expect(response.status).toBe(422);
          expect(text).not.toContain(pan);
          return;
        } else {
          setAt(doc, place, `${prefix}${pan}`);
          expected = place;
        }
        const response = await h.post(doc);
        const text = await response.text();
        expect(response.status).toBe(422);
        expect(text).not.toContain(pan);
        const problem = JSON.parse(text) as Problem;
        expect(problem.type).toBe('https://ledgerline.bank/problems/card-number');
        // A member name holding the number is named without it.
        if (place === 'key-name') expect(problem.errors![0]!.field).not.toContain(pan);
        else expect(problem.errors![0]).toEqual({ in: 'body', field: expected, detail: expect.any(String) });
      }),
      { numRuns: 60 },
    );
  });

  it('in a path parameter, a query parameter and the Idempotency-Key', async () => {
    const pan = '4111111111111111';
    seen.push(pan);
    const inPath = await h.get(`/v1/payments/${pan}`);
    expect(inPath.status).toBe(422);
    expect(((await inPath.json()) as Problem).errors![0]).toMatchObject({ in: 'path', field: 'paymentId' });
    const inQuery = await h.get(`/v1/accounts/ACC-1/balance?ref=${pan}`);
    expect(inQuery.status).toBe(422);
    const inKey = await h.post(base, { key: `k-${pan}` });
    expect(inKey.status).toBe(422);
    expect(await inKey.text()).not.toContain(pan);
  });

  it('no digit run of any refused number is in the access log or any file of the state', () => {
    expect(seen.length).toBeGreaterThan(10);
    const logs = h.log.join('\n');
    const files = filesUnder(h.state).map((file) => readFileSync(file).toString('latin1'));
    for (const pan of seen) {
      expect(logs).not.toContain(pan);
      for (const content of files) expect(content.includes(pan)).toBe(false);
    }
  });
});

describe('the other bad-input classes', () => {
  it('413 over the body limit (declared or streamed), before anything else of the body is read', async () => {
    const big = clone(base);
    big.note = 'x'.repeat(5000);
    const declared = await h.post(big);
    expect(declared.status).toBe(413);
    // Streamed without a declared length.
    const text = JSON.stringify(big);
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < text.length; i += 500) controller.enqueue(new TextEncoder().encode(text.slice(i, i + 500)));
        controller.close();
      },
    });
    const token = await h.token();
    const streamed = await fetch(`${h.url}/v1/authorisations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'k-stream' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it('415 for a body that is not JSON by its content type; 400 for not JSON, not UTF-8, not strict JSON, no body, no Idempotency-Key', async () => {
    expect((await h.post(base, { contentType: 'text/plain' })).status).toBe(415);
    const cases: [string | Uint8Array, string][] = [
      ['{"authorizationId": ', 'not JSON'],
      [new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'UTF-8'],
      [JSON.stringify(base).replace('{', '{"stan":"000001",'), 'strict'],
      ['', 'required'],
    ];
    for (const [raw, words] of cases) {
      const response = await h.post(undefined, { raw });
      expect(response.status).toBe(400);
      expect(((await response.json()) as Problem).detail).toContain(words);
    }
    const noKey = await h.post(base, { key: '' });
    expect(noKey.status).toBe(400);
    expect(((await noKey.json()) as Problem).type).toBe('https://ledgerline.bank/problems/idempotency-key-required');
  });

  it('429 with Retry-After once a client is over its rate limit', async () => {
    const token = await h.token({ clientId: 'slow-partner' });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i += 1) {
      const response = await h.get('/v1/accounts/ACC-1/balance', token);
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    expect(statuses.slice(0, 3).every((status) => status !== 429)).toBe(true);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // Another client is not held back.
    expect((await h.get('/v1/accounts/ACC-1/balance')).status).not.toBe(429);
  });

  it('404 for an unknown path, 405 with Allow for a known path and another method, 422 for a malformed id', async () => {
    expect((await h.get('/v1/nothing-here')).status).toBe(404);
    const wrong = await fetch(`${h.url}/v1/authorisations`, { headers: { authorization: `Bearer ${await h.token()}` } });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    const malformed = await h.get('/v1/accounts/bad%20id/balance');
    expect(malformed.status).toBe(422);
    expect(((await malformed.json()) as Problem).errors![0]).toMatchObject({ in: 'path', field: 'accountId' });
  });
});
