/** Plain-text tables and comparisons for the rehearsal's output. */

export { table } from '../src/cost/format';

export function section(title: string): string {
  return `\n== ${title} ${'='.repeat(Math.max(0, 76 - title.length))}\n`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export interface Difference {
  what: string;
  key: string;
  embedded: string;
  rehearsal: string;
}

/** Differences between two keyed maps of comparable strings. */
export function diffMaps(what: string, embedded: ReadonlyMap<string, string>, rehearsal: ReadonlyMap<string, string>): Difference[] {
  const differences: Difference[] = [];
  const keys = [...new Set([...embedded.keys(), ...rehearsal.keys()])].sort();
  for (const key of keys) {
    const a = embedded.get(key);
    const b = rehearsal.get(key);
    if (a !== b) differences.push({ what, key, embedded: a ?? '(absent)', rehearsal: b ?? '(absent)' });
  }
  return differences;
}
