/**
 * The fused hot path (FUSE-1, FUSE-2) over stand-in stages: what enters where, what crosses the
 * bus, and how each failure maps back to the one input it came from. Generated batches: every
 * input's fate is drawn at random and the result must follow from it alone.
 */
import type { LedgerEvent } from '../../src/domain/events';
import { EventTypes, nextEvent } from '../../src/domain/events';
import type { EventPublisher } from '../../src/ports';
import type { Stage, StageResult } from '../../src/lambda/stage';
import { crossesBus, HOT_PATH_STAGES, type StageName } from '../../src/routes';
import { createHotPath, entryStage, type HotPathStages } from '../../src/use-cases/hot-path/run-hot-path';
import { approvedData, envelope } from '../support/builders';
import { seededRandom } from '../support/random';

/** What a stand-in stage does to one payment, by authorization id. */
type Fate = 'pass' | 'fail' | 'park' | 'decline';

const authId = (event: LedgerEvent): string => {
  const data = event.data as { authorisation?: { authorizationId: string }; authorizationId?: string };
  return data.authorisation?.authorizationId ?? data.authorizationId!;
};

const NEXT: Record<StageName, LedgerEvent['type']> = {
  dedup: EventTypes.deduplicated,
  standardise: EventTypes.standardised,
  enrich: EventTypes.enriched,
  rules: EventTypes.rulesDecided,
  posting: EventTypes.recorded,
  assembler: EventTypes.postingCompleted,
};

/** Stand-in stages: each follows `fates[stage][authorizationId]` and records what it saw. */
function standInStages(fates: Map<string, Partial<Record<StageName, Fate>>>, seen: Map<StageName, string[]>): HotPathStages {
  const make = (name: StageName): Stage<never> => ({
    name,
    accepts: [],
    async run(events: LedgerEvent[]): Promise<StageResult[]> {
      seen.set(name, [...(seen.get(name) ?? []), ...events.map(authId)]);
      return events.map((event) => {
        const fate = fates.get(authId(event))?.[name] ?? 'pass';
        if (fate === 'fail') return new Error(`${name} failed ${authId(event)}`);
        if (fate === 'park') return [nextEvent(event, EventTypes.duplicateParked, 'test', { ...(event.data as object) } as never, event.occurredAt)];
        const data = approvedData({ authorisation: { authorizationId: authId(event) } });
        if (fate === 'decline') return [nextEvent(event, EventTypes.rulesDecided, 'test', { ...data, decision: { ...data.decision, outcome: 'decline' } }, event.occurredAt)];
        const type = NEXT[name];
        const payload =
          type === EventTypes.recorded
            ? { sequenceId: 'seq', authorizationId: authId(event), legs: [] }
            : type === EventTypes.postingCompleted
              ? { sequenceId: 'seq', authorizationId: authId(event), legCount: 2, postingRecordId: 'PR-seq' }
              : data;
        return [nextEvent(event, type, 'test', payload as never, event.occurredAt)];
      });
    },
  });
  return Object.fromEntries(HOT_PATH_STAGES.map((name) => [name, make(name)])) as unknown as HotPathStages;
}

class Publisher implements EventPublisher {
  published: LedgerEvent[] = [];
  constructor(private readonly failFor: ReadonlySet<string> = new Set()) {}
  async publish(events: readonly LedgerEvent[]): Promise<void> {
    if (events.some((event) => this.failFor.has(authId(event)))) throw new Error('PutEvents throttled');
    this.published.push(...events);
  }
}

function authorised(i: number): LedgerEvent {
  const data = approvedData({ authorisation: { authorizationId: `AUTH-${i}` } });
  return envelope('payment.authorised', { authorisation: data.authorisation }, `AUTH-${i}`);
}

describe('the fused hot path', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('generated batch %i: each input succeeds or fails by its own fate alone, and only outward events are published', async (seed) => {
    const random = seededRandom(seed);
    const size = 1 + Math.floor(random() * 60);
    const fates = new Map<string, Partial<Record<StageName, Fate>>>();
    const inputs = Array.from({ length: size }, (_, i) => authorised(i));
    const failPublish = new Set<string>();
    for (const input of inputs) {
      const fate: Partial<Record<StageName, Fate>> = {};
      const roll = random();
      if (roll < 0.1) fate.dedup = 'park';
      else if (roll < 0.2) fate.rules = 'decline';
      else if (roll < 0.45) fate[HOT_PATH_STAGES[Math.floor(random() * HOT_PATH_STAGES.length)]!] = 'fail';
      if (random() < 0.05) failPublish.add(authId(input));
      fates.set(authId(input), fate);
    }
    const seen = new Map<StageName, string[]>();
    const publisher = new Publisher(failPublish);
    const results = await createHotPath({ stages: standInStages(fates, seen), publisher })(inputs);

    const stageFailed = (id: string): boolean => Object.values(fates.get(id)!).includes('fail');
    // The publish fails when it carries an event of a marked input (one that reached the bus).
    const publishFailed = [...failPublish].some((id) => !stageFailed(id));
    inputs.forEach((input, index) => {
      const fate = fates.get(authId(input))!;
      const stageFailed = Object.values(fate).includes('fail');
      if (stageFailed) expect(results[index]).toBeInstanceOf(Error);
      else if (!publishFailed) expect(results[index]).toBeUndefined();
    });
    // A failed publish fails exactly the inputs whose outward events it carried.
    if (publishFailed) {
      const carried = inputs.filter((input) => !Object.values(fates.get(authId(input))!).includes('fail'));
      for (const input of carried) expect(results[inputs.indexOf(input)]).toBeInstanceOf(Error);
      expect(publisher.published).toEqual([]);
    } else {
      expect(publisher.published.every((event) => crossesBus(event))).toBe(true);
      const expectedOutward = inputs
        .filter((input) => !Object.values(fates.get(authId(input))!).includes('fail'))
        .map(authId)
        .sort();
      expect(publisher.published.map(authId).sort()).toEqual(expectedOutward);
    }
    // Every stage ran once per batch, and a payment reached a stage only if it passed the previous ones.
    for (const [stage, ids] of seen) {
      expect(new Set(ids).size).toBe(ids.length);
      const position = HOT_PATH_STAGES.indexOf(stage);
      for (const id of ids) {
        const fate = fates.get(id)!;
        for (const earlier of HOT_PATH_STAGES.slice(0, position)) expect(['fail', 'park', 'decline']).not.toContain(fate[earlier]);
      }
    }
  });

  it('a re-driven event enters at the stage that consumes it; an approval at posting, a recorded sequence at assembly', async () => {
    const seen = new Map<StageName, string[]>();
    const publisher = new Publisher();
    const approved = envelope('payment.rules-decided', approvedData({ authorisation: { authorizationId: 'AUTH-R' } }), 'AUTH-R');
    const recorded = envelope('posting.recorded', { sequenceId: 'seq', authorizationId: 'AUTH-S', legs: [] }, 'AUTH-S');
    expect(entryStage(approved)).toBe('posting');
    expect(entryStage(recorded)).toBe('assembler');
    const results = await createHotPath({ stages: standInStages(new Map(), seen), publisher })([approved, recorded]);
    expect(results).toEqual([undefined, undefined]);
    expect(seen.get('dedup')).toBeUndefined();
    expect(seen.get('posting')).toEqual(['AUTH-R']);
    expect(seen.get('assembler')).toEqual(['AUTH-S', 'AUTH-R']);
    expect(publisher.published.map((event) => [event.type, authId(event)])).toEqual([
      ['posting.completed', 'AUTH-S'],
      ['posting.completed', 'AUTH-R'],
    ]);
  });

  it('a declined decision does not enter posting, and crosses the bus', () => {
    const data = approvedData();
    const declined = envelope('payment.rules-decided', { ...data, decision: { ...data.decision, outcome: 'decline' } });
    expect(entryStage(declined)).toBeUndefined();
    expect(crossesBus(declined)).toBe(true);
    expect(crossesBus(envelope('payment.rules-decided', data))).toBe(false);
  });

  it('a stage that throws instead of returning results fails every input it held, and the others carry on', async () => {
    const seen = new Map<StageName, string[]>();
    const stages = standInStages(new Map([['AUTH-0', { dedup: 'park' }]]), seen);
    const throwing = { ...stages, enrich: { ...stages.enrich, run: async () => Promise.reject(new Error('reference data unreachable')) } } as HotPathStages;
    const publisher = new Publisher();
    const results = await createHotPath({ stages: throwing, publisher })([authorised(0), authorised(1), authorised(2)]);
    expect(results[0]).toBeUndefined();
    expect(results[1]).toEqual(new Error('reference data unreachable'));
    expect(results[2]).toEqual(new Error('reference data unreachable'));
    expect(publisher.published.map((event) => event.type)).toEqual(['payment.duplicate-parked']);
  });
});
