/**
 * The payments API's customer edge on AWS (API-5, API-3, API-4):
 *
 * partner ──HTTPS──▶ CloudFront (WAF v2 web ACL) ──▶ API Gateway HTTP API (JWT authorizer on the
 * Cognito user pool, one route per route-table entry with its scope) ──▶ the `api` Lambda (payload 2.0).
 *
 * - Cognito: one user pool (no users: client credentials only), its hosted domain (the token
 *   endpoint), ONE resource server whose scopes are the route table's (src/api/routes.ts API_SCOPES,
 *   imported, never restated) and one app client per partner of the environment's config
 *   (environments/*.ts `api.partners`), each allowed only its configured scopes.
 * - HTTP API: the routes and their scopes are API_ROUTES', so the authorizer refuses a token
 *   without the route's scope before the Lambda runs; the handler verifies the token again
 *   (functions/api/api.ts). HTTP APIs have no request validators: the handler validates every body
 *   with ajv against the same schemas (schemas/api, src/api/input.ts).
 * - Access logs: JSON, one line per request, to a log group with the environment's retention and
 *   the logs CMK; no header values, no body (PCI-3).
 * - WAF: HTTP APIs cannot be associated with a web ACL, so the API is fronted by a CloudFront
 *   distribution (caching off, every viewer header but Host forwarded) carrying a CLOUDFRONT-scope
 *   web ACL (created in us-east-1, as AWS requires): AWS managed rule groups (common rule set,
 *   known bad inputs), a rate-based rule per bearer token (aggregated on the Authorization header:
 *   a client-credentials token belongs to exactly one app client, so this is the per-client limit
 *   the edge can enforce without decoding the token) and one per source IP.
 * - Per-client throttling, in layers: the WAF's per-token rule (edge), the stage's throttle
 *   (every client together), and the handler's token bucket keyed on the verified client id
 *   (API_RATE_LIMIT, API-4), which also catches a client spreading its calls over several tokens.
 */
import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { CognitoUserPool } from '@cdktf/provider-aws/lib/cognito-user-pool';
import { CognitoUserPoolDomain } from '@cdktf/provider-aws/lib/cognito-user-pool-domain';
import { CognitoResourceServer } from '@cdktf/provider-aws/lib/cognito-resource-server';
import { CognitoUserPoolClient } from '@cdktf/provider-aws/lib/cognito-user-pool-client';
import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2Authorizer } from '@cdktf/provider-aws/lib/apigatewayv2-authorizer';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Wafv2WebAcl, type Wafv2WebAclRule } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { CloudfrontDistribution } from '@cdktf/provider-aws/lib/cloudfront-distribution';
import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { API_ROUTES, API_SCOPES, RESOURCE_SERVER, type ApiRoute } from '../../src/api/routes';
import type { ApiEdgeConfig } from '../../environments/types';
import type { Names } from '../naming';
import { encryptedLogGroup } from './logs';

/** AWS-managed CloudFront policies (their ids are fixed by AWS). */
export const CLOUDFRONT_MANAGED = Object.freeze({
  /** Managed-CachingDisabled: nothing is cached (every answer is per request and per client). */
  cachingDisabled: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
  /**
   * Managed-AllViewerExceptHostHeader: every viewer header (Authorization and Idempotency-Key
   * included: with caching off an origin request policy may forward Authorization) and the query;
   * Host is the origin's, as API Gateway requires.
   */
  allViewerExceptHostHeader: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
});

/** The AWS managed rule groups of the web ACL, in priority order. */
export const WAF_MANAGED_RULE_GROUPS = ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet'] as const;

/** The access log line of the stage: identifiers, status and sizes only (no header values, no body: PCI-3). */
export const API_ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTimeEpoch',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  clientId: '$context.authorizer.claims.client_id',
  authorizerError: '$context.authorizer.error',
  integrationError: '$context.integrationErrorMessage',
});

/** An HTTP API route key of a route-table entry (`POST /v1/authorisations`). */
export function routeKeyOf(route: Pick<ApiRoute, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/** The execute-api source ARN suffix of a route (`*` stage, the path's parameters as `*`). */
export function routePermissionPath(route: Pick<ApiRoute, 'method' | 'path'>): string {
  return `*/${route.method}${route.path.replace(/\{[^}/]+\}/g, '*')}`;
}

const PARTNER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** The edge configuration, checked: partners named once, each with known scopes; WAF and token limits in AWS's ranges. */
export function checkApiEdgeConfig(config: ApiEdgeConfig, where: string): ApiEdgeConfig {
  if (config.partners.length === 0) throw new Error(`${where}: api.partners is empty (at least one app client)`);
  const seen = new Set<string>();
  for (const partner of config.partners) {
    if (!PARTNER_NAME.test(partner.name)) throw new Error(`${where}: api partner name ${JSON.stringify(partner.name)} must be 1–32 of a-z, 0-9, '-' (not at either end)`);
    if (seen.has(partner.name)) throw new Error(`${where}: api partner ${partner.name} is listed twice`);
    seen.add(partner.name);
    if (partner.scopes.length === 0) throw new Error(`${where}: api partner ${partner.name} has no scopes`);
    for (const scope of partner.scopes) {
      if (!(scope in API_SCOPES)) throw new Error(`${where}: api partner ${partner.name}: unknown scope ${JSON.stringify(scope)} (known: ${Object.keys(API_SCOPES).join(', ')})`);
    }
    if (new Set(partner.scopes).size !== partner.scopes.length) throw new Error(`${where}: api partner ${partner.name} lists a scope twice`);
  }
  for (const [field, value] of [
    ['tokenRequestsPer5Minutes', config.tokenRequestsPer5Minutes],
    ['ipRequestsPer5Minutes', config.ipRequestsPer5Minutes],
  ] as const) {
    // WAF rate-based rules: limit 10 to 2,000,000,000 per evaluation window.
    if (!Number.isInteger(value) || value < 10 || value > 2_000_000_000) throw new Error(`${where}: api.${field} must be a whole number from 10 to 2000000000, got ${String(value)}`);
  }
  if (!Number.isInteger(config.accessTokenMinutes) || config.accessTokenMinutes < 5 || config.accessTokenMinutes > 1440) {
    throw new Error(`${where}: api.accessTokenMinutes must be a whole number from 5 to 1440, got ${String(config.accessTokenMinutes)}`);
  }
  const { burst, perSecond } = config.stageThrottle;
  if (!Number.isInteger(burst) || burst < 1 || !Number.isInteger(perSecond) || perSecond < 1) {
    throw new Error(`${where}: api.stageThrottle needs whole burst and perSecond of at least 1, got ${JSON.stringify(config.stageThrottle)}`);
  }
  return config;
}

export interface PaymentsApiEdgeProps {
  names: Names;
  config: ApiEdgeConfig;
  /** The provider defaults of the stack (account guard, tags) for the us-east-1 provider of the web ACL. */
  account: string;
  tags: Readonly<Record<string, string>>;
  /** The api Lambda function. */
  functionName: string;
  functionArn: string;
  logsKmsKeyArn: string;
  logRetentionDays: number;
  /** Deletion protection of the user pool (clients and their secrets live in it). */
  protect: boolean;
}

export class PaymentsApiEdge extends Construct {
  readonly userPool: CognitoUserPool;
  readonly domain: CognitoUserPoolDomain;
  readonly resourceServer: CognitoResourceServer;
  readonly clients = new Map<string, CognitoUserPoolClient>();
  readonly api: Apigatewayv2Api;
  readonly authorizer: Apigatewayv2Authorizer;
  readonly routes = new Map<string, Apigatewayv2Route>();
  readonly stage: Apigatewayv2Stage;
  readonly accessLogs: CloudwatchLogGroup;
  readonly webAcl: Wafv2WebAcl;
  readonly distribution: CloudfrontDistribution;
  /** The issuer the authorizer and the handler (COGNITO_ISSUER) trust. */
  readonly issuer: string;

  constructor(scope: Construct, id: string, props: PaymentsApiEdgeProps) {
    super(scope, id);
    const { names } = props;
    const config = checkApiEdgeConfig(props.config, `environment ${names.prefix}`);
    const apiName = `${names.prefix}-payments-api`;

    // --- Cognito: the token issuer ------------------------------------------------------------
    this.userPool = new CognitoUserPool(this, 'user-pool', {
      name: apiName,
      // Machine clients only: nobody signs up, no user is ever created.
      adminCreateUserConfig: { allowAdminCreateUserOnly: true },
      deletionProtection: props.protect ? 'ACTIVE' : 'INACTIVE',
      mfaConfiguration: 'OFF',
      userPoolTier: 'ESSENTIALS',
    });
    this.issuer = `https://cognito-idp.${names.region}.amazonaws.com/${this.userPool.id}`;
    this.domain = new CognitoUserPoolDomain(this, 'domain', { domain: `${names.prefix}-api-${names.account}`, userPoolId: this.userPool.id });
    this.resourceServer = new CognitoResourceServer(this, 'resource-server', {
      identifier: RESOURCE_SERVER,
      name: `${apiName} scopes`,
      userPoolId: this.userPool.id,
      scope: Object.entries(API_SCOPES).map(([scope, description]) => ({ scopeName: scope.slice(RESOURCE_SERVER.length + 1), scopeDescription: description })),
    });
    for (const partner of config.partners) {
      this.clients.set(
        partner.name,
        new CognitoUserPoolClient(this, `client-${partner.name}`, {
          name: `${apiName}-${partner.name}`,
          userPoolId: this.userPool.id,
          generateSecret: true,
          allowedOauthFlows: ['client_credentials'],
          allowedOauthFlowsUserPoolClient: true,
          allowedOauthScopes: [...partner.scopes],
          explicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
          supportedIdentityProviders: ['COGNITO'],
          accessTokenValidity: config.accessTokenMinutes,
          tokenValidityUnits: [{ accessToken: 'minutes' }],
          preventUserExistenceErrors: 'ENABLED',
          enableTokenRevocation: true,
          dependsOn: [this.resourceServer],
        }),
      );
    }

    // --- HTTP API: routes from the route table, JWT authorizer -------------------------------------
    this.api = new Apigatewayv2Api(this, 'api', {
      name: apiName,
      protocolType: 'HTTP',
      description: 'Ledgerline payments API (API-1..5): routes from src/api/routes.ts',
    });
    this.authorizer = new Apigatewayv2Authorizer(this, 'authorizer', {
      apiId: this.api.id,
      name: 'cognito',
      authorizerType: 'JWT',
      identitySources: ['$request.header.Authorization'],
      // Cognito's client-credentials access tokens carry client_id (no aud): the JWT authorizer
      // checks client_id against the audience list.
      jwtConfiguration: { issuer: this.issuer, audience: config.partners.map((partner) => this.clients.get(partner.name)!.id) },
    });
    const integration = new Apigatewayv2Integration(this, 'integration', {
      apiId: this.api.id,
      integrationType: 'AWS_PROXY',
      integrationUri: props.functionArn,
      integrationMethod: 'POST',
      payloadFormatVersion: '2.0',
      timeoutMilliseconds: 30_000,
    });
    for (const route of API_ROUTES) {
      this.routes.set(
        route.operationId,
        new Apigatewayv2Route(this, `route-${route.operationId}`, {
          apiId: this.api.id,
          routeKey: routeKeyOf(route),
          operationName: route.operationId,
          authorizationType: 'JWT',
          authorizerId: this.authorizer.id,
          authorizationScopes: [route.scope],
          target: `integrations/${integration.id}`,
        }),
      );
      new LambdaPermission(this, `invoke-${route.operationId}`, {
        statementId: `ApiGateway-${route.operationId}`,
        action: 'lambda:InvokeFunction',
        functionName: props.functionName,
        principal: 'apigateway.amazonaws.com',
        sourceArn: `${this.api.executionArn}/${routePermissionPath(route)}`,
        sourceAccount: names.account,
      });
    }

    this.accessLogs = encryptedLogGroup(this, 'access-logs', `/aws/vendedlogs/apigateway/${apiName}`, props.logRetentionDays, props.logsKmsKeyArn);
    this.stage = new Apigatewayv2Stage(this, 'stage', {
      apiId: this.api.id,
      name: '$default',
      autoDeploy: true,
      accessLogSettings: { destinationArn: this.accessLogs.arn, format: API_ACCESS_LOG_FORMAT },
      defaultRouteSettings: {
        throttlingBurstLimit: config.stageThrottle.burst,
        throttlingRateLimit: config.stageThrottle.perSecond,
        detailedMetricsEnabled: true,
      },
    });

    // --- WAF (CLOUDFRONT scope: us-east-1) and the distribution in front of the API ------------------
    const edgeProvider = new AwsProvider(this, 'us-east-1', {
      alias: 'us_east_1',
      region: 'us-east-1',
      allowedAccountIds: [props.account],
      defaultTags: [{ tags: { ...props.tags, ManagedBy: 'cdktf' } }],
    });
    const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
    // The provider types a rule's `statement` as `any` (too deeply nested to generate), so cdktf
    // passes it through unconverted: its keys are Terraform's snake_case names.
    const rules: Wafv2WebAclRule[] = [
      ...WAF_MANAGED_RULE_GROUPS.map((group, priority): Wafv2WebAclRule => ({
        name: group,
        priority,
        overrideAction: { none: {} },
        statement: { managed_rule_group_statement: { vendor_name: 'AWS', name: group } },
        visibilityConfig: visibility(group),
      })),
      {
        name: 'PerTokenRate',
        priority: WAF_MANAGED_RULE_GROUPS.length,
        action: { block: {} },
        statement: {
          rate_based_statement: {
            limit: config.tokenRequestsPer5Minutes,
            evaluation_window_sec: 300,
            aggregate_key_type: 'CUSTOM_KEYS',
            custom_key: [{ header: { name: 'authorization', text_transformation: [{ priority: 0, type: 'NONE' }] } }],
          },
        },
        visibilityConfig: visibility('PerTokenRate'),
      },
      {
        name: 'PerIpRate',
        priority: WAF_MANAGED_RULE_GROUPS.length + 1,
        action: { block: {} },
        statement: { rate_based_statement: { limit: config.ipRequestsPer5Minutes, evaluation_window_sec: 300, aggregate_key_type: 'IP' } },
        visibilityConfig: visibility('PerIpRate'),
      },
    ];
    this.webAcl = new Wafv2WebAcl(this, 'web-acl', {
      provider: edgeProvider,
      name: apiName,
      description: 'Payments API edge (API-5): managed rules, per-token and per-IP rate limits',
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      rule: rules,
      visibilityConfig: visibility(apiName),
    });

    const originId = 'payments-http-api';
    this.distribution = new CloudfrontDistribution(this, 'distribution', {
      enabled: true,
      comment: `${apiName}: WAF in front of the HTTP API`,
      httpVersion: 'http2and3',
      priceClass: 'PriceClass_100',
      webAclId: this.webAcl.arn,
      origin: [
        {
          originId,
          domainName: Fn.replace(this.api.apiEndpoint, 'https://', ''),
          customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: 'https-only', originSslProtocols: ['TLSv1.2'] },
        },
      ],
      defaultCacheBehavior: {
        targetOriginId: originId,
        viewerProtocolPolicy: 'https-only',
        allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
        cachedMethods: ['GET', 'HEAD'],
        cachePolicyId: CLOUDFRONT_MANAGED.cachingDisabled,
        originRequestPolicyId: CLOUDFRONT_MANAGED.allViewerExceptHostHeader,
        compress: false,
      },
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      viewerCertificate: { cloudfrontDefaultCertificate: true },
    });
  }

  /** The values of the handler's edge variables (functions/api/index.ts). */
  handlerEnvironment(): { COGNITO_ISSUER: string; API_AUDIENCES: string } {
    return {
      COGNITO_ISSUER: this.issuer,
      API_AUDIENCES: Fn.join(
        ',',
        [...this.clients.values()].map((client) => client.id),
      ),
    };
  }
}
