/**
 * The layout of a --state directory.
 *
 * - Single partition: `<state>/ledgerline.db` (the EmbeddedRuntime's own layout).
 * - Partitioned by card: `<state>/state.json` names the partition count N, fixed when the state
 *   is created, and each partition is a complete embedded runtime in `<state>/partitions/p<i>/`.
 *   A card's payments always land in the same partition (FNV-1a of the card token), so dedup
 *   (a re-send carries the same card), velocity per card and replay detection stay exact inside
 *   one partition. Accounts that several partitions post to (merchant settlement, FX, a customer
 *   with two cards) are balance shards summed on read, as for hot accounts.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATE_DB_FILE } from '../adapters/embedded/database';
import { fnv1a32 } from '../domain/fnv';

export const STATE_MANIFEST = 'state.json';

export interface StateManifest {
  layout: 'partitioned-by-card';
  partitions: number;
}

export class StateLayoutError extends Error {
  override name = 'StateLayoutError';
}

function readManifest(stateDir: string): StateManifest | undefined {
  const file = join(stateDir, STATE_MANIFEST);
  if (!existsSync(file)) return undefined;
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as StateManifest;
  if (manifest.layout !== 'partitioned-by-card' || !Number.isInteger(manifest.partitions) || manifest.partitions < 1) {
    throw new StateLayoutError(`${file}: not a Ledgerline state manifest`);
  }
  return manifest;
}

function partitionDir(stateDir: string, index: number): string {
  return join(stateDir, 'partitions', `p${index}`);
}

/** The partition directories of an existing state (each holds one ledgerline.db); [] when there is no state. */
export function partitionDirs(stateDir: string): string[] {
  const manifest = readManifest(stateDir);
  if (manifest) return Array.from({ length: manifest.partitions }, (_, i) => partitionDir(stateDir, i));
  return existsSync(join(stateDir, STATE_DB_FILE)) ? [stateDir] : [];
}

/**
 * The partition directories to run with, creating the layout for a new state. An existing
 * state keeps the partition count it was created with (re-partitioning would move cards).
 */
export function openLayout(stateDir: string, requestedPartitions: number): string[] {
  const existing = partitionDirs(stateDir);
  if (existing.length > 0) return existing;
  mkdirSync(stateDir, { recursive: true });
  if (requestedPartitions <= 1) return [stateDir];
  const manifest: StateManifest = { layout: 'partitioned-by-card', partitions: requestedPartitions };
  const temp = join(stateDir, `${STATE_MANIFEST}.tmp`);
  writeFileSync(temp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(temp, join(stateDir, STATE_MANIFEST));
  return partitionDirs(stateDir);
}

const PAN_TOKEN = /"panToken"\s*:\s*"([^"\\]*)"/;

/** The partition of one raw input line: by card token; a line without one goes to partition 0. */
export function partitionOfLine(line: string, partitions: number): number {
  if (partitions <= 1) return 0;
  const token = PAN_TOKEN.exec(line)?.[1];
  if (!token) return 0;
  return fnv1a32(token) % partitions;
}
