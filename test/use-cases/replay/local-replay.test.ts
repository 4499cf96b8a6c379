/**
 * REPLAY-1 locally: the embedded archive keeps what crossed the bus, in the wave's transaction;
 * replaying any window, any number of times, in any order, posts nothing twice (the ledger and the
 * posting records are unchanged), and replaying the archive into an empty state posts what the
 * archive carries exactly once.
 */
import { Command } from 'commander';
import { openStateDatabase } from '../../../src/adapters/embedded/database';
import { SqliteEventArchive } from '../../../src/adapters/embedded/event-archive';
import { ArchivingPublisher } from '../../../src/adapters/embedded/event-archive';
import { EmbeddedRuntime } from '../../../src/runtime/embedded-runtime';
import { replayEventTypes, ARCHIVED_EVENT_TYPES } from '../../../src/use-cases/replay/archive-pattern';
import { checkWindow, parseReplayTime, ReplayError, replayFromArchive } from '../../../src/use-cases/replay/replay';
import { addReplayCommand, replayState } from '../../../src/cli/replay-command';
import { CliError } from '../../../src/cli/errors';
import { redriveState } from '../../../src/cli/dlq-command';
import { acquireDirLock } from '../../../src/adapters/embedded/dir-lock';
import type { LedgerEvent } from '../../../src/domain/events';
import type { Topology } from '../../../src/routes';
import { outboxLines, sampleLines, tempDir } from '../../support/runtime';
import { seededRandom } from '../../support/random';

/** A clock that starts now and moves 1 ms per reading, so waves are archived at distinct times. */
function steppingClock(start = Date.now()) {
  let at = start;
  return { now: () => new Date((at += 1)) };
}

/** Posts `lines` into a new single-partition state with the archive attached to the bus (the runtime's wiring). */
async function postArchived(lines: string[], topology: Topology, stateDir = tempDir('replay-')): Promise<string> {
  const clock = steppingClock();
  const runtime = new EmbeddedRuntime({ stateDir, waveSize: 150, topology, clock });
  const archive = new SqliteEventArchive(runtime.db, { types: replayEventTypes(topology), clock });
  runtime.bus.observe((event) => archive.record([event]));
  try {
    await runtime.post(lines, 'input.ndjson');
  } finally {
    runtime.close();
  }
  return stateDir;
}

interface Snapshot {
  legs: unknown[];
  balances: unknown[];
  transactions: unknown[];
  outbox: string[];
}

function snapshot(stateDir: string): Snapshot {
  const db = openStateDatabase(stateDir);
  try {
    return {
      legs: db.prepare('SELECT * FROM ledger_legs ORDER BY 1, 2, 3').all(),
      balances: db.prepare('SELECT * FROM ledger_balances ORDER BY 1, 2').all(),
      transactions: db.prepare('SELECT transaction_id, status FROM transactions ORDER BY 1').all(),
      outbox: outboxLines(stateDir),
    };
  } finally {
    db.close();
  }
}

function archivedTimes(stateDir: string): string[] {
  const db = openStateDatabase(stateDir);
  try {
    return (db.prepare('SELECT archived_at FROM event_archive ORDER BY archived_at').all() as { archived_at: string }[]).map((row) => row.archived_at);
  } finally {
    db.close();
  }
}

function archivedEvents(stateDir: string): LedgerEvent[] {
  const db = openStateDatabase(stateDir);
  try {
    return (db.prepare('SELECT body FROM event_archive ORDER BY archived_at, seq').all() as { body: string }[]).map((row) => JSON.parse(row.body) as LedgerEvent);
  } finally {
    db.close();
  }
}

const EVERYTHING = { from: new Date('2000-01-01T00:00:00Z'), to: new Date('2099-12-31T00:00:00Z') };

describe('REPLAY-1: local replay posts nothing twice', () => {
  const lines = sampleLines(600, 23, 0.05);
  let staged: string;
  let fused: string;
  beforeAll(async () => {
    staged = await postArchived(lines, 'staged');
    fused = await postArchived(lines, 'fused');
  });

  it('the archive keeps exactly the archived types that crossed the bus, once each', () => {
    for (const [state, topology] of [
      [staged, 'staged'],
      [fused, 'fused'],
    ] as const) {
      const events = archivedEvents(state);
      expect(events.length).toBeGreaterThan(500);
      expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
      for (const event of events) expect(replayEventTypes(topology)).toContain(event.type);
    }
    // Staged, every approved authorisation crossed the bus; fused, none did (FUSE-2).
    expect(archivedEvents(staged).some((event) => event.type === 'payment.authorised')).toBe(true);
    expect(archivedEvents(fused).some((event) => event.type === 'payment.authorised')).toBe(false);
  });

  it.each(['staged', 'fused'] as const)('%s: replaying the whole archive twice changes neither the ledger nor the posting records', async (topology) => {
    const state = topology === 'staged' ? staged : fused;
    const before = snapshot(state);
    expect(before.outbox.length).toBeGreaterThan(0);
    const first = await replayState(state, EVERYTHING);
    const second = await replayState(state, EVERYTHING);
    expect(first.replayed).toBe(archivedEvents(state).length);
    expect(second).toEqual(first);
    expect(snapshot(state)).toEqual(before);
  });

  it('any split of the archive into windows, replayed in any order, changes nothing', async () => {
    const before = snapshot(staged);
    const times = archivedTimes(staged);
    const random = seededRandom(7);
    for (let trial = 0; trial < 3; trial += 1) {
      const cuts = [...new Set(Array.from({ length: 4 }, () => times[Math.floor(random() * times.length)]!))].sort();
      const bounds = [EVERYTHING.from.toISOString(), ...cuts, EVERYTHING.to.toISOString()];
      const windows = bounds.slice(1).map((to, i) => ({ from: new Date(bounds[i]!), to: new Date(to) }));
      windows.sort(() => random() - 0.5);
      let replayed = 0;
      for (const window of windows) replayed += (await replayState(staged, window)).replayed;
      // The windows partition the archive: every event replayed once per trial.
      expect(replayed).toBe(times.length);
      expect(snapshot(staged)).toEqual(before);
    }
  });

  it('replaying the archive into an empty state posts what it carries exactly once (staged: the whole flow re-runs)', async () => {
    const empty = tempDir('replay-empty-');
    // A new state whose archive holds the original's events (the state lost everything else).
    const runtime = new EmbeddedRuntime({ stateDir: empty, topology: 'staged' });
    const archive = new SqliteEventArchive(runtime.db, { types: ARCHIVED_EVENT_TYPES });
    archive.record(archivedEvents(staged));
    runtime.close();
    await replayState(empty, EVERYTHING);
    const rebuilt = snapshot(empty);
    const original = snapshot(staged);
    expect(rebuilt.legs).toEqual(original.legs);
    expect(rebuilt.outbox).toEqual(original.outbox);
    await replayState(empty, EVERYTHING);
    expect(snapshot(empty)).toEqual(rebuilt);
  });

  it('--type replays only that type', async () => {
    const result = await replayState(staged, { ...EVERYTHING, type: 'posting.completed' });
    expect(Object.keys(result.byType)).toEqual(['posting.completed']);
    expect(result.replayed).toBe(archivedEvents(staged).filter((event) => event.type === 'posting.completed').length);
  });
});

describe('the embedded archive', () => {
  function event(id: string, type = 'posting.completed'): LedgerEvent {
    return { id, type, correlationId: `c-${id}`, source: 'test', occurredAt: '2026-01-01T00:00:00.000Z', data: {} } as unknown as LedgerEvent;
  }

  it('archives in the caller transaction: a rolled-back wave archives nothing, a committed one everything', async () => {
    const db = openStateDatabase(tempDir('archive-'));
    const archive = new SqliteEventArchive(db, { types: ARCHIVED_EVENT_TYPES });
    const published: LedgerEvent[] = [];
    const publisher = new ArchivingPublisher({ publish: async (events) => void published.push(...events) }, archive);
    db.exec('BEGIN');
    await publisher.publish([event('a'), event('b')]);
    db.exec('ROLLBACK');
    expect(await archive.read(EVERYTHING)).toEqual([]);
    db.exec('BEGIN');
    await publisher.publish([event('a'), event('b'), event('x', 'payment.deduplicated')]);
    db.exec('COMMIT');
    expect((await archive.read(EVERYTHING)).map((entry) => entry.event.id)).toEqual(['a', 'b']);
    // The publisher still publishes every event; the archive keeps the archived types only.
    expect(published.map((e) => e.id)).toEqual(['a', 'b', 'a', 'b', 'x']);
    db.close();
  });

  it('keeps an event once, at the time it first crossed the bus; reads the window [from, to)', async () => {
    const db = openStateDatabase(tempDir('archive-'));
    let now = Date.parse('2026-03-01T10:00:00Z');
    const archive = new SqliteEventArchive(db, { types: ARCHIVED_EVENT_TYPES, clock: { now: () => new Date(now) } });
    archive.record([event('a')]);
    now += 60_000;
    archive.record([event('a'), event('b')]);
    const all = await archive.read(EVERYTHING);
    expect(all.map((entry) => [entry.event.id, entry.archivedAt])).toEqual([
      ['a', '2026-03-01T10:00:00.000Z'],
      ['b', '2026-03-01T10:01:00.000Z'],
    ]);
    expect((await archive.read({ from: new Date('2026-03-01T10:00:00Z'), to: new Date('2026-03-01T10:01:00Z') })).map((e) => e.event.id)).toEqual(['a']);
    expect((await archive.read({ from: new Date('2026-03-01T10:01:00Z'), to: new Date('2026-03-01T10:02:00Z') })).map((e) => e.event.id)).toEqual(['b']);
    db.close();
  });
});

describe('replay windows: every bad input is refused naming the option and the fault', () => {
  it.each(['', 'yesterday', '2026-13-01', '2026-02-30', '2026-12-06T03:00:00', '2026-12-06 03:00:00Z', '2026-12-06T25:00:00Z', '1764990000', '2026-12-06T03:00:00+2400x'])('--from %p', (text) => {
    expect(() => parseReplayTime('--from', text)).toThrow(ReplayError);
    expect(() => parseReplayTime('--from', text)).toThrow(`--from "${text}" is not a time`);
  });

  it('accepts instants with offsets and dates', () => {
    expect(parseReplayTime('--to', '2026-12-06T04:00:00+01:00').toISOString()).toBe('2026-12-06T03:00:00.000Z');
    expect(parseReplayTime('--to', '2026-12-06').toISOString()).toBe('2026-12-06T00:00:00.000Z');
  });

  it('refuses an empty or inverted window and a type the archive does not keep', async () => {
    const at = new Date('2026-12-06T00:00:00Z');
    expect(() => checkWindow({ from: at, to: at })).toThrow(/window is empty: --from 2026-12-06T00:00:00.000Z is not before --to/);
    expect(() => checkWindow({ from: new Date(at.getTime() + 1), to: at })).toThrow(ReplayError);
    expect(() => checkWindow({ ...EVERYTHING, type: 'payment.enriched' })).toThrow(/--type "payment.enriched" is not an archived event type/);
    const never = { read: jest.fn(), deliver: jest.fn() };
    await expect(replayFromArchive({ archive: never, target: never }, { from: at, to: at })).rejects.toThrow(ReplayError);
    expect(never.read).not.toHaveBeenCalled();
  });
});

describe('ledgerline replay (command)', () => {
  async function cli(args: string[]): Promise<{ stdout: string; error?: string }> {
    const out: string[] = [];
    const program = new Command('ledgerline').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    addReplayCommand(program, { stdout: (text) => out.push(text), stderr: () => undefined });
    try {
      await program.parseAsync(['node', 'ledgerline', ...args]);
      return { stdout: out.join('') };
    } catch (error) {
      return { stdout: out.join(''), error: error instanceof CliError ? error.message : String(error) };
    }
  }

  it('replays a state window and prints JSON', async () => {
    const state = await postArchived(sampleLines(100, 5, 0), 'staged');
    const before = snapshot(state);
    const result = await cli(['replay', '--state', state, '--from', '2000-01-01', '--to', '2099-01-01', '--json']);
    expect(result.error).toBeUndefined();
    const parsed = JSON.parse(result.stdout) as { replayed: number; byType: Record<string, number> };
    expect(parsed.replayed).toBe(archivedEvents(state).length);
    expect(snapshot(state)).toEqual(before);
  });

  it('LOCK-1: a replay is a writer: it fails at once naming the holder while another writer holds the state, and so does a redrive', async () => {
    const state = await postArchived(sampleLines(20, 6, 0), 'fused');
    const lock = acquireDirLock(state, 'ledgerline post');
    try {
      const result = await cli(['replay', '--state', state, '--from', '2000-01-01', '--to', '2099-01-01']);
      expect(result.error).toMatch(/is being written by `ledgerline post`/);
      await expect(redriveState(state, { all: true })).rejects.toThrow(/is being written by `ledgerline post`/);
    } finally {
      lock.release();
    }
  });

  it('needs exactly one of --state and --env, a real state, and a known --env', async () => {
    expect((await cli(['replay', '--from', '2026-01-01', '--to', '2026-01-02'])).error).toMatch(/exactly one of --state/);
    expect((await cli(['replay', '--state', 'x', '--env', 'dev', '--from', '2026-01-01', '--to', '2026-01-02'])).error).toMatch(/exactly one of --state/);
    expect((await cli(['replay', '--state', tempDir('none-'), '--from', '2026-01-01', '--to', '2026-01-02'])).error).toMatch(/does not exist/);
    expect((await cli(['replay', '--env', 'qa', '--from', '2026-01-01', '--to', '2026-01-02'])).error).toMatch(/--env "qa" is not an environment/);
    expect((await cli(['replay', '--env', 'dev', '--from', '2026-01-02', '--to', '2026-01-01'])).error).toMatch(/window is empty/);
  });
});
