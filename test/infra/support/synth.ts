/**
 * Synthesizes every stack (placeholder Lambda code: no esbuild) and exposes one SynthModel per
 * scope: dev, staging, prod, the topology variants (FUSE-1: `staged`, dev's configuration with every
 * edge on the bus) and tooling.
 *
 * One synthesis serves every test file of a run: the output is kept in the temp directory under a
 * fingerprint of everything synthesis reads (path, size and modification time of each file under
 * stacks/, environments/, src/, functions/, schemas/, config/ and the manifests), so an edit makes
 * a new one and nothing stale is read. The first worker to need it synthesizes under a lock
 * directory while the others wait; the output appears by one rename, whole or not at all. The
 * construct tree (`built`) is not kept: a test that reads it builds it again in its own process
 * (built only: its stacks' Terraform is the shared output's, synthesized and validated there).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { SYNTHESIZED_CONFIGS, buildLedgerline, synthesizeLedgerline, type LedgerlineApp } from '../../../stacks/ledgerline';
import type { EnvironmentConfig, EnvironmentName } from '../../../environments/types';
import { SynthModel } from './model';
import { withPlainStacks } from '../../support/plain-stacks';

/** An environment's name, a topology variant's (its prefix without `ledgerline-`), or the tooling account. */
export type ScopeName = EnvironmentName | 'staged' | 'tooling';

/** The scope of a synthesized configuration: its prefix without `ledgerline-` (dev, staging, prod, staged). */
export function scopeOf(config: Pick<EnvironmentConfig, 'prefix'>): ScopeName {
  return config.prefix.replace(/^ledgerline-/, '') as ScopeName;
}

/** Every synthesized configuration with its scope: the environments, then the topology variants. */
export const SYNTHESIZED_SCOPES: readonly (readonly [ScopeName, EnvironmentConfig])[] = SYNTHESIZED_CONFIGS.map((config) => [scopeOf(config), config] as const);

export interface Synthesized {
  outdir: string;
  /** The construct tree, built (not synthesized again) in this process on first use. */
  readonly built: LedgerlineApp;
  models: ReadonlyMap<ScopeName, SynthModel>;
}

const ROOT = join(__dirname, '..', '..', '..');
const READ_BY_SYNTH = ['stacks', 'environments', 'src', 'functions', 'schemas', 'config', 'package.json', 'cdktf.json', 'tsconfig.json'];
const PREFIX = 'ledgerline-synth-';
const INDEX = 'scopes.json';
/** A lock older than this belongs to a worker that died. */
const STALE_LOCK_MS = 10 * 60_000;
/** Outputs of other fingerprints older than this are removed. */
const OLD_OUTPUT_MS = 6 * 3_600_000;

function fingerprint(): string {
  const hash = createHash('sha256');
  const visit = (path: string) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(join(path, name));
    } else hash.update(`${relative(ROOT, path)}:${stat.size}:${stat.mtimeMs}\n`);
  };
  for (const entry of READ_BY_SYNTH) visit(join(ROOT, entry));
  return hash.digest('hex').slice(0, 16);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function synthesizeInto(outdir: string): Record<string, string[]> {
  const built = withPlainStacks(() => synthesizeLedgerline({ assetMode: 'placeholder', outdir }));
  const scopes: Record<string, string[]> = {};
  for (const env of built.environments) {
    scopes[scopeOf(env.config)] = [env.bootstrap, env.network, env.data, env.analytics, env.app, env.observability].map((stack) => stack.node.id);
  }
  if (built.tooling) scopes.tooling = [built.tooling.bootstrap.node.id, built.tooling.pipeline.node.id];
  return scopes;
}

function removeOldOutputs(keep: string): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX) || join(tmpdir(), name) === keep) continue;
    const stat = statSync(join(tmpdir(), name), { throwIfNoEntry: false });
    if (stat && Date.now() - stat.mtimeMs > OLD_OUTPUT_MS) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

/** The shared output for this checkout's fingerprint: synthesized here, or by another worker. */
function sharedOutput(): string {
  const outdir = join(tmpdir(), `${PREFIX}${fingerprint()}`);
  const lock = `${outdir}.lock`;
  for (;;) {
    if (existsSync(join(outdir, INDEX))) return outdir;
    try {
      mkdirSync(lock);
    } catch {
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      sleepSync(200);
      continue;
    }
    try {
      if (existsSync(join(outdir, INDEX))) return outdir;
      const staging = `${outdir}.${process.pid}.partial`;
      rmSync(staging, { recursive: true, force: true });
      const scopes = synthesizeInto(staging);
      writeFileSync(join(staging, INDEX), JSON.stringify(scopes));
      renameSync(staging, outdir);
      removeOldOutputs(outdir);
      return outdir;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

let cached: Synthesized | undefined;
let builtHere: { outdir: string; built: LedgerlineApp } | undefined;

export function synthesizeAll(): Synthesized {
  if (cached) return cached;
  const outdir = sharedOutput();
  const scopes = JSON.parse(readFileSync(join(outdir, INDEX), 'utf8')) as Record<string, string[]>;
  const models = new Map<ScopeName, SynthModel>();
  for (const [scope, stacks] of Object.entries(scopes)) models.set(scope as ScopeName, SynthModel.fromOutdir(scope, outdir, stacks));
  cached = {
    outdir,
    models,
    get built() {
      if (!builtHere) {
        const dir = mkdtempSync(join(tmpdir(), 'ledgerline-infra-'));
        builtHere = { outdir: dir, built: withPlainStacks(() => buildLedgerline({ assetMode: 'placeholder', outdir: dir })) };
      }
      return builtHere.built;
    },
  };
  return cached;
}

/** Forgets this file's models; the shared output stays for the run's other files. */
export function cleanupSynth(): void {
  if (builtHere) rmSync(builtHere.outdir, { recursive: true, force: true });
  builtHere = undefined;
  cached = undefined;
}

export function model(scope: ScopeName): SynthModel {
  const found = synthesizeAll().models.get(scope);
  if (!found) throw new Error(`no synthesized scope ${scope}`);
  return found;
}
