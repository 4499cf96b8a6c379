/**
 * PART-1: the routing decision over generated streams of lines that share authorisation ids,
 * business keys and card tokens every which way. Whatever the order, replays meet their original,
 * every payment that can claim a business key meets the others with that key, and a unique
 * payment stays on its card's partition.
 */
import fc from 'fast-check';
import type { KnownRoutes, RoutingKeys } from '../../src/domain/partition-route';
import { cardPartition, routeLine, routingKeys } from '../../src/domain/partition-route';
import { businessKey } from '../../src/domain/dedup';
import { authorisation } from '../support/builders';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

function memory(): KnownRoutes & { ids: Map<string, number>; keys: Map<string, number> } {
  const ids = new Map<string, number>();
  const keys = new Map<string, number>();
  return { ids, keys, byAuthorisation: (id) => ids.get(id), byBusinessKey: (key) => keys.get(key) };
}

const line = fc.option(
  fc.record({
    authorizationId: fc.constantFrom('A1', 'A2', 'A3', 'A4', 'A5', 'A6'),
    businessKey: fc.option(fc.constantFrom('K1', 'K2', 'K3', 'K4'), { nil: undefined }),
    panToken: fc.constantFrom('tok_AAAAAAAA', 'tok_BBBBBBBB', 'tok_CCCCCCCC', 'tok_DDDDDDDD', 'tok_EEEEEEEE'),
  }),
  { nil: undefined, freq: 8 },
);

describe('partition routing (PART-1)', () => {
  it('replays meet their original, key-claiming payments meet each other, unique payments stay home', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), fc.integer({ min: 2, max: 5 }), (stream, partitions) => {
        const known = memory();
        const firstOfId = new Map<string, number>();
        const claimOfKey = new Map<string, number>();
        for (const keys of stream) {
          const { partition, remember } = routeLine(keys, known, partitions);
          expect(partition).toBeGreaterThanOrEqual(0);
          expect(partition).toBeLessThan(partitions);
          if (remember.authorizationId !== undefined) known.ids.set(remember.authorizationId, partition);
          if (remember.businessKey !== undefined) known.keys.set(remember.businessKey, partition);
          if (!keys) {
            expect(partition).toBe(0);
            continue;
          }
          const original = firstOfId.get(keys.authorizationId);
          if (original !== undefined) {
            expect(partition).toBe(original); // a replay, whatever its card or key
            continue;
          }
          firstOfId.set(keys.authorizationId, partition);
          if (keys.businessKey === undefined) {
            expect(partition).toBe(cardPartition(keys.panToken, partitions));
            continue;
          }
          const claimed = claimOfKey.get(keys.businessKey);
          if (claimed !== undefined)
            expect(partition).toBe(claimed); // a duplicate meets the payment that claimed its key
          else {
            expect(partition).toBe(cardPartition(keys.panToken, partitions)); // a unique payment stays with its card
            claimOfKey.set(keys.businessKey, partition);
          }
        }
      }),
      { numRuns: fuzzRuns(500), seed: fuzzSeed(17) },
    );
  });

  it('one partition, or a line that is not an authorisation: partition 0, nothing remembered', () => {
    const keys: RoutingKeys = { authorizationId: 'A', panToken: 'tok_ZZZZZZZZ', businessKey: 'K' };
    expect(routeLine(keys, memory(), 1)).toEqual({ partition: 0, remember: {} });
    expect(routeLine(undefined, memory(), 4)).toEqual({ partition: 0, remember: {} });
  });

  it('the keys come from the authorisation; only an approved one has a business key', () => {
    const approved = authorisation();
    expect(routingKeys(approved)).toEqual({ authorizationId: 'AUTH-1', panToken: 'tok_ABCDEFGH12345678', businessKey: businessKey(approved) });
    expect(routingKeys(authorisation({ responseCode: '05' }))).toEqual({ authorizationId: 'AUTH-1', panToken: 'tok_ABCDEFGH12345678' });
  });
});
