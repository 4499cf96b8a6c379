/**
 * CHAOS-1: the order lanes (src/domain/order-lanes.ts) and the fused hot path's card order
 * (functions/hot-path/hot-path.ts), on generated batches with generated failures: a payment is
 * never worked on after an earlier payment of one of its lanes failed in the batch, every other
 * payment is, every hold names the failure it waits on, and rules decides in batch order.
 */
import { authorisedEvent } from '../../src/domain/ingest';
import type { LedgerEvent } from '../../src/domain/events';
import { businessKey } from '../../src/domain/dedup';
import { cardLane, dedupLanes, HeldBehindError, inLaneOrder, velocityLanes } from '../../src/domain/order-lanes';
import { cardOrderedStages } from '../../functions/hot-path/hot-path';
import type { HotPathStages } from '../../src/use-cases/hot-path/run-hot-path';
import type { Stage, StageResult } from '../../src/lambda/stage';
import { Prng } from '../../src/generator/authorisations';
import { authorisation } from '../support/builders';

const CASES = 120;

/** A batch of authorisations over a few cards and a few business keys (re-sends share one). */
function batch(rng: Prng, size: number): LedgerEvent<'payment.authorised'>[] {
  const cards = 1 + rng.int(4);
  const events: LedgerEvent<'payment.authorised'>[] = [];
  for (let i = 0; i < size; i += 1) {
    const resend = events.length > 0 && rng.next() < 0.25 ? events[rng.int(events.length)]!.data.authorisation : undefined;
    const auth = resend
      ? { ...resend, authorizationId: `AUTH-${i}` }
      : authorisation({
          authorizationId: `AUTH-${i}`,
          stan: String(100000 + i),
          panToken: `tok_CARD${rng.int(cards)}ABCDEFGHIJK`,
          transmittedAt: new Date(Date.UTC(2026, 10, 1, 10, 0, i)).toISOString(),
        });
    events.push(authorisedEvent(auth, '2026-11-01T10:00:00.000Z'));
  }
  return events;
}

describe('order lanes (CHAOS-1)', () => {
  it('dedup lanes are the business key; velocity lanes the card; an event without an authorisation has none', () => {
    const event = authorisedEvent(authorisation(), '2026-11-01T10:00:00.000Z');
    expect(dedupLanes(event)).toEqual([`key:${businessKey(event.data.authorisation)}`]);
    expect(velocityLanes(event)).toEqual([`card:${event.data.authorisation.panToken}`]);
    const recorded = { ...event, type: 'posting.recorded', data: { sequenceId: 's', authorizationId: 'AUTH-1', legs: [] } } as unknown as LedgerEvent;
    expect([dedupLanes(recorded), velocityLanes(recorded), cardLane(recorded)]).toEqual([[], [], undefined]);
  });

  it('generated batches and failures: nothing runs after a failure of its lane, everything else runs, in order', async () => {
    const rng = new Prng(20261206);
    for (let run = 0; run < CASES; run += 1) {
      const events = batch(rng, 1 + rng.int(30));
      const failing = new Set(events.filter(() => rng.next() < 0.2).map((event) => event.id));
      const lanesOf = (event: LedgerEvent) => [...velocityLanes(event), ...dedupLanes(event)];
      const worked: string[] = [];
      const results = await inLaneOrder(lanesOf, async (event: LedgerEvent<'payment.authorised'>) => {
        worked.push(event.id);
        if (failing.has(event.id)) throw new Error(`fault planted on ${event.id}`);
        return event.id;
      })(events);

      // The model: a lane closes at its first failure or hold; an event with a closed lane is held.
      const closed = new Map<string, string>();
      const expectedWorked: string[] = [];
      events.forEach((event, index) => {
        const lanes = lanesOf(event);
        const blocker = lanes.map((lane) => closed.get(lane)).find((root) => root !== undefined);
        const result = results[index];
        if (blocker !== undefined) {
          expect(result).toBeInstanceOf(HeldBehindError);
          expect((result as HeldBehindError).message).toContain(`fault planted on ${blocker}`);
          for (const lane of lanes) if (!closed.has(lane)) closed.set(lane, blocker);
          return;
        }
        expectedWorked.push(event.id);
        if (failing.has(event.id)) {
          expect(result).toEqual(new Error(`fault planted on ${event.id}`));
          for (const lane of lanes) if (!closed.has(lane)) closed.set(lane, event.id);
        } else {
          expect(result).toBe(event.id);
        }
      });
      expect(worked).toEqual(expectedWorked);
      expect(results).toHaveLength(events.length);
    }
  });

  it('a lane already failed before the call holds its payments from the first, and no other lane', async () => {
    const on = (id: string, card: string) => authorisedEvent(authorisation({ authorizationId: id, stan: id.slice(-6).padStart(6, '0'), panToken: card }), '2026-11-01T10:00:00.000Z');
    const events = [on('AUTH-1', 'tok_CARDAABCDEFGHIJK'), on('AUTH-2', 'tok_CARDBABCDEFGHIJK'), on('AUTH-3', 'tok_CARDAABCDEFGHIJK')];
    const failed = new Map([['card:tok_CARDAABCDEFGHIJK', { correlationId: 'an-earlier-payment', error: new Error('ThrottlingException: rate exceeded') }]]);
    const results = await inLaneOrder(velocityLanes, async (event: LedgerEvent) => event.correlationId)(events, failed);
    expect(results[0]).toBeInstanceOf(HeldBehindError);
    expect((results[0] as Error).message).toBe('held behind an-earlier-payment, an earlier payment of the same card that failed in this batch (ThrottlingException: rate exceeded); retried after it');
    expect(results[1]).toBe(events[1]!.correlationId);
    expect(results[2]).toBeInstanceOf(HeldBehindError);
  });
});

describe('the fused hot path keeps card order across its stages (CHAOS-1)', () => {
  /** Pass-through stages that fail the planted events at their stage, and note what rules decided. */
  function stubStages(failAt: Map<string, keyof HotPathStages>, decided: string[]): HotPathStages {
    const work = (name: keyof HotPathStages) => async (event: LedgerEvent) => {
      if (failAt.get(event.correlationId) === name) throw new Error(`fault planted at ${name} on ${event.correlationId}`);
      if (name === 'rules') decided.push(event.correlationId);
      return [event];
    };
    // Like functions/rules, the rules stub keeps card order within its own call.
    const stage = (name: keyof HotPathStages): Stage =>
      ({
        name,
        accepts: [],
        run:
          name === 'rules'
            ? inLaneOrder(velocityLanes, work(name))
            : async (events: LedgerEvent[]): Promise<StageResult[]> => Promise.all(events.map((event) => work(name)(event).catch((error: Error) => error))),
      }) as unknown as Stage;
    return {
      dedup: stage('dedup') as never,
      standardise: stage('standardise') as never,
      enrich: stage('enrich') as never,
      rules: stage('rules') as never,
      posting: stage('posting') as never,
      assembler: stage('assembler') as never,
    };
  }

  it('generated batches: rules never decides a payment whose card failed earlier in the batch, and decides every other', async () => {
    const rng = new Prng(77);
    const order: (keyof HotPathStages)[] = ['dedup', 'standardise', 'enrich', 'rules'];
    for (let run = 0; run < CASES; run += 1) {
      const events = batch(rng, 1 + rng.int(40));
      const failAt = new Map<string, keyof HotPathStages>();
      for (const event of events) if (rng.next() < 0.15) failAt.set(event.correlationId, order[rng.int(order.length)]!);
      const decided: string[] = [];
      const stages = cardOrderedStages(stubStages(failAt, decided), events);
      // Drive the stages as the fused composition does: each stage on what reached it, in batch order.
      let alive = events.map((event, index) => ({ event, index }));
      const outcome: (Error | undefined)[] = new Array(events.length).fill(undefined);
      for (const name of order) {
        const results = await (stages[name] as unknown as Stage).run(alive.map(({ event }) => event) as never[]);
        alive = alive.filter(({ index }, i) => {
          const result = results[i];
          if (result instanceof Error) outcome[index] = result;
          return !(result instanceof Error);
        });
      }
      // The model: walking the batch, a card closes at its first failure up to rules; a payment
      // failing before rules fails there whatever its card; one reaching rules on a closed card is held.
      const closed = new Set<string>();
      const expected: string[] = [];
      events.forEach((event, index) => {
        const card = cardLane(event)!;
        const stage = failAt.get(event.correlationId);
        if (stage !== undefined && stage !== 'rules') {
          expect(outcome[index]?.message).toBe(`fault planted at ${stage} on ${event.correlationId}`);
          closed.add(card);
        } else if (closed.has(card)) {
          expect(outcome[index]).toBeInstanceOf(HeldBehindError);
          expect(outcome[index]?.message).toContain('fault planted at');
        } else if (stage === 'rules') {
          expect(outcome[index]?.message).toBe(`fault planted at rules on ${event.correlationId}`);
          closed.add(card);
        } else {
          expect(outcome[index]).toBeUndefined();
          expected.push(event.correlationId);
        }
      });
      expect(decided).toEqual(expected);
    }
  });

  it('generated batches: rules decides in batch order whatever order the payments reach it in (a re-driven event enters at rules)', async () => {
    const rng = new Prng(78);
    for (let run = 0; run < CASES; run += 1) {
      const events = batch(rng, 1 + rng.int(40));
      const decided: string[] = [];
      const stages = cardOrderedStages(stubStages(new Map(), decided), events);
      // The order the fused composition hands rules its events in: those that entered at rules
      // first, then those that came through enrich; here any permutation of the batch.
      const arrival = events.map((event) => ({ event, key: rng.next() })).sort((a, b) => a.key - b.key);
      const results = await (stages.rules as unknown as Stage).run(arrival.map(({ event }) => event) as never[]);
      expect(decided).toEqual(events.map((event) => event.correlationId));
      // Each result is still the one of the event at its place in the call.
      arrival.forEach(({ event }, i) => expect(results[i]).toEqual([event]));
    }
  });
});
