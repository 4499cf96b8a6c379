/**
 * Synthesizes every stack ONCE per test file (placeholder Lambda code: no esbuild) into a temp
 * directory and exposes one SynthModel per scope: dev, staging, prod, tooling.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeLedgerline, type LedgerlineApp } from '../../../stacks/ledgerline';
import type { EnvironmentName } from '../../../environments/types';
import { SynthModel } from './model';

export type ScopeName = EnvironmentName | 'tooling';

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
    models.set(env.config.name, SynthModel.fromOutdir(env.config.name, outdir, stacks));
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
