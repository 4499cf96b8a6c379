/**
 * API-3: a partner reads only the payments it submitted. Over HTTP (ledgerline serve): generated
 * partners each submit generated authorisations; every partner reads every payment, and sees its
 * own (200) and, for any other's, exactly the answer a payment that does not exist gets (404, the
 * same problem document). The same authorisation from a second partner is refused (409) and posts
 * nothing; two partners racing for one authorisation: one owns it. The PaymentOwners adapters
 * (SQLite, DynamoDB on dynalite): first writer wins under races, bad ids named.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { join } from 'node:path';
import { DynamoPaymentOwners } from '../../src/adapters/aws/dynamo-payment-owners';
import { SqlitePaymentOwners } from '../../src/adapters/embedded/payment-owners';
import type { PaymentOwners } from '../../src/api/ownership';
import { startDynalite, type Dynalite } from '../adapters/aws/support/dynalite';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { openMemoryDatabase } from '../support/memory-database';
import { digitFreeId, postableAuthorisations, startHarness, type Harness } from './support/harness';

/** Legs recorded for an authorisation, read from the state's ledger itself. */
function legsOf(stateDir: string, authorizationId: string): number {
  const db = new Database(join(stateDir, 'ledgerline.db'), { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM ledger_legs WHERE authorization_id = ?').pluck().get(authorizationId) as number;
  } finally {
    db.close();
  }
}

/** A problem document without what differs per request (its request id). */
function problemOf(body: string): unknown {
  const { requestId: _requestId, ...rest } = JSON.parse(body) as Record<string, unknown>;
  return rest;
}

describe('over HTTP (ledgerline serve)', () => {
  let h: Harness;
  let seed = 700;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('every partner reads its own payments and, for every other partner’s, gets the answer of a payment that does not exist', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2, maxLength: 4 }), async (perPartner) => {
        const partners = perPartner.map(() => digitFreeId('partner'));
        const tokens = await Promise.all(partners.map((clientId) => h.token({ clientId })));
        const owned: { paymentId: string; owner: number }[] = [];
        const auths = postableAuthorisations(perPartner.reduce((a, b) => a + b, 0) + 1, (seed += 1));
        let next = 0;
        for (const [owner, count] of perPartner.entries()) {
          for (let i = 0; i < count; i += 1) {
            const response = await h.post(auths[next++], { token: tokens[owner] });
            expect(response.status).toBe(201);
            owned.push({ paymentId: ((await response.json()) as { paymentId: string }).paymentId, owner });
          }
        }
        // The payment no one submitted: what "does not exist" looks like, per path.
        const absentId = digitFreeId('absent');
        for (const [reader, token] of tokens.entries()) {
          for (const { paymentId, owner } of owned) {
            const response = await h.get(`/v1/payments/${paymentId}`, token);
            const body = await response.text();
            if (reader === owner) {
              expect(response.status).toBe(200);
              expect(JSON.parse(body)).toMatchObject({ paymentId, status: 'posted' });
            } else {
              const absent = await h.get(`/v1/payments/${absentId}`, token);
              expect(response.status).toBe(404);
              expect(problemOf(body)).toEqual(JSON.parse(JSON.stringify(problemOf(await absent.text())).replaceAll(absentId, paymentId)));
            }
          }
        }
      }),
      { numRuns: fuzzRuns(4), seed: fuzzSeed(9_301) },
    );
  }, 120_000);

  it('the same authorisation from another partner is refused with 409, posts nothing more and shows nothing of the payment', async () => {
    const [auth] = postableAuthorisations(1, 790);
    const first = await h.post(auth, { token: await h.token({ clientId: 'owner-partner' }) });
    expect(first.status).toBe(201);
    const legs = legsOf(h.state, auth!.authorizationId as string);
    const second = await h.post(auth, { token: await h.token({ clientId: 'other-partner' }) });
    expect(second.status).toBe(409);
    const problem = (await second.json()) as { type: string; detail: string };
    expect(problem.type).toBe('https://ledgerline.bank/problems/submitted-by-another-client');
    expect(JSON.stringify(problem)).not.toMatch(/legs|sequenceId|accountId/);
    expect(legsOf(h.state, auth!.authorizationId as string)).toBe(legs);
  });

  it('two partners racing for one authorisation: exactly one owns and reads it, the other is refused and reads nothing', async () => {
    const [auth] = postableAuthorisations(1, 791);
    const partners = ['racer-one', 'racer-two'];
    const tokens = await Promise.all(partners.map((clientId) => h.token({ clientId })));
    const responses = await Promise.all(tokens.map((token) => h.post(auth, { token })));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, 409]);
    const winner = responses.findIndex((response) => response.status === 201);
    const { paymentId } = (await responses[winner]!.json()) as { paymentId: string };
    expect((await h.get(`/v1/payments/${paymentId}`, tokens[winner])).status).toBe(200);
    expect((await h.get(`/v1/payments/${paymentId}`, tokens[1 - winner])).status).toBe(404);
  });
});

describe.each<[string, () => Promise<{ owners: PaymentOwners; stop(): Promise<void> }>]>([
  [
    'SqlitePaymentOwners',
    async () => {
      const owners = new SqlitePaymentOwners(openMemoryDatabase());
      return { owners, stop: async () => owners.close() };
    },
  ],
  [
    'DynamoPaymentOwners (dynalite)',
    async () => {
      const db: Dynalite = await startDynalite();
      return { owners: new DynamoPaymentOwners({ client: db.client, tableName: db.tableNames.apiIdempotency }), stop: () => db.stop() };
    },
  ],
])('PaymentOwners: %s', (_name, open) => {
  let subject: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    subject = await open();
  }, 60_000);
  afterAll(async () => {
    await subject.stop();
  });

  it('the first claim wins, whatever the order and however many clients race; the owner is read back', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.stringMatching(/^[a-z][a-z-]{0,20}$/), { minLength: 1, maxLength: 5 }), async (clients) => {
        const paymentId = digitFreeId('pay');
        expect(await subject.owners.ownerOf(paymentId)).toBeUndefined();
        const answers = await Promise.all(clients.map((clientId) => subject.owners.claim(paymentId, clientId)));
        const owner = answers[0]!;
        expect(clients).toContain(owner);
        expect(new Set(answers)).toEqual(new Set([owner]));
        expect(await subject.owners.ownerOf(paymentId)).toBe(owner);
        for (const clientId of clients) expect(await subject.owners.claim(paymentId, clientId)).toBe(owner);
      }),
      { numRuns: fuzzRuns(15), seed: fuzzSeed(9_302) },
    );
  });

  it.each([
    ['an empty payment id', '', 'c', /payment id ""/],
    ['an empty client id', 'p', '', /client id ""/],
    ['a control character', 'p\u0000', 'c', /payment id "p\\u0000"/],
    ['an over-long client id', 'p', 'c'.repeat(257), /client id "c{257}"/],
  ])('refuses %s, naming it, and records nothing', async (_what, paymentId, clientId, message) => {
    await expect(subject.owners.claim(paymentId, clientId)).rejects.toThrow(message);
    if (paymentId !== '') expect(await subject.owners.ownerOf(paymentId)).toBeUndefined();
  });
});
