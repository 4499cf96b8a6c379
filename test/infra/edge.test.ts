/**
 * The payments API's edge (API-5, API-3, API-4; stacks/lib/api.ts), synthesized per environment:
 * the routes and their scopes ARE the route table's, the resource server's scopes ARE API_SCOPES,
 * one client-credentials app client per configured partner with exactly its scopes, the JWT
 * authorizer trusts that pool and those clients, access logs keep no header values, the WAF
 * (CLOUDFRONT scope, us-east-1) fronts the API through CloudFront with the managed groups and the
 * rate-based rules, and every bad edge configuration is refused with its field named.
 */
import fc from 'fast-check';
import { App, Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { API_ROUTES, API_SCOPES, RESOURCE_SERVER } from '../../src/api/routes';
import { ENVIRONMENTS } from '../../stacks/ledgerline';
import { Names } from '../../stacks/naming';
import { API_ACCESS_LOG_FORMAT, CLOUDFRONT_MANAGED, PaymentsApiEdge, WAF_MANAGED_RULE_GROUPS, checkApiEdgeConfig, routeKeyOf, routePermissionPath } from '../../stacks/lib/api';
import type { ApiEdgeConfig, EnvironmentConfig } from '../../environments/types';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function synthEdge(config: EnvironmentConfig): Json {
  const app = new App({ skipValidation: true });
  const stack = new TerraformStack(app, `edge-${config.name}`);
  new AwsProvider(stack, 'aws', { region: config.region, allowedAccountIds: [config.account] });
  const names = Names.of(config);
  new PaymentsApiEdge(stack, 'payments-api', {
    names,
    config: config.api,
    account: config.account,
    tags: config.tags,
    functionName: names.functionName('authorise'),
    functionArn: names.functionArn('authorise'),
    logsKmsKeyArn: `arn:aws:kms:${config.region}:${config.account}:key/logs`,
    logRetentionDays: config.retention.logDays,
    protect: config.protectStatefulResources,
  });
  return JSON.parse(Testing.synth(stack)) as Json;
}

const resources = (json: Json, type: string): Json[] => Object.values((json.resource?.[type] ?? {}) as Record<string, Json>);
const one = (json: Json, type: string): Json => {
  const all = resources(json, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0]!;
};

describe.each(ENVIRONMENTS.map((config) => [config.name, config] as const))('%s', (_name, config) => {
  let json: Json;
  beforeAll(() => {
    json = synthEdge(config);
  });

  test("the resource server holds exactly the route table's scopes", () => {
    const server = one(json, 'aws_cognito_resource_server');
    expect(server.identifier).toBe(RESOURCE_SERVER);
    expect((server.scope as Json[]).map((scope) => `${RESOURCE_SERVER}/${scope.scope_name}`).sort()).toEqual(Object.keys(API_SCOPES).sort());
  });

  test('one client-credentials app client per partner, with a secret and exactly its scopes', () => {
    const clients = resources(json, 'aws_cognito_user_pool_client');
    expect(clients.map((client) => client.name).sort()).toEqual(config.api.partners.map((partner) => `${config.prefix}-payments-api-${partner.name}`).sort());
    for (const partner of config.api.partners) {
      const client = clients.find((candidate) => candidate.name === `${config.prefix}-payments-api-${partner.name}`)!;
      expect(client.allowed_oauth_flows).toEqual(['client_credentials']);
      expect(client.generate_secret).toBe(true);
      expect([...(client.allowed_oauth_scopes as string[])].sort()).toEqual([...partner.scopes].sort());
      expect(client.access_token_validity).toBe(config.api.accessTokenMinutes);
    }
    expect(one(json, 'aws_cognito_user_pool').admin_create_user_config).toEqual({ allow_admin_create_user_only: true });
  });

  test('every route of the route table is one HTTP API route behind the JWT authorizer with its scope, and nothing else is routed', () => {
    const routes = resources(json, 'aws_apigatewayv2_route');
    expect(routes.map((route) => route.route_key).sort()).toEqual(API_ROUTES.map(routeKeyOf).sort());
    for (const route of API_ROUTES) {
      const synthesized = routes.find((candidate) => candidate.route_key === routeKeyOf(route))!;
      expect(synthesized.authorization_type).toBe('JWT');
      expect(synthesized.authorization_scopes).toEqual([route.scope]);
      expect(synthesized.authorizer_id).toMatch(/aws_apigatewayv2_authorizer\./);
    }
    const authorizer = one(json, 'aws_apigatewayv2_authorizer');
    expect(authorizer.authorizer_type).toBe('JWT');
    expect(authorizer.identity_sources).toEqual(['$request.header.Authorization']);
    expect(authorizer.jwt_configuration.issuer).toMatch(new RegExp(`^https://cognito-idp\\.${config.region}\\.amazonaws\\.com/\\$\\{aws_cognito_user_pool\\.`));
    expect(authorizer.jwt_configuration.audience).toHaveLength(config.api.partners.length);
    const integration = one(json, 'aws_apigatewayv2_integration');
    expect(integration).toMatchObject({ integration_type: 'AWS_PROXY', payload_format_version: '2.0', integration_uri: Names.of(config).functionArn('authorise') });
  });

  test("API Gateway may invoke the function on exactly the routes' ARNs", () => {
    const permissions = resources(json, 'aws_lambda_permission');
    expect(permissions.map((permission) => String(permission.source_arn).replace(/^\$\{[^}]+\}\//, '')).sort()).toEqual(API_ROUTES.map(routePermissionPath).sort());
    for (const permission of permissions) expect(permission).toMatchObject({ principal: 'apigateway.amazonaws.com', action: 'lambda:InvokeFunction', source_account: config.account });
  });

  test('the stage logs every request as JSON to a retained, encrypted log group, without header values, and is throttled', () => {
    const stage = one(json, 'aws_apigatewayv2_stage');
    const format = JSON.parse(stage.access_log_settings.format as string) as Record<string, string>;
    expect(format).toEqual(JSON.parse(API_ACCESS_LOG_FORMAT));
    // No header value, no body, no query string: only $context identifiers, sizes and statuses.
    for (const value of Object.values(format)) expect(value).toMatch(/^\$context\.(?!.*header)(?!.*body)[A-Za-z_.]+$/);
    expect(stage.default_route_settings).toMatchObject({ throttling_burst_limit: config.api.stageThrottle.burst, throttling_rate_limit: config.api.stageThrottle.perSecond });
    const logs = one(json, 'aws_cloudwatch_log_group');
    expect(logs).toMatchObject({ retention_in_days: config.retention.logDays, kms_key_id: expect.stringContaining(':key/') });
    expect(stage.access_log_settings.destination_arn).toContain('aws_cloudwatch_log_group.');
  });

  test('the WAF (CLOUDFRONT, us-east-1) carries the managed groups and the per-token and per-IP rate rules, and fronts the API through CloudFront', () => {
    const acl = one(json, 'aws_wafv2_web_acl');
    expect(acl.scope).toBe('CLOUDFRONT');
    const providers = json.provider.aws as Json[];
    expect(providers.find((provider) => provider.alias === acl.provider.replace(/^aws\./, ''))).toMatchObject({ region: 'us-east-1', allowed_account_ids: [config.account] });
    const rules = acl.rule as Json[];
    expect(rules.filter((rule) => rule.statement.managed_rule_group_statement).map((rule) => rule.statement.managed_rule_group_statement.name)).toEqual([...WAF_MANAGED_RULE_GROUPS]);
    const rate = (name: string) => rules.find((rule) => rule.name === name)!;
    expect(rate('PerTokenRate').statement.rate_based_statement).toMatchObject({ limit: config.api.tokenRequestsPer5Minutes, aggregate_key_type: 'CUSTOM_KEYS' });
    expect(rate('PerTokenRate').statement.rate_based_statement.custom_key[0].header.name).toBe('authorization');
    expect(rate('PerIpRate').statement.rate_based_statement).toMatchObject({ limit: config.api.ipRequestsPer5Minutes, aggregate_key_type: 'IP' });
    expect(new Set(rules.map((rule) => rule.priority)).size).toBe(rules.length);

    const distribution = one(json, 'aws_cloudfront_distribution');
    expect(distribution.web_acl_id).toMatch(/aws_wafv2_web_acl\..*\.arn/);
    expect(distribution.origin[0].domain_name).toContain('aws_apigatewayv2_api.');
    expect(distribution.origin[0].custom_origin_config).toMatchObject({ origin_protocol_policy: 'https-only', origin_ssl_protocols: ['TLSv1.2'] });
    expect(distribution.default_cache_behavior).toMatchObject({
      viewer_protocol_policy: 'https-only',
      cache_policy_id: CLOUDFRONT_MANAGED.cachingDisabled,
      origin_request_policy_id: CLOUDFRONT_MANAGED.allViewerExceptHostHeader,
    });
    // Every method a route uses passes the distribution.
    for (const route of API_ROUTES) expect(distribution.default_cache_behavior.allowed_methods).toContain(route.method);
  });
});

describe('checkApiEdgeConfig', () => {
  const good: ApiEdgeConfig = ENVIRONMENTS[0]!.api;

  test("every environment's edge configuration is accepted", () => {
    for (const config of ENVIRONMENTS) expect(checkApiEdgeConfig(config.api, config.name)).toBe(config.api);
  });

  test('an unknown scope is refused, named', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }).filter((scope) => !(scope in API_SCOPES)),
        (scope) => {
          const config = { ...good, partners: [{ name: 'p', scopes: [scope] }] };
          expect(() => checkApiEdgeConfig(config, 'env')).toThrow(`unknown scope ${JSON.stringify(scope)}`);
        },
      ),
    );
  });

  test('a bad partner name is refused, named', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }).filter((name) => !/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/.test(name)),
        (name) => {
          expect(() => checkApiEdgeConfig({ ...good, partners: [{ name, scopes: [`${RESOURCE_SERVER}/payments.read`] }] }, 'env')).toThrow(`api partner name ${JSON.stringify(name)}`);
        },
      ),
    );
  });

  test("a rate limit outside WAF's range or not whole is refused, named", () => {
    fc.assert(
      fc.property(
        fc.constantFrom('tokenRequestsPer5Minutes' as const, 'ipRequestsPer5Minutes' as const),
        fc.oneof(fc.integer({ min: -1_000, max: 9 }), fc.integer({ min: 2_000_000_001, max: Number.MAX_SAFE_INTEGER }), fc.double({ noInteger: true })),
        (field, value) => {
          expect(() => checkApiEdgeConfig({ ...good, [field]: value }, 'env')).toThrow(`api.${field}`);
        },
      ),
    );
  });

  test('no partners, a duplicate partner, a partner without scopes, a repeated scope, a bad token lifetime or throttle are refused', () => {
    const read = `${RESOURCE_SERVER}/payments.read`;
    expect(() => checkApiEdgeConfig({ ...good, partners: [] }, 'env')).toThrow('api.partners is empty');
    expect(() =>
      checkApiEdgeConfig(
        {
          ...good,
          partners: [
            { name: 'a', scopes: [read] },
            { name: 'a', scopes: [read] },
          ],
        },
        'env',
      ),
    ).toThrow('api partner a is listed twice');
    expect(() => checkApiEdgeConfig({ ...good, partners: [{ name: 'a', scopes: [] }] }, 'env')).toThrow('api partner a has no scopes');
    expect(() => checkApiEdgeConfig({ ...good, partners: [{ name: 'a', scopes: [read, read] }] }, 'env')).toThrow('lists a scope twice');
    for (const minutes of [0, 4, 1441, 60.5]) expect(() => checkApiEdgeConfig({ ...good, accessTokenMinutes: minutes }, 'env')).toThrow('api.accessTokenMinutes');
    for (const stageThrottle of [
      { burst: 0, perSecond: 1 },
      { burst: 1, perSecond: 0 },
      { burst: 1.5, perSecond: 1 },
    ])
      expect(() => checkApiEdgeConfig({ ...good, stageThrottle }, 'env')).toThrow('api.stageThrottle');
  });
});
