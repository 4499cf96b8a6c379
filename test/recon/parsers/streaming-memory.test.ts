/**
 * Streaming keeps memory flat: a generated ~60 MB MT940 statement (~480,000 lines) is streamed
 * while the process RSS is sampled; its growth must stay far below the file size. A behaviour
 * check, not a timing assertion.
 */
import { createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { streamStatementLines } from '../../../src/recon/parsers';
import { tempDir } from './support/fixtures';

const TARGET_BYTES = 60 * 1024 * 1024;
const RSS_BUDGET = 150 * 1024 * 1024;

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
        `:61:2401020102${credit ? 'C' : 'D'}${swift(minor)}NTRFINV${lines}//BR${lines}\r\n` +
          `:86:166?00GUTSCHRIFT?20EREF+E2E-${lines}?21SVWZ+Invoice ${lines} paid?32Customer ${lines % 997}\r\n`,
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

  it('streams a ~60 MB MT940 file with bounded RSS growth', async () => {
    const path = `${tmp.dir}/big.sta`;
    const expected = await writeBigStatement(path);
    const size = statSync(path).size;
    expect(size).toBeGreaterThan(TARGET_BYTES);

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let count = 0;
    let sum = 0n;
    let last = '';
    const generator = streamStatementLines(path);
    let result = await generator.next();
    while (!result.done) {
      const line = result.value;
      count++;
      if (count % 20000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
      sum += BigInt(line.amount.replace('.', ''));
      last = line.statementLineId;
      result = await generator.next();
    }
    peak = Math.max(peak, process.memoryUsage().rss);

    expect(count).toBe(expected.lines);
    expect(sum + 100000n).toBe(expected.closing);
    expect(last.endsWith(`:0:${expected.lines - 1}`)).toBe(true);
    const [statement] = result.value.statements;
    expect(statement!.lineCount).toBe(expected.lines);
    expect(statement!.balance).toMatchObject({ ok: true, difference: '0.00' });
    const growth = peak - baseline;
    // Keeping the ~480,000 lines would need several hundred MB; streaming stays within the budget
    // (about 40 MiB measured on a fresh worker).
    expect(growth).toBeLessThan(RSS_BUDGET);
  });
});
