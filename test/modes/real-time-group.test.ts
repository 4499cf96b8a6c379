/**
 * MODE-4, MODE-5, API-5: the real-time poster's group commit. Concurrent postOne calls are
 * coalesced into waves (bounded), yet each caller gets exactly the outcome it would get posting
 * the same authorisations one at a time, and the state ends with the same ledger and the same
 * posting records: generated authorisations with business-key duplicates, exact repeats (the same
 * authorisation again, also twice in one wave), issuer declines, invalid lines, under generated
 * wave bounds, arrival groupings and partition counts.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { RealTimePoster, type RealTimeOutcome } from '../../src/modes/real-time';
import { summedBalances } from '../support/ledger';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { outboxLines, sampleLines, tempDir } from '../support/runtime';

jest.setTimeout(600_000);

/** Generated lines with repeats: `repeatEvery`-th lines are followed by an earlier one or themselves again, some lines broken. */
function input(seed: number, count: number, repeatEvery: number, invalidEvery: number): string[] {
  const base = sampleLines(count, seed, 0.08);
  const lines: string[] = [];
  base.forEach((line, index) => {
    lines.push(line);
    if (index % repeatEvery === repeatEvery - 1) lines.push(index % 2 === 0 ? line : base[Math.floor(index / 2)]!);
    if (index % invalidEvery === 0)
      lines.push(index % 3 === 0 ? '{"authorizationId": "broken"' : JSON.stringify({ ...JSON.parse(line), amount: { value: '0.00', currency: 'GBP' }, authorizationId: `ZERO-${index}` }));
  });
  return lines;
}

async function oneAtATime(stateDir: string, lines: readonly string[], partitions: number): Promise<RealTimeOutcome[]> {
  const poster = new RealTimePoster({ stateDir, partitions, maxWave: 1 });
  const answers: RealTimeOutcome[] = [];
  try {
    for (const line of lines) answers.push(await poster.postOne(line));
  } finally {
    poster.close();
  }
  return answers;
}

/** Every line posted concurrently, arriving in groups of the given sizes (each group all at once, the next when the previous answered). */
async function concurrently(stateDir: string, lines: readonly string[], partitions: number, maxWave: number, groups: readonly number[]): Promise<RealTimeOutcome[]> {
  const poster = new RealTimePoster({ stateDir, partitions, maxWave });
  const answers: RealTimeOutcome[] = [];
  try {
    let at = 0;
    for (let g = 0; at < lines.length; g += 1) {
      const size = groups[g % groups.length]!;
      const group = lines.slice(at, at + size);
      at += group.length;
      answers.push(...(await Promise.all(group.map((line) => poster.postOne(line)))));
    }
  } finally {
    poster.close();
  }
  return answers;
}

test('N concurrent postOne calls give the same outcomes, ledger and posting records as one at a time', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        seed: fc.integer({ min: 1, max: 1_000_000 }),
        count: fc.integer({ min: 150, max: 400 }),
        repeatEvery: fc.integer({ min: 3, max: 25 }),
        invalidEvery: fc.integer({ min: 20, max: 90 }),
        maxWave: fc.integer({ min: 1, max: 300 }),
        groups: fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 4 }),
        partitions: fc.constantFrom(1, 1, 3),
      }),
      async (c) => {
        const lines = input(c.seed, c.count, c.repeatEvery, c.invalidEvery);
        const dir = tempDir();
        const serial = await oneAtATime(join(dir, 'serial'), lines, c.partitions);
        const grouped = await concurrently(join(dir, 'grouped'), lines, c.partitions, c.maxWave, c.groups);
        expect(grouped).toEqual(serial);
        expect(await summedBalances(join(dir, 'grouped'))).toEqual(await summedBalances(join(dir, 'serial')));
        expect(outboxLines(join(dir, 'grouped'))).toEqual(outboxLines(join(dir, 'serial')));
        // The input has every class it claims: a test that could not see a wrong duplicate would prove nothing.
        const kinds = new Set(serial.map((answer) => answer.outcome));
        for (const kind of ['posted', 'duplicate', 'declined', 'rejected'] as const) expect(kinds).toContain(kind);
      },
    ),
    { numRuns: fuzzRuns(3), seed: fuzzSeed(9_001) },
  );
});

test('the same authorisation twice in one wave: one posted, the other a duplicate; again later: a duplicate', async () => {
  const [line] = sampleLines(1, 77, 0);
  const poster = new RealTimePoster({ stateDir: join(tempDir(), 'state') });
  try {
    const answers = await Promise.all([poster.postOne(line!), poster.postOne(JSON.parse(line!)), poster.postOne(`\ufeff${line!}`)]);
    expect(answers.map((answer) => answer.outcome).sort()).toEqual(['duplicate', 'duplicate', 'posted']);
    expect(answers[0]!.outcome).toBe('posted');
    for (const answer of answers.slice(1)) expect(answer).toMatchObject({ reason: expect.stringMatching(/was received before: nothing posted again/) });
    expect((await poster.postOne(line!)).outcome).toBe('duplicate');
  } finally {
    poster.close();
  }
});

test.each([0, -1, 1.5, Number.NaN])('refuses a wave bound of %p, naming it', (maxWave) => {
  expect(() => new RealTimePoster({ stateDir: join(tempDir(), 'state'), maxWave })).toThrow(/maxWave must be a whole number ≥ 1/);
});
