/**
 * MODE-3 (FR11): near-real-time mode locally, a tailing reader of an NDJSON file. New complete
 * lines are posted as they arrive, in waves of at most the source's batch size, at least once per
 * batching window; each wave is committed (src/modes/state-poster.ts) and then the file position
 * after its last line is recorded (src/modes/ingest-registry.ts), so a restarted tail carries on
 * where it stopped, and a crash between the two re-posts nothing (the state recognises the
 * authorisations it committed). A line still being written (no newline yet) is never posted: it
 * waits for its newline (the next poll, or the next run). Without `follow` the tail posts the
 * complete lines there now and returns; following, aborting (SIGINT in the CLI) stops cleanly
 * after the current wave.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { redactPans } from '../domain/pan';
import { withoutByteOrderMark } from '../domain/ingest';
import type { RunSummary } from '../runtime/embedded-runtime';
import { IngestRegistry, type TailPosition } from './ingest-registry';
import type { SourceSettings } from './source-config';
import { addSummary, emptySummary, StatePoster, type NumberedLine, type StatePosterOptions } from './state-poster';
import { sleep } from './sleep';

export interface TailOptions extends StatePosterOptions {
  source: SourceSettings;
  input: string;
  /** Keep following the file until the signal aborts (default: post the complete lines there now and return). */
  follow?: boolean;
  /** Poll interval (default: the source's batching window, at least 100 ms). */
  pollMs?: number;
  signal?: AbortSignal;
  progress?: (message: string) => void;
  onWave?: (wave: { lines: number; position: TailPosition; summary: RunSummary }) => void;
}

export interface TailResult {
  summary: RunSummary;
  waves: number;
  position: TailPosition;
}

const READ_CHUNK = 1 << 20;

/** Complete lines from `position` (at most `max`), and the position after the last one. */
function readLines(path: string, position: TailPosition, max: number): { lines: NumberedLine[]; next: TailPosition } {
  const fd = openSync(path, 'r');
  try {
    const lines: NumberedLine[] = [];
    let offset = position.byteOffset;
    let lineCount = position.lines;
    let pending = Buffer.alloc(0);
    const buffer = Buffer.alloc(READ_CHUNK);
    for (;;) {
      const read = readSync(fd, buffer, 0, READ_CHUNK, offset + pending.length);
      const data = read > 0 ? Buffer.concat([pending, buffer.subarray(0, read)]) : pending;
      let start = 0;
      for (let newline = data.indexOf(10, start); newline !== -1 && lines.length < max; newline = data.indexOf(10, start)) {
        lineCount += 1;
        let text = data.subarray(start, newline).toString('utf8');
        if (text.endsWith('\r')) text = text.slice(0, -1);
        lines.push({ lineNo: lineCount, text: lineCount === 1 ? withoutByteOrderMark(text) : text });
        start = newline + 1;
      }
      offset += start;
      pending = data.subarray(start);
      if (lines.length >= max) break;
      if (read === 0) break;
    }
    return { lines, next: { byteOffset: offset, lines: lineCount } };
  } finally {
    closeSync(fd);
  }
}

/** Follows an NDJSON file, posting new lines as they arrive; resolves when done or aborted. */
export async function tailFile(options: TailOptions): Promise<TailResult> {
  if (options.source.mode !== 'near-real-time') throw new Error(`source "${options.source.name}" is ${options.source.mode}, not near-real-time: a tailed file is read by a near-real-time source`);
  const path = resolve(options.input);
  const shown = redactPans(options.input, 'identifier');
  const progress = options.progress ?? (() => undefined);
  const pollMs = options.pollMs ?? Math.max(100, options.source.batchingWindowSeconds * 1000);
  const registry = new IngestRegistry(options.stateDir);
  const poster = new StatePoster(options);
  let summary = emptySummary();
  let waves = 0;
  let position = registry.tailPosition(path);
  try {
    if (position.byteOffset > 0) progress(`${shown}: carrying on after line ${position.lines} (byte ${position.byteOffset})`);
    for (;;) {
      const size = statSync(path, { throwIfNoEntry: false })?.size;
      if (size === undefined) throw new Error(`${shown}: input file does not exist`);
      if (size < position.byteOffset) {
        // Truncated or replaced: read it from the start; what was posted before is recognised.
        progress(`${shown}: file is shorter than the committed position (${size} < ${position.byteOffset}): reading from the start`);
        position = { byteOffset: 0, lines: 0 };
      }
      let idle = true;
      while (!options.signal?.aborted) {
        const { lines, next } = readLines(path, position, options.source.batchSize);
        if (next.byteOffset === position.byteOffset) break;
        idle = false;
        const content = lines.filter((line) => line.text.trim() !== '');
        const wave = content.length > 0 ? (await poster.postWave(content, `${options.source.name}:${shown}`)).summary : emptySummary();
        registry.setTailPosition(path, next);
        position = next;
        waves += 1;
        if (content.length > 0) summary = addSummary(summary, wave);
        progress(
          `${shown}: wave ${waves}: ${content.length} line(s) to line ${next.lines}; posted ${wave.posted}, duplicates ${wave.duplicates}, declined ${wave.declined + wave.notApproved}, review ${wave.review}, rejected ${wave.rejected}, invalid ${wave.invalid}, already received ${wave.replayed}`,
        );
        options.onWave?.({ lines: content.length, position: next, summary: wave });
      }
      if (!options.follow || options.signal?.aborted) break;
      if (idle) await sleep(pollMs, options.signal);
    }
    const size = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
    if (size > position.byteOffset) progress(`${shown}: line ${position.lines + 1} has no newline yet: left for the next read`);
    return { summary, waves, position };
  } finally {
    poster.close();
    registry.close();
  }
}
