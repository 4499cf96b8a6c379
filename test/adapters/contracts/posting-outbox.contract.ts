/**
 * The PostingOutbox contract (FR8, LEDGER-2), run against every adapter (the S3 batch object on
 * s3rver, the SQLite + files outbox): a batch is written as one object; every record written is
 * in the output, whole, never twice in one object; re-delivering a batch, in any order, adds no
 * object; an empty batch writes nothing; a failed write leaves nothing half-written.
 */
import fc from 'fast-check';
import type { PostingOutbox, PostingRecord } from '../../../src/ports';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { expectFailure } from './support/failure';

export interface OutboxHarness {
  outbox: PostingOutbox;
  /** The content of every object (file) written so far, in a stable order. */
  objects(): Promise<string[]>;
  /** From now on, every write holding `recordId` fails (undefined: none). */
  failWritesHolding(recordId: string | undefined): void;
}

export interface OutboxAdapter {
  name: string;
  /** A fresh, empty outbox. */
  open(): Promise<OutboxHarness>;
  runs: number;
}

/** A record whose lines name it, so an object can be split back into the records it holds. */
export function record(n: number): PostingRecord {
  const sequenceId = `0190a1b2-c3d4-7e5f-8a6b-${String(n).padStart(12, '0')}`;
  const recordId = `PR-${sequenceId}`;
  const lines = 2 + (n % 3) * 2;
  return { recordId, sequenceId, content: Array.from({ length: lines }, (_, i) => `${recordId} line ${i + 1}/${lines}\n`).join('') };
}

/** The records an object holds, in order (each whole: its lines consecutive and complete). */
export function recordsIn(content: string): string[] {
  const held: string[] = [];
  const lines = content.split('\n');
  expect(lines.pop()).toBe(''); // whole lines only
  for (let i = 0; i < lines.length;) {
    const match = /^(PR-\S+) line 1\/(\d+)$/.exec(lines[i]!);
    expect(match).not.toBeNull();
    const [, recordId, count] = match!;
    for (let k = 1; k <= Number(count); k += 1) expect(lines[i + k - 1]).toBe(`${recordId} line ${k}/${count}`);
    held.push(recordId!);
    i += Number(count);
  }
  return held;
}

export function postingOutboxContract(adapter: OutboxAdapter): void {
  describe(`PostingOutbox contract: ${adapter.name}`, () => {
    const pool = Array.from({ length: 30 }, (_, n) => record(n + 1));

    it('an empty batch writes nothing', async () => {
      const harness = await adapter.open();
      await harness.outbox.writeBatch([]);
      expect(await harness.objects()).toEqual([]);
    });

    it('writes a batch as ONE object holding each of its records once, whole', async () => {
      const harness = await adapter.open();
      const batch = [pool[4]!, pool[1]!, pool[7]!, pool[1]!];
      await harness.outbox.writeBatch(batch);
      const objects = await harness.objects();
      expect(objects).toHaveLength(1);
      expect(recordsIn(objects[0]!).sort()).toEqual([pool[1]!, pool[4]!, pool[7]!].map((r) => r.recordId).sort());
    });

    it('under re-delivery in any batch composition, every record is in the output, never twice in one object, and a re-sent batch adds no object (generated)', async () => {
      const batchOf = fc.array(fc.nat({ max: pool.length - 1 }), { minLength: 0, maxLength: 12 });
      await fc.assert(
        fc.asyncProperty(fc.array(batchOf, { minLength: 1, maxLength: 6 }), fc.infiniteStream(fc.nat()), async (batches, shuffles) => {
          const harness = await adapter.open();
          const written = new Set<string>();
          for (const batch of batches) {
            const records = batch.map((index) => pool[index]!);
            await harness.outbox.writeBatch(records);
            for (const r of records) written.add(r.recordId);
            // The same batch again, in another order: nothing new.
            const before = await harness.objects();
            const keyed = records.map((r) => ({ r, k: shuffles.next().value as number }));
            await harness.outbox.writeBatch(keyed.sort((a, b) => a.k - b.k).map(({ r }) => r));
            expect(await harness.objects()).toEqual(before);
          }
          const objects = await harness.objects();
          const held = objects.map(recordsIn);
          for (const ids of held) expect(new Set(ids).size).toBe(ids.length);
          expect(new Set(held.flat())).toEqual(written);
          // Whatever object holds a record holds it with its exact content.
          for (const content of objects) for (const id of recordsIn(content)) expect(content).toContain(pool.find((r) => r.recordId === id)!.content);
        }),
        { numRuns: fuzzRuns(adapter.runs), seed: fuzzSeed(0x0b7b0c) },
      );
    });

    it('a failed write leaves nothing half-written, and the retried batch is written whole', async () => {
      const harness = await adapter.open();
      await harness.outbox.writeBatch(pool.slice(0, 3));
      const batch = pool.slice(3, 9);
      harness.failWritesHolding(batch[3]!.recordId);
      await expectFailure(harness.outbox.writeBatch(batch));
      const objects = await harness.objects();
      expect(objects.flatMap(recordsIn).sort()).toEqual(
        pool
          .slice(0, 3)
          .map((r) => r.recordId)
          .sort(),
      );
      harness.failWritesHolding(undefined);
      await harness.outbox.writeBatch(batch);
      expect(new Set((await harness.objects()).flatMap(recordsIn))).toEqual(new Set(pool.slice(0, 9).map((r) => r.recordId)));
    });
  });
}
