/**
 * The sweep engine (SWEEP-1/2, HOOK-2, CHAOS-1) against a model: generated pages of candidates
 * with generated failures (a store error on the re-drive, on the state write after it, on the
 * FAILED mark; names another process already used; a candidate listed twice in one page; a
 * candidate another process moved on before its mark).
 */
import fc from 'fast-check';
import type { SweepBucket, SweepSpec, SweepTally } from '../../src/domain/sweep-engine';
import { ALREADY, decide, runSweep } from '../../src/domain/sweep-engine';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

type Status = 'RETRYING' | 'RUNNING' | 'FAILED';
interface Row {
  id: string;
  attempts: number;
  redrivable: boolean;
  status: Status;
}
type Outcome = 'started';
type Step = 'redrive' | 'settle' | 'mark';

interface Scenario {
  limit: number;
  rows: { attempts: number; redrivable: boolean }[];
  /** Names another process started before the first sweep. */
  usedBefore: number[];
  /** Rows another process moves on (RUNNING) just before this sweep would mark them. */
  stolen: number[];
  /** Rows a listing returns twice in one page. */
  listedTwice: number[];
  /** Per sweep with faults: which calls fail, by call index. */
  faults: { step: Step; call: number }[][];
}

class Busy extends Error {
  constructor(step: Step, id: string) {
    super(`SQLITE_BUSY at ${step} of ${id}`);
    this.name = 'Busy';
  }
}

const nameOf = (row: Pick<Row, 'id' | 'attempts'>) => `${row.id}-r${row.attempts + 1}`;

/** The model: a store of rows, a redriver that starts each name once, and the faults of the current sweep. */
class Model {
  readonly rows = new Map<string, Row>();
  readonly used = new Set<string>();
  /** Every name the redriver started (by this engine), in order. */
  readonly started: string[] = [];
  readonly stolen: Set<string>;
  /** Rows another process moved on. */
  readonly taken = new Set<string>();
  faults = new Set<string>();
  /** Faults thrown in the current sweep. */
  fired = 0;
  readonly calls: Record<Step, number> = { redrive: 0, settle: 0, mark: 0 };
  /** Re-drive calls per name that reached the redriver (no fault) in the current sweep. */
  redriveCalls = new Map<string, number>();
  readonly listedTwice: Set<string>;

  constructor(private readonly scenario: Scenario) {
    scenario.rows.forEach((row, i) => this.rows.set(`t${String(i).padStart(2, '0')}`, { id: `t${String(i).padStart(2, '0')}`, ...row, status: 'RETRYING' }));
    const ids = [...this.rows.keys()];
    const pick = (picks: number[]) => (ids.length > 0 ? picks.map((i) => ids[i % ids.length]!) : []);
    for (const id of pick(scenario.usedBefore)) this.used.add(nameOf(this.rows.get(id)!));
    this.stolen = new Set(pick(scenario.stolen));
    this.listedTwice = new Set(pick(scenario.listedTwice));
  }

  private fault(step: Step, id: string): void {
    const call = this.calls[step]++;
    if (this.faults.has(`${step}:${call}`)) {
      this.fired += 1;
      throw new Busy(step, id);
    }
  }

  retrying(): Row[] {
    return [...this.rows.values()].filter((row) => row.status === 'RETRYING').map((row) => ({ ...row }));
  }

  spec(): SweepSpec<Row, Outcome> {
    return {
      page: async () => this.retrying().flatMap((row) => (this.listedTwice.has(row.id) ? [row, { ...row }] : [row])),
      attempts: (row) => row.attempts,
      limit: this.scenario.limit,
      redrivable: (row) => row.redrivable,
      nameOf,
      reasonOf: (row, cause) => `${cause} after ${row.attempts} for ${row.id}`,
      redrive: async (row, name) => {
        this.fault('redrive', row.id);
        this.redriveCalls.set(name, (this.redriveCalls.get(name) ?? 0) + 1);
        if (this.used.has(name)) return ALREADY;
        this.used.add(name);
        this.started.push(name);
        return 'started';
      },
      settle: async (row) => {
        this.fault('settle', row.id);
        const current = this.rows.get(row.id)!;
        if (current.status === 'RETRYING' && current.attempts === row.attempts) this.rows.set(row.id, { ...current, status: 'RUNNING', attempts: current.attempts + 1 });
      },
      markFailed: async (row) => {
        this.fault('mark', row.id);
        const current = this.rows.get(row.id)!;
        if (this.stolen.delete(row.id)) {
          this.taken.add(row.id);
          this.rows.set(row.id, { ...current, status: 'RUNNING' });
          return false;
        }
        if (current.status !== 'RETRYING') return false;
        this.rows.set(row.id, { ...current, status: 'FAILED' });
        return true;
      },
    };
  }
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  limit: fc.integer({ min: 0, max: 3 }),
  rows: fc.array(fc.record({ attempts: fc.integer({ min: 0, max: 4 }), redrivable: fc.constantFrom(true, true, true, false) }), { maxLength: 12 }),
  usedBefore: fc.array(fc.nat(20), { maxLength: 4 }),
  stolen: fc.array(fc.nat(20), { maxLength: 3 }),
  listedTwice: fc.array(fc.nat(20), { maxLength: 3 }),
  faults: fc.array(fc.array(fc.record({ step: fc.constantFrom<Step>('redrive', 'settle', 'mark'), call: fc.nat(14) }), { maxLength: 8 }), { maxLength: 4 }),
});

const sum = (tally: SweepTally<Row, Outcome>) => Object.values(tally.buckets).reduce((a, b) => a + (b ?? 0), 0);

describe('the sweep engine (SWEEP-1/2, HOOK-2): one loop for every sweeper', () => {
  it('every examined item ends exactly once in one bucket; deferred items are examined again; no name is re-driven twice; faults gone, every item ends re-driven or FAILED', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const model = new Model(scenario);
        const initial = new Map([...model.rows].map(([id, row]) => [id, { ...row }]));
        const usedBefore = new Set(model.used);
        const bucketsOf = new Map<string, SweepBucket<Outcome>[]>();
        const startedReported: string[] = [];
        let previousDeferred: Row[] = [];
        // The sweeps with faults, then fault-free sweeps until the index is empty.
        for (let round = 0; round < scenario.faults.length + 3; round += 1) {
          model.faults = new Set((scenario.faults[round] ?? []).map((f) => `${f.step}:${f.call}`));
          (Object.keys(model.calls) as Step[]).forEach((step) => (model.calls[step] = 0));
          model.redriveCalls = new Map();
          model.fired = 0;
          const page = await model.spec().page();
          const tally = await runSweep(model.spec());
          // Exactly one bucket per examined item, in page order; the counts add up.
          expect(tally.examined).toBe(page.length);
          expect(tally.items.map((swept) => swept.item.id)).toEqual(page.map((row) => row.id));
          expect(sum(tally)).toBe(tally.examined);
          // Each store error defers the one item it hit, and only that one.
          expect(tally.buckets.deferred ?? 0).toBe(model.fired);
          for (const [bucket, count] of Object.entries(tally.buckets)) expect([bucket, tally.items.filter((swept) => swept.bucket === bucket).length]).toEqual([bucket, count]);
          // A name reaches the redriver at most once in a sweep, even for an item listed twice.
          for (const [name, calls] of model.redriveCalls) expect([name, calls]).toEqual([name, 1]);
          // Each deferred item carries its fault, and is found again by the next sweep under the same name.
          const namesExamined = new Set(page.map(nameOf));
          for (const row of previousDeferred) expect([row.id, namesExamined.has(nameOf(row))]).toEqual([row.id, true]);
          previousDeferred = [];
          for (const swept of tally.items) {
            bucketsOf.set(swept.item.id, [...(bucketsOf.get(swept.item.id) ?? []), swept.bucket]);
            if (swept.bucket === 'deferred') {
              expect(swept.error).toBeInstanceOf(Busy);
              expect((swept.error as Busy).message).toContain(swept.item.id);
              // Left as it was (unless its second listing in the page moved it).
              if (!model.listedTwice.has(swept.item.id)) {
                expect(model.rows.get(swept.item.id)!.status).toBe('RETRYING');
                previousDeferred.push(swept.item);
              }
            }
            if (swept.bucket === 'started' || swept.redrive === 'started') startedReported.push(nameOf(swept.item));
            if (swept.bucket === 'failed') expect(swept.decision).toEqual({ kind: 'fail', reason: expect.stringContaining(swept.item.id) });
          }
        }
        // Nothing re-driven twice under one name; what the engine reported started is what the redriver started.
        expect(new Set(model.started).size).toBe(model.started.length);
        expect([...startedReported].sort()).toEqual([...model.started].sort());
        // Faults gone: the index is empty, and each item ended by the threshold rule.
        expect(model.retrying()).toEqual([]);
        for (const [id, before] of initial) {
          const after = model.rows.get(id)!;
          const redrive = before.redrivable && before.attempts < scenario.limit;
          if (model.taken.has(id)) {
            expect([id, after.status, bucketsOf.get(id)!.includes('superseded')]).toEqual([id, 'RUNNING', true]); // another process took it
          } else {
            expect([id, after.status]).toEqual([id, redrive ? 'RUNNING' : 'FAILED']);
          }
          if (redrive) {
            expect(after.attempts).toBe(before.attempts + 1);
            expect(model.used.has(nameOf(before))).toBe(true);
            // Started here exactly once, unless another process had used the name.
            expect([id, model.started.filter((name) => name === nameOf(before)).length]).toEqual([id, usedBefore.has(nameOf(before)) ? 0 : 1]);
          } else {
            expect(model.started.filter((name) => name.startsWith(`${id}-`))).toEqual([]);
          }
        }
      }),
      { numRuns: fuzzRuns(200), seed: fuzzSeed(404) },
    );
  });

  it('the threshold decision: re-drive under the name while attempts < limit and the item is re-drivable; otherwise fail with the cause', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.boolean(), (attempts, limit, redrivable) => {
        const spec = new Model({ limit, rows: [], usedBefore: [], stolen: [], listedTwice: [], faults: [] }).spec();
        const row: Row = { id: 'x', attempts, redrivable, status: 'RETRYING' };
        const decision = decide(spec, row);
        if (!redrivable) expect(decision).toEqual({ kind: 'fail', reason: `not-redrivable after ${attempts} for x` });
        else if (attempts >= limit) expect(decision).toEqual({ kind: 'fail', reason: `exhausted after ${attempts} for x` });
        else expect(decision).toEqual({ kind: 'redrive', name: `x-r${attempts + 1}` });
      }),
      { numRuns: fuzzRuns(100), seed: fuzzSeed(405) },
    );
  });

  it('an unreadable page rejects the sweep (nothing examined); an error in one item’s decision defers that item alone', async () => {
    const model = new Model({ limit: 3, rows: [{ attempts: 0, redrivable: true }], usedBefore: [], stolen: [], listedTwice: [], faults: [] });
    await expect(runSweep({ ...model.spec(), page: () => Promise.reject(new Busy('redrive', 'page')) })).rejects.toThrow('SQLITE_BUSY');
    const spec = model.spec();
    const tally = await runSweep({
      ...spec,
      page: async () => [...model.retrying(), { id: 'bad', attempts: 0, redrivable: true, status: 'RETRYING' as const }],
      nameOf: (row) => {
        if (row.id === 'bad') throw new Error('no name for bad');
        return nameOf(row);
      },
    });
    expect(tally.buckets).toEqual({ started: 1, deferred: 1 });
    expect(tally.items[1]).toMatchObject({ bucket: 'deferred', error: new Error('no name for bad') });
    expect(tally.items[1]!.decision).toBeUndefined();
  });
});
