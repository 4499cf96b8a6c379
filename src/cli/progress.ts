import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  update(value: number, payload?: Record<string, unknown>): void;
  stop(): void;
}

/** A progress bar on stderr when it is a terminal (never pollutes stdout / --json). */
export function progressBar(total: number, label: string, enabled = process.stderr.isTTY === true): Progress {
  if (!enabled || total <= 0) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {detail} | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true, etaBuffer: 50 }, Presets.shades_classic);
  bar.start(total, 0, { detail: '' });
  return { update: (value, payload) => bar.update(value, payload), stop: () => bar.stop() };
}
