/**
 * DLQ-1 locally: dead letters are listed and shown (redacted, PCI-3), and a redrive delivers a
 * dead-lettered message's event again through the bus: it posts what was never posted exactly
 * once, and a second redrive (or a redrive of something posted meanwhile) changes nothing. An
 * invalid input line (ING-*) is never looped through the pipeline: its redrive says to fix the input.
 */
import { Command } from 'commander';
import { openStateDatabase } from '../../../src/adapters/embedded/database';
import { SqliteDeadLetterStore } from '../../../src/adapters/embedded/dead-letters';
import { EmbeddedRuntime } from '../../../src/runtime/embedded-runtime';
import { toBusEvent } from '../../../src/runtime/embedded-bus';
import { authorisedEvent } from '../../../src/domain/ingest';
import type { Authorisation } from '../../../src/domain/events';
import { addDlqCommand, redriveState } from '../../../src/cli/dlq-command';
import { CliError } from '../../../src/cli/errors';
import { redrivability, redriveDeadLetters, type DeadLetterRecord } from '../../../src/use-cases/redrive/redrive';
import { outboxLines, sampleLines, tempDir } from '../../support/runtime';
import { containsDigitsOf, panSpellingList } from '../../support/pan-spellings';

const INVALID_LINES = ['not json', '{"authorizationId":', '[]', '{"authorizationId":"A-1","amount":"0.00"}', '{"a":1,"a":2}'];

interface Snapshot {
  legs: unknown[];
  balances: unknown[];
  outbox: string[];
}

function snapshot(stateDir: string): Snapshot {
  const db = openStateDatabase(stateDir);
  try {
    return {
      legs: db.prepare('SELECT * FROM ledger_legs ORDER BY 1, 2, 3').all(),
      // Summed over shards: how many balance updates a batch makes is not the point.
      balances: db.prepare('SELECT account_id, currency, SUM(credit_minor) AS credit, SUM(debit_minor) AS debit FROM ledger_balances GROUP BY 1, 2 ORDER BY 1, 2').all(),
      outbox: outboxLines(stateDir),
    };
  } finally {
    db.close();
  }
}

async function post(stateDir: string, lines: string[]): Promise<void> {
  const runtime = new EmbeddedRuntime({ stateDir, waveSize: 200 });
  try {
    await runtime.post(lines, 'input.ndjson');
  } finally {
    runtime.close();
  }
}

/** Adds dead letters as the runtime does for a message that failed every delivery (queue:<route>, the message body). */
function addQueueLetters(stateDir: string, contents: string[]): void {
  const db = openStateDatabase(stateDir);
  try {
    const store = new SqliteDeadLetterStore(db);
    for (const content of contents) store.add({ source: 'queue:payments-to-hot-path', position: 0, reason: 'message failed every delivery and could not be parked', content });
  } finally {
    db.close();
  }
}

function letters(stateDir: string): DeadLetterRecord[] {
  const db = openStateDatabase(stateDir);
  try {
    return new SqliteDeadLetterStore(db).stored().map((letter) => ({ ...letter, id: `p0-${letter.id}` }));
  } finally {
    db.close();
  }
}

const bodyOf = (line: string) => JSON.stringify(toBusEvent(authorisedEvent(JSON.parse(line) as Authorisation, '2026-11-01T00:00:00.000Z')));

const base = sampleLines(400, 31, 0.03);

describe('DLQ-1: local redrive posts nothing twice', () => {
  const extra = sampleLines(60, 32, 0).filter((line) => (JSON.parse(line) as Authorisation).responseCode === '00');

  it('a redrive posts the never-posted messages once, a second redrive and --all change nothing, and equals posting them', async () => {
    const state = tempDir('dlq-');
    await post(state, [...base, ...INVALID_LINES]);
    const posted = base.slice(0, 40);
    // Poison messages: some of payments posted meanwhile, some never posted, one unreadable.
    addQueueLetters(state, [...posted.map(bodyOf), ...extra.map(bodyOf), '{"detail":{"no":"event"}}', 'garbage']);
    const reference = tempDir('dlq-reference-');
    await post(reference, [...base, ...INVALID_LINES]);
    await post(reference, extra);

    const all = letters(state);
    expect(all.filter((letter) => redrivability(letter).kind === 'input-line')).toHaveLength(INVALID_LINES.length);
    const first = await redriveState(state, { all: true });
    const redriven = first.filter((outcome) => outcome.outcome === 'redriven');
    expect(redriven).toHaveLength(posted.length + extra.length);
    expect(first.filter((outcome) => outcome.outcome === 'not-redrivable')).toHaveLength(INVALID_LINES.length + 2);
    const after = snapshot(state);
    expect(after).toEqual(snapshot(reference));

    // Again, every redrivable letter by id (forces a second delivery): nothing changes.
    const again = await redriveState(state, { ids: redriven.map((outcome) => outcome.id) });
    expect(again.every((outcome) => outcome.outcome === 'redriven')).toBe(true);
    expect(snapshot(state)).toEqual(after);
    // --all skips what was redriven already, and still explains the rest.
    const third = await redriveState(state, { all: true });
    expect(third.filter((outcome) => outcome.outcome === 'redriven')).toEqual([]);
    expect(third.filter((outcome) => outcome.outcome === 'skipped-already-redriven')).toHaveLength(redriven.length);
    expect(snapshot(state)).toEqual(after);
    expect(letters(state).filter((letter) => letter.redrives === 2)).toHaveLength(redriven.length);
  });

  it('an invalid input line is not redriven: the answer names the line and reason and says to fix the input', async () => {
    const state = tempDir('dlq-');
    await post(state, [...base.slice(0, 50), ...INVALID_LINES]);
    const before = snapshot(state);
    const inputLetters = letters(state).filter((letter) => redrivability(letter).kind === 'input-line');
    expect(inputLetters).toHaveLength(INVALID_LINES.length);
    const outcomes = await redriveState(state, { ids: inputLetters.map((letter) => letter.id) });
    for (const [index, outcome] of outcomes.entries()) {
      const letter = inputLetters[index]!;
      expect(outcome.outcome).toBe('not-redrivable');
      expect(outcome.message).toContain(`line ${letter.position} of ${letter.source}`);
      expect(outcome.message).toContain(letter.reason);
      expect(outcome.message).toMatch(/Fix the line and post the file again/);
    }
    expect(snapshot(state)).toEqual(before);
    expect(letters(state).every((letter) => letter.redrives === 0)).toBe(true);
  });

  it('unknown ids are reported, not guessed', async () => {
    const deliver = jest.fn();
    const outcomes = await redriveDeadLetters(
      { clock: { now: () => new Date() }, target: { deliver }, letters: { list: async () => [], get: async () => undefined, markRedriven: jest.fn() } },
      { ids: ['p0-99', 'p3-1'] },
    );
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['not-found', 'not-found']);
    expect(deliver).not.toHaveBeenCalled();
  });
});

describe('redrivability: every class of dead letter', () => {
  const event = authorisedEvent(JSON.parse(sampleLines(1, 3, 0)[0]!) as Authorisation, '2026-11-01T00:00:00.000Z');
  const queue = (content: string) => redrivability({ source: 'queue:r', position: 0, reason: 'failed', content });
  it.each([
    ['an EventBridge-shaped body', JSON.stringify(toBusEvent(event)), 'message'],
    ['a bare envelope (the Pipe sends these)', JSON.stringify(event), 'message'],
    ['not JSON', '{"detail":', 'unreadable'],
    ['JSON, no event', '{"detail":{"id":1}}', 'unreadable'],
    ['null', 'null', 'unreadable'],
    ['an event without data', JSON.stringify({ ...event, data: null }), 'unreadable'],
  ])('%s', (_name, content, kind) => {
    expect(queue(content).kind).toBe(kind);
  });

  it('anything from an input file is an input line, whatever its content', () => {
    for (const content of [JSON.stringify(toBusEvent(event)), 'x', '']) {
      expect(redrivability({ source: 'feed.ndjson', position: 7, reason: 'zero amount', content }).kind).toBe('input-line');
    }
  });
});

describe('ledgerline dlq (command, local)', () => {
  async function cli(args: string[]): Promise<{ stdout: string; error?: string }> {
    const out: string[] = [];
    const program = new Command('ledgerline').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    addDlqCommand(program, { stdout: (text) => out.push(text), stderr: () => undefined });
    try {
      await program.parseAsync(['node', 'ledgerline', ...args]);
      return { stdout: out.join('') };
    } catch (error) {
      return { stdout: out.join(''), error: error instanceof CliError ? error.message : String(error) };
    }
  }

  it('PCI-3: list and show never print a card number, whatever spelling reached the dead letter', async () => {
    const state = tempDir('dlq-pan-');
    const spellings = panSpellingList().slice(0, 60);
    await post(state, [...base.slice(0, 10), ...spellings.map((spelling) => `{"authorizationId":"A-${spelling.pan.length}","note":${JSON.stringify(spelling.text)}`)]);
    addQueueLetters(
      state,
      spellings.map((spelling) => JSON.stringify({ detail: { note: spelling.text } })),
    );
    const list = await cli(['dlq', 'list', '--state', state]);
    const json = await cli(['dlq', 'list', '--state', state, '--json']);
    const ids = (JSON.parse(json.stdout) as { deadLetters: { id: string }[] }).deadLetters.map((letter) => letter.id);
    expect(ids.length).toBeGreaterThan(spellings.length);
    const shown = await Promise.all(ids.map((id) => cli(['dlq', 'show', id, '--state', state])));
    const shownJson = await Promise.all(ids.slice(0, 20).map((id) => cli(['dlq', 'show', id, '--state', state, '--json'])));
    const printed = [list.stdout, json.stdout, ...shown.map((result) => result.stdout), ...shownJson.map((result) => result.stdout)].join('\n');
    expect(shown.every((result) => result.error === undefined && result.stdout.includes('content:'))).toBe(true);
    const written = spellings.map((spelling) => spelling.text).join('\n');
    for (const pan of new Set(spellings.map((spelling) => spelling.pan))) {
      expect(containsDigitsOf(written, pan)).toBe(true); // the scan sees what was handed over
      expect(containsDigitsOf(printed, pan)).toBe(false);
    }
  });

  it('list, show and redrive through the command; bad ids and arguments are refused naming the fault', async () => {
    const state = tempDir('dlq-cli-');
    await post(state, [...base.slice(0, 20), 'not json']);
    addQueueLetters(state, [bodyOf(sampleLines(5, 77, 0)[0]!)]);
    const list = await cli(['dlq', 'list', '--state', state]);
    expect(list.stdout).toMatch(/p0-1 +input\.ndjson +21 +0 +no: fix the input/);
    expect(list.stdout).toMatch(/p0-2 +queue:payments-to-hot-path +0 +0 +yes/);
    expect((await cli(['dlq', 'show', 'p0-2', '--state', state])).stdout).toMatch(/redrivable: yes \(payment\.authorised /);
    const listed = JSON.parse((await cli(['dlq', 'list', '--state', state, '--json'])).stdout) as { deadLetters: { id: string; redrivable: boolean; content?: string }[] };
    expect(listed.deadLetters.map((letter) => [letter.id, letter.redrivable, 'content' in letter])).toEqual([
      ['p0-1', false, false],
      ['p0-2', true, false],
    ]);
    expect((await cli(['dlq', 'show', 'p0-1', '--state', state])).stdout).toMatch(/redrivable: no: line 21 of input\.ndjson/);
    expect((await cli(['dlq', 'redrive', 'p0-2', '--state', state])).stdout).toMatch(/p0-2: payment\.authorised .* delivered again/);
    const refused = await cli(['dlq', 'redrive', 'p0-1', '--state', state]);
    expect(refused.stdout).toMatch(/fix the line/i);
    expect(refused.error).toMatch(/1 of 1 dead letter\(s\) could not be redriven/);
    expect((await cli(['dlq', 'show', 'p0-9', '--state', state])).error).toMatch(/no dead letter p0-9/);
    for (const bad of ['12', 'p-1', 'p0-0', 'p0-x', 'p0-1;drop']) expect((await cli(['dlq', 'show', bad, '--state', state])).error).toMatch(/is not a dead-letter id/);
    expect((await cli(['dlq', 'redrive', '--state', state])).error).toMatch(/give --all or one or more ids/);
    expect((await cli(['dlq', 'redrive', 'p0-1', '--all', '--state', state])).error).toMatch(/give --all or one or more ids/);
    expect((await cli(['dlq', 'list'])).error).toMatch(/exactly one of --state/);
    expect((await cli(['dlq', 'list', '--state', tempDir('none-')])).error).toMatch(/does not exist/);
  });
});
