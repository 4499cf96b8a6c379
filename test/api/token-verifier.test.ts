/**
 * API-3: the token verifier remembers a verified token (its RS256 check is paid once per token, not
 * per request) and answers exactly as a verifier that checks every time. Metamorphic: a generated
 * sequence of tokens (valid, expiring, not yet valid, for another audience, an id token, signed by
 * another key, tampered) presented at generated moments (the clock may step back) gets the same answer, reason included,
 * from one long-lived verifier as from a fresh verifier per request.
 */
import fc from 'fast-check';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { createTokenVerifier, type TokenVerifier } from '../../src/api/jwt';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const ISSUER = 'urn:ledgerline:local-issuer:test';
const AUDIENCE = 'ledgerline-api';
const T0 = 1_800_000_000;

interface TokenSpec {
  expIn: number;
  nbfIn?: number;
  aud: 'api' | 'other';
  use: 'access' | 'id';
  signer: 'issuer' | 'stranger';
  tamper: boolean;
}

describe('the token verifier remembers verified tokens (API-3)', () => {
  let issuerKey: PrivateKey;
  let strangerKey: PrivateKey;
  let jwk: JWK;

  beforeAll(async () => {
    const issuer = await generateKeyPair('RS256', { extractable: true });
    const stranger = await generateKeyPair('RS256', { extractable: true });
    issuerKey = issuer.privateKey;
    strangerKey = stranger.privateKey;
    jwk = { ...(await exportJWK(issuer.publicKey)), kid: 'k1', alg: 'RS256' };
  });

  async function sign(spec: TokenSpec, index: number): Promise<string> {
    const claims: Record<string, unknown> = { client_id: `client-${index % 3}`, scope: 'ledgerline/payments.write', token_use: spec.use };
    let jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(spec.aud === 'api' ? AUDIENCE : 'someone-else')
      .setIssuedAt(T0)
      .setExpirationTime(T0 + spec.expIn);
    if (spec.nbfIn !== undefined) jwt = jwt.setNotBefore(T0 + spec.nbfIn);
    const token = await jwt.sign(spec.signer === 'issuer' ? issuerKey : strangerKey);
    if (!spec.tamper) return token;
    // Another client id in the payload, the issuer's signature kept.
    const [header, payload, signature] = token.split('.');
    const claimsOf = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    return `${header}.${Buffer.from(JSON.stringify({ ...claimsOf, client_id: 'intruder' })).toString('base64url')}.${signature}`;
  }

  const specArb: fc.Arbitrary<TokenSpec> = fc.record(
    {
      expIn: fc.integer({ min: -120, max: 600 }),
      nbfIn: fc.integer({ min: -60, max: 300 }),
      aud: fc.constantFrom<'api' | 'other'>('api', 'api', 'api', 'other'),
      use: fc.constantFrom<'access' | 'id'>('access', 'access', 'access', 'id'),
      signer: fc.constantFrom<'issuer' | 'stranger'>('issuer', 'issuer', 'issuer', 'stranger'),
      tamper: fc.boolean(),
    },
    { requiredKeys: ['expIn', 'aud', 'use', 'signer', 'tamper'] },
  );

  it('answers every request as a verifier without memory does, reason included, as time passes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(specArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.record({ token: fc.nat(10), advance: fc.integer({ min: -100, max: 200 }) }), { minLength: 1, maxLength: 25 }),
        async (specs, requests) => {
          const tokens = await Promise.all(specs.map((spec, index) => sign(spec, index)));
          let now = T0;
          const options = { issuer: ISSUER, audiences: [AUDIENCE], keys: createLocalJWKSet({ keys: [jwk] }), currentDate: () => new Date(now * 1000) };
          const remembering: TokenVerifier = createTokenVerifier(options);
          for (const request of requests) {
            now += request.advance;
            const token = tokens[request.token % tokens.length]!;
            const fresh = await createTokenVerifier(options)(token);
            const answer = await remembering(token);
            expect([now - T0, answer]).toEqual([now - T0, fresh]);
          }
        },
      ),
      { numRuns: fuzzRuns(60), seed: fuzzSeed(408) },
    );
  });

  it('a remembered token is refused, with the reason, once it expires (past the clock tolerance)', async () => {
    const token = await sign({ expIn: 60, aud: 'api', use: 'access', signer: 'issuer', tamper: false }, 0);
    let now = T0;
    const verify = createTokenVerifier({ issuer: ISSUER, audiences: [AUDIENCE], keys: createLocalJWKSet({ keys: [jwk] }), clockToleranceSeconds: 30, currentDate: () => new Date(now * 1000) });
    expect(await verify(token)).toMatchObject({ ok: true, principal: { clientId: 'client-0' } });
    now = T0 + 89;
    expect(await verify(token)).toMatchObject({ ok: true });
    now = T0 + 90;
    expect(await verify(token)).toEqual({ ok: false, reason: 'the token has expired' });
  });
});
