/**
 * One default rule set (MODE-5, FRAUD-1): the rule set the embedded runtime runs without
 * `--rules` and the one bundled into every AWS function that decides payments are the same file,
 * named once in src/rule-sets.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { DEFAULT_RULE_SET_DOCUMENT, DEFAULT_RULE_SET_FILE, DEFAULT_RULE_SET_PATH } from '../../src/rule-sets';
import { DEFAULT_RULE_SET_PATH as LOADER_DEFAULT_PATH, loadRuleSetFile } from '../../src/adapters/embedded/rule-set-file';
import { AWS_RULE_SET } from '../../src/adapters/aws/wiring';
import type { CompiledRuleSet } from '../../src/domain/rules';
import { EmbeddedRuntime } from '../../src/runtime/embedded-runtime';
import { openStateDatabase } from '../../src/adapters/embedded/database';
import { authorisationLines } from '../../src/generator/authorisations';
import { loadReferenceData } from '../../src/adapters/embedded/reference-data';
import { sharedFunctionBundle } from '../support/shared-build';

const REPO_ROOT = resolve(__dirname, '../..');

/** What a compiled rule set decides with: its identity and each rule's id, expression and outcome. */
function shape(ruleSet: CompiledRuleSet) {
  return { ruleSetId: ruleSet.ruleSetId, version: ruleSet.version, rules: ruleSet.rules.map((rule) => ({ id: rule.id, when: rule.when, outcome: rule.outcome })) };
}

describe('the default posting rule set (MODE-5)', () => {
  it('is card-posting v2, the one with the FRAUD-1 rules, and its path and bundled document are the same file', () => {
    expect(DEFAULT_RULE_SET_PATH).toBe(join(REPO_ROOT, 'config', 'rules', 'card-posting.v2.json'));
    expect(relative(REPO_ROOT, DEFAULT_RULE_SET_PATH)).toBe(DEFAULT_RULE_SET_FILE);
    expect(JSON.parse(readFileSync(DEFAULT_RULE_SET_PATH, 'utf8'))).toEqual(DEFAULT_RULE_SET_DOCUMENT);
    expect(shape(AWS_RULE_SET).rules.map((rule) => rule.id)).toEqual(expect.arrayContaining(['FRAUD_SPEND_SPIKE', 'FRAUD_COUNTRY_HOP', 'FRAUD_RISKY_MERCHANT']));
  });

  it('the embedded loader defaults to it, and compiles to exactly the rule set the AWS functions run', () => {
    expect(LOADER_DEFAULT_PATH).toBe(DEFAULT_RULE_SET_PATH);
    expect(shape(loadRuleSetFile())).toEqual(shape(AWS_RULE_SET));
    // A different rule set does not compare equal: the comparison above can fail.
    expect(shape(loadRuleSetFile(join(REPO_ROOT, 'config', 'rules', 'card-posting.v1.json')))).not.toEqual(shape(AWS_RULE_SET));
  });

  it('no other source file names a rule-set file: the default is written once', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (/\.ts$/.test(entry.name) && /card-posting\.v\d+\.json/.test(readFileSync(file, 'utf8'))) offenders.push(relative(REPO_ROOT, file));
      }
    };
    for (const dir of ['src', 'functions', 'stacks', 'scripts']) walk(join(REPO_ROOT, dir));
    expect(offenders).toEqual(['src/rule-sets.ts']);
  });

  it('an embedded run without a rule set decides every payment with it (the decisions name its id and version)', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'ledgerline-default-rules-'));
    try {
      const lines = [...authorisationLines({ count: 300, seed: 4_711, referenceData: loadReferenceData() })];
      const runtime = new EmbeddedRuntime({ stateDir });
      try {
        await runtime.post(lines, 'generated');
      } finally {
        runtime.close();
      }
      const db = openStateDatabase(stateDir);
      try {
        const rows = db
          .prepare("SELECT json_extract(decision, '$.ruleSetId') || ' ' || json_extract(decision, '$.ruleSetVersion') AS ruleSet, COUNT(*) AS n FROM rules_decisions GROUP BY 1")
          .all() as { ruleSet: string; n: number }[];
        expect(rows.map((row) => row.ruleSet)).toEqual([`${AWS_RULE_SET.ruleSetId} ${AWS_RULE_SET.version}`]);
        expect(rows[0]!.n).toBeGreaterThan(100);
      } finally {
        db.close();
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 120_000);

  // The functions that decide payments on AWS (the staged rules stage and the fused ones).
  it.each(['rules', 'hot-path', 'authorise', 'ingest-batch'])(
    'the %s function bundles it and no other rule set',
    (name) => {
      // The run's bundles (test/support/shared-build.ts): every file the function's own build reads, relative to the repo root.
      const { inputs } = sharedFunctionBundle(name);
      expect(inputs.filter((input) => input.startsWith('config/rules/'))).toEqual([DEFAULT_RULE_SET_FILE]);
      expect(inputs).toContain('src/domain/rules.ts');
    },
    120_000,
  );
});
