/**
 * The layout of a --state directory.
 *
 * - Single partition: `<state>/ledgerline.db` (the EmbeddedRuntime's own layout).
 * - Partitioned by card: `<state>/state.json` names the partition count N, fixed when the state
 *   is created, and each partition is a complete embedded runtime in `<state>/partitions/p<i>/`.
 *   A card's payments land in its partition (FNV-1a of the parsed card token), so velocity per
 *   card stays exact inside one partition. A line whose authorisation id or business key was
 *   routed before goes where that one went (PART-1, src/domain/partition-route.ts), so replays and
 *   duplicates are recognised exactly as in a single partition, even re-sent with another card
 *   token. Those earlier decisions are the routing table `<state>/routes.db` (PartitionRoutes),
 *   committed before the lines are dispatched, so a crash and re-run route the same way.
 *   Accounts that several partitions post to (merchant settlement, FX, a customer with two cards)
 *   are balance shards summed on read, as for hot accounts.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StateDatabase } from '../adapters/embedded/database';
import { openDurableDatabase, STATE_DB_FILE } from '../adapters/embedded/database';
import type { RoutingKeys } from '../domain/partition-route';
import { routeLine } from '../domain/partition-route';

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

export const ROUTES_DB_FILE = 'routes.db';

/**
 * The coordinator's routing table of a partitioned state (PART-1): authorisation id → partition
 * and business key → partition, for every line routed so far. One SQLite file beside the
 * manifest; each block of lines is routed in one transaction, committed before any of its lines
 * is dispatched, so a partition never holds a line whose route could be forgotten.
 */
export class PartitionRoutes {
  private readonly db: StateDatabase;
  private readonly findAuthorisation;
  private readonly findBusinessKey;
  private readonly addAuthorisation;
  private readonly addBusinessKey;

  constructor(
    stateDir: string,
    private readonly partitions: number,
  ) {
    this.db = openDurableDatabase(stateDir, ROUTES_DB_FILE);
    this.db.exec(`CREATE TABLE IF NOT EXISTS authorisation_routes (authorization_id TEXT PRIMARY KEY, partition INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS business_key_routes (business_key TEXT PRIMARY KEY, partition INTEGER NOT NULL) WITHOUT ROWID`);
    this.findAuthorisation = this.db.prepare<[string], number>('SELECT partition FROM authorisation_routes WHERE authorization_id = ?').pluck();
    this.findBusinessKey = this.db.prepare<[string], number>('SELECT partition FROM business_key_routes WHERE business_key = ?').pluck();
    this.addAuthorisation = this.db.prepare<[string, number]>('INSERT INTO authorisation_routes VALUES (?, ?)');
    this.addBusinessKey = this.db.prepare<[string, number]>('INSERT INTO business_key_routes VALUES (?, ?)');
  }

  /** The partition of each line (undefined: not a valid authorisation), with the new routes committed. */
  route(lines: readonly (RoutingKeys | undefined)[]): number[] {
    const known = {
      byAuthorisation: (id: string) => this.checked(this.findAuthorisation.get(id)),
      byBusinessKey: (key: string) => this.checked(this.findBusinessKey.get(key)),
    };
    return this.db
      .transaction(() =>
        lines.map((keys) => {
          const { partition, remember } = routeLine(keys, known, this.partitions);
          if (remember.authorizationId !== undefined) this.addAuthorisation.run(remember.authorizationId, partition);
          if (remember.businessKey !== undefined) this.addBusinessKey.run(remember.businessKey, partition);
          return partition;
        }),
      )
      .immediate();
  }

  private checked(partition: number | undefined): number | undefined {
    if (partition !== undefined && !(Number.isInteger(partition) && partition >= 0 && partition < this.partitions)) {
      throw new StateLayoutError(`${this.db.name}: a route names partition ${partition} of a state with ${this.partitions}`);
    }
    return partition;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
