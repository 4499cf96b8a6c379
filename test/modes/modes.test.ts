/**
 * The local operating modes one by one (MODE-2 batch inbox, MODE-3 tail, MODE-4 real-time) and
 * their commands (src/cli/modes-command.ts): exactly once per file by content, resume after a
 * failure mid-file posting nothing twice, the tail's committed position and clean stop, every
 * real-time outcome with its reason, and every class of bad input refused with its fault named.
 */
import { Command } from 'commander';
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { addModeCommands } from '../../src/cli/modes-command';
import { CliError } from '../../src/cli/errors';
import { IngestRegistry } from '../../src/modes/ingest-registry';
import { postBatchFile, runBatchInbox, PROCESSED_DIR } from '../../src/modes/batch-inbox';
import { RealTimePoster } from '../../src/modes/real-time';
import { sourceNamed } from '../../src/modes/source-config';
import { tailFile } from '../../src/modes/tail';
import { postPartitioned } from '../../src/runtime/partitioned-runtime';
import { toMinorUnits } from '../../src/domain/money';
import { summedBalances } from '../support/ledger';
import { outboxLines, sampleLines, tempDir } from '../support/runtime';
import { containsDigitsOf, SAMPLE_PANS } from '../support/pan-spellings';

jest.setTimeout(120_000);

const files = sourceNamed('card-files');
const stream = sourceNamed('card-stream');

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const program = new Command('ledgerline').exitOverride().configureOutput({ writeOut: (t) => stdout.push(t), writeErr: (t) => stderr.push(t) });
  addModeCommands(program, { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t) });
  const previous = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(args, { from: 'user' });
    return { stdout: stdout.join(''), stderr: stderr.join(''), exitCode: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = previous;
  }
}

async function reference(lines: string[]): Promise<{ ledger: string[]; records: string[] }> {
  const state = join(tempDir(), 'reference');
  await postPartitioned(lines, 'reference', { stateDir: state, partitions: 1, runtime: {} });
  return { ledger: await summedBalances(state), records: outboxLines(state) };
}

describe('MODE-2: the batch inbox', () => {
  test('a file is posted once by content: the same content again, under any name, posts nothing and says so', async () => {
    const lines = sampleLines(1200, 31, 0.03);
    const dir = tempDir();
    const inbox = join(dir, 'inbox');
    mkdirSync(inbox);
    writeFileSync(join(inbox, 'day-1.ndjson'), `${lines.join('\n')}\n`);
    const state = join(dir, 'state');
    const first = await runBatchInbox({ source: { ...files, batchSize: 250 }, inbox, stateDir: state, partitions: 1 });
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ file: 'day-1.ndjson', outcome: 'posted', attempts: 1 });
    expect(first[0]!.summary!.received).toBe(1200);
    expect(existsSync(join(inbox, PROCESSED_DIR, 'day-1.ndjson'))).toBe(true);
    const before = { ledger: await summedBalances(state), records: outboxLines(state) };
    expect(before).toEqual(await reference(lines));

    // The same bytes again, under the same name and another.
    writeFileSync(join(inbox, 'day-1.ndjson'), `${lines.join('\n')}\n`);
    writeFileSync(join(inbox, 'copy.ndjson'), `${lines.join('\n')}\n`);
    const again = await runBatchInbox({ source: files, inbox, stateDir: state, partitions: 1 });
    expect(again.map((o) => [o.file, o.outcome])).toEqual([
      ['copy.ndjson', 'already-posted'],
      ['day-1.ndjson', 'already-posted'],
    ]);
    expect(again[0]!.contentHash).toBe(first[0]!.contentHash);
    expect(again[0]!.summary).toEqual(first[0]!.summary);
    expect(readdirSync(join(inbox, PROCESSED_DIR)).sort()).toHaveLength(3);
    expect(inboxEntries(inbox)).toEqual([]);
    expect({ ledger: await summedBalances(state), records: outboxLines(state) }).toEqual(before);
  });

  test('a failure mid-file leaves the file in the inbox; the re-run resumes, posts nothing twice, and counts the attempt', async () => {
    const lines = sampleLines(1500, 37, 0.02);
    const expected = await reference(lines);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 50, max: 400 }).chain((chunk) => fc.tuple(fc.constant(chunk), fc.integer({ min: 1, max: Math.ceil(lines.length / chunk) - 1 }))),
        async ([chunk, failAfter]) => {
          const dir = tempDir();
          const inbox = join(dir, 'inbox');
          mkdirSync(inbox);
          writeFileSync(join(inbox, 'f.ndjson'), `${lines.join('\n')}\n`);
          const state = join(dir, 'state');
          const source = { ...files, batchSize: chunk };
          let committed = 0;
          // The process dies right after its `failAfter`-th chunk is committed.
          const dying = (message: string): void => {
            if (/chunk\(s\) of up to/.test(message) && ++committed === failAfter) throw new Error('process died (injected)');
          };
          const crashed = await postBatchFile(join(inbox, 'f.ndjson'), { source, inbox, stateDir: state, partitions: 1, progress: dying });
          expect(crashed).toMatchObject({ outcome: 'failed', attempts: 1 });
          expect(crashed.reason).toContain('process died (injected)');
          expect(existsSync(join(inbox, 'f.ndjson'))).toBe(true);
          const registry = new IngestRegistry(state);
          expect(registry.file(crashed.contentHash)).toMatchObject({ status: 'posting', attempts: 1 });
          registry.close();

          const resumed = await runBatchInbox({ source, inbox, stateDir: state, partitions: 1 });
          expect(resumed).toHaveLength(1);
          expect(resumed[0]).toMatchObject({ outcome: 'posted', attempts: 2 });
          // What was committed before the crash is recognised, not posted again.
          expect(resumed[0]!.summary).toMatchObject({ received: lines.length, replayed: failAfter * chunk });
          expect({ ledger: await summedBalances(state), records: outboxLines(state) }).toEqual(expected);
        },
      ),
      { numRuns: 4 },
    );
  });

  test('progress names each committed chunk; a partitioned state gives the same ledger', async () => {
    const lines = sampleLines(900, 41, 0.05);
    const dir = tempDir();
    const inbox = join(dir, 'inbox');
    mkdirSync(inbox);
    writeFileSync(join(inbox, 'a.ndjson'), `\ufeff${lines.join('\n')}\n`);
    const messages: string[] = [];
    const state = join(dir, 'state');
    const [outcome] = await runBatchInbox({ source: { ...files, batchSize: 200 }, inbox, stateDir: state, partitions: 2, progress: (m) => messages.push(m) });
    expect(outcome).toMatchObject({ outcome: 'posted' });
    expect(outcome!.summary!.invalid).toBe(0);
    expect(messages.filter((m) => /chunk\(s\) of up to 200 committed/.test(m)).length).toBeGreaterThanOrEqual(2);
    expect(messages.at(-1)).toMatch(/^a\.ndjson: posted \d+ of 900 .*moved to /);
    expect({ ledger: await summedBalances(state), records: outboxLines(state) }).toEqual(await reference(lines));
  });

  test('a file name carrying a card number is masked in every outcome and message', async () => {
    const dir = tempDir();
    const inbox = join(dir, 'inbox');
    mkdirSync(inbox);
    const pan = SAMPLE_PANS[0]!;
    writeFileSync(join(inbox, `card-${pan}.ndjson`), `${sampleLines(20, 3, 0).join('\n')}\n`);
    const messages: string[] = [];
    const outcomes = await runBatchInbox({ source: files, inbox, stateDir: join(dir, 'state'), partitions: 1, progress: (m) => messages.push(m) });
    const text = JSON.stringify(outcomes) + messages.join('\n');
    expect(containsDigitsOf(text, pan)).toBe(false);
    expect(outcomes[0]!.outcome).toBe('posted');
  });

  test('watch: a file dropped while watching is posted once it settles; abort stops the watch', async () => {
    const dir = tempDir();
    const inbox = join(dir, 'inbox');
    mkdirSync(inbox);
    const controller = new AbortController();
    const seen: string[] = [];
    const done = runBatchInbox({
      source: files,
      inbox,
      stateDir: join(dir, 'state'),
      partitions: 1,
      watch: true,
      pollMs: 20,
      signal: controller.signal,
      onFile: (o) => {
        seen.push(`${o.file}:${o.outcome}`);
        if (seen.length === 2) controller.abort();
      },
    });
    const lines = sampleLines(50, 9, 0);
    writeFileSync(join(inbox, 'one.ndjson'), `${lines.join('\n')}\n`);
    writeFileSync(join(inbox, 'two.ndjson.part'), `${lines.join('\n')}\n`);
    // A partial upload (.part) is left alone until it is renamed; its content was posted as one.ndjson.
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(inbox, 'two.ndjson'), `${lines.join('\n')}\n`);
    const outcomes = await done;
    expect(seen).toEqual(['one.ndjson:posted', 'two.ndjson:already-posted']);
    expect(outcomes).toHaveLength(2);
    expect(existsSync(join(inbox, 'two.ndjson.part'))).toBe(true);
  });
});

function inboxEntries(inbox: string): string[] {
  return readdirSync(inbox, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);
}

describe('MODE-3: the tail', () => {
  test('posts complete lines as they arrive, carries on from its committed position, and a partial line waits', async () => {
    const lines = sampleLines(700, 43, 0.04);
    const dir = tempDir();
    const input = join(dir, 'stream.ndjson');
    const state = join(dir, 'state');
    const source = { ...stream, batchSize: 64 };
    writeFileSync(input, '');
    let at = 0;
    for (const cut of [1, 100, 101, 350, 699, 700]) {
      appendFileSync(
        input,
        lines
          .slice(at, cut)
          .map((l) => `${l}\n`)
          .join(''),
      );
      at = cut;
      // Half of the next line, not yet terminated: not posted until its newline arrives.
      if (cut < lines.length) appendFileSync(input, lines[cut]!.slice(0, 30));
      const result = await tailFile({ source, input, stateDir: state, partitions: 1 });
      expect(result.position.lines).toBe(cut);
      if (cut < lines.length) {
        appendFileSync(input, `${lines[cut]!.slice(30)}\n`);
        at = cut + 1;
      }
    }
    expect({ ledger: await summedBalances(state), records: outboxLines(state) }).toEqual(await reference(lines));
  });

  test('watch: new lines are posted while following; abort stops after the current wave', async () => {
    const lines = sampleLines(300, 47, 0);
    const dir = tempDir();
    const input = join(dir, 'stream.ndjson');
    writeFileSync(input, `${lines.slice(0, 100).join('\n')}\n`);
    const controller = new AbortController();
    let appended = false;
    const result = await tailFile({
      source: { ...stream, batchSize: 40 },
      input,
      stateDir: join(dir, 'state'),
      partitions: 1,
      pollMs: 10,
      follow: true,
      signal: controller.signal,
      onWave: ({ position }) => {
        if (position.lines === 100 && !appended) {
          appended = true;
          appendFileSync(input, `${lines.slice(100).join('\n')}\n`);
        }
        if (position.lines === 300) controller.abort();
      },
    });
    expect(result.position.lines).toBe(300);
    expect(result.summary.received).toBe(300);
    expect(result.waves).toBe(Math.ceil(100 / 40) + Math.ceil(200 / 40));
  });

  test('a file shorter than the committed position is read again from the start, posting nothing twice', async () => {
    const lines = sampleLines(200, 53, 0);
    const dir = tempDir();
    const input = join(dir, 'stream.ndjson');
    const state = join(dir, 'state');
    writeFileSync(input, `${lines.join('\n')}\n`);
    await tailFile({ source: stream, input, stateDir: state, partitions: 1 });
    writeFileSync(input, `${lines.slice(0, 50).join('\n')}\n`);
    const messages: string[] = [];
    const again = await tailFile({ source: stream, input, stateDir: state, partitions: 1, progress: (m) => messages.push(m) });
    expect(messages.some((m) => /shorter than the committed position \(\d+ < \d+\): reading from the start/.test(m))).toBe(true);
    expect(again.summary).toMatchObject({ received: 50, replayed: 50, posted: 0 });
  });
});

describe('MODE-4: real-time', () => {
  test('each outcome comes back with its reason; a posted one with its sequence and balanced legs', async () => {
    const lines = sampleLines(400, 59, 0.1);
    const poster = new RealTimePoster({ stateDir: join(tempDir(), 'state') });
    try {
      const answers = [];
      for (const line of lines) answers.push(await poster.postOne(JSON.parse(line)));
      const kinds = new Set(answers.map((a) => a.outcome));
      expect([...kinds]).toEqual(expect.arrayContaining(['posted', 'duplicate', 'declined']));
      for (const answer of answers) {
        if (answer.outcome === 'posted') {
          const totals = new Map<string, bigint>();
          for (const leg of answer.legs)
            totals.set(leg.amount.currency, (totals.get(leg.amount.currency) ?? 0n) + (leg.direction === 'DEBIT' ? 1n : -1n) * toMinorUnits(leg.amount.value, leg.amount.currency));
          expect([...totals.values()].every((v) => v === 0n)).toBe(true);
          expect(answer.sequenceId).toMatch(/\S/);
          expect(answer.postingRecordId).toMatch(/\S/);
        } else {
          expect(answer.reason).toMatch(/\S/);
        }
      }
      const duplicates = answers.filter((a) => a.outcome === 'duplicate');
      expect(duplicates.some((a) => a.outcome === 'duplicate' && a.originalAuthorizationId !== undefined)).toBe(true);
      // The same authorisation again: a duplicate, nothing posted twice.
      const again = await poster.postOne(lines[0]!);
      expect(again).toMatchObject({ outcome: 'duplicate', reason: expect.stringMatching(/was received before: nothing posted again/) });
    } finally {
      poster.close();
    }
  });

  const bad: [string, unknown, RegExp][] = [
    ['empty input', '   ', /^empty input/],
    ['not JSON', '{"authorizationId":', /^not JSON/],
    ['an array', '[1,2]', /schema|object/],
    ['a missing field', '{"x":1}', /missing required field "authorizationId"/],
    ['a duplicate member name', null, /duplicate/],
    ['a zero amount', null, /zero amount/],
    ['a PAN in a field', null, /PAN-like/],
  ];
  test.each(bad)('rejects %s, naming the fault', async (name, given, message) => {
    const base = JSON.parse(sampleLines(1, 61, 0)[0]!) as Record<string, unknown>;
    let input = given;
    if (name === 'a duplicate member name') input = JSON.stringify(base).replace(/^\{/, '{"panToken":"tok_x",');
    if (name === 'a zero amount') input = { ...base, amount: { value: '0.00', currency: 'GBP' } };
    if (name === 'a PAN in a field') input = { ...base, terminalId: SAMPLE_PANS[1] };
    const poster = new RealTimePoster({ stateDir: join(tempDir(), 'state') });
    try {
      const answer = await poster.postOne(input);
      expect(answer.outcome).toBe('rejected');
      expect(answer.outcome === 'rejected' && answer.reason).toMatch(message);
      expect(containsDigitsOf(JSON.stringify(answer), SAMPLE_PANS[1]!)).toBe(false);
    } finally {
      poster.close();
    }
  });
});

describe('the ingest and authorise commands', () => {
  test('ingest a batch inbox, then the same file again, then authorise one on --input', async () => {
    const dir = tempDir();
    const inbox = join(dir, 'inbox');
    mkdirSync(inbox);
    const lines = sampleLines(300, 67, 0.02);
    writeFileSync(join(inbox, 'a.ndjson'), `${lines.slice(0, 299).join('\n')}\n`);
    const state = join(dir, 'state');
    const first = await cli(['ingest', '--source', 'card-files', '--inbox', inbox, '--state', state, '--json']);
    expect(first.exitCode).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ file: 'a.ndjson', outcome: 'posted' });
    writeFileSync(join(inbox, 'b.ndjson'), `${lines.slice(0, 299).join('\n')}\n`);
    const second = await cli(['ingest', '--source', 'card-files', '--inbox', inbox, '--state', state]);
    expect(second.stdout).toMatch(/^b\.ndjson: already posted on .*: nothing posted\n$/);
    const one = join(dir, 'one.json');
    writeFileSync(one, lines[299]!);
    const answer = await cli(['authorise', '--state', state, '--input', one, '--json']);
    expect(JSON.parse(answer.stdout).outcome).toMatch(/^(posted|duplicate|declined|review)$/);
    const tail = join(dir, 'tail.ndjson');
    writeFileSync(tail, `${lines.join('\n')}\n`);
    const tailed = await cli(['ingest', '--source', 'card-stream', '--input', tail, '--state', state, '--json']);
    expect(JSON.parse(tailed.stdout).summary).toMatchObject({ received: 300, replayed: 300, posted: 0 });
  });

  const misuse: [string, string[], RegExp][] = [
    ['an unknown source', ['ingest', '--source', 'card-ftp', '--inbox', '.', '--state', 'S'], /source "card-ftp" is not configured .*card-files \(batch\)/],
    ['a batch source without --inbox', ['ingest', '--source', 'card-files', '--state', 'S'], /source "card-files" is batch: give --inbox <dir>/],
    ['a batch source with --input', ['ingest', '--source', 'card-files', '--inbox', '.', '--input', 'x', '--state', 'S'], /is batch: it reads --inbox, not --input/],
    ['a missing inbox', ['ingest', '--source', 'card-files', '--inbox', '/nonexistent-inbox', '--state', 'S'], /inbox "\/nonexistent-inbox" is not a directory/],
    ['a stream source without --input', ['ingest', '--source', 'card-stream', '--state', 'S'], /is near-real-time: give --input <file> to tail/],
    ['a stream source on a directory', ['ingest', '--source', 'card-stream', '--input', '/tmp', '--state', 'S'], /input "\/tmp" is not a file/],
    ['a real-time source on ingest', ['ingest', '--source', 'payments-api', '--state', 'S'], /is real-time: post it one authorisation at a time with `ledgerline authorise/],
    ['--once with --watch', ['ingest', '--source', 'card-files', '--inbox', '.', '--state', 'S', '--once', '--watch'], /--once and --watch are exclusive/],
    ['authorise on a batch source', ['authorise', '--state', 'S', '--source', 'card-files'], /source "card-files" is batch, not real-time/],
    ['authorise with a missing input file', ['authorise', '--state', 'S', '--input', '/nonexistent.json'], /input file "\/nonexistent.json" does not exist/],
  ];
  test.each(misuse)('refuses %s, naming the fault', async (_name, args, message) => {
    await expect(cli(args)).rejects.toThrow(CliError);
    await expect(cli(args)).rejects.toThrow(message);
  });

  test('a rejected authorisation exits non-zero with its reason', async () => {
    const dir = tempDir();
    const one = join(dir, 'one.json');
    writeFileSync(one, '{"nope":true}');
    const answer = await cli(['authorise', '--state', join(dir, 'state'), '--input', one]);
    expect(answer.exitCode).toBe(1);
    expect(answer.stdout).toMatch(/^rejected: authorisation failed schema validation/);
  });
});
