/**
 * One contract for the FRAUD-1 card history over both adapter sets: embedded SQLite and
 * DynamoDB (dynalite). Generated histories; the window read, idempotence and card separation.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { SqliteCardHistoryStore } from '../../src/adapters/embedded/fraud-history';
import { DynamoCardHistoryStore } from '../../src/adapters/aws/fraud-history';
import type { CardHistoryEntry } from '../../src/domain/fraud';
import type { CardHistoryStore } from '../../src/ports/fraud';
import { startDynalite, type Dynalite } from '../adapters/aws/support/dynalite';

let dynalite: Dynalite;
beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite.stop();
});

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const WINDOW = 3_600_000;
let cardSeq = 0;

const adapters: [string, () => CardHistoryStore][] = [
  ['embedded SQLite', () => new SqliteCardHistoryStore(new Database(':memory:'))],
  ['DynamoDB (dynalite)', () => new DynamoCardHistoryStore({ client: dynalite.client, tableName: dynalite.tableNames.rulesState })],
];

const entriesArb = fc.uniqueArray(
  fc.record({
    transactionId: fc.stringMatching(/^tx-[a-z0-9]{1,8}$/),
    atEpochMs: fc.integer({ min: T0, max: T0 + 3 * WINDOW }),
    amountMinor: fc.bigInt({ min: 0n, max: 10n ** 18n }),
    merchantCountry: fc.constantFrom('GB', 'FR', 'US'),
  }),
  { selector: (e) => e.transactionId, minLength: 1, maxLength: 12 },
);

const key = (e: CardHistoryEntry) => `${e.atEpochMs}#${e.transactionId}`;

describe.each(adapters)('card history contract: %s', (_name, make) => {
  it('returns exactly the card entries in (at - window, at], amounts exact, whatever the order and re-deliveries', async () => {
    const store = make();
    await fc.assert(
      fc.asyncProperty(entriesArb, fc.infiniteStream(fc.nat()), async (entries, seeds) => {
        const card = `tok_contract_${cardSeq++}`;
        const other = `tok_contract_${cardSeq++}`;
        const recorded: CardHistoryEntry[] = [];
        for (const entry of entries) {
          const times = 1 + ((seeds.next().value as number) % 2);
          let got: CardHistoryEntry[] = [];
          for (let i = 0; i < times; i++) got = await store.recordAndRead(card, entry, WINDOW);
          recorded.push(entry);
          await store.recordAndRead(other, { ...entry, transactionId: `o-${entry.transactionId}`, atEpochMs: entry.atEpochMs - 1 }, WINDOW);
          const expected = recorded.filter((e) => e.atEpochMs > entry.atEpochMs - WINDOW && e.atEpochMs <= entry.atEpochMs);
          expect(got.map(key).sort()).toEqual(expected.map(key).sort());
          for (const g of got) expect(g).toEqual(recorded.find((e) => e.transactionId === g.transactionId));
        }
      }),
      { numRuns: 8 },
    );
  });

  it('names bad input', async () => {
    const store = make();
    await expect(store.recordAndRead('tok_bad', { transactionId: 'tx-1', atEpochMs: 1.5, amountMinor: 1n, merchantCountry: 'GB' }, WINDOW)).rejects.toThrow(/time 1.5 of tx-1/);
    await expect(store.recordAndRead('tok_bad', { transactionId: 'tx-1', atEpochMs: T0, amountMinor: 1n, merchantCountry: 'GB' }, 0)).rejects.toThrow(/window 0 ms/);
  });
});
