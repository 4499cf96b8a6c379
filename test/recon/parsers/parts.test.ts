/**
 * REC-PERF-1: a statement file parsed in two parts (src/recon/parsers/parts.ts, the cut:
 * src/recon/parsers/split.ts, the hand-over: part-transfer.ts) is the file parsed whole
 * (parseStatementFile), differentially, on generated camt.053 and MT940/MT942 files with random
 * statement counts and layouts (SWIFT blocks, CRLF, ING's "-XXX", bank-specific :NS: fields, a
 * namespace prefix, comments that hold a statement tag):
 *
 * - at EVERY candidate cut the parts meet and give the whole file's lines (ids, positions, every
 *   field and its shape), statements, balance proofs, format and hash;
 * - at any other byte (a cut inside a statement, a comment, a field) and on broken files (a byte
 *   changed, removed or put in at a random place in either part, a truncation, bad encodings) the
 *   parts either give exactly the whole file's result or refuse (undefined), and they always refuse
 *   when the whole file is refused: the caller then reads the file whole, so the error is the
 *   one-thread parse's own (the same first fault, position and message).
 */
import fc from 'fast-check';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateLabelledSet } from '../../../src/recon/matching';
import { HEAD_BYTES, parseStatementFile, setup } from '../../../src/recon/parsers';
import { planSplit, type SplitPlan } from '../../../src/recon/parsers/parts';
import { camtBoundary, camtFirstStatement, mt940Boundary } from '../../../src/recon/parsers/split';
import { parseSplit, secondPartHere } from '../../../src/adapters/embedded/statement-part';
import { statementsOf, writeCamt, writeMt940 } from '../../../bench/statement-files';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { tempDir } from './support/fixtures';

jest.setTimeout(300_000);

const dir = tempDir('statement-parts-');
afterAll(() => dir.cleanup());
let written = 0;

/** Every field, its order and undefined ones: equal text means equal results. */
function serialise(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) => (field === undefined ? '\u0000undefined' : typeof field === 'bigint' ? `${field}n` : field));
}

async function whole(path: string): Promise<{ ok: string } | { error: string }> {
  try {
    return { ok: serialise(await parseStatementFile(path)) };
  } catch (error) {
    const e = error as Error & { position?: unknown };
    return { error: serialise({ name: e.name, message: e.message, position: e.position }) };
  }
}

/** A plan cutting `path` at `offset` (planSplit's, with the cut chosen by the test); undefined when the head decides nothing. */
function planAt(path: string, offset: number): SplitPlan | undefined {
  const bytes = readFileSync(path);
  const stat = statSync(path);
  let settled;
  try {
    settled = setup(path, bytes.subarray(0, HEAD_BYTES), {});
  } catch {
    return undefined;
  }
  const first = settled.format.startsWith('camt') ? camtFirstStatement(bytes.subarray(0, HEAD_BYTES), settled.format) : undefined;
  if (settled.format.startsWith('camt') && !first) return undefined;
  return { path, size: stat.size, mtimeMs: stat.mtimeMs, setup: settled, offset, primer: first?.offset ?? 0, qname: first?.qname, trailingZeros: 'lexical' };
}

/** Every cut split.ts proposes in the file. */
function candidates(path: string): number[] {
  const bytes = readFileSync(path);
  const found: number[] = [];
  const head = bytes.subarray(0, HEAD_BYTES);
  const first = camtFirstStatement(head, 'camt.053');
  if (bytes.toString('latin1', 0, 200).includes('<')) {
    if (!first) return found;
    for (let at = camtBoundary(bytes, first.qname); at !== -1; at = camtBoundary(bytes, first.qname, at + 1)) found.push(at);
  } else {
    for (let at = mt940Boundary(bytes); at !== -1; at = mt940Boundary(bytes, at)) found.push(at);
  }
  return found;
}

interface Layout {
  format: 'camt' | 'mt940';
  seed: number;
  lines: number;
  accounts: number;
  crlf: boolean;
  framed: boolean;
  mt942: boolean;
  ing: boolean;
  ns: boolean;
  prefix: boolean;
  comments: boolean;
}

const layout: fc.Arbitrary<Layout> = fc.record({
  format: fc.constantFrom('camt' as const, 'mt940' as const),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  lines: fc.integer({ min: 1, max: 60 }),
  accounts: fc.integer({ min: 1, max: 9 }),
  crlf: fc.boolean(),
  framed: fc.boolean(),
  mt942: fc.boolean(),
  ing: fc.boolean(),
  ns: fc.boolean(),
  prefix: fc.boolean(),
  comments: fc.boolean(),
});

/** A generated statement file of `shape`, as bytes. */
function generate(shape: Layout): Buffer {
  const set = generateLabelledSet({ seed: shape.seed, statementLines: shape.lines, accounts: shape.accounts });
  const path = join(dir.dir, `gen-${written++}`);
  let text: string;
  if (shape.format === 'camt') {
    writeCamt(path, statementsOf(set), '2025-06-30');
    text = readFileSync(path, 'utf8');
    if (shape.prefix) text = text.replace(/<(\/?)([A-Za-z])/g, '<$1c:$2').replace('xmlns=', 'xmlns:c=');
    // A comment holding a statement's start tag: a cut there is inside the comment.
    if (shape.comments) text = text.replace(/\n(<(?:c:)?Stmt>)/g, (_m, tag: string, at: number) => (at % 3 === 0 ? `\n<!-- ${tag} -->\n${tag}` : `\n${tag}`));
  } else {
    writeMt940(path, statementsOf(set), '2025-06-30');
    text = readFileSync(path, 'utf8');
    if (shape.ns) text = text.replace(/(:86:[^\n]*\n)(?=:61:)/g, (field: string, _g: string, at: number) => (at % 2 === 0 ? `${field}:NS:22Bank field\n` : field));
    if (shape.mt942 && shape.framed) {
      // MT942 (no balances): the :60F:/:62F: lines give way to :34F: and :13D:.
      text = text.replace(/:60F:[^\n]*\n/g, ':34F:EUR0,\n:13D:2506301800+0100\n').replace(/:62F:[^\n]*\n/g, '');
    }
    const messages = text.split('\n-\n').filter((m) => m.length > 0);
    if (shape.framed) text = messages.map((m) => `{1:F01BANKBEBBAXXX0000000000}{2:I${shape.mt942 ? '942' : '940'}BANKDEFFXXXXN}{4:\n${m}\n-}\n`).join('');
    else if (shape.ing) text = messages.map((m) => `${m}\n-XXX\n`).join('');
  }
  if (shape.crlf) text = text.replace(/\n/g, '\r\n');
  return Buffer.from(text, 'utf8');
}

function save(bytes: Buffer): string {
  const path = join(dir.dir, `file-${written++}`);
  writeFileSync(path, bytes);
  return path;
}

describe('a file cut at every candidate', () => {
  it('gives the whole file: lines, ids, positions, statements, proofs, format and hash', async () => {
    let cuts = 0;
    await fc.assert(
      fc.asyncProperty(layout, async (shape) => {
        const path = save(generate(shape));
        const expected = await whole(path);
        for (const offset of candidates(path)) {
          const plan = planAt(path, offset);
          const parsed = plan === undefined ? undefined : await parseSplit(plan, secondPartHere);
          if ('error' in expected) {
            expect(parsed).toBeUndefined();
            continue;
          }
          // A cut inside a comment is refused, and so is every cut when the head's first statement tag
          // (where the second part's reader starts) is inside one; every other candidate meets.
          const text = readFileSync(path, 'latin1');
          const inComment = (at: number): boolean => text.slice(at - 5, at) === '<!-- ';
          if (!inComment(offset) && !(plan?.primer !== undefined && plan.primer > 0 && inComment(plan.primer))) {
            expect({ offset, met: parsed !== undefined }).toEqual({ offset, met: true });
            cuts += 1;
          }
          if (parsed !== undefined) expect(serialise(parsed)).toBe(expected.ok);
        }
      }),
      { numRuns: fuzzRuns(40), seed: fuzzSeed(20261207) },
    );
    expect(cuts).toBeGreaterThan(50);
  });

  it('at any other byte, the parts give the whole file or refuse', async () => {
    await fc.assert(
      fc.asyncProperty(layout, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }), async (shape, places) => {
        const bytes = generate(shape);
        const path = save(bytes);
        const expected = await whole(path);
        for (const place of places) {
          const plan = planAt(path, Math.min(bytes.length - 1, Math.max(1, Math.floor(place * bytes.length))));
          const parsed = plan === undefined ? undefined : await parseSplit(plan, secondPartHere);
          if (parsed !== undefined) expect('ok' in expected && serialise(parsed) === expected.ok).toBe(true);
        }
      }),
      { numRuns: fuzzRuns(40), seed: fuzzSeed(7) },
    );
  });
});

/** A fault put into the file: a byte changed, bytes removed or put in, the file cut short. */
const fault = fc.record({
  kind: fc.constantFrom('change', 'remove', 'insert', 'truncate'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  length: fc.integer({ min: 1, max: 40 }),
  text: fc.constantFrom('<', '>', '&', ':', '-', '\n', ':20:', ':61:', '-}', '<Stmt>', '</Stmt>', 'X', '\u0000', '\u00e9', '\u20ac', '\uFEFF', '<!--', ']]>', '{1:'),
  raw: fc.constantFrom(undefined, 0xff, 0xe9, 0x81, 0xc3),
});

function broken(bytes: Buffer, f: { kind: string; at: number; length: number; text: string; raw: number | undefined }): Buffer {
  const at = Math.floor(f.at * bytes.length);
  const put = f.raw !== undefined ? Buffer.from([f.raw]) : Buffer.from(f.text, 'utf8');
  switch (f.kind) {
    case 'change':
      return Buffer.concat([bytes.subarray(0, at), put, bytes.subarray(at + put.length)]);
    case 'remove':
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + f.length)]);
    case 'insert':
      return Buffer.concat([bytes.subarray(0, at), put, bytes.subarray(at)]);
    default:
      return bytes.subarray(0, Math.max(1, at));
  }
}

describe('a broken file', () => {
  it('is never given a result the whole file does not have: the parts refuse, and the whole-file reader names the fault', async () => {
    let refusedBroken = 0;
    await fc.assert(
      fc.asyncProperty(layout, fault, fc.double({ min: 0, max: 1, noNaN: true }), async (shape, f, cutAt) => {
        const good = generate(shape);
        const bytes = broken(good, f);
        const path = save(bytes);
        const expected = await whole(path);
        // The cut a real run would take (candidates near cutAt), and the fault on either side of it.
        const cuts = candidates(path);
        const offset = cuts.find((c) => c >= cutAt * bytes.length) ?? cuts[cuts.length - 1];
        if (offset === undefined) return;
        const plan = planAt(path, offset);
        const parsed = plan === undefined ? undefined : await parseSplit(plan, secondPartHere);
        if ('error' in expected) {
          expect(parsed).toBeUndefined();
          refusedBroken += 1;
        } else if (parsed !== undefined) expect(serialise(parsed)).toBe(expected.ok);
      }),
      { numRuns: fuzzRuns(150), seed: fuzzSeed(42) },
    );
    expect(refusedBroken).toBeGreaterThan(30);
  });
});

describe('planSplit', () => {
  it('proposes a cut where a statement begins near the share asked for, and the parts meet there', async () => {
    for (const format of ['camt', 'mt940'] as const) {
      const path = save(generate({ format, seed: 3, lines: 1200, accounts: 40, crlf: false, framed: format === 'mt940', mt942: false, ing: false, ns: false, prefix: false, comments: false }));
      const size = statSync(path).size;
      expect(size).toBeGreaterThan(2 * HEAD_BYTES);
      const expected = await whole(path);
      for (const fraction of [0.3, 0.5, 0.8]) {
        const plan = await planSplit(path, {}, fraction);
        expect(plan).toBeDefined();
        expect(plan!.offset).toBeGreaterThanOrEqual(Math.floor(size * fraction));
        expect(candidates(path)).toContain(plan!.offset);
        expect(serialise(await parseSplit(plan!, secondPartHere))).toBe((expected as { ok: string }).ok);
      }
    }
  });

  it('proposes none for a format it does not cut, a named encoding it cannot check or a file it cannot read', async () => {
    const bai2 = save(Buffer.from('01,BANK,CUST,250630,1800,1,,,2/\n'.padEnd(200_000, ' ')));
    expect(await planSplit(bai2, {})).toBeUndefined();
    expect(await planSplit(join(dir.dir, 'missing'), {})).toBeUndefined();
  });
});
