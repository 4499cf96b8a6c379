/**
 * The API's use cases over their ports: a payment's status from each store it can be in (ledger,
 * transaction state, rules decision, none), the outcome → status table, and a balance summed
 * exactly over generated shards and partitions.
 */
import fc from 'fast-check';
import { fromMinorUnits } from '../../src/domain/money';
import { sequenceIdFor } from '../../src/domain/posting';
import type { RealTimeOutcome } from '../../src/modes/outcome';
import type { BalanceView, TransactionState } from '../../src/ports';
import type { RulesDecision } from '../../src/domain/events';
import { createAccountBalance } from '../../src/use-cases/api-account-balance/account-balance';
import { createPaymentStatus } from '../../src/use-cases/api-payment-status/payment-status';
import { createSubmitAuthorisation, OUTCOME_STATUS, paymentIdOf } from '../../src/use-cases/api-submit-authorisation/submit-authorisation';
import { schemaFaults } from '../../schemas/api';
import { postableAuthorisations } from './support/harness';
import type { Authorisation } from '../../src/domain/events';

const PAYMENT = '01a19467-e81a-71be-a1b9-a11f3f345c39';

const CLIENT = 'partner-a';

function statusOf(options: { posted?: boolean; transaction?: Partial<TransactionState>; decision?: Partial<RulesDecision> }, owner: string | null = CLIENT) {
  return createPaymentStatus({
    owners: { ownerOf: async (id) => (id === PAYMENT && owner !== null ? owner : undefined) },
    ledger: { hasSequence: async (id) => options.posted === true && id === sequenceIdFor(PAYMENT) },
    transactions: {
      get: async (id) =>
        options.transaction && id === PAYMENT
          ? ({ transactionId: id, authorizationId: 'A-1', attempts: 2, version: 3, updatedAt: '2026-12-06T06:00:00.000Z', ...options.transaction } as TransactionState)
          : undefined,
    },
    decisions: {
      get: async (id) => (options.decision && id === PAYMENT ? ({ ruleSetId: 'card-posting', ruleSetVersion: '1.1.0', firedRules: ['R1'], ...options.decision } as RulesDecision) : undefined),
    },
  })(PAYMENT, CLIENT);
}

describe('payment status', () => {
  it.each([
    [{ posted: true, transaction: { status: 'RETRYING' as const } }, 'posted'],
    [{ transaction: { status: 'RUNNING' as const } }, 'processing'],
    [{ transaction: { status: 'RETRYING' as const, stage: 'posting', lastError: 'TransientStoreError: throttled' } }, 'retrying'],
    [{ transaction: { status: 'FAILED' as const, stage: 'enrich', lastError: 'gave up' } }, 'failed'],
    [{ transaction: { status: 'COMPLETED' as const } }, 'completed'],
    [{ decision: { outcome: 'review' as const } }, 'review'],
    [{ decision: { outcome: 'decline' as const } }, 'declined'],
  ])('%j → %s, a valid PaymentStatus document', async (stores, expected) => {
    const answer = await statusOf(stores);
    expect(answer.kind).toBe('ok');
    if (answer.kind !== 'ok') return;
    expect((answer.body as { status: string }).status).toBe(expected);
    expect(schemaFaults('PaymentStatus', answer.body)).toEqual([]);
  });

  it('a fraud hold shows its reasons (FRAUD-1), a valid PaymentStatus; a decision without reasons shows none', async () => {
    const reasons = ['FRAUD_COUNTRY_HOP: fraud.countriesInWindow=3', 'FRAUD_SPEND_SPIKE: fraud.baselineCount=4, fraud.spendRatioPermille=7000'];
    const held = await statusOf({ decision: { outcome: 'review', firedRules: ['FRAUD_COUNTRY_HOP', 'FRAUD_SPEND_SPIKE'], reasons } });
    expect(held.kind === 'ok' && held.body).toMatchObject({ status: 'review', reasons });
    expect(held.kind === 'ok' && schemaFaults('PaymentStatus', held.body)).toEqual([]);
    const plain = await statusOf({ decision: { outcome: 'decline' } });
    expect(plain.kind === 'ok' && 'reasons' in (plain.body as object)).toBe(false);
  });

  it('an approved decision or nothing at all is not found', async () => {
    expect((await statusOf({ decision: { outcome: 'approve' as RulesDecision['outcome'] } })).kind).toBe('not-found');
    expect((await statusOf({})).kind).toBe('not-found');
  });

  it.each([[{ posted: true }], [{ transaction: { status: 'FAILED' as const, lastError: 'gave up' } }], [{ decision: { outcome: 'review' as const } }], [{}]])(
    'API-3: %j of another client, or of none, is answered exactly as a payment that does not exist',
    async (stores) => {
      const absent = await statusOf({}, CLIENT);
      expect(await statusOf(stores, 'partner-b')).toEqual(absent);
      expect(await statusOf(stores, null)).toEqual(absent);
      expect(absent.kind).toBe('not-found');
    },
  );
});

/** Owners where every claim succeeds (the submission tests' client is always the first). */
const soleOwner = () => ({ claim: async (_id: string, clientId: string) => clientId, ownerOf: async () => CLIENT });

describe('submit authorisation', () => {
  const [auth] = postableAuthorisations(1, 601) as unknown as Authorisation[];

  it('API-3: an authorisation another client submitted is neither posted nor shown: submitted-by-another-client', async () => {
    let posted = 0;
    const claims: [string, string][] = [];
    const owners = {
      claim: async (paymentId: string, clientId: string) => {
        claims.push([paymentId, clientId]);
        return 'partner-b';
      },
      ownerOf: async () => 'partner-b',
    };
    const answer = await createSubmitAuthorisation(async () => {
      posted += 1;
      throw new Error('must not post');
    }, owners)(auth!, CLIENT);
    expect(answer).toEqual({ kind: 'submitted-by-another-client', detail: expect.stringContaining(auth!.authorizationId) });
    expect(posted).toBe(0);
    expect(claims).toEqual([[paymentIdOf(auth!), CLIENT]]);
  });

  const outcomes: RealTimeOutcome[] = [
    {
      outcome: 'posted',
      authorizationId: auth!.authorizationId,
      correlationId: 'c',
      sequenceId: 'S-1',
      postingRecordId: 'PR-1',
      legs: [{ legIndex: 1, legType: 'CUSTOMER_DEBIT', accountId: 'ACC-1', direction: 'DEBIT', amount: { value: '1.00', currency: 'GBP' }, valueDate: '2026-11-01' }],
    },
    { outcome: 'duplicate', authorizationId: auth!.authorizationId, reason: 'seen', originalAuthorizationId: 'A-0' },
    { outcome: 'declined', authorizationId: auth!.authorizationId, reason: 'issuer' },
    { outcome: 'review', authorizationId: auth!.authorizationId, reason: 'rules' },
    { outcome: 'rejected', authorizationId: auth!.authorizationId, reason: 'unknown card' },
    { outcome: 'failed', authorizationId: auth!.authorizationId, reason: 'gave up' },
    { outcome: 'pending', authorizationId: auth!.authorizationId, reason: 'retrying' },
  ];
  it.each(outcomes.map((outcome) => [outcome.outcome, outcome] as const))('%s → its status, a valid AuthorisationOutcome with the payment id', async (_name, outcome) => {
    const answer = await createSubmitAuthorisation(async () => outcome, soleOwner())(auth!, CLIENT);
    expect(answer.kind).toBe('ok');
    if (answer.kind !== 'ok') return;
    expect(answer.status).toBe(OUTCOME_STATUS[outcome.outcome]);
    expect(schemaFaults('AuthorisationOutcome', answer.body)).toEqual([]);
    expect((answer.body as { paymentId: string }).paymentId).toBe(paymentIdOf(auth!));
    expect(answer.headers?.location !== undefined).toBe(outcome.outcome === 'posted');
  });
});

describe('account balance', () => {
  it('sums generated shard and partition rows exactly, per currency', async () => {
    const row = fc.record({ minor: fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), currency: fc.constantFrom('GBP', 'EUR', 'JPY', 'BHD'), version: fc.nat(1000) });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), async (rows) => {
        const views: BalanceView[] = rows.map((r) => ({ accountId: 'ACC-1', currency: r.currency, balance: fromMinorUnits(r.minor, r.currency), version: r.version }));
        // Another account's rows are not summed in.
        views.push({ accountId: 'ACC-2', currency: 'GBP', balance: '999.99', version: 1 });
        const answer = await createAccountBalance({ rowsOf: async () => views })('ACC-1');
        expect(answer.kind).toBe('ok');
        if (answer.kind !== 'ok') return;
        expect(schemaFaults('AccountBalance', answer.body)).toEqual([]);
        const body = answer.body as { balances: { value: string; currency: string; updates: number }[] };
        for (const currency of new Set(rows.map((r) => r.currency))) {
          const mine = rows.filter((r) => r.currency === currency);
          expect(body.balances.find((b) => b.currency === currency)).toEqual({
            value: fromMinorUnits(
              mine.reduce((sum, r) => sum + r.minor, 0n),
              currency,
            ),
            currency,
            updates: mine.reduce((sum, r) => sum + r.version, 0),
          });
        }
      }),
    );
  });

  it('an account without rows is not found', async () => {
    expect((await createAccountBalance({ rowsOf: async () => [] })('ACC-9')).kind).toBe('not-found');
  });
});
