/**
 * The CardHistoryStore contract (FRAUD-1), run against every adapter (embedded SQLite, DynamoDB on
 * dynalite): the rules stage computes the same fraud features from either, so both must answer
 * the same for the same calls.
 * - The window read: exactly the card's entries with time in (at - window, at], whatever order
 *   they arrived in, in event order (time, then transaction id), amounts exact (beyond 64 bits).
 * - First writer wins: recording a transaction again (a re-delivery) changes nothing, even if the
 *   second call carries another amount or country.
 * - Cards never mix, not even a card whose token extends another's.
 * - Every class of bad input is refused before anything is written, naming the input and the fault.
 */
import fc from 'fast-check';
import type { CardHistoryEntry } from '../../../src/domain/fraud';
import { MAX_CARD_HISTORY_EPOCH_MS } from '../../../src/domain/fraud';
import type { CardHistoryStore } from '../../../src/ports/fraud';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';

export interface CardHistoryAdapter {
  name: string;
  /** A store; cards are fresh per test (the contract never reuses a token), so one store may serve all. */
  open(): Promise<CardHistoryStore>;
  /** CI run count of the generated properties (each run is a few dozen calls). */
  runs: number;
}

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const WINDOW = 3_600_000;
let cards = 0;
/** A fresh, schema-shaped card token (`^tok_[A-Za-z0-9]{8,64}$`) with no digits a card-number check could read. */
const freshCard = (): string => `tok_contract${String.fromCharCode(97 + (cards % 26))}${'x'.repeat(1 + Math.floor(cards++ / 26))}`;

const eventKey = (e: { atEpochMs: number; transactionId: string }) => `${String(e.atEpochMs).padStart(16, '0')}#${e.transactionId}`;
const inWindow = (entries: readonly CardHistoryEntry[], at: number, window: number) =>
  entries.filter((e) => e.atEpochMs > at - window && e.atEpochMs <= at).sort((a, b) => (eventKey(a) < eventKey(b) ? -1 : eventKey(a) > eventKey(b) ? 1 : 0));

const entryArb = (from: number, to: number) =>
  fc.record({
    transactionId: fc.stringMatching(/^tx-[a-z]{1,8}$/),
    atEpochMs: fc.integer({ min: from, max: to }),
    amountMinor: fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 6n }), fc.bigInt({ min: 0n, max: 10n ** 30n })),
    merchantCountry: fc.constantFrom('GB', 'FR', 'US', 'DE'),
  });

/** Entries of one card, unique by id, several sharing a time (ties break on the id). */
const historyArb = fc
  .uniqueArray(entryArb(T0, T0 + 3 * WINDOW), { selector: (e) => e.transactionId, minLength: 1, maxLength: 12 })
  .chain((entries) =>
    fc.tuple(
      fc.constant(entries),
      fc.array(fc.nat({ max: 2 }), { minLength: entries.length, maxLength: entries.length }),
      fc.array(fc.boolean(), { minLength: entries.length, maxLength: entries.length }),
    ),
  );

export function cardHistoryContract(adapter: CardHistoryAdapter): void {
  describe(`CardHistoryStore contract: ${adapter.name}`, () => {
    let store: CardHistoryStore;
    beforeAll(async () => {
      store = await adapter.open();
    }, 60_000);

    it('answers exactly the card’s entries in (at - window, at], in event order, amounts exact, however they arrive and however often', async () => {
      await fc.assert(
        fc.asyncProperty(historyArb, async ([entries, redeliveries, tieShifts]) => {
          const card = freshCard();
          const neighbour = `${card}y`; // a token that extends the card's: never read with it
          const recorded: CardHistoryEntry[] = [];
          for (const [i, generated] of entries.entries()) {
            // Some entries share the previous one's time, so ties are ordered by id.
            const entry = tieShifts[i] && i > 0 ? { ...generated, atEpochMs: entries[i - 1]!.atEpochMs } : generated;
            let answer: CardHistoryEntry[] = [];
            for (let n = 0; n <= redeliveries[i]!; n++) answer = await store.recordAndRead(card, entry, WINDOW);
            recorded.push(entry);
            await store.recordAndRead(neighbour, { ...entry, transactionId: `n-${entry.transactionId}`, amountMinor: entry.amountMinor + 1n }, WINDOW);
            expect(answer).toEqual(inWindow(recorded, entry.atEpochMs, WINDOW));
          }
        }),
        { numRuns: fuzzRuns(adapter.runs), seed: fuzzSeed(7_001) },
      );
    }, 120_000);

    it('keeps the first record of a transaction: a later call with another amount or country changes nothing', async () => {
      await fc.assert(
        fc.asyncProperty(entryArb(T0, T0 + WINDOW), fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.constantFrom('JP', 'BR'), async (first, amount, country) => {
          const card = freshCard();
          await store.recordAndRead(card, first, WINDOW);
          const again = await store.recordAndRead(card, { ...first, amountMinor: amount, merchantCountry: country }, WINDOW);
          expect(again).toEqual([first]);
        }),
        { numRuns: fuzzRuns(adapter.runs), seed: fuzzSeed(7_002) },
      );
    }, 120_000);

    it('bounds the window exactly: at - window is out, at - window + 1 is in, later payments are not read', async () => {
      const card = freshCard();
      const at = T0 + 10 * WINDOW;
      const entry = (id: string, atEpochMs: number): CardHistoryEntry => ({ transactionId: id, atEpochMs, amountMinor: 100n, merchantCountry: 'GB' });
      await store.recordAndRead(card, entry('tx-edge-out', at - WINDOW), WINDOW);
      await store.recordAndRead(card, entry('tx-edge-in', at - WINDOW + 1), WINDOW);
      await store.recordAndRead(card, entry('tx-later', at + 1), WINDOW);
      const answer = await store.recordAndRead(card, entry('tx-now', at), WINDOW);
      expect(answer.map((e) => e.transactionId)).toEqual(['tx-edge-in', 'tx-now']);
      // A window of 1 ms reads only the payment's own millisecond.
      expect((await store.recordAndRead(card, entry('tx-tie', at), 1)).map((e) => e.transactionId)).toEqual(['tx-now', 'tx-tie']);
    });

    it('keys the extreme times: epoch 0 and the largest time a store keys', async () => {
      const card = freshCard();
      const zero: CardHistoryEntry = { transactionId: 'tx-zero', atEpochMs: 0, amountMinor: 0n, merchantCountry: 'GB' };
      expect(await store.recordAndRead(card, zero, 1)).toEqual([zero]);
      const last: CardHistoryEntry = { transactionId: 'tx-last', atEpochMs: MAX_CARD_HISTORY_EPOCH_MS, amountMinor: 10n ** 40n, merchantCountry: 'FR' };
      expect(await store.recordAndRead(card, last, MAX_CARD_HISTORY_EPOCH_MS + 1)).toEqual([zero, last]);
    });

    const good: CardHistoryEntry = { transactionId: 'tx-good', atEpochMs: T0, amountMinor: 1n, merchantCountry: 'GB' };
    const refusals: [string, string | null, Partial<CardHistoryEntry>, number, RegExp][] = [
      ['a fractional time', null, { atEpochMs: 1.5 }, WINDOW, /time 1\.5 of tx-good/],
      ['a negative time', null, { atEpochMs: -1 }, WINDOW, /time -1 of tx-good/],
      ['a time past the keyed range', null, { atEpochMs: MAX_CARD_HISTORY_EPOCH_MS + 1 }, WINDOW, /time 1000000000000000 of tx-good/],
      ['NaN time', null, { atEpochMs: Number.NaN }, WINDOW, /time NaN of tx-good/],
      ['a negative amount', null, { amountMinor: -1n }, WINDOW, /amount -1 of tx-good/],
      ['an amount that is a number', null, { amountMinor: 5 as unknown as bigint }, WINDOW, /amount 5 of tx-good .*bigint/],
      ['a lower-case country', null, { merchantCountry: 'gb' }, WINDOW, /merchant country "gb" of tx-good/],
      ['an empty country', null, { merchantCountry: '' }, WINDOW, /merchant country "" of tx-good/],
      ['an alpha-3 country', null, { merchantCountry: 'GBR' }, WINDOW, /merchant country "GBR" of tx-good/],
      ['an empty transaction id', null, { transactionId: '' }, WINDOW, /transaction id ""/],
      ['a transaction id with a control character', null, { transactionId: 'tx\n1' }, WINDOW, /transaction id "tx\\n1"/],
      ['an empty card token', '', {}, WINDOW, /card token of tx-good/],
      ['a card number for a token', '4111111111111111', {}, WINDOW, /card of tx-good is given as a card number/],
      ['a zero window', null, {}, 0, /window 0 ms/],
      ['a negative window', null, {}, -5, /window -5 ms/],
      ['a fractional window', null, {}, 0.5, /window 0\.5 ms/],
    ];

    it.each(refusals)('refuses %s, naming it, and records nothing', async (_what, token, change, window, message) => {
      const card = freshCard();
      await expect(store.recordAndRead(token ?? card, { ...good, ...change }, window)).rejects.toThrow(message);
      // Nothing of the refused call is read back with the card's next payment.
      expect(await store.recordAndRead(card, { ...good, transactionId: 'tx-after', atEpochMs: T0 + 1 }, WINDOW)).toEqual([{ ...good, transactionId: 'tx-after', atEpochMs: T0 + 1 }]);
    });
  });
}
