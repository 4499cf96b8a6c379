/**
 * DEP-1: what was approved is what is applied. The pure part of scripts/deploy.ts: the plan
 * manifest (one entry per stack: its saved plan's digest, its changes, and the upstream outputs
 * it was planned against), the digest the approval shows, and the checks the apply step makes.
 */
import { createHash } from 'node:crypto';

export interface PlannedStack {
  stack: string;
  /** Saved plan file name (relative to the plan directory); absent when the stack was deferred. */
  plan?: string;
  /** sha256 of the saved plan file. */
  sha256?: string;
  changes?: { add: number; change: number; destroy: number; outputs: number };
  /** Upstream stack → digest of the outputs this plan read through terraform_remote_state. */
  reads: Record<string, string>;
  /** Why the stack was not planned in this run (an upstream stack's outputs change first). */
  deferred?: string;
}

export interface PlanManifest {
  format: 1;
  environment: string;
  revision: string;
  terraformVersion: string;
  createdAt: string;
  stacks: PlannedStack[];
}

/** Canonical JSON (sorted keys), so the digest does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The plan digest the approval shows and the apply step requires. */
export function manifestDigest(manifest: PlanManifest): string {
  return sha256(canonicalJson(manifest));
}

/** Digest of a stack's outputs as `{ name: value }` (from remote state, or from `terraform output -json`). */
export function outputsDigest(outputs: Readonly<Record<string, unknown>>): string {
  return sha256(canonicalJson(outputs));
}

/** `terraform output -json` → `{ name: value }`. */
export function outputValues(outputJson: Readonly<Record<string, { value?: unknown }>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputJson).map(([name, output]) => [name, output.value]));
}

const REMOTE_STATE_PREFIX = 'cross-stack-reference-input-';

interface PlanJson {
  resource_changes?: Array<{ mode?: string; change: { actions: string[] } }>;
  output_changes?: Record<string, { actions: string[] }>;
  prior_state?: { values?: { root_module?: { resources?: Array<{ mode: string; type: string; name: string; values?: { outputs?: Record<string, unknown> } }> } } };
}

/** Upstream stack names a synthesized stack reads (its terraform_remote_state data sources). */
export function upstreamStacksOf(stackJson: { data?: Record<string, Record<string, unknown>> }): string[] {
  return Object.keys(stackJson.data?.terraform_remote_state ?? {})
    .filter((name) => name.startsWith(REMOTE_STATE_PREFIX))
    .map((name) => name.slice(REMOTE_STATE_PREFIX.length))
    .sort();
}

/** What a saved plan (`terraform show -json`) changes, and which upstream outputs it read. */
export function summarisePlan(plan: PlanJson): { changes: NonNullable<PlannedStack['changes']>; reads: Record<string, string> } {
  const changes = { add: 0, change: 0, destroy: 0, outputs: 0 };
  for (const resource of plan.resource_changes ?? []) {
    if (resource.mode === 'data') continue;
    const actions = resource.change.actions;
    if (actions.includes('create')) changes.add += 1;
    if (actions.includes('delete')) changes.destroy += 1;
    if (actions.includes('update')) changes.change += 1;
  }
  for (const output of Object.values(plan.output_changes ?? {})) if (!output.actions.every((action) => action === 'no-op')) changes.outputs += 1;
  const reads: Record<string, string> = {};
  for (const resource of plan.prior_state?.values?.root_module?.resources ?? []) {
    if (resource.mode !== 'data' || resource.type !== 'terraform_remote_state' || !resource.name.startsWith(REMOTE_STATE_PREFIX)) continue;
    reads[resource.name.slice(REMOTE_STATE_PREFIX.length)] = outputsDigest(resource.values?.outputs ?? {});
  }
  return { changes, reads };
}

export function hasChanges(changes: PlannedStack['changes']): boolean {
  return !!changes && changes.add + changes.change + changes.destroy + changes.outputs > 0;
}

/**
 * A stack must wait for the next run when a stack it reads (directly, or through a stack that
 * waits) changes its outputs in this run: planned now, it would be planned against outputs that
 * will no longer be true when it is applied.
 */
export function deferralReason(upstream: readonly string[], planned: ReadonlyMap<string, PlannedStack>): string | undefined {
  for (const name of upstream) {
    const entry = planned.get(name);
    if (!entry) continue;
    if (entry.deferred) return `it reads ${name}, which waits for a later run`;
    if (entry.changes && entry.changes.outputs > 0) return `it reads ${name}, whose outputs change in this plan: it is planned in the next run, after ${name} is applied`;
  }
  return undefined;
}

export class PlanRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanRejected';
  }
}

/** The apply step's first check: the manifest is the one whose digest was approved. */
export function checkApprovedDigest(manifest: PlanManifest, expected: string | undefined): string {
  const actual = manifestDigest(manifest);
  if (!expected) throw new PlanRejected(`no approved plan digest given (--expect-digest / EXPECTED_PLAN_DIGEST): refusing to apply plan ${actual}`);
  if (actual !== expected) throw new PlanRejected(`the plan manifest's digest is ${actual}, but the approved plan is ${expected}: refusing to apply a plan that was not approved`);
  return actual;
}

/** Each saved plan file is byte for byte the one the manifest (and so the approval) names. */
export function checkPlanFile(entry: PlannedStack, bytes: Buffer): void {
  const actual = sha256(bytes);
  if (actual !== entry.sha256) throw new PlanRejected(`${entry.stack}: saved plan ${entry.plan} has digest ${actual}, the approved manifest says ${entry.sha256}`);
}

/** Before applying a stack: the upstream outputs are still those it was planned against. */
export function checkNotStale(entry: PlannedStack, currentOutputs: ReadonlyMap<string, Readonly<Record<string, unknown>>>): void {
  for (const [upstream, digest] of Object.entries(entry.reads)) {
    const current = currentOutputs.get(upstream);
    if (!current) throw new PlanRejected(`${entry.stack}: cannot read the current outputs of ${upstream}, which its plan read`);
    if (outputsDigest(current) !== digest) {
      throw new PlanRejected(`${entry.stack}: its plan is stale — ${upstream}'s outputs changed since it was planned. Nothing of ${entry.stack} was applied; run the pipeline again to plan it anew.`);
    }
  }
}
