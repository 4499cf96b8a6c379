/**
 * MODE-5: the batch inbox (MODE-2), the tailing stream (MODE-3) and real-time one-at-a-time
 * posting (MODE-4) give the same ledger and the same posting records as `post` for the same
 * authorisations: generated inputs of a few thousand lines with business-key duplicates, re-sent
 * lines (the same authorisation id), issuer declines, rules declines and invalid lines, under
 * generated chunk sizes, file splits and partition counts. Outcome counts agree too.
 */
import { fuzzRuns, fuzzScale } from '../support/fuzz';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { runBatchInbox } from '../../src/modes/batch-inbox';
import { RealTimePoster, type RealTimeOutcome } from '../../src/modes/real-time';
import { sourceNamed, type SourceSettings } from '../../src/modes/source-config';
import { tailFile } from '../../src/modes/tail';
import { postPartitioned } from '../../src/runtime/partitioned-runtime';
import type { RunSummary } from '../../src/runtime/embedded-runtime';
import { summedBalances } from '../support/ledger';
import { outboxLines, sampleLines, tempDir } from '../support/runtime';

jest.setTimeout(600_000);

interface Case {
  seed: number;
  count: number;
  duplicateRate: number;
  resendEvery: number;
  invalidEvery: number;
  chunk: number;
  files: number;
  partitions: number;
}

/** The generated authorisations plus re-sent lines (same authorisation id) and invalid lines, in a fixed order. */
function input(c: Case): string[] {
  const base = sampleLines(c.count, c.seed, c.duplicateRate);
  const lines: string[] = [];
  base.forEach((line, index) => {
    lines.push(line);
    if (index % c.resendEvery === c.resendEvery - 1) lines.push(base[index - Math.floor(c.resendEvery / 2)]!);
    if (index % c.invalidEvery === 0)
      lines.push(index % 2 === 0 ? '{"authorizationId": "broken"' : JSON.stringify({ ...JSON.parse(line), amount: { value: '0.00', currency: 'GBP' }, authorizationId: `ZERO-${index}` }));
  });
  return lines;
}

/** Outcome counts as real-time names them, from a run summary. */
function classes(summary: Pick<RunSummary, 'posted' | 'duplicates' | 'replayed' | 'declined' | 'notApproved' | 'review' | 'rejected' | 'invalid' | 'failed' | 'pending'>): Record<string, number> {
  return {
    posted: summary.posted,
    duplicate: summary.duplicates + summary.replayed,
    declined: summary.declined + summary.notApproved,
    review: summary.review,
    rejected: summary.rejected + summary.invalid,
    failed: summary.failed,
    pending: summary.pending,
  };
}

function sum(summaries: RunSummary[]): RunSummary {
  const total = { received: 0, invalid: 0, notApproved: 0, replayed: 0, duplicates: 0, rejected: 0, declined: 0, review: 0, posted: 0, failed: 0, pending: 0, elapsedMs: 0, ledger: {} } as RunSummary;
  for (const s of summaries) for (const key of Object.keys(total) as (keyof RunSummary)[]) if (key !== 'ledger') (total[key] as number) += s[key] as number;
  return total;
}

const batchSource = (chunk: number): SourceSettings => ({ ...sourceNamed('card-files'), batchSize: chunk });
const streamSourceOf = (chunk: number): SourceSettings => ({ ...sourceNamed('card-stream'), batchSize: chunk });

test('MODE-5: batch, stream and real-time give the ledger and posting records of `post`', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        seed: fc.integer({ min: 1, max: 1_000_000 }),
        // CI: a few hundred lines in waves of 50+; `npm run fuzz` runs up to 1,200 lines in waves down to one line.
        count: fc.integer({ min: 300, max: fuzzScale() > 1 ? 1200 : 700 }),
        duplicateRate: fc.constantFrom(0.02, 0.05, 0.1),
        resendEvery: fc.integer({ min: 20, max: 200 }),
        invalidEvery: fc.integer({ min: 100, max: 400 }),
        chunk: fc.integer({ min: fuzzScale() > 1 ? 1 : 50, max: 700 }),
        files: fc.integer({ min: 1, max: 4 }),
        partitions: fc.integer({ min: 1, max: 2 }),
      }),
      async (c) => {
        const lines = input(c);
        const dir = tempDir('ledgerline-modes-');

        const reference = join(dir, 'reference');
        const posted = (await postPartitioned(lines, 'reference', { stateDir: reference, partitions: 1, runtime: { waveSize: 500 } })).summary;
        expect(posted.posted).toBeGreaterThan(c.count / 2);
        expect(posted.duplicates + posted.replayed).toBeGreaterThan(0);
        expect(posted.declined + posted.notApproved).toBeGreaterThan(0);
        expect(posted.invalid).toBeGreaterThan(0);
        const ledger = await summedBalances(reference);
        const records = outboxLines(reference);

        // MODE-2: the lines split over `files` inbox files, posted in chunks of `chunk`.
        const inbox = join(dir, 'inbox');
        mkdirSync(inbox);
        const per = Math.ceil(lines.length / c.files);
        for (let f = 0; f < c.files; f += 1) writeFileSync(join(inbox, `part-${f}.ndjson`), `${lines.slice(f * per, (f + 1) * per).join('\n')}\n`);
        const batchState = join(dir, 'batch');
        const outcomes = await runBatchInbox({ source: batchSource(c.chunk), inbox, stateDir: batchState, partitions: c.partitions });
        expect(outcomes.map((o) => o.outcome)).toEqual(Array.from({ length: c.files }, () => 'posted'));
        expect(classes(sum(outcomes.map((o) => o.summary!)))).toEqual(classes(posted));

        // MODE-3: the file grows in two parts; the tail posts each as it arrives, in waves of `chunk`.
        const stream = join(dir, 'stream.ndjson');
        const streamState = join(dir, 'stream');
        const half = Math.floor(lines.length / 2);
        writeFileSync(stream, `${lines.slice(0, half).join('\n')}\n${lines[half]!.slice(0, 40)}`);
        const first = await tailFile({ source: streamSourceOf(c.chunk), input: stream, stateDir: streamState, partitions: c.partitions });
        expect(first.position.lines).toBe(half);
        appendFileSync(stream, `${lines[half]!.slice(40)}\n${lines.slice(half + 1).join('\n')}\n`);
        const second = await tailFile({ source: streamSourceOf(c.chunk), input: stream, stateDir: streamState, partitions: c.partitions });
        expect(second.position.lines).toBe(lines.length);
        expect(classes(sum([first.summary, second.summary]))).toEqual(classes(posted));

        // MODE-4: one at a time.
        const realTimeState = join(dir, 'real-time');
        const poster = new RealTimePoster({ stateDir: realTimeState, partitions: c.partitions });
        const tally: Record<string, number> = { posted: 0, duplicate: 0, declined: 0, review: 0, rejected: 0, failed: 0, pending: 0 };
        const answers: RealTimeOutcome[] = [];
        try {
          for (const line of lines) answers.push(await poster.postOne(line));
        } finally {
          poster.close();
        }
        for (const answer of answers) tally[answer.outcome]! += 1;
        expect(tally).toEqual(classes(posted));

        for (const state of [batchState, streamState, realTimeState]) {
          expect(await summedBalances(state)).toEqual(ledger);
          expect(outboxLines(state)).toEqual(records);
        }
        // Every posted answer carries its sequence and balanced legs; its record is in the outbox.
        for (const answer of answers) {
          if (answer.outcome !== 'posted') continue;
          expect(answer.legs.length).toBeGreaterThanOrEqual(2);
          const bySide = (direction: string) => answer.legs.filter((leg) => leg.direction === direction).length;
          expect(bySide('DEBIT')).toBeGreaterThan(0);
          expect(bySide('CREDIT')).toBeGreaterThan(0);
        }
      },
    ),
    { numRuns: fuzzRuns(2) },
  );
});
