/**
 * Streaming keeps memory flat: a generated ~6 MB MT940 statement (about 96 chunks of 64 KiB) is streamed chunk by chunk,
 * and lines must come out in small batches, one per chunk, never the whole file at once. That is
 * the behaviour that bounds memory; the memory figure itself is measured by `npm run bench:recon`
 * (RSS is machine-dependent, so it is not asserted here).
 */
import { createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { streamStatementLineBatches, streamStatementLines } from '../../../src/recon/parsers';
import { tempDir } from './support/fixtures';

// The size once served an RSS figure (now `npm run bench:recon`'s); what is asserted is the hand-over
// chunk by chunk, which about a hundred chunk boundaries show as well as four hundred did.
const TARGET_BYTES = 6 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
/** A :61:/:86: pair is over 100 bytes, so one 64 KiB chunk holds well under this many lines. */
const MAX_LINES_PER_CHUNK = 1000;

function swift(minor: bigint): string {
  const abs = minor < 0n ? -minor : minor;
  return `${abs / 100n},${String(abs % 100n).padStart(2, '0')}`;
}

/** Writes one big MT940 statement; returns the number of :61: lines and the expected closing balance. */
async function writeBigStatement(path: string): Promise<{ lines: number; closing: bigint }> {
  const out = createWriteStream(path);
  out.write(':20:BIGSTMT\r\n:25:DE89370400440532013000\r\n:28C:1/1\r\n:60F:C240101EUR1000,00\r\n');
  let written = 0;
  let lines = 0;
  let balance = 100000n;
  while (written < TARGET_BYTES) {
    const parts: string[] = [];
    for (let k = 0; k < 5000; k++, lines++) {
      const minor = BigInt((lines * 7919) % 250000) + 1n;
      const credit = lines % 3 !== 0;
      balance += credit ? minor : -minor;
      parts.push(
        `:61:2401020102${credit ? 'C' : 'D'}${swift(minor)}NTRFINV${lines}//BR${lines}\r\n` + `:86:166?00GUTSCHRIFT?20EREF+E2E-${lines}?21SVWZ+Invoice ${lines} paid?32Customer ${lines % 997}\r\n`,
      );
    }
    const text = parts.join('');
    written += text.length;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end(`:62F:${balance < 0n ? 'D' : 'C'}240102EUR${swift(balance)}\r\n-\r\n`);
  await once(out, 'finish');
  return { lines, closing: balance };
}

describe('streamStatementLines memory', () => {
  const tmp = tempDir('stream-memory');
  afterAll(() => tmp.cleanup());

  const path = `${tmp.dir}/big.sta`;
  let expected: { lines: number; closing: bigint };
  beforeAll(async () => {
    expected = await writeBigStatement(path);
    expect(statSync(path).size).toBeGreaterThan(TARGET_BYTES);
  });

  it('yields every line with the right sum and balance proof', async () => {
    let count = 0;
    let sum = 0n;
    let last = '';
    const generator = streamStatementLines(path);
    let result = await generator.next();
    while (!result.done) {
      const line = result.value;
      count++;
      sum += BigInt(line.amount.replace('.', ''));
      last = line.statementLineId;
      result = await generator.next();
    }
    expect(count).toBe(expected.lines);
    expect(sum + 100000n).toBe(expected.closing);
    expect(last.endsWith(`:0:${expected.lines - 1}`)).toBe(true);
    const [statement] = result.value.statements;
    expect(statement!.lineCount).toBe(expected.lines);
    expect(statement!.balance).toMatchObject({ ok: true, difference: '0.00' });
  });

  it('hands lines over chunk by chunk, never holding the whole file', async () => {
    const size = statSync(path).size;
    let batches = 0;
    let largest = 0;
    let total = 0;
    for await (const batch of streamStatementLineBatches(path, { chunkSize: CHUNK_BYTES })) {
      batches++;
      largest = Math.max(largest, batch.length);
      total += batch.length;
    }
    expect(total).toBe(expected.lines);
    // Roughly one batch per chunk read: a parser that buffered the file would yield once.
    expect(batches).toBeGreaterThan(Math.floor(size / CHUNK_BYTES / 2));
    expect(largest).toBeLessThanOrEqual(MAX_LINES_PER_CHUNK);
  });
});
