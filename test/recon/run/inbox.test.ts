/**
 * `ledgerline inbox`: files dropped into the inbox are reconciled and moved to processed/ (bad
 * ones to quarantine/ with their reason); idempotent by content hash. --once through the CLI
 * (in process, one child process for the exit status); the watcher in-process.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInbox, type InboxEvent } from '../../../src/recon/run/inbox';
import { cli } from '../../support/cli';
import { runCli } from '../../support/cli-in-process';
import { tempDir } from '../../support/runtime';
import { BAI2_UNKNOWN, CAMT053, listing, MT940, read, writeLedger } from './helpers';

describe('ledgerline inbox --once', () => {
  const root = tempDir('recon-inbox-');
  const ledger = writeLedger(root);
  const inbox = join(root, 'inbox');
  const out = join(root, 'out');

  function drop(source: string, name: string): void {
    copyFileSync(source, join(inbox, name));
  }

  async function runOnce() {
    const result = await runCli(['inbox', '--dir', inbox, '--out', out, '--ledger', ledger, '--once', '--json']);
    expect(result.status).toBe(0);
    return (JSON.parse(result.stdout) as { events: InboxEvent[] }).events;
  }

  beforeAll(() => {
    mkdirSync(inbox);
    drop(CAMT053, 'a-camt053.xml');
    drop(MT940, 'b-mbank.sta');
    drop(BAI2_UNKNOWN, 'c-unknown.txt');
    writeFileSync(join(inbox, '.d-being-uploaded.xml.part'), 'partial');
  });

  it('reconciles each file, moves it to processed/ or quarantine/, and ignores partial uploads', async () => {
    const events = await runOnce();
    expect(events.map((e) => [e.file, e.outcome])).toEqual([
      ['a-camt053.xml', 'reconciled'],
      ['b-mbank.sta', 'reconciled'],
      ['c-unknown.txt', 'quarantined'],
    ]);
    expect(events[0]!.matched).toBe(2);
    expect(events[1]!.matched).toBe(2);
    expect(events[2]!.reason).toContain('line 1: unknown statement format');
    expect(listing(inbox)).toEqual([
      '.d-being-uploaded.xml.part',
      'processed/',
      'processed/a-camt053.xml',
      'processed/b-mbank.sta',
      'quarantine/',
      'quarantine/c-unknown.txt',
      'quarantine/c-unknown.txt.reason.txt',
    ]);
    expect(readFileSync(join(inbox, 'processed', 'a-camt053.xml'))).toEqual(readFileSync(CAMT053));
    expect(read(join(inbox, 'quarantine', 'c-unknown.txt.reason.txt'))).toContain('problem: unknown-format');
    // Two runs, the latest current; nothing of the bad file recorded.
    expect(listing(join(out, 'runs')).filter((p) => p.endsWith('/') && p.split('/').length === 2)).toHaveLength(2);
    expect(existsSync(join(out, 'quarantine'))).toBe(false);
  });

  it('is idempotent by content hash: the same content dropped again (any name) goes to processed/ without a run', async () => {
    drop(CAMT053, 'a-camt053-again.xml');
    drop(MT940, 'b-mbank.sta'); // same name as the processed one
    const runsBefore = listing(join(out, 'runs'));
    const events = await runOnce();
    expect(events.map((e) => [e.file, e.outcome])).toEqual([
      ['a-camt053-again.xml', 'reuploaded'],
      ['b-mbank.sta', 'reuploaded'],
    ]);
    expect(listing(join(out, 'runs'))).toEqual(runsBefore);
    expect(listing(inbox).filter((p) => p.startsWith('processed/'))).toEqual(['processed/', 'processed/a-camt053-again.xml', 'processed/a-camt053.xml', 'processed/b-mbank.sta']);
    // Nothing left to do.
    expect(await runOnce()).toEqual([]);
  });

  it('refuses an --out inside the inbox and a missing inbox', async () => {
    expect((await runCli(['inbox', '--dir', inbox, '--out', join(inbox, 'results'), '--ledger', ledger, '--once'])).status).toBe(2);
    const missing = await runCli(['inbox', '--dir', join(root, 'nope'), '--out', out, '--ledger', ledger, '--once']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('does not exist');
  });
});

describe('inbox with a bad ledger file', () => {
  it('leaves the statements in the inbox (failed), copies the ledger to quarantine, and exits 1', () => {
    const root = tempDir('recon-inbox-ledger-');
    const ledger = writeLedger(root, ['L-BAD,NL26VAYB8060476890,EUR,1.234,2014-12-31,2014-12-31,R,']);
    const inbox = join(root, 'inbox');
    mkdirSync(inbox);
    copyFileSync(CAMT053, join(inbox, 'camt.xml'));
    // A real child process once: the exit status (1) as the shell sees it.
    const result = cli(['inbox', '--dir', inbox, '--out', join(root, 'out'), '--ledger', ledger, '--once', '--json']);
    expect(result.status).toBe(1);
    const events = (JSON.parse(result.stdout) as { events: InboxEvent[] }).events;
    expect(events).toEqual([expect.objectContaining({ file: 'camt.xml', outcome: 'failed', reason: expect.stringContaining('field "amount"') })]);
    expect(listing(inbox)).toEqual(['camt.xml', 'failed/', 'failed/camt.xml.reason.txt', 'quarantine/', 'quarantine/ledger.csv', 'quarantine/ledger.csv.reason.txt']);
    expect(existsSync(ledger)).toBe(true);
  });
});

describe('inbox watcher', () => {
  it('processes a file that lands after start-up, then stops on abort', async () => {
    const root = tempDir('recon-watch-');
    const ledger = writeLedger(root);
    const inbox = join(root, 'inbox');
    mkdirSync(inbox);
    const controller = new AbortController();
    const events: InboxEvent[] = [];
    const running = runInbox({
      dir: inbox,
      out: join(root, 'out'),
      ledger: { file: ledger },
      settleMs: 50,
      signal: controller.signal,
      onEvent: (event) => {
        events.push(event);
        controller.abort();
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    copyFileSync(MT940, join(inbox, 'late.sta'));
    const all = await running;
    expect(all.map((e) => [e.file, e.outcome])).toEqual([['late.sta', 'reconciled']]);
    expect(events).toHaveLength(1);
    expect(existsSync(join(inbox, 'processed', 'late.sta'))).toBe(true);
  });
});
