/**
 * REH-1: the rehearsal's reading of synthesized references (rehearsal/iam/model.ts): `a.b[0].c` is
 * `a.b.0.c`, `join(sep, [refs])` joins the resolved references, the Aurora cluster's managed secret
 * and endpoints and the API edge's ids resolve in AWS's shapes, and what is not modelled is refused
 * naming the reference.
 */
import { TerraformModel } from '../../rehearsal/iam/model';

type Stack = ConstructorParameters<typeof TerraformModel>[1] extends ReadonlyMap<string, infer S> ? S : never;

const PROVIDER = { aws: [{ region: 'eu-west-2', allowed_account_ids: ['111111111111'] }] };

function model(resource: Record<string, Record<string, Record<string, unknown>>>): TerraformModel {
  return new TerraformModel('dev', new Map([['ledgerline-dev-app', { provider: PROVIDER, resource } as unknown as Stack]]));
}

function resolve(m: TerraformModel, value: unknown): unknown {
  return m.resolveValue('ledgerline-dev-app', value, 'test');
}

const CLUSTER = { cluster_identifier: 'ledgerline-dev-audit', manage_master_user_password: true, engine: 'aurora-postgresql' };

describe('rehearsal references', () => {
  it('reads a block index written with brackets as with a dot, for every index', () => {
    const m = model({ aws_rds_cluster: { audit: CLUSTER } });
    const dotted = resolve(m, '${aws_rds_cluster.audit.master_user_secret.0.secret_arn}');
    expect(resolve(m, '${aws_rds_cluster.audit.master_user_secret[0].secret_arn}')).toBe(dotted);
    expect(dotted).toMatch(/^arn:aws:secretsmanager:eu-west-2:111111111111:secret:rds!cluster-[0-9a-f-]{36}-[A-Za-z0-9]{6}$/);
    expect(() => resolve(m, '${aws_rds_cluster.audit.master_user_secret[1].secret_arn}')).toThrow(/master_user_secret/);
  });

  it('gives the Aurora cluster AWS-shaped endpoints, its ARN and port, stable per address and distinct per cluster', () => {
    const m = model({ aws_rds_cluster: { audit: CLUSTER, other: { ...CLUSTER, cluster_identifier: 'ledgerline-dev-other' } } });
    const endpoint = resolve(m, '${aws_rds_cluster.audit.endpoint}') as string;
    expect(endpoint).toMatch(/^ledgerline-dev-audit\.cluster-[0-9a-f]{12}\.eu-west-2\.rds\.amazonaws\.com$/);
    expect(resolve(m, '${aws_rds_cluster.audit.reader_endpoint}')).toMatch(/^ledgerline-dev-audit\.cluster-ro-/);
    expect(resolve(m, '${aws_rds_cluster.audit.arn}')).toBe('arn:aws:rds:eu-west-2:111111111111:cluster:ledgerline-dev-audit');
    expect(resolve(m, '${aws_rds_cluster.audit.port}')).toBe(5432);
    expect(resolve(m, '${aws_rds_cluster.audit.master_user_secret[0].secret_arn}')).not.toBe(resolve(m, '${aws_rds_cluster.other.master_user_secret[0].secret_arn}'));
    // A cluster whose password is not managed has no managed secret.
    const unmanaged = model({ aws_rds_cluster: { audit: { ...CLUSTER, manage_master_user_password: false } } });
    expect(() => resolve(unmanaged, '${aws_rds_cluster.audit.master_user_secret[0].secret_arn}')).toThrow(/manage_master_user_password/);
  });

  it('joins resolved references and literals with the separator, for any number of clients', () => {
    for (let n = 0; n <= 5; n += 1) {
      const clients = Object.fromEntries(Array.from({ length: n }, (_, i) => [`client-${i}`, { name: `partner-${i}`, user_pool_id: 'x' }]));
      const m = model({ aws_cognito_user_pool_client: clients });
      const refs = Object.keys(clients).map((name) => `aws_cognito_user_pool_client.${name}.id`);
      const ids = refs.map((ref) => resolve(m, `\${${ref}}`) as string);
      expect(new Set(ids).size).toBe(n);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{26}$/);
      expect(resolve(m, `\${join(",", [${refs.join(', ')}])}`)).toBe(ids.join(','));
      expect(resolve(m, `\${join(" | ", ["first", ${refs.join(', ')}])}`)).toBe(['first', ...ids].join(' | '));
    }
  });

  it('resolves the HTTP API ids the stage and the Lambda permission use', () => {
    const m = model({ aws_apigatewayv2_api: { api: { name: 'payments' } }, aws_apigatewayv2_stage: { stage: { name: 'v1', api_id: '${aws_apigatewayv2_api.api.id}' } } });
    const id = resolve(m, '${aws_apigatewayv2_api.api.id}') as string;
    expect(id).toMatch(/^[0-9a-f]{10}$/);
    expect(resolve(m, '${aws_apigatewayv2_api.api.execution_arn}/*/*')).toBe(`arn:aws:execute-api:eu-west-2:111111111111:${id}/*/*`);
    expect(resolve(m, '${aws_apigatewayv2_stage.stage.invoke_url}')).toBe(`https://${id}.execute-api.eu-west-2.amazonaws.com/v1`);
  });

  it('refuses what it does not model, naming the reference', () => {
    const m = model({ aws_rds_cluster: { audit: CLUSTER } });
    expect(() => resolve(m, '${aws_rds_cluster.audit.hosted_zone_id}')).toThrow(/aws_rds_cluster\.audit.*hosted_zone_id/);
    expect(() => resolve(m, '${upper(aws_rds_cluster.audit.arn)}')).toThrow(/function upper is not modelled/);
    expect(() => resolve(m, '${join(",", aws_rds_cluster.audit.arn)}')).toThrow(/function join is not modelled/);
  });
});
