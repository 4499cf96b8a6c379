/**
 * HOOK-1: signatures. Round trip, metamorphic (any change of body, timestamp or key → invalid),
 * tolerance edges both ways, key rotation, and every class of malformed header.
 */
import * as fc from 'fast-check';
import { computeSignature, KEY_ID_HEADER, parseSignatureHeader, SIGNATURE_HEADER, signWebhook, SigningError, verifyWebhook } from '../../src/notify/signing';

const secretArb = fc.string({ minLength: 16, maxLength: 64 }).filter((secret) => Buffer.byteLength(secret) >= 16);
const keyIdArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/);
const bodyArb = fc.oneof(
  fc.json(),
  fc.string(),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);
const tsArb = fc.integer({ min: 1_000_000_000, max: 4_000_000_000 });

function signed(body: string, timestamp: number, keys: { keyId: string; secret: string }[]) {
  const headers = signWebhook(body, timestamp, keys);
  return { signature: headers[SIGNATURE_HEADER]!, keyIds: headers[KEY_ID_HEADER]! };
}

describe('webhook signatures', () => {
  it('property: what is signed verifies, with the key it was signed with', () => {
    fc.assert(
      fc.property(bodyArb, tsArb, keyIdArb, secretArb, fc.integer({ min: -300, max: 300 }), (body, ts, keyId, secret, skew) => {
        const { signature, keyIds } = signed(body, ts, [{ keyId, secret }]);
        expect(verifyWebhook({ body, signature, keyIds, keys: { [keyId]: secret }, now: ts + skew })).toEqual({ valid: true, keyId, timestamp: ts });
        expect(verifyWebhook({ body: Buffer.from(body), signature, keys: secret, now: ts })).toMatchObject({ valid: true });
      }),
    );
  });

  it('property (metamorphic): any change of the body invalidates it', () => {
    fc.assert(
      fc.property(bodyArb, fc.string({ minLength: 1, maxLength: 5 }), fc.nat(), tsArb, secretArb, (body, insert, at, ts, secret) => {
        const { signature } = signed(body, ts, [{ keyId: 'k', secret }]);
        const position = body.length === 0 ? 0 : at % (body.length + 1);
        const changed = body.slice(0, position) + insert + body.slice(position);
        fc.pre(changed !== body);
        expect(verifyWebhook({ body: changed, signature, keys: { k: secret }, now: ts })).toEqual({ valid: false, reason: expect.stringMatching(/no v1 signature matches/) });
        if (body.length > 0) {
          const truncated = body.slice(0, -1);
          expect(verifyWebhook({ body: truncated, signature, keys: { k: secret }, now: ts }).valid).toBe(false);
        }
      }),
    );
  });

  it('property (metamorphic): another timestamp in the header, or another key, invalidates it', () => {
    fc.assert(
      fc.property(
        bodyArb,
        tsArb,
        fc.integer({ min: -100, max: 100 }).filter((delta) => delta !== 0),
        secretArb,
        secretArb,
        (body, ts, delta, secret, other) => {
          fc.pre(secret !== other);
          const { signature } = signed(body, ts, [{ keyId: 'k', secret }]);
          const moved = signature.replace(`t=${ts}`, `t=${ts + delta}`);
          expect(verifyWebhook({ body, signature: moved, keys: { k: secret }, now: ts })).toMatchObject({ valid: false, reason: expect.stringMatching(/no v1 signature matches/) });
          expect(verifyWebhook({ body, signature, keys: { k: other }, now: ts })).toMatchObject({ valid: false });
        },
      ),
    );
  });

  it.each([
    [0, 300, true],
    [300, 300, true],
    [-300, 300, true],
    [301, 300, false],
    [-301, 300, false],
    [0, 0, true],
    [1, 0, false],
    [86_400, 300, false],
  ])('a timestamp %i s from the receiver with tolerance %i s is valid: %s', (skew, tolerance, valid) => {
    const ts = 1_765_000_000;
    const { signature } = signed('{}', ts, [{ keyId: 'k', secret: 'a-secret-of-16-bytes' }]);
    const result = verifyWebhook({ body: '{}', signature, keys: { k: 'a-secret-of-16-bytes' }, now: ts + skew, toleranceSeconds: tolerance });
    expect(result.valid).toBe(valid);
    if (!result.valid) expect(result.reason).toMatch(skew > 0 ? /s old, outside the \d+ s tolerance/ : /in the future/);
  });

  it('rotation: while two keys sign, a receiver that knows either accepts; one that knows neither refuses', () => {
    const keys = [
      { keyId: 'k2', secret: 'the-new-secret-16b' },
      { keyId: 'k1', secret: 'the-old-secret-16b' },
    ];
    const { signature, keyIds } = signed('{"a":1}', 1000, keys);
    expect(signature.match(/v1=/g)).toHaveLength(2);
    expect(keyIds).toBe('k2,k1');
    expect(verifyWebhook({ body: '{"a":1}', signature, keyIds, keys: { k1: 'the-old-secret-16b' }, now: 1000 })).toEqual({ valid: true, keyId: 'k1', timestamp: 1000 });
    expect(verifyWebhook({ body: '{"a":1}', signature, keyIds, keys: { k2: 'the-new-secret-16b' }, now: 1000 })).toEqual({ valid: true, keyId: 'k2', timestamp: 1000 });
    expect(verifyWebhook({ body: '{"a":1}', signature, keyIds, keys: { k3: 'the-new-secret-16b' }, now: 1000 })).toEqual({ valid: false, reason: expect.stringMatching(/no known key/) });
    // A key id the header does not name is not tried, even with the right secret.
    expect(verifyWebhook({ body: '{"a":1}', signature, keyIds: 'k2', keys: { k1: 'the-old-secret-16b' }, now: 1000 }).valid).toBe(false);
  });

  const good = `t=1000,v1=${computeSignature('a-secret-of-16-bytes', 1000, 'x')}`;
  it.each([
    ['empty', ''],
    ['no timestamp', good.replace('t=1000,', '')],
    ['no signature', 't=1000'],
    ['a timestamp twice', `t=1000,${good}`],
    ['a non-numeric timestamp', good.replace('t=1000', 't=abc')],
    ['a negative timestamp', good.replace('t=1000', 't=-1000')],
    ['short hex', good.slice(0, -2)],
    ['upper-case hex', good.replace(/v1=(.*)$/, (_, hex: string) => `v1=${hex.toUpperCase()}`)],
    ['not key=value', `${good},garbage`],
  ])('refuses a malformed header: %s', (_, header) => {
    expect(verifyWebhook({ body: 'x', signature: header, keys: 'a-secret-of-16-bytes', now: 1000 })).toEqual({ valid: false, reason: expect.stringMatching(/is not "t=/) });
  });

  it('ignores unknown schemes beside v1 (forward compatibility)', () => {
    expect(parseSignatureHeader(`${good},v0=abc`)).toMatchObject({ timestamp: 1000 });
    expect(verifyWebhook({ body: 'x', signature: `${good},v9=zzz`, keys: 'a-secret-of-16-bytes', now: 1000 }).valid).toBe(true);
  });

  it.each([
    ['no key', [], 1000, /no signing key/],
    ['a short secret', [{ keyId: 'k', secret: 'short' }], 1000, /at least 16 bytes/],
    ['a bad key id', [{ keyId: 'a,b', secret: 'a-secret-of-16-bytes' }], 1000, /key id "a,b"/],
    ['a fractional timestamp', [{ keyId: 'k', secret: 'a-secret-of-16-bytes' }], 1000.5, /unix seconds/],
  ])('signing refuses %s', (_, keys, ts, message) => {
    expect(() => signWebhook('x', ts, keys)).toThrow(SigningError);
    expect(() => signWebhook('x', ts, keys)).toThrow(message);
  });

  it('never names a secret in a refusal', () => {
    fc.assert(
      fc.property(secretArb, tsArb, (secret, ts) => {
        const { signature } = signed('b', ts, [{ keyId: 'k', secret }]);
        for (const result of [verifyWebhook({ body: 'c', signature, keys: { k: secret }, now: ts }), verifyWebhook({ body: 'b', signature, keys: { k: secret }, now: ts + 10_000 })]) {
          expect(result.valid).toBe(false);
          if (!result.valid) expect(result.reason).not.toContain(secret);
        }
      }),
      { numRuns: 50 },
    );
  });
});
