/**
 * PCI-3: no card number reaches a log. Every PAN spelling (test/support/pan-spellings.ts), put in
 * the message, a field, a nested object, an array, a member name, an error's message, stack or
 * cause, comes out with none of its digits, and every line stays one valid JSON object.
 */
import * as fc from 'fast-check';
import { createLogger, logLine } from '../../src/lambda/logger';
import { containsPan } from '../../src/domain/pan';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import type { PanSpelling } from '../support/pan-spellings';
import { containsDigitsOf, panSpellingArb, panSpellingList, SAMPLE_PANS } from '../support/pan-spellings';

function captured(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ service: 'test' }, (line) => lines.push(line), 'debug') };
}

/** Logs the spelling every way a caller can, and returns the lines. */
function logEveryWay(text: string): string[] {
  const { lines, logger } = captured();
  logger.info(`message ${text}`);
  logger.warn('field', { note: text });
  logger.error('nested', { detail: { list: ['ok', { deeper: text }] } });
  logger.error('error', { error: new Error(`failed on ${text}`) });
  logger.error('cause', { error: new Error('outer', { cause: new TypeError(text) }) });
  logger.error('aggregate', { error: new AggregateError([new Error(text)], 'many') });
  logger.info('member name', { [text]: true });
  logger.child({ request: text }).debug('child');
  return lines;
}

function leaks(spelling: PanSpelling): string[] {
  return logEveryWay(spelling.text).filter((line) => containsDigitsOf(line, spelling.pan) || containsPan(line));
}

describe('logger redaction (PCI-3)', () => {
  it('keeps none of the digits of any listed spelling, in the message or a field', () => {
    const { lines, logger } = captured();
    const list = panSpellingList();
    for (const spelling of list) logger.warn(`message ${spelling.text}`, { note: spelling.text, nested: [{ note: spelling.text }] });
    expect(lines).toHaveLength(list.length);
    const failures = list.filter((spelling, i) => containsDigitsOf(lines[i]!, spelling.pan) || containsPan(lines[i]!)).map((spelling) => spelling.form);
    expect(failures).toEqual([]);
  });

  it('keeps none of the digits of listed spellings logged every way (errors, causes, member names, children)', () => {
    const failures = panSpellingList()
      .filter((_, i) => i % 9 === 0)
      .flatMap((spelling) => leaks(spelling).map((line) => ({ form: spelling.form, line })));
    expect(failures).toEqual([]);
  });

  it('keeps none of the digits of generated spellings', () => {
    fc.assert(
      fc.property(panSpellingArb(), (spelling) => {
        expect({ form: spelling.form, leaks: leaks(spelling) }).toEqual({ form: spelling.form, leaks: [] });
      }),
      { numRuns: fuzzRuns(100), seed: fuzzSeed(7301) },
    );
  });

  it('writes one valid JSON object per line, keeping the non-card content', () => {
    const { lines, logger } = captured();
    logger.error('posting failed', { error: new Error(`card 4111 1111 1111 1111 12 25 refused`), amount: '12.50', count: 3 });
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!) as { level: string; message: string; service: string; amount: string; count: number; error: { name: string; message: string; stack: string } };
    expect(record).toMatchObject({ level: 'error', message: 'posting failed', service: 'test', amount: '12.50', count: 3 });
    expect(record.error.name).toBe('Error');
    expect(record.error.message).toBe('card [REDACTED-PAN] 12 25 refused');
    expect(record.error.stack).toContain('card [REDACTED-PAN] 12 25 refused');
    expect(record.error.stack).toContain('logger.test.ts');
  });

  it('redacts numbers and bigints that are card numbers, and a card number spelled across array items', () => {
    for (const pan of SAMPLE_PANS) {
      const { lines, logger } = captured();
      logger.info('numbers', { asNumber: Number(pan), asBigint: BigInt(pan), groups: pan.match(/.{1,4}/g)!.map(Number) });
      expect(lines).toHaveLength(1);
      expect(() => JSON.parse(lines[0]!)).not.toThrow();
      expect({ pan, leaked: containsDigitsOf(lines[0]!, pan) || containsPan(lines[0]!) }).toEqual({ pan, leaked: false });
    }
  });

  it('still logs a record it cannot serialise, without its fields', () => {
    const cyclic: Record<string, unknown> = { note: '4111111111111111' };
    cyclic.self = cyclic;
    const line = logLine({ level: 'warn', time: '2026-11-01T00:00:00.000Z', message: 'cyclic 4111-1111-1111-1111', cyclic });
    const record = JSON.parse(line) as { message: string; logError: string };
    expect(record.message).toBe('cyclic [REDACTED-PAN]');
    expect(record.logError).toMatch(/not serialisable/);
    expect(containsDigitsOf(line, '4111111111111111')).toBe(false);
  });

  it('does not redact what is not a card number', () => {
    const { lines, logger } = captured();
    logger.info('ok 2026-11-01T12:34:56.789Z', { rrn: '630500099976', amount: '1,234,567.89', id: '0191e5a0-7c7b-7a3e-8f00-1234abcd5678' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: 'ok 2026-11-01T12:34:56.789Z', rrn: '630500099976', amount: '1,234,567.89', id: '0191e5a0-7c7b-7a3e-8f00-1234abcd5678' });
  });
});
