/**
 * CHAOS-1's other validity guard: the kill -9 class restarts `ledgerline` from this checkout up to a
 * hundred times over an hour or more, and every restart reads the sources, bundles, rule sets and
 * reference data anew. An edit to any of them mid-run would make the restarted children a different
 * program from the uninterrupted one, and the comparison meaningless. So the run takes a fingerprint
 * of what a child reads (path, size and modification time of every file under the directories
 * below) before its first child, and checks it before every restart.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** What a `ledgerline post` child reads from the checkout. */
export const CHILD_READS = ['bin', 'config', 'dist/cli', 'schemas', 'src'] as const;

export type Fingerprint = Map<string, string>;

export function checkoutFingerprint(root: string, dirs: readonly string[] = CHILD_READS): Fingerprint {
  const files: Fingerprint = new Map();
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const stat = statSync(path);
        files.set(relative(root, path), `${stat.size}:${stat.mtimeMs}`);
      }
    }
  };
  for (const dir of dirs) walk(join(root, dir));
  return files;
}

/** The files that differ between two fingerprints (added, removed or changed), at most `limit` of them. */
export function changedFiles(before: Fingerprint, after: Fingerprint, limit = 5): string[] {
  const changed: string[] = [];
  for (const [path, stamp] of after) if (before.get(path) !== stamp) changed.push(path);
  for (const path of before.keys()) if (!after.has(path)) changed.push(path);
  return changed.slice(0, limit);
}
