/**
 * API-1 end to end: the same Idempotency-Key and body → the same bytes and ONE posting (the
 * ledger is read); a different body under the key → 409; concurrent duplicates → one posting;
 * a crash between the claim and the answer neither posts twice nor wedges the key (taken over
 * after the lease; the posting itself is idempotent by the authorisation id).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { SqliteIdempotencyStore } from '../../src/adapters/embedded/idempotency-store';
import { SqlitePaymentOwners } from '../../src/adapters/embedded/payment-owners';
import { createApi } from '../../src/api/app';
import { requestFingerprint } from '../../src/api/idempotency';
import { createTokenVerifier } from '../../src/api/jwt';
import { TokenBucketLimiter } from '../../src/api/rate-limit';
import { RealTimePoster } from '../../src/modes/real-time';
import { createSubmitAuthorisation } from '../../src/use-cases/api-submit-authorisation/submit-authorisation';
import { ALL_SCOPES, postableAuthorisations, startHarness, type Harness } from './support/harness';

/** Recorded sequences of an authorisation, read from the state's ledger itself. */
function sequencesOf(stateDir: string, authorizationId: string): number {
  const db = new Database(join(stateDir, 'ledgerline.db'), { readonly: true });
  try {
    return db.prepare('SELECT count(DISTINCT sequence_id) FROM ledger_legs WHERE authorization_id = ?').pluck().get(authorizationId) as number;
  } finally {
    db.close();
  }
}

describe('over HTTP (ledgerline serve)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('the same key and body again: byte-identical response, one posting, the balance moved once', async () => {
    const [auth] = postableAuthorisations(1, 301);
    const first = await h.post(auth, { key: 'order-1' });
    const firstBody = await first.text();
    expect(first.status).toBe(201);
    const outcome = JSON.parse(firstBody) as { paymentId: string; legs: { accountId: string; direction: string; amount: { value: string } }[] };
    const customer = outcome.legs.find((leg) => leg.direction === 'DEBIT')!;
    const balanceOnce = await (await h.get(`/v1/accounts/${customer.accountId}/balance`)).text();
    // The same body spelled differently (member order, whitespace) is the same request.
    const respelled = JSON.stringify(Object.fromEntries(Object.entries(auth!).reverse()), null, 2);
    for (const raw of [JSON.stringify(auth), respelled]) {
      const again = await h.post(undefined, { key: 'order-1', raw });
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.text()).toBe(firstBody);
    }
    expect(sequencesOf(h.state, auth!.authorizationId as string)).toBe(1);
    expect(await (await h.get(`/v1/accounts/${customer.accountId}/balance`)).text()).toBe(balanceOnce);
    const status = await h.get(`/v1/payments/${outcome.paymentId}`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ paymentId: outcome.paymentId, status: 'posted' });
  });

  it('the same key with a different (valid) body is 409; the first answer stays', async () => {
    const [a, b] = postableAuthorisations(2, 302);
    expect((await h.post(a, { key: 'order-2' })).status).toBe(201);
    const conflict = await h.post(b, { key: 'order-2' });
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { type: string }).type).toBe('https://ledgerline.bank/problems/idempotency-key-reused');
    expect(sequencesOf(h.state, b!.authorizationId as string)).toBe(0);
    // The same key under another client is another key.
    const other = await h.post(b, { key: 'order-2', token: await h.token({ clientId: 'slow-partner' }) });
    expect(other.status).toBe(201);
  });

  it('twenty concurrent requests with one key: one posting; each answer is the stored one or 409 in progress', async () => {
    const [auth] = postableAuthorisations(1, 303);
    const responses = await Promise.all(Array.from({ length: 20 }, () => h.post(auth, { key: 'order-3' })));
    const bodies = await Promise.all(responses.map((response) => response.text()));
    const statuses = responses.map((response) => response.status);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(1);
    expect(new Set(bodies.filter((_, i) => statuses[i] === 201)).size).toBe(1);
    for (const [i, response] of responses.entries()) if (statuses[i] === 409) expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(sequencesOf(h.state, auth!.authorizationId as string)).toBe(1);
    const settled = await h.post(auth, { key: 'order-3' });
    expect(await settled.text()).toBe(bodies[statuses.indexOf(201)]);
  });

  it('the same authorisation under a new key posts nothing again: 200 duplicate with the same payment id', async () => {
    const [auth] = postableAuthorisations(1, 304);
    const first = (await (await h.post(auth, { key: 'order-4a' })).json()) as { paymentId: string };
    const second = await h.post(auth, { key: 'order-4b' });
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ outcome: 'duplicate', paymentId: first.paymentId });
    expect(sequencesOf(h.state, auth!.authorizationId as string)).toBe(1);
  });
});

describe('a crash between the claim and the answer (in process, a clock of our own)', () => {
  it('the key is in progress until its lease ends, then taken over; posted once whether the crash came before or after posting', async () => {
    const state = mkdtempSync(join(tmpdir(), 'ledgerline-api-crash-'));
    const poster = new RealTimePoster({ stateDir: state });
    const idempotency = SqliteIdempotencyStore.open(state);
    const owners = SqlitePaymentOwners.open(state);
    try {
      const { privateKey, publicKey } = await generateKeyPair('RS256');
      const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
      const token = await new SignJWT({ client_id: 'p', scope: ALL_SCOPES.join(' ') })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer('iss')
        .setAudience('api')
        .setExpirationTime('1h')
        .sign(privateKey);
      let now = Date.now();
      const api = createApi({
        verifyToken: createTokenVerifier({ issuer: 'iss', audiences: ['api'], keys: createLocalJWKSet({ keys: [jwk] }) }),
        limiter: new TokenBucketLimiter(() => ({ burst: 1000, perSecond: 1000 })),
        idempotency,
        now: () => now,
        idempotencyLeaseMs: 30_000,
        useCases: {
          submitAuthorisation: createSubmitAuthorisation((a) => poster.postOne(a), owners),
          paymentStatus: async () => ({ kind: 'not-found', detail: '-' }),
          accountBalance: async () => ({ kind: 'not-found', detail: '-' }),
        },
      });
      const request = (auth: unknown, key: string) =>
        api({
          method: 'POST',
          path: '/v1/authorisations',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
          query: {},
          body: new TextEncoder().encode(JSON.stringify(auth)),
          requestId: 'r',
        });
      const [postedThenCrashed, crashedBeforePosting] = postableAuthorisations(2, 305);
      for (const [auth, key, postFirst] of [
        [postedThenCrashed, 'crash-after', true],
        [crashedBeforePosting, 'crash-before', false],
      ] as const) {
        // The dead process claimed the key (and, in the first case, posted) and never answered.
        await idempotency.claim({ clientId: 'p', key, fingerprint: requestFingerprint('POST', '/v1/authorisations', auth), nowMs: now, leaseMs: 30_000, retentionMs: 86_400_000 });
        if (postFirst) expect((await poster.postOne(auth)).outcome).toBe('posted');
        now += 1_000;
        const during = await request(auth, key);
        expect(during.response.status).toBe(409);
        expect(JSON.parse(during.response.body)).toMatchObject({ type: 'https://ledgerline.bank/problems/request-in-progress' });
        expect(Number(during.response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        now += 30_000;
        const after = await request(auth, key);
        expect(after.response.status).toBe(postFirst ? 200 : 201);
        expect(JSON.parse(after.response.body)).toMatchObject({ outcome: postFirst ? 'duplicate' : 'posted' });
        expect(sequencesOf(state, auth!.authorizationId as string)).toBe(1);
        // And from then on the stored answer.
        const replay = await request(auth, key);
        expect(replay.response.body).toBe(after.response.body);
      }
    } finally {
      poster.close();
      idempotency.close();
      owners.close();
      rmSync(state, { recursive: true, force: true });
    }
  });
});
