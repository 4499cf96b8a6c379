/**
 * Synthesizes every stack ONCE per test file (placeholder Lambda code: no esbuild) into a temp
 * directory and exposes one SynthModel per scope: dev, staging, prod, the topology variants
 * (FUSE-1: `staged`, dev's configuration with every edge on the bus) and tooling.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYNTHESIZED_CONFIGS, synthesizeLedgerline, type LedgerlineApp } from '../../../stacks/ledgerline';
import type { EnvironmentConfig, EnvironmentName } from '../../../environments/types';
import { SynthModel } from './model';

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
  built: LedgerlineApp;
  models: ReadonlyMap<ScopeName, SynthModel>;
}

let cached: Synthesized | undefined;

export function synthesizeAll(): Synthesized {
  if (cached) return cached;
  const outdir = mkdtempSync(join(tmpdir(), 'ledgerline-infra-'));
  const built = synthesizeLedgerline({ assetMode: 'placeholder', outdir });
  const models = new Map<ScopeName, SynthModel>();
  for (const env of built.environments) {
    const stacks = [env.bootstrap, env.network, env.data, env.analytics, env.app, env.observability].map((stack) => stack.node.id);
    models.set(scopeOf(env.config), SynthModel.fromOutdir(scopeOf(env.config), outdir, stacks));
  }
  if (built.tooling) models.set('tooling', SynthModel.fromOutdir('tooling', outdir, [built.tooling.bootstrap.node.id, built.tooling.pipeline.node.id]));
  cached = { outdir, built, models };
  return cached;
}

export function cleanupSynth(): void {
  if (cached) rmSync(cached.outdir, { recursive: true, force: true });
  cached = undefined;
}

export function model(scope: ScopeName): SynthModel {
  const found = synthesizeAll().models.get(scope);
  if (!found) throw new Error(`no synthesized scope ${scope}`);
  return found;
}
