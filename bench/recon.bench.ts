/**
 * npm run bench:recon — reconciles N generated statement lines against N ledger entries
 * (default 1,000,000 each) with the default rule set (every rule kind), through `matchAll`
 * (the same matchPartition the scale path runs per partition), then prints throughput, elapsed
 * time, precision / recall against the generator's ground truth, and peak RSS.
 * A benchmark, not a test: it asserts nothing.
 *
 *   npm run bench:recon                      # 1,000,000 + 1,000,000
 *   npm run bench:recon -- --count 100000    # smaller
 *   npm run bench:recon -- --seed 7
 */
import { cpus, totalmem } from 'node:os';
import { defaultRuleSet, evaluate, generateLabelledSet, matchAll } from '../src/recon/matching';
import { calibrate, calibrationLine } from './calibrate';

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

function mb(kilobytes: number): string {
  return `${(kilobytes / 1024).toFixed(0)} MB`;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(3)}%`;
}

function main(): void {
  const count = arg('count', 1_000_000);
  const seed = arg('seed', 2026);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`machine: ${cpus().length} cores, ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GB RAM; node ${process.version} (${process.platform}/${process.arch})`);

  let started = performance.now();
  const set = generateLabelledSet({ seed, statementLines: count, ledgerEntries: count });
  const generatedMs = performance.now() - started;
  const rssAfterGenerate = process.resourceUsage().maxRSS;
  console.log(
    `generated ${set.statementLines.length.toLocaleString('en')} statement lines + ${set.ledgerEntries.length.toLocaleString('en')} ledger entries ` +
      `(${set.truth.length.toLocaleString('en')} true matches, ${set.exceptions.length.toLocaleString('en')} expected exceptions) in ${(generatedMs / 1000).toFixed(1)} s; peak RSS so far ${mb(rssAfterGenerate)}`,
  );

  const rules = defaultRuleSet();
  started = performance.now();
  const cpuBefore = process.cpuUsage();
  const result = matchAll(set.statementLines, set.ledgerEntries, rules, set.asOf);
  const elapsedMs = performance.now() - started;
  // CPU time (all threads, GC included): steadier than the elapsed time on a busy machine.
  const cpuUsed = process.cpuUsage(cpuBefore);
  const cpuMs = (cpuUsed.user + cpuUsed.system) / 1000;
  const peak = process.resourceUsage().maxRSS;

  const rows = set.statementLines.length + set.ledgerEntries.length;
  const score = evaluate(result, set);
  const exactRules = rules.rules.filter((rule) => rule.kind === 'exactReference' && !('tolerance' in rule && rule.tolerance)).map((rule) => rule.id);
  const exactTruth = score.recallByKind['exact-reference'];
  const exactFound = exactRules.reduce((sum, id) => sum + (exactTruth?.foundByRule[id] ?? 0), 0);
  const exactLinks = exactRules.reduce((sum, id) => sum + (score.byRule[id]?.links ?? 0), 0);
  const exactCorrect = exactRules.reduce((sum, id) => sum + (score.byRule[id]?.correct ?? 0), 0);

  const byRule = new Map<string, { confirmed: number; proposed: number }>();
  for (const match of result.matches) {
    const entry = byRule.get(match.ruleId) ?? { confirmed: 0, proposed: 0 };
    entry[match.status] += 1;
    byRule.set(match.ruleId, entry);
  }
  const reasons = new Map<string, number>();
  for (const item of result.unmatched) reasons.set(item.reason, (reasons.get(item.reason) ?? 0) + 1);

  console.log('');
  console.log(`matchAll: ${(elapsedMs / 1000).toFixed(2)} s for ${rows.toLocaleString('en')} rows (CPU time ${(cpuMs / 1000).toFixed(2)} s)`);
  console.log(
    `  throughput: ${Math.round(rows / (elapsedMs / 1000)).toLocaleString('en')} rows/s (${Math.round(set.statementLines.length / (elapsedMs / 1000)).toLocaleString('en')} statement lines/s)`,
  );
  console.log(`  matches: ${result.matches.length.toLocaleString('en')}; unmatched: ${result.unmatched.length.toLocaleString('en')}`);
  for (const rule of rules.rules) {
    const entry = byRule.get(rule.id) ?? { confirmed: 0, proposed: 0 };
    const ruleScore = score.byRule[rule.id];
    console.log(
      `    ${rule.id.padEnd(22)} confirmed ${String(entry.confirmed).padStart(8)}  proposed ${String(entry.proposed).padStart(7)}  precision ${ruleScore ? percent(ruleScore.precision) : '-'}`,
    );
  }
  console.log(
    `  exceptions: ${[...reasons]
      .sort()
      .map(([reason, n]) => `${reason} ${n.toLocaleString('en')}`)
      .join(', ')}`,
  );
  console.log('');
  console.log(`precision: ${percent(score.precision)} (${score.correctLinks.toLocaleString('en')} of ${score.predictedLinks.toLocaleString('en')} links)`);
  console.log(`recall:    ${percent(score.recall)} (${score.correctLinks.toLocaleString('en')} of ${score.truthLinks.toLocaleString('en')} links)`);
  console.log(`exact-reference rules: precision ${percent(exactLinks ? exactCorrect / exactLinks : 1)}, recall ${percent(exactTruth ? exactFound / exactTruth.links : 1)}`);
  console.log(`whole matches exactly right: ${percent(score.exactMatches / Math.max(1, score.matches))}; exception reasons right: ${percent(score.reasonsCorrect / Math.max(1, score.reasons))}`);
  console.log(`case groups exactly right (REC-CASE-1): ${score.casesCorrect.toLocaleString('en')} of ${score.cases.toLocaleString('en')} expected cases`);
  for (const [kind, value] of Object.entries(score.recallByKind)) console.log(`    recall ${kind.padEnd(20)} ${percent(value.recall)} (${value.links.toLocaleString('en')} links)`);
  console.log('');
  console.log(`peak RSS: ${mb(peak)} (process.resourceUsage().maxRSS, including the generated input; ${mb(rssAfterGenerate)} after generation)`);
  console.log(calibrationLine(calibrate()));
}

main();
