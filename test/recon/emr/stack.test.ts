/**
 * REC-EMR-1 in the synthesized analytics stack (every environment): the EMR job's files are
 * uploaded (driver, its pure module, the matcher bundle built from src/recon/emr/matcher-pipe.ts),
 * `emrMatch` names them and the application, and the job role is least privilege: it reads the
 * normalised run and its own files, writes only partition results and its logs, and has no Glue
 * catalog or curated-data access.
 */
import { readFileSync } from 'node:fs';
import { Token } from 'cdktf';
import { bundleEmrMatcher } from '../../../scripts/bundle-functions';
import { EMR_NODE_RUNTIME_KEY, EMR_SCRIPTS_PREFIX } from '../../../stacks/analytics-stack';
import { Names } from '../../../stacks/naming';
import { block, list, statementsOf } from '../../infra/support/model';
import { SYNTHESIZED_SCOPES, cleanupSynth, model, synthesizeAll } from '../../infra/support/synth';

afterAll(cleanupSynth);

describe.each(SYNTHESIZED_SCOPES.filter(([scope]) => scope !== 'staged'))('%s: the EMR reconciliation job', (scope, config) => {
  const names = Names.of(config);

  it('uploads the driver, its pure module and the matcher bundle under the analytics CMK', () => {
    const m = model(scope);
    const objects = m.of('aws_s3_object').filter((o) => String(o.config.key).startsWith(EMR_SCRIPTS_PREFIX));
    expect(objects.map((o) => o.config.key).sort()).toEqual([`${EMR_SCRIPTS_PREFIX}matcher-pipe.js`, `${EMR_SCRIPTS_PREFIX}recon_logic.py`, `${EMR_SCRIPTS_PREFIX}recon_spark.py`]);
    for (const object of objects) {
      expect(object.config.server_side_encryption).toBe('aws:kms');
      expect(m.refersTo(object, object.config.kms_key_id, 'aws_kms_key')).toBe(true);
    }
  });

  it('emrMatch names the application, the job role and the uploaded files', () => {
    const env = synthesizeAll().built.environments.find((candidate) => candidate.config.prefix === config.prefix)!;
    const job = env.analytics.emrMatch;
    const uri = (key: string) => `s3://${names.analyticsBucket}/${key}`;
    expect(job.entryPoint).toBe(uri(`${EMR_SCRIPTS_PREFIX}recon_spark.py`));
    expect(job.sparkSubmitParameters).toContain(`--py-files ${uri(`${EMR_SCRIPTS_PREFIX}recon_logic.py`)}`);
    expect(job.sparkSubmitParameters).toContain(`--files ${uri(`${EMR_SCRIPTS_PREFIX}matcher-pipe.js`)}`);
    expect(job.sparkSubmitParameters).toContain(`--archives ${uri(EMR_NODE_RUNTIME_KEY)}#node`);
    expect(Token.isUnresolved(job.applicationId)).toBe(true);
    expect(Token.isUnresolved(job.executionRoleArn)).toBe(true);
    expect(job.configurationOverrides.MonitoringConfiguration.S3MonitoringConfiguration.LogUri).toBe(uri('logs/emr/'));
  });

  it('the job role: reads the normalised run and its files, writes partition results and logs only', () => {
    const m = model(scope);
    const role = m.of('aws_iam_role').find((r) => r.config.name === names.roleName('emr-job'))!;
    const policies = m.of('aws_iam_role_policy').filter((p) => m.refs(p, p.config.role).includes(role.address));
    const statements = policies.flatMap((p) => statementsOf(p.config.policy));
    const actions = statements.flatMap((s) => list(s.Action as string | string[]));
    expect(actions.filter((a) => a.startsWith('glue:'))).toEqual([]);
    const bucket = `arn:aws:s3:::${names.analyticsBucket}`;
    const resourcesOf = (action: string) => statements.filter((s) => list(s.Action as string | string[]).includes(action)).flatMap((s) => list(s.Resource as string | string[]));
    expect(resourcesOf('s3:GetObject').sort()).toEqual([`${bucket}/${EMR_SCRIPTS_PREFIX}*`, `${bucket}/normalised/*`].sort());
    expect(resourcesOf('s3:PutObject').sort()).toEqual([`${bucket}/logs/emr/*`, `${bucket}/matches/runs/*/partitions/*`].sort());
    expect(JSON.stringify(statements)).not.toContain('curated/');
  });
});

it('the uploaded bundle is the deterministic build of the matcher pipe', () => {
  synthesizeAll();
  const first = readFileSync(bundleEmrMatcher().outFile, 'utf8');
  expect(readFileSync(bundleEmrMatcher().outFile, 'utf8')).toBe(first);
  expect(first).toContain('matcher-pipe');
  void block;
});
