/**
 * REPLAY-1: replay a window of archived events and post nothing twice.
 *
 * - Locally the archive is read and its events delivered again through the bus to the
 *   consumers that match them (replayFromArchive). Every consumer is idempotent by the event's
 *   deterministic id / sequence id (FR4, LEDGER-1, LEDGER-2), so a replayed event that was
 *   processed before changes nothing, and one that was lost is processed once.
 * - On AWS EventBridge replays its archive to the bus (replayOnAws): a StartReplay under a name
 *   derived from the window, then DescribeReplay polled until the replay ends. The same window
 *   gives the same name, so re-running the command reports the replay that exists instead of
 *   starting a second one.
 */
import { createHash } from 'node:crypto';
import type { LedgerEvent } from '../../domain/events';
import { ARCHIVED_EVENT_TYPES } from './archive-pattern';
import { replayNamePrefix } from './operator-iam';
import type { ArchiveReplayer, EventArchive, ReplayStatus, ReplayTarget, ReplayWindow } from './ports';

export class ReplayError extends Error {
  override name = 'ReplayError';
}

/** Parses a --from / --to value: an RFC 3339 instant with its offset (or Z), or a date (midnight UTC). */
export function parseReplayTime(option: string, text: string): Date {
  const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(text);
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const parsed = instant || date ? new Date(date ? `${text}T00:00:00Z` : text) : undefined;
  if (!parsed || Number.isNaN(parsed.getTime()) || (date && parsed.toISOString().slice(0, 10) !== text)) {
    throw new ReplayError(`${option} "${text}" is not a time: give an RFC 3339 instant with its offset (e.g. 2026-12-06T03:00:00Z) or a date (2026-12-06)`);
  }
  return parsed;
}

/** Checks a window: from before to, and a type the archive keeps. */
export function checkWindow(window: ReplayWindow): ReplayWindow {
  if (!(window.from.getTime() < window.to.getTime())) {
    throw new ReplayError(`replay window is empty: --from ${window.from.toISOString()} is not before --to ${window.to.toISOString()}`);
  }
  if (window.type !== undefined && !ARCHIVED_EVENT_TYPES.includes(window.type as never)) {
    throw new ReplayError(`--type "${window.type}" is not an archived event type; the archive keeps ${ARCHIVED_EVENT_TYPES.join(', ')}`);
  }
  return window;
}

export interface LocalReplayResult {
  replayed: number;
  byType: Record<string, number>;
}

/** Reads the window from the archive and delivers it again, `chunk` events at a time. */
export async function replayFromArchive(deps: { archive: EventArchive; target: ReplayTarget }, window: ReplayWindow, options: { chunk?: number } = {}): Promise<LocalReplayResult> {
  checkWindow(window);
  const archived = await deps.archive.read(window);
  const chunk = Math.max(1, options.chunk ?? 1000);
  const byType: Record<string, number> = {};
  for (let start = 0; start < archived.length; start += chunk) {
    const events: LedgerEvent[] = archived.slice(start, start + chunk).map((entry) => entry.event);
    await deps.target.deliver(events);
    for (const event of events) byType[event.type] = (byType[event.type] ?? 0) + 1;
  }
  return { replayed: archived.length, byType };
}

/**
 * The replay name for a window in an environment: `<env prefix>-replay-` + the window's start in a
 * readable form + a hash of the exact window and type; at most 64 characters of [A-Za-z0-9._-]
 * (EventBridge's rule for names; an environment prefix is at most 26 characters).
 */
export function replayNameFor(window: ReplayWindow, environmentPrefix = 'ledgerline'): string {
  const stamp = window.from
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const hash = createHash('sha256')
    .update(`${window.from.toISOString()}|${window.to.toISOString()}|${window.type ?? '*'}`)
    .digest('hex')
    .slice(0, 12);
  const name = `${replayNamePrefix(environmentPrefix)}${stamp}-${hash}`;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new ReplayError(`replay name "${name}" is not a valid EventBridge name (environment prefix "${environmentPrefix}" too long?)`);
  return name;
}

const TERMINAL = new Set(['COMPLETED', 'CANCELLED', 'FAILED']);

export interface AwsReplayDeps {
  replayer: ArchiveReplayer;
  /** Waits between DescribeReplay polls. */
  sleep: (ms: number) => Promise<void>;
  onProgress?: (status: ReplayStatus) => void;
}

export interface AwsReplayResult {
  name: string;
  /** false: a replay of this window existed already; it was followed, not started again. */
  started: boolean;
  status: ReplayStatus;
}

/** Starts (or finds) the window's replay and polls it until it ends; a failed or cancelled replay throws naming it and why. */
export async function replayOnAws(
  deps: AwsReplayDeps,
  window: ReplayWindow,
  options: { pollMs?: number; maxPolls?: number; wait?: boolean; environmentPrefix?: string } = {},
): Promise<AwsReplayResult> {
  checkWindow(window);
  const name = replayNameFor(window, options.environmentPrefix);
  const { started, status: first } = await deps.replayer.start(name, window);
  let status = first;
  deps.onProgress?.(status);
  const maxPolls = options.maxPolls ?? 720;
  for (let polls = 0; options.wait !== false && !TERMINAL.has(status.state); polls += 1) {
    if (polls >= maxPolls) throw new ReplayError(`replay ${name} is still ${status.state} after ${maxPolls} polls; run the same command again to follow it (the same window finds the same replay)`);
    await deps.sleep(options.pollMs ?? 5000);
    status = await deps.replayer.describe(name);
    deps.onProgress?.(status);
  }
  if (status.state === 'FAILED' || status.state === 'CANCELLED') throw new ReplayError(`replay ${name} ${status.state.toLowerCase()}${status.reason ? `: ${status.reason}` : ''}`);
  return { name, started, status };
}
