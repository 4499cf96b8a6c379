/**
 * A state partitioned by card (one worker thread per partition) gives exactly the outcome and
 * the ledger of a single partition: same counts, same balances once shards are summed.
 */
import { join } from 'node:path';
import { postPartitioned } from '../../src/runtime/partitioned-runtime';
import type { PartitionedPostResult } from '../../src/runtime/partitioned-runtime';
import { partitionDirs, ROUTES_DB_FILE } from '../../src/runtime/state-layout';
import { cardPartition } from '../../src/domain/partition-route';
import { EmbeddedRuntime } from '../../src/runtime/embedded-runtime';
import { outboxLines, referenceData, sampleLines, tempDir } from '../support/runtime';
import { summedBalances } from '../support/ledger';
import { openDurableDatabase, openStateDatabase } from '../../src/adapters/embedded/database';
import { stateLedgerSide } from '../../src/adapters/embedded/recon-ledger-source';

describe('partitioned post (one worker per card partition)', () => {
  const lines = [...sampleLines(4000, 17, 0.03), 'not json', ''];
  const runtime = { waveSize: 900, batchSize: 200 };

  // One state split two ways (and its single-partition twin), posted once and read by the first
  // three tests: the re-run test replays into it (posting nothing), the others only read it.
  const single = tempDir();
  const split = tempDir();
  let one: PartitionedPostResult;
  let two: PartitionedPostResult;
  beforeAll(async () => {
    one = await postPartitioned(lines, 'auths.ndjson', { stateDir: single, partitions: 1, runtime });
    two = await postPartitioned(lines, 'auths.ndjson', { stateDir: split, partitions: 2, runtime });
  }, 120_000);

  it('gives the same summary and balances as a single partition, and keeps global line numbers', async () => {
    expect(one.partitions).toBe(1);
    expect(two.partitions).toBe(2);
    expect(partitionDirs(split)).toEqual([join(split, 'partitions', 'p0'), join(split, 'partitions', 'p1')]);
    expect({ ...two.summary, elapsedMs: 0 }).toEqual({ ...one.summary, elapsedMs: 0 });
    expect(two.summary.posted).toBeGreaterThan(3000);
    expect(await summedBalances(split)).toEqual(await summedBalances(single));
    // the invalid line keeps its line number in the original file
    const p0 = new EmbeddedRuntime({ stateDir: partitionDirs(split)[0]! });
    try {
      expect(p0.deadLetters.all().map((l) => l.position)).toEqual([4001]);
    } finally {
      p0.close();
    }
  });

  it('reconciliation reads the ledger of every partition (stateLedgerSide)', async () => {
    const state = split;
    const settlement = referenceData().settlementAccounts.find((account) => account.accountId === 'SETTLE-GBP-001')!;
    const side = stateLedgerSide(state, referenceData());
    const entries = side.entries(new Set([settlement.iban])).toArray();
    let legs = 0;
    const perPartition: number[] = [];
    for (const dir of partitionDirs(state)) {
      const runtime = new EmbeddedRuntime({ stateDir: dir });
      try {
        const n = (runtime.db.prepare("SELECT count(*) AS n FROM ledger_legs WHERE account_id = 'SETTLE-GBP-001'").get() as { n: number }).n;
        perPartition.push(n);
        legs += n;
      } finally {
        runtime.close();
      }
    }
    expect(perPartition.every((n) => n > 0)).toBe(true);
    expect(entries).toHaveLength(legs);
    expect(entries.every((entry) => entry.accountId === settlement.iban)).toBe(true);
  });

  it('re-running against a partitioned state posts nothing new, and the state keeps its partition count', async () => {
    const before = await summedBalances(split);
    const again = await postPartitioned(lines.slice(0, 1500), 'a', { stateDir: split, partitions: 4, runtime });
    expect(again.partitions).toBe(2);
    expect(again.summary).toMatchObject({ received: 1500, replayed: 1500, posted: 0 });
    expect(await summedBalances(split)).toEqual(before);
  });

  /** A card token's partition under 2 and under 3 partitions, computed once per token (elsewhere asks for every token on each call). */
  const partitionsOf = new Map<string, readonly [number, number]>();
  function partitions(token: string): readonly [number, number] {
    let found = partitionsOf.get(token);
    if (!found) partitionsOf.set(token, (found = [cardPartition(token, 2), cardPartition(token, 3)]));
    return found;
  }

  /** A card token from `tokens` whose card partition differs from `token`'s under 2 and under 3 partitions: a misrouted re-send cannot land right by chance. */
  function elsewhere(token: string, tokens: string[], salt = 0): string {
    const [two, three] = partitions(token);
    const away = tokens.filter((t) => {
      const [otherTwo, otherThree] = partitions(t);
      return otherTwo !== two && otherThree !== three;
    });
    expect(away.length).toBeGreaterThan(0);
    return away[salt % away.length]!;
  }

  /** Escapes every character of the card token value: the same JSON string, spelled differently. */
  function escapeToken(line: string): string {
    const token = JSON.parse(line).panToken as string;
    const escaped = [...token].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    return line.replace(`"panToken":"${token}"`, `"panToken":"${escaped}"`);
  }

  async function bothWays(input: string[]): Promise<{ one: PartitionedPostResult; two: PartitionedPostResult; three: PartitionedPostResult }> {
    const one = await postPartitioned(input, 'a', { stateDir: tempDir(), partitions: 1, runtime });
    const two = await postPartitioned(input, 'a', { stateDir: tempDir(), partitions: 2, runtime });
    const three = await postPartitioned(input, 'a', { stateDir: tempDir(), partitions: 3, runtime });
    return { one, two, three };
  }

  // Both kinds of re-send in one input (their originals from two seeds share no authorisation id),
  // so the one-, two- and three-partition runs (six worker threads) start once for both; each kind
  // is still counted exactly: every escaped re-send a replay, every other-card re-send a duplicate.
  it('PART-1: in every partition count, a re-send with an escaped card token or member name is a replay, and one with the same business key and another card token is parked as a duplicate', async () => {
    const escapedOriginals = sampleLines(120, 23, 0);
    const escaped = [...escapedOriginals.map(escapeToken), ...escapedOriginals.map((line) => line.replace('"panToken"', '"pan\\u0054oken"'))];
    const keyedOriginals = sampleLines(150, 29, 0);
    const approved = keyedOriginals.map((line) => JSON.parse(line)).filter((auth) => auth.responseCode === '00');
    const tokens = [...new Set(approved.map((auth) => auth.panToken as string))];
    // every approved payment re-sent under a new authorisation id, paid with the "next" card
    const otherCard = approved.map((auth, i) => JSON.stringify({ ...auth, authorizationId: `${auth.authorizationId}-R`, panToken: elsewhere(auth.panToken, tokens, i) }));
    const { one, two, three } = await bothWays([...escapedOriginals, ...keyedOriginals, ...escaped, ...otherCard]);
    expect(one.summary.replayed).toBe(escaped.length);
    expect(escaped.length).toBe(240);
    expect(one.summary.duplicates).toBe(approved.length);
    for (const partitioned of [two, three]) {
      expect({ ...partitioned.summary, elapsedMs: 0 }).toEqual({ ...one.summary, elapsedMs: 0 });
    }
  });

  it('PART-1: the routes are durable, so a later run routes a re-send to the partition that saw the original', async () => {
    const originals = sampleLines(200, 31, 0);
    const approved = originals.map((line) => JSON.parse(line)).filter((auth) => auth.responseCode === '00');
    const tokens = [...new Set(approved.map((auth) => auth.panToken as string))];
    const state = tempDir();
    await postPartitioned(originals, 'a', { stateDir: state, partitions: 2, runtime });
    // known cards in the other partition: a re-send routed by its card would be posted there
    const sameKey = approved.map((auth, i) => JSON.stringify({ ...auth, authorizationId: `${auth.authorizationId}-R`, panToken: elsewhere(auth.panToken, tokens, i) }));
    const sameId = approved.map((auth, i) => JSON.stringify({ ...auth, panToken: elsewhere(auth.panToken, tokens, i + 1) }));
    const again = await postPartitioned([...sameKey, ...sameId], 'b', { stateDir: state, partitions: 2, runtime });
    expect(again.summary).toMatchObject({ received: 2 * approved.length, replayed: approved.length, duplicates: approved.length, posted: 0 });
  });

  it('PART-1: a run cut off mid-input leaves routes for lines no partition committed; the re-run routes them the same way and ends as one uninterrupted partition does', async () => {
    const auths = sampleLines(900, 37, 0.02).map((line) => JSON.parse(line));
    const tokens = [...new Set(auths.map((auth) => auth.panToken as string))];
    const another = (token: string): string => elsewhere(token, tokens);
    const stream: string[] = [];
    auths.forEach((auth, i) => {
      stream.push(JSON.stringify(auth));
      if (i % 5 === 1) stream.push(JSON.stringify({ ...auth, panToken: another(auth.panToken) })); // a replay with another card
      if (i % 5 === 3) stream.push(JSON.stringify({ ...auth, authorizationId: `${auth.authorizationId}-R`, panToken: another(auth.panToken) })); // a duplicate with another card
    });
    const cut = Math.floor(stream.length * 0.6);
    function* cutOff(): Generator<string> {
      yield* stream.slice(0, cut);
      throw new Error('input lost');
    }
    const small = { waveSize: 100, batchSize: 50 };
    const state = tempDir();
    await expect(postPartitioned(cutOff(), 'a', { stateDir: state, partitions: 2, runtime: small })).rejects.toThrow('input lost');
    // Where the cut landed: waves committed in every partition (a partition pulls its next chunk only
    // once its wave is committed, and the coordinator keeps at most two chunks in flight, so each
    // partition's ~380 routed lines mean at least 200 committed), and routes for lines none committed.
    const routesDb = openDurableDatabase(state, ROUTES_DB_FILE);
    const routed = routesDb.prepare('SELECT count(*) FROM authorisation_routes').pluck().get() as number;
    routesDb.close();
    const committed = partitionDirs(state).map((dir) => {
      const db = openStateDatabase(dir);
      try {
        return db.prepare('SELECT count(*) FROM authorisations').pluck().get() as number;
      } finally {
        db.close();
      }
    });
    expect(Math.min(...committed)).toBeGreaterThan(0);
    expect(routed).toBeGreaterThan(committed[0]! + committed[1]!);

    const rerun = await postPartitioned(stream, 'a', { stateDir: state, partitions: 2, runtime: small });
    const singleDir = tempDir();
    const single = await postPartitioned(stream, 'a', { stateDir: singleDir, partitions: 1, runtime: small });
    expect(single.summary.duplicates).toBeGreaterThan(60);
    expect(rerun.summary).toMatchObject({ received: stream.length, invalid: 0, pending: 0 });
    expect(await summedBalances(state)).toEqual(await summedBalances(singleDir));
    expect(outboxLines(state)).toEqual(outboxLines(singleDir));
  }, 180_000); // four runs and six worker threads: a loaded machine gets time

  it('routes every line of a card to the same partition, by its parsed token (cardPartition)', () => {
    const byToken = new Map<string, Set<number>>();
    for (const line of lines.slice(0, 2000)) {
      const token = JSON.parse(line).panToken as string;
      byToken.set(token, (byToken.get(token) ?? new Set()).add(cardPartition(token, 3)));
    }
    expect([...byToken.values()].every((set) => set.size === 1)).toBe(true);
    expect(new Set([...byToken.values()].map((set) => [...set][0])).size).toBe(3);
  });
});
