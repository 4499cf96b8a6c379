/**
 * ING-4, fuzzed: one input line, whatever its shape or size, can fail only itself. Generated
 * hostile lines (deep nesting, huge strings, bad escapes, lone surrogates, control characters,
 * duplicate member names, wrong types, numbers like 1e400, byte-order marks mid-file, NUL bytes,
 * truncations, impossible timestamps, zero amounts) are mixed into valid authorisations and
 * posted under 1 and 2 partitions. Nothing throws; every hostile line is exactly one dead letter
 * under its own line number, with a short reason; the valid lines have exactly the outcome and the
 * ledger they have without the hostile ones.
 */
import fc from 'fast-check';
import { postPartitioned } from '../../src/runtime/partitioned-runtime';
import { EmbeddedRuntime } from '../../src/runtime/embedded-runtime';
import { partitionDirs } from '../../src/runtime/state-layout';
import type { DeadLetter } from '../../src/adapters/embedded/dead-letters';
import { sampleLines, tempDir } from '../support/runtime';
import { spellString } from '../support/json-spelling';
import { Prng } from '../../src/generator/authorisations';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { summedBalances } from '../support/ledger';

const runtime = { waveSize: 120, batchSize: 40 };
type Auth = Record<string, unknown> & { merchant: Record<string, unknown>; amount: Record<string, unknown> };

const MEMBERS = ['authorizationId', 'network', 'stan', 'rrn', 'transmittedAt', 'panToken', 'responseCode', 'amount', 'merchant'];

/** Hostile line makers: each takes a valid authorisation and a random source, and returns a line that must be dead-lettered. */
const HOSTILE: Record<string, (auth: Auth, random: Prng) => string> = {
  deepNesting: (auth, random) => {
    const depth = [33, 34, 200, 20_000][random.int(4)]!;
    let open = '';
    let close = '';
    for (let i = 0; i < depth; i += 1) {
      const object = random.next() < 0.5;
      open += object ? '{"k":' : '[';
      close = (object ? '}' : ']') + close;
    }
    return JSON.stringify({ ...auth, merchant: '\u0000MARK' }).replace('"\\u0000MARK"', `${open}"\\u0041"${close}`);
  },
  deepTopLevel: () => `${'['.repeat(20_000)}"\\u0041"${']'.repeat(20_000)}`,
  hugeString: (auth, random) => JSON.stringify({ ...auth, merchant: { ...auth.merchant, name: 'N'.repeat(100_000 + random.int(1_000_000)) } }),
  hugeGarbage: (_auth, random) => 'x'.repeat(200_000 + random.int(500_000)),
  badEscape: (auth, random) => JSON.stringify(auth).replace('"name":"', `"name":"${['\\x41', '\\u12', '\\u12G4', '\\', '\\U0041', "\\'"][random.int(6)]}`),
  loneSurrogate: (auth, random) => JSON.stringify(auth).replace('"name":"', `"name":"${['\\uD800', '\\uDBFF\\u0041', '\\uDC00', '\uD800', '\uDFFF', '\\uDE00\\uD83D'][random.int(6)]}`),
  controlChar: (auth, random) => {
    const codes = [...Array(32).keys()].filter((c) => c !== 10 && c !== 13);
    return JSON.stringify(auth).replace('"name":"', `"name":"${String.fromCharCode(codes[random.int(codes.length)]!)}`);
  },
  duplicateMember: (auth, random) => {
    const name = MEMBERS[random.int(MEMBERS.length)]!;
    const value = random.next() < 0.5 ? auth[name] : name === 'amount' ? { value: '9999.99', currency: 'GBP' } : 'tok_ANOTHERCARD123';
    return JSON.stringify(auth).replace('{', `{${spellString(name, random, { escape: random.next(), whitespace: 0, shuffle: false })}:${JSON.stringify(value)},`);
  },
  wrongType: (auth, random) => {
    const name = MEMBERS[random.int(MEMBERS.length)]!;
    const value = [42, -0.5, true, null, [], {}, ['x'], '!'][random.int(8)];
    return JSON.stringify({ ...auth, [name]: value });
  },
  hugeNumber: (auth, random) => {
    const number = ['1e400', '-1e400', '1E-400', '123456789012345678901234567890', '-0', '0.1e1', '25.00'][random.int(7)]!;
    return JSON.stringify({ ...auth, amount: { ...auth.amount, value: '\u0000N' } }).replace('"\\u0000N"', number);
  },
  notAnObject: (_auth, random) => ['1e400', 'null', 'true', '"authorisation"', '[{}]', '{}{}', '{} x', '0'][random.int(8)]!,
  byteOrderMark: (auth) => `\uFEFF${JSON.stringify(auth)}`,
  nulByte: (auth, random) => {
    const line = JSON.stringify(auth);
    const at = random.int(line.length + 1);
    return `${line.slice(0, at)}\u0000${line.slice(at)}`;
  },
  truncated: (auth, random) => {
    const line = JSON.stringify(auth);
    return line.slice(0, 1 + random.int(line.length - 1));
  },
  impossibleTimestamp: (auth, random) =>
    JSON.stringify({
      ...auth,
      transmittedAt: ['2026-13-01T10:00:00Z', '2026-11-01T25:00:00Z', '2026-11-01T10:00:00+99:99', '2026-12-31T23:59:60Z', '2026-02-30T10:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T10:00:00Z'][
        random.int(7)
      ],
    }),
  zeroAmount: (auth, random) => JSON.stringify({ ...auth, amount: { ...auth.amount, value: ['0', '0.00', '0.0'][random.int(3)] } }),
};
const KINDS = Object.keys(HOSTILE);

function deadLetters(stateDir: string): DeadLetter[] {
  return partitionDirs(stateDir).flatMap((dir) => {
    const partition = new EmbeddedRuntime({ stateDir: dir });
    try {
      return partition.deadLetters.all();
    } finally {
      partition.close();
    }
  });
}

describe('hostile input lines (ING-4)', () => {
  it('every hostile line is one dead letter under its line number; the valid lines are untouched; under 1 and 2 partitions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const random = new Prng(seed);
        const valid = sampleLines(90, 1 + (seed % 997), 0);
        // every kind at least once, then as many again at random, each at a random place
        const kinds = [...KINDS, ...KINDS.map(() => KINDS[random.int(KINDS.length)]!)];
        const lines = [...valid];
        for (const kind of kinds) {
          const auth = JSON.parse(valid[random.int(valid.length)]!) as Auth;
          lines.splice(random.int(lines.length + 1), 0, `\u0001HOSTILE:${kind}:${HOSTILE[kind]!(auth, random)}`);
        }
        const hostileAt = lines.flatMap((line, i) => (line.startsWith('\u0001HOSTILE:') ? [i + 1] : []));
        const input = lines.map((line) => (line.startsWith('\u0001HOSTILE:') ? line.slice(line.indexOf(':', 9) + 1) : line));

        const referenceDir = tempDir();
        const reference = await postPartitioned(valid, 'auths.ndjson', { stateDir: referenceDir, partitions: 1, runtime });
        expect(reference.summary).toMatchObject({ invalid: 0, pending: 0 });
        expect(reference.summary.posted).toBeGreaterThan(70);
        const expectedBalances = await summedBalances(referenceDir);
        for (const partitions of [1, 2]) {
          const stateDir = tempDir();
          const { summary } = await postPartitioned(input, 'auths.ndjson', { stateDir, partitions, runtime });
          const letters = deadLetters(stateDir).sort((a, b) => a.position - b.position);
          const kindAt = new Map(hostileAt.map((position) => [position, lines[position - 1]!.slice(9, lines[position - 1]!.indexOf(':', 9))]));
          expect(letters.map((l) => [l.position, kindAt.get(l.position) ?? 'a valid line'])).toEqual(hostileAt.map((position) => [position, kindAt.get(position)]));
          for (const letter of letters) {
            expect(letter.source).toBe('auths.ndjson');
            expect(letter.reason.length).toBeGreaterThan(5);
            expect(letter.reason.length).toBeLessThan(400);
          }
          expect({ partitions, ...summary, elapsedMs: 0 }).toEqual({
            partitions,
            ...reference.summary,
            received: reference.summary.received + hostileAt.length,
            invalid: hostileAt.length,
            elapsedMs: 0,
          });
          expect(await summedBalances(stateDir)).toEqual(expectedBalances);
        }
      }),
      { numRuns: fuzzRuns(1), seed: fuzzSeed(404), endOnFailure: true },
    );
  });
});
