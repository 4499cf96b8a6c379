/**
 * CHAOS-1 on generated fault schedules: under store errors and throttling (port calls and
 * database statements), the embedded runtime ends with the ledger, the posting records and every
 * outcome of an uninterrupted run, whatever order the retries put the payments in: no re-send
 * claims its original's business key (FR2), no card's payment is decided by a velocity count that
 * missed an earlier payment of that card, and no message is dead-lettered for a moment's refusal.
 *
 * The inputs are made for it: many re-sends (8%), and every payment on one of a small pool of
 * cards, so that cards run up to their velocity limits inside the window and the decision of a
 * payment depends on which of its card's earlier payments were counted first.
 *
 * Under card-posting v1 (the velocity rules), pinned here. The default, v2, adds fraud rules that
 * read the card's history, and under these faults their decisions do depend on retry order: a
 * retried earlier payment is missing from a later one's history, so 1–2 of 2,000 payments per seed
 * switch between review and approve against the clean run (a known FRAUD-1 defect, recorded in
 * docs/fraud-signals.md; the card history needs the ordering velocity has before v2 can keep this
 * guarantee).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { authorisationLines } from '../../src/generator/authorisations';
import type { Authorisation } from '../../src/domain/events';
import { fnv1a32 } from '../../src/domain/fnv';
import { storeFaultClass } from '../../chaos/in-process';
import { inspectState } from '../../chaos/inspect';
import { failures } from '../../chaos/report';
import { referenceData, tempDir } from '../support/runtime';
import { resolve } from 'node:path';

const V1 = resolve(__dirname, '../../config/rules/card-posting.v1.json');

const COUNT = 2000;
const CARD_POOL = 80;

/** Generated authorisations, each moved onto one of CARD_POOL cards of the input (a re-send keeps its original's). */
function crowdedInput(path: string, seed: number): void {
  const records = [...authorisationLines({ count: COUNT, seed, duplicateRate: 0.08, referenceData })].map((line) => JSON.parse(line) as Authorisation);
  const known = new Set(referenceData.cards.map((card) => card.panToken));
  const pool = [...new Set(records.map((record) => record.panToken).filter((token) => known.has(token)))].slice(0, CARD_POOL);
  if (pool.length < CARD_POOL) throw new Error(`seed ${seed}: only ${pool.length} known cards in the input, ${CARD_POOL} wanted`);
  writeFileSync(path, `${records.map((record) => JSON.stringify({ ...record, panToken: pool[fnv1a32(record.panToken) % CARD_POOL] })).join('\n')}\n`);
}

describe('outcomes independent of retry order under store faults (CHAOS-1)', () => {
  const dir = tempDir('ledgerline-ordering-');

  it.each([
    [101, 0.05, 0.005],
    [202, 0.06, 0.005],
    [303, 0.04, 0.01],
  ])(
    'seed %i: %f of port calls and %f of statements fail; ledger, records and outcomes equal a clean run',
    async (seed, rate, statementRate) => {
      const input = join(dir, `input-${seed}.ndjson`);
      crowdedInput(input, seed);
      const workDir = join(dir, `run-${seed}`);
      const result = await storeFaultClass({ input, workDir, seed, rate, statementRate, rulesFile: V1 });
      // The input exercises what it is for: re-sends parked, cards held for review by velocity.
      const clean = inspectState(join(workDir, 'clean'));
      expect(clean.counts.duplicates).toBeGreaterThan(COUNT * 0.04);
      expect(clean.counts.review).toBeGreaterThan(50);
      expect(result.injected).toBeGreaterThan(200);
      expect(failures(result)).toEqual([]);
      expect(result).toMatchObject({ lost: 0, postedTwice: 0, ledgerEqual: true, recordsEqual: true, swapped: 0, countsEqual: true });
      expect(result.details['messages dead-lettered']).toBe(0);
      expect(result.recoveries).toBe(result.injected);
    },
    240_000,
  );
});
