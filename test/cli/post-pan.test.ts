/**
 * PCI-1, PCI-3 through the posting entry point: every spelling of the shared PAN generator, put in
 * a field of an otherwise valid authorisation (and the not-JSON spellings as whole lines), is
 * dead-lettered by `ledgerline post` (run in process), and afterwards no file of the state (databases, WAL, routing
 * table, outbox), no output of `post` or `dead-letters`, and no log line holds the PAN's digits.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { filesContainingDigitsOf, containsDigitsOf, panSpellingList, SAMPLE_PANS } from '../support/pan-spellings';
import type { CliResult } from '../support/cli';
import { runCli } from '../support/cli-in-process';
import { sampleLines, tempDir } from '../support/runtime';

describe('ledgerline post: card numbers in any spelling (PCI-1, PCI-3)', () => {
  const work = tempDir('post-pan-');
  const state = join(work, 'state');
  const spellings = panSpellingList();
  const valid = sampleLines(300, 23, 0);
  const lines: string[] = [];
  const carriers: number[] = [];
  // Fields of different kinds: free text, an identifier, a nested member and a member NAME.
  const place = [
    (auth: Record<string, unknown>, text: string) => ({ ...auth, merchant: { ...(auth.merchant as object), name: text } }),
    (auth: Record<string, unknown>, text: string) => ({ ...auth, terminalId: text }),
    (auth: Record<string, unknown>, text: string) => ({ ...auth, note: { deep: [{ text }] } }),
    (auth: Record<string, unknown>, text: string) => ({ ...auth, [text]: 'x' }),
  ];
  spellings.forEach((spelling, i) => {
    const base = JSON.parse(valid[i % valid.length]!) as Record<string, unknown>;
    const auth: Record<string, unknown> = { ...base, authorizationId: `PAN-${i}` };
    if (spelling.form.includes('jsonInvalid')) {
      lines.push(spelling.text); // a line that is not JSON at all
    } else if (spelling.form.includes('json')) {
      // The note's JSON string content (escapes and all), spliced in raw as the merchant's name:
      // a valid line whose PAN exists only once its escapes are decoded.
      const content = /"note":"(.*)","amount"/.exec(spelling.text)![1]!;
      const line = JSON.stringify({ ...auth, merchant: { ...(auth.merchant as object), name: '@@' } }).replace('"@@"', `"${content}"`);
      expect(() => JSON.parse(line)).not.toThrow();
      lines.push(line);
    } else {
      lines.push(JSON.stringify(place[i % place.length]!(auth, spelling.text)));
    }
    carriers.push(lines.length);
  });
  lines.push(...valid);
  const input = join(work, 'auths.ndjson');
  writeFileSync(input, `${lines.join('\n')}\n`);

  // The command in process: its io and any direct write to process.stdout/stderr captured.
  let post: CliResult;
  let letters: CliResult;
  beforeAll(async () => {
    post = await runCli(['post', '--input', input, '--state', state, '--partitions', '2', '--json'], { processStreams: true });
    letters = await runCli(['dead-letters', '--state', state, '--json'], { processStreams: true });
  });

  it('dead-letters every carrier line, by its line number, and posts the valid lines', () => {
    expect(post.status).toBe(0);
    const summary = JSON.parse(post.stdout);
    const deadLetters = JSON.parse(letters.stdout).deadLetters as { position: number; reason: string }[];
    const positions = new Set(deadLetters.map((letter) => letter.position));
    const missed = carriers.filter((line) => !positions.has(line)).map((line) => spellings[line - 1]!.form);
    expect(missed).toEqual([]);
    expect(summary.invalid).toBe(carriers.length);
    expect(summary.received).toBe(lines.length);
    expect(summary.posted).toBeGreaterThan(0);
  });

  it('leaves no PAN digits in any state file, in post or dead-letters output, or on stderr', () => {
    expect(filesContainingDigitsOf(state, SAMPLE_PANS)).toEqual([]);
    for (const text of [post.stdout, post.stderr, letters.stdout, letters.stderr]) {
      expect(SAMPLE_PANS.filter((pan) => containsDigitsOf(text, pan))).toEqual([]);
    }
  });
});
