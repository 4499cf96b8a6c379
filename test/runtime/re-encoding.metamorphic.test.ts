/**
 * ING-5 and PART-1, metamorphic: the same payment is the same payment however it is encoded and
 * however many partitions the state has.
 *
 * A generated stream (with the generator's own duplicates) plus re-sends: the same authorisation
 * id with another card token (a replay), and a new authorisation id with the same business key and
 * another card token (a duplicate). Every line is then re-spelled at random (escapes of any
 * character in names and values, member order, whitespace: test/support/json-spelling.ts).
 * Posted under 1, 2 and 3 partitions, the re-spelled stream gives the summary, the balances and
 * the posting records of the plain stream in one partition, and that summary counts exactly the
 * replays and duplicates a single-partition oracle predicts from the lines.
 *
 * The authorisation has no JSON numbers (amounts are decimal strings), so "number forms" do not
 * apply to a valid line; a number where a string belongs is dead-lettered (hostile-lines.fuzz).
 */
import fc from 'fast-check';
import { postPartitioned } from '../../src/runtime/partitioned-runtime';
import { businessKey } from '../../src/domain/dedup';
import type { Authorisation } from '../../src/domain/events';
import { Prng } from '../../src/generator/authorisations';
import { outboxLines, sampleLines, tempDir } from '../support/runtime';
import { respellLine } from '../support/json-spelling';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { summedBalances } from '../support/ledger';

const runtime = { waveSize: 150, batchSize: 50 };

async function post(lines: string[], partitions: number) {
  const stateDir = tempDir('ledgerline-metamorphic-');
  const { summary } = await postPartitioned(lines, 'auths.ndjson', { stateDir, partitions, runtime });
  return { summary: { ...summary, elapsedMs: 0 }, balances: await summedBalances(stateDir), records: outboxLines(stateDir) };
}

/** A stream with re-sends, from one seed: the plain lines, and how many replays and duplicates one partition must find. */
function streamFrom(seed: number): { plain: string[]; replays: number; duplicates: number } {
  const random = new Prng(seed);
  const base = sampleLines(160, 1 + (seed % 1000), 0.04);
  const auths = base.map((line) => JSON.parse(line) as Authorisation);
  const tokens = [...new Set(auths.map((a) => a.panToken))];
  const otherToken = (token: string): string => tokens[(tokens.indexOf(token) + 1 + random.int(tokens.length - 1)) % tokens.length]!;
  const resent: Authorisation[] = [];
  for (let i = 0; i < 50; i += 1) {
    const original = auths[random.int(auths.length)]!;
    const kind = random.int(3);
    if (kind === 0)
      resent.push(original); // the same record again
    else if (kind === 1)
      resent.push({ ...original, panToken: otherToken(original.panToken) }); // same id, another card
    else resent.push({ ...original, authorizationId: `${original.authorizationId}-R${i}`, panToken: otherToken(original.panToken) }); // same business key, another card
  }
  // Interleave: each re-send lands somewhere after its original.
  const stream = [...auths];
  for (const auth of resent) {
    const after = stream.findIndex((a) => a.stan === auth.stan && a.rrn === auth.rrn && a.network === auth.network);
    stream.splice(after + 1 + random.int(stream.length - after), 0, auth);
  }
  // The single-partition oracle: replays by authorisation id, then duplicates by business key.
  const seenIds = new Set<string>();
  const claimed = new Set<string>();
  let replays = 0;
  let duplicates = 0;
  for (const auth of stream) {
    if (seenIds.has(auth.authorizationId)) {
      replays += 1;
      continue;
    }
    seenIds.add(auth.authorizationId);
    if (auth.responseCode !== '00') continue;
    const key = businessKey(auth);
    if (claimed.has(key)) duplicates += 1;
    else claimed.add(key);
  }
  return { plain: stream.map((auth) => JSON.stringify(auth)), replays, duplicates };
}

describe('re-encoding (ING-5) under any partition count (PART-1)', () => {
  it("every re-spelling gives the plain stream's outcome, ledger and posting records under 1, 2 and 3 partitions", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const { plain, replays, duplicates } = streamFrom(seed);
        const random = new Prng(seed ^ 0x5bd1e995);
        const respelled = plain.map((line) => respellLine(line, random));
        expect(respelled.filter((line, i) => line !== plain[i]!).length).toBeGreaterThan(plain.length / 2);
        const reference = await post(plain, 1);
        expect(reference.summary).toMatchObject({ received: plain.length, invalid: 0, replayed: replays, duplicates, pending: 0 });
        expect(reference.summary.posted).toBeGreaterThan(100);
        for (const partitions of [1, 2, 3]) {
          const run = await post(respelled, partitions);
          expect({ partitions, ...run.summary }).toEqual({ partitions, ...reference.summary });
          expect(run.balances).toEqual(reference.balances);
          expect(run.records).toEqual(reference.records);
        }
      }),
      { numRuns: fuzzRuns(1), seed: fuzzSeed(20260), endOnFailure: true },
    );
  });
});
