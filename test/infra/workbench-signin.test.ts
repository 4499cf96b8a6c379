/**
 * WB-AUTH-1 on AWS, per environment: the workbench function signs people in itself, with the same
 * OIDC code as locally (src/recon/workbench/oidc.ts) against Okta, so
 * - the ALB runs no authenticate-oidc (test/infra/workbench.test.ts: its listener only forwards)
 *   and needs no egress at all;
 * - the function may reach Okta over HTTPS: its own group's one egress rule, from the private
 *   subnets whose default route is a NAT gateway;
 * - its sessions live in the sessions table (one definition: tables.ts), with TTL, PITR and the
 *   data CMK, no stream (sessions never reach the audit trail), and exactly the grants the session
 *   store's calls need; no other function may touch it.
 */
import { ENVIRONMENTS } from '../../stacks/ledgerline';
import { Names } from '../../stacks/naming';
import { WORKBENCH_TLS_POLICY } from '../../stacks/app-stack';
import { TABLES } from '../../src/adapters/aws/tables';
import type { EnvironmentConfig } from '../../environments/types';
import { cleanupSynth, model } from './support/synth';
import { block, list, statementsOf, type Json, type Resource, type SynthModel } from './support/model';

afterAll(cleanupSynth);

function only(m: SynthModel, type: string, predicate: (resource: Resource) => boolean = () => true): Resource {
  const found = m.of(type).filter(predicate);
  if (found.length !== 1) throw new Error(`${type}: found ${found.length}`);
  return found[0]!;
}

describe.each(ENVIRONMENTS.map((config) => [config.name, config] as const))('%s', (_name, config: EnvironmentConfig) => {
  const names = Names.of(config);
  let m: SynthModel;
  beforeAll(() => {
    m = model(config.name);
  });

  test('the listener keeps TLS 1.2+ (TLS 1.3 preferred) and nothing of Okta is at the ALB', () => {
    expect(WORKBENCH_TLS_POLICY).toBe('ELBSecurityPolicy-TLS13-1-2-2021-06');
    const listener = only(m, 'aws_lb_listener');
    expect(listener.config.ssl_policy).toBe(WORKBENCH_TLS_POLICY);
    expect(list(listener.config.default_action as Json[]).map((action) => action.type)).toEqual(['forward']);
    expect(m.of('aws_lb_listener_rule')).toEqual([]);
  });

  test("the ALB's group has no egress; the function's own group has exactly one rule: HTTPS out (to Okta), no ingress", () => {
    const alb = only(m, 'aws_lb');
    const [albGroup] = m.refs(alb, alb.config.security_groups);
    const egressOf = (group: string) => m.of('aws_vpc_security_group_egress_rule').filter((rule) => m.refs(rule, rule.config.security_group_id).includes(group));
    const ingressOf = (group: string) => m.of('aws_vpc_security_group_ingress_rule').filter((rule) => m.refs(rule, rule.config.security_group_id).includes(group));
    expect(egressOf(albGroup!)).toEqual([]);
    expect(m.get(albGroup!)!.config.egress).toBeUndefined();

    const fn = only(m, 'aws_lambda_function', (resource) => resource.config.function_name === names.functionName('reconcile-workbench'));
    const groups = m.refs(fn, block(fn.config.vpc_config)!.security_group_ids);
    const own = groups.filter((group) => m.get(group)!.config.name === names.name('workbench-fn'));
    expect(own).toHaveLength(1);
    expect(ingressOf(own[0]!)).toEqual([]);
    const egress = egressOf(own[0]!);
    expect(egress.map((rule) => [rule.config.ip_protocol, rule.config.from_port, rule.config.to_port, rule.config.cidr_ipv4])).toEqual([['tcp', 443, 443, '0.0.0.0/0']]);
    expect(String(egress[0]!.config.description)).toContain(new URL(config.workbench.oidc.issuer).host);
    // No other function carries that group.
    const carriers = m.of('aws_lambda_function').filter((other) => m.refs(other, block(other.config.vpc_config)?.security_group_ids).includes(own[0]!));
    expect(carriers.map((other) => other.config.function_name)).toEqual([names.functionName('reconcile-workbench')]);
  });

  test("the function's subnets are private and reach the internet (Okta) only through a NAT gateway", () => {
    const fn = only(m, 'aws_lambda_function', (resource) => resource.config.function_name === names.functionName('reconcile-workbench'));
    const subnets = m.refs(fn, block(fn.config.vpc_config)!.subnet_ids);
    expect(subnets.length).toBe(config.network.azCount);
    for (const subnet of subnets) {
      expect((m.get(subnet)!.config.tags as Json).Tier).toBe('private');
      const association = only(m, 'aws_route_table_association', (resource) => m.refs(resource, resource.config.subnet_id).includes(subnet));
      const table = m.refs(association, association.config.route_table_id)[0]!;
      const defaults = m.of('aws_route').filter((route) => m.refs(route, route.config.route_table_id).includes(table) && route.config.destination_cidr_block === '0.0.0.0/0');
      expect(defaults).toHaveLength(1);
      expect(m.refersTo(defaults[0]!, defaults[0]!.config.nat_gateway_id, 'aws_nat_gateway')).toBe(true);
    }
  });

  test('the sessions table: from its one definition, TTL on expiresAt, PITR, the data CMK, no stream, deletion protection per config', () => {
    const table = only(m, 'aws_dynamodb_table', (resource) => resource.config.name === names.tableName('workbenchSessions'));
    expect(table.config).toMatchObject({ hash_key: 'pk', billing_mode: 'PAY_PER_REQUEST', deletion_protection_enabled: config.protectStatefulResources });
    expect(table.config.range_key).toBeUndefined();
    expect(list(table.config.attribute as Json[])).toEqual([{ name: 'pk', type: 'S' }]);
    expect(block(table.config.ttl)).toEqual({ attribute_name: TABLES.workbenchSessions.ttlAttribute, enabled: true });
    expect(block(table.config.point_in_time_recovery)?.enabled).toBe(true);
    const sse = block(table.config.server_side_encryption)!;
    expect(sse.enabled).toBe(true);
    const workbench = only(m, 'aws_dynamodb_table', (resource) => resource.config.name === names.tableName('workbench'));
    expect(m.refs(table, sse.kms_key_arn)).toEqual(m.refs(workbench, block(workbench.config.server_side_encryption)!.kms_key_arn));
    expect(table.config.stream_enabled).toBeUndefined();
  });

  test('grants: the workbench function gets exactly GetItem, PutItem, UpdateItem and DeleteItem on the sessions table (no index, no Scan); no other role names it', () => {
    const arn = names.tableArn('workbenchSessions');
    const mentions = m.of('aws_iam_role_policy').filter((policy) => JSON.stringify(statementsOf(policy.config.policy)).includes(`"${arn}"`));
    const role = only(m, 'aws_iam_role', (resource) => resource.config.name === names.roleName(names.functionRoleSuffix('reconcile-workbench')));
    expect(mentions.map((policy) => m.refs(policy, policy.config.role))).toEqual([[role.address]]);
    const statements = statementsOf(mentions[0]!.config.policy).filter((statement) => JSON.stringify(statement.Resource).includes(arn));
    expect(statements).toEqual([{ Sid: 'TableWorkbenchSessions', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], Resource: [arn] }]);
    expect(JSON.stringify(statementsOf(mentions[0]!.config.policy))).not.toContain(`${arn}/index`);
  });
});

describe.each(ENVIRONMENTS.map((config) => [config.name, config] as const))('%s: the redirect URI', (_name, config: EnvironmentConfig) => {
  test("the function's base URL is the environment's own host name (the certificate's name, registered at Okta), never the ALB's DNS name", () => {
    const names = Names.of(config);
    const m = model(config.name);
    const fn = only(m, 'aws_lambda_function', (resource) => resource.config.function_name === names.functionName('reconcile-workbench'));
    const variables = block(block(fn.config.environment)?.variables as Json) as Record<string, unknown> | undefined;
    const hostName = config.workbench.hostName;
    expect(hostName).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/);
    expect(variables?.WORKBENCH_BASE_URL).toBe(`https://${hostName}`);
  });
});
