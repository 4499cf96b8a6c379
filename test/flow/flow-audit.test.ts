/**
 * The pure flow audit (FLOW-1, FLOW-2, FLOW-3): generated facts of every shape a payment can be
 * left in, the equations, exact totals, the stuck list and the repair plan.
 */
import fc from 'fast-check';
import { auditFlow, authorisedEventId, FLOW_EQUATIONS, flowStop } from '../../src/domain/flow-audit';
import type { FlowStop } from '../../src/domain/flow-audit';
import { authorisedEvent } from '../../src/domain/ingest';
import { CURRENCY_EXPONENTS, fromMinorUnits, toMinorUnits } from '../../src/domain/money';
import type { PaymentFlowFacts } from '../../src/ports/flow';
import { sampleLines } from '../support/runtime';

/** Where a generated payment ended up. */
const POSITIONS = ['notApproved', 'awaitDedup', 'duplicate', 'awaitRules', 'rejected', 'declined', 'review', 'awaitPosting', 'awaitAssembly', 'posted'] as const;
type Position = (typeof POSITIONS)[number];
const CURRENCIES = Object.keys(CURRENCY_EXPONENTS).slice(0, 6);

const NOW = new Date('2026-11-02T00:00:00.000Z');

function factsAt(position: Position, index: number, currency: string, minor: bigint, failed: boolean, ageMs: number): PaymentFlowFacts {
  const base: PaymentFlowFacts = {
    location: `p${index % 3}`,
    authorizationId: `AUTH-${index}`,
    transactionId: `TX-${index}`,
    amount: { value: fromMinorUnits(minor, currency), currency },
    ingestedAt: new Date(NOW.getTime() - ageMs).toISOString(),
    approved: position !== 'notApproved',
  };
  const reached = POSITIONS.indexOf(position);
  const facts: PaymentFlowFacts = { ...base };
  if (position === 'duplicate') facts.dedup = 'duplicate';
  else if (reached >= POSITIONS.indexOf('awaitRules')) facts.dedup = 'unique';
  if (position === 'rejected') facts.rejected = true;
  if (position === 'declined') facts.decision = 'decline';
  if (position === 'review') facts.decision = 'review';
  if (reached >= POSITIONS.indexOf('awaitPosting')) facts.decision = 'approve';
  if (reached >= POSITIONS.indexOf('awaitAssembly')) facts.legs = true;
  if (position === 'posted') facts.record = true;
  if (failed) facts.transaction = { status: 'FAILED', updatedAt: base.ingestedAt };
  return facts;
}

const STOP_OF: Partial<Record<Position, FlowStop>> = { awaitDedup: 'dedup', awaitRules: 'rules', awaitPosting: 'posting', awaitAssembly: 'assembly' };

const paymentArb = fc.record({
  position: fc.constantFrom(...POSITIONS),
  currency: fc.constantFrom(...CURRENCIES),
  minor: fc.bigInt({ min: 1n, max: 10n ** 15n }),
  failed: fc.boolean(),
  ageMs: fc.integer({ min: 0, max: 3_600_000 }),
});

describe('auditFlow', () => {
  it('balances every equation for any consistent set of facts, with exact totals per currency (generated)', () => {
    fc.assert(
      fc.property(fc.array(paymentArb, { maxLength: 200 }), fc.integer({ min: 0, max: 3_600_000 }), (specs, stuckAfterMs) => {
        const payments = specs.map((spec, index) => factsAt(spec.position, index, spec.currency, spec.minor, spec.failed && STOP_OF[spec.position] !== undefined, spec.ageMs));
        const report = auditFlow(payments, [], {}, { now: NOW, stuckAfterMs });
        expect(report.equations.map((equation) => equation.holds)).toEqual(FLOW_EQUATIONS.map(() => true));
        expect(report.balanced).toBe(true);
        // Totals of "ingested", computed independently.
        const expected = new Map<string, bigint>();
        for (const spec of specs) expected.set(spec.currency, (expected.get(spec.currency) ?? 0n) + spec.minor);
        const totals = report.boundaries.ingested.totals;
        expect(Object.keys(totals).sort()).toEqual([...expected.keys()].sort());
        for (const [currency, minor] of expected) expect(toMinorUnits(totals[currency]!, currency)).toBe(minor);
        // Stuck: exactly the in-flight, not failed, at least as old as the threshold.
        const stuck = specs.flatMap((spec, index) => (STOP_OF[spec.position] && !spec.failed && spec.ageMs >= stuckAfterMs ? [`AUTH-${index}`] : []));
        expect(report.stuck.map((payment) => payment.authorizationId).sort()).toEqual(stuck.sort());
        const inFlight = specs.filter((spec) => STOP_OF[spec.position] && !spec.failed && spec.ageMs < stuckAfterMs).length;
        expect(report.inFlight).toBe(inFlight);
        for (const payment of report.stuck) {
          const index = Number(payment.authorizationId.slice(5));
          expect(payment.stoppedAt).toBe(STOP_OF[specs[index]!.position]);
          expect(payment.repair).toEqual({ location: `p${index % 3}`, authorizationId: payment.authorizationId, transactionId: `TX-${index}`, eventId: authorisedEventId(payment.authorizationId) });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('unbalances an equation when a fact is missing from the middle of a flow (metamorphic)', () => {
    fc.assert(
      fc.property(fc.array(paymentArb, { minLength: 1, maxLength: 50 }), fc.nat(), fc.constantFrom('dedup', 'decision', 'legs'), (specs, pick, removed) => {
        const payments = specs.map((spec, index) => factsAt('posted', index, spec.currency, spec.minor, false, spec.ageMs));
        const victim = payments[pick % payments.length]!;
        if (removed === 'dedup') delete victim.dedup;
        if (removed === 'decision') delete victim.decision;
        if (removed === 'legs') delete victim.legs;
        const report = auditFlow(payments, [], {}, { now: NOW, stuckAfterMs: 0 });
        expect(report.balanced).toBe(false);
        const broken = report.equations.filter((equation) => !equation.holds);
        expect(broken.length).toBeGreaterThan(0);
        for (const equation of broken) expect(Math.abs(equation.difference.count)).toBe(1);
      }),
    );
  });

  it('reports orphan facts as unbalanced', () => {
    const report = auditFlow([], [{ location: 'p0', kind: 'legs', id: 'SEQ-1' }], {}, { now: NOW, stuckAfterMs: 0 });
    expect(report.balanced).toBe(false);
    expect(report.orphans).toHaveLength(1);
  });

  it('takes the transaction-state item’s last update as the time a payment has been waiting', () => {
    const payment = factsAt('awaitPosting', 1, 'GBP', 100n, false, 3_600_000);
    payment.transaction = { status: 'RUNNING', updatedAt: new Date(NOW.getTime() - 1000).toISOString() };
    expect(auditFlow([payment], [], {}, { now: NOW, stuckAfterMs: 60_000 }).stuck).toEqual([]);
    const stuck = auditFlow([payment], [], {}, { now: NOW, stuckAfterMs: 500 }).stuck;
    expect(stuck).toHaveLength(1);
    expect(stuck[0]!.transactionStatus).toBe('RUNNING');
  });

  it('refuses a negative or non-finite threshold, naming it', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => auditFlow([], [], {}, { now: NOW, stuckAfterMs: bad })).toThrow(/stuck-after.*non-negative/);
  });

  it('plans the id of the event ingestion built (authorisedEvent)', () => {
    for (const line of sampleLines(50, 5, 0)) {
      const authorisation = JSON.parse(line);
      expect(authorisedEventId(authorisation.authorizationId)).toBe(authorisedEvent(authorisation, NOW.toISOString()).id);
    }
  });

  it('places every position at its stop', () => {
    for (const position of POSITIONS) expect(flowStop(factsAt(position, 0, 'EUR', 1n, false, 0))).toBe(STOP_OF[position]);
  });
});
