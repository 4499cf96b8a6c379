/**
 * Stand-in identities for what AWS would return: ARNs, ids and URLs in the stack's account and
 * region, derived deterministically from the resource's PHYSICAL identity (its name, Name tag or
 * KMS alias), never from its CDKTF logical id. The generated tests pin every such resource to
 * its identity with `override_resource` (and every remote-state output with `override_data`),
 * so a planned value that names "the data key" or "the posting role" is checkably THAT one.
 *
 * The expectations use the same functions with names from the sources of truth: e.g. the
 * posting function's role must plan to `iamRoleArn(account, Names.roleName('fn-posting'))`,
 * which it does only if it references the role that carries that name.
 */
import { createHash } from 'node:crypto';
import type { HclValue } from './hcl';
import { attr, nameTag, type Block, type SynthStack } from './stack-json';

function hex(seed: string, length: number): string {
  let out = '';
  for (let round = 0; out.length < length; round += 1) out += createHash('sha256').update(`${round}:${seed}`).digest('hex');
  return out.slice(0, length);
}

function uuid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Six characters Secrets Manager appends to a secret's name. */
function secretSuffix(seed: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return [...hex(seed, 12).matchAll(/../g)]
    .slice(0, 6)
    .map(([pair]) => alphabet[parseInt(pair, 16) % alphabet.length])
    .join('');
}

export const mock = {
  kmsKeyId: (account: string, region: string, alias: string) => uuid(`kms|${account}|${region}|${alias}`),
  kmsKeyArn: (account: string, region: string, alias: string) => `arn:aws:kms:${region}:${account}:key/${mock.kmsKeyId(account, region, alias)}`,
  iamRoleArn: (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`,
  iamPolicyArn: (account: string, name: string) => `arn:aws:iam::${account}:policy/${name}`,
  secretArn: (account: string, region: string, name: string) => `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${secretSuffix(`${account}|${region}|${name}`)}`,
  /** The admin secret Redshift Serverless creates for a namespace (managed admin password). */
  redshiftAdminSecretArn: (account: string, region: string, namespace: string) => mock.secretArn(account, region, `redshift!${namespace}-admin`),
  redshiftWorkgroupArn: (account: string, region: string, workgroup: string) => `arn:aws:redshift-serverless:${region}:${account}:workgroup/${uuid(`workgroup|${account}|${region}|${workgroup}`)}`,
  streamArn: (tableArn: string) => `${tableArn}/stream/2025-01-01T00:00:00.000`,
  /** EC2 ids (vpc-, subnet-, sg-, …) from the kind, account, region and the resource's Name. */
  ec2Id: (prefix: string, account: string, region: string, name: string) => `${prefix}-${hex(`${prefix}|${account}|${region}|${name}`, 17)}`,
  prefixListId: (account: string, region: string, name: string) => `pl-${hex(`pl|${account}|${region}|${name}`, 8)}`,
  loadBalancerArn: (account: string, region: string, name: string) => `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/${name}/${hex(`alb|${account}|${name}`, 16)}`,
  /** An internal ALB's DNS name (the workbench's default host, WB-AUTH-1). */
  loadBalancerDnsName: (account: string, region: string, name: string) => `internal-${name}-${hex(`alb-dns|${account}|${name}`, 10)}.${region}.elb.amazonaws.com`,
  targetGroupArn: (account: string, region: string, name: string) => `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/${name}/${hex(`tg|${account}|${name}`, 16)}`,
  /** The value the mocked Secrets Manager returns for a secret read at plan time. */
  secretValue: (name: string) => `mock-secret-value-of-${name}`,
  randomPassword: (seed: string) => `mock${hex(`password|${seed}`, 60)}`,
  /** API-5: a Cognito user pool's id (`<region>_<9 alphanumerics>`) and an app client's id (26 lower-case alphanumerics), by name. */
  cognitoUserPoolId: (account: string, region: string, name: string) => `${region}_${hex(`pool|${account}|${region}|${name}`, 9)}`,
  cognitoClientId: (account: string, region: string, name: string) => hex(`client|${account}|${region}|${name}`, 26),
  /** API-5: an HTTP API's id (10 lower-case alphanumerics), by name. */
  apiGatewayId: (account: string, region: string, name: string) => hex(`api|${account}|${region}|${name}`, 10),
  /** AUDIT-1: an Aurora cluster's writer endpoint and its RDS-managed master secret, by identifier. */
  rdsClusterEndpoint: (account: string, region: string, identifier: string) => `${identifier}.cluster-${hex(`rds|${account}|${region}`, 12)}.${region}.rds.amazonaws.com`,
  rdsMasterSecretArn: (account: string, region: string, identifier: string) => mock.secretArn(account, region, `rds!cluster-${uuid(`rds-secret|${account}|${region}|${identifier}`)}`),
};

/** EC2 id prefixes per resource type (seeded by the resource's Name tag). */
const EC2_IDS: Readonly<Record<string, string>> = {
  aws_vpc: 'vpc',
  aws_subnet: 'subnet',
  aws_internet_gateway: 'igw',
  aws_nat_gateway: 'nat',
  aws_route_table: 'rtb',
  aws_vpn_gateway: 'vgw',
  aws_vpc_endpoint: 'vpce',
};

/** The KMS alias that targets a key (`alias/...`), or undefined. */
export function aliasOf(stack: SynthStack, key: Block): string | undefined {
  const alias = stack.resources('aws_kms_alias').find((candidate) => candidate.config.target_key_id === `\${${key.address}.key_id}`);
  return alias ? attr(alias, 'name') : undefined;
}

/**
 * The identity attributes of one resource of `stack`, or undefined for types whose computed
 * attributes no generated assertion depends on (the mock provider leaves those unknown at plan).
 */
export function identityOf(stack: SynthStack, block: Block): Record<string, HclValue> | undefined {
  const { account, region } = stack;
  const config = block.config;
  const ec2 = EC2_IDS[block.type];
  if (ec2) {
    const id = mock.ec2Id(ec2, account, region, nameTag(block));
    const values: Record<string, HclValue> = { id, arn: `arn:aws:ec2:${region}:${account}:${block.type.replace('aws_', '').replace(/_/g, '-')}/${id}` };
    if (block.type === 'aws_vpc_endpoint' && config.vpc_endpoint_type === 'Gateway') values.prefix_list_id = mock.prefixListId(account, region, nameTag(block));
    return values;
  }
  switch (block.type) {
    case 'aws_kms_key': {
      const alias = aliasOf(stack, block);
      if (!alias) throw new Error(`stack ${stack.name}: ${block.address} has no alias to identify it by`);
      return { arn: mock.kmsKeyArn(account, region, alias), key_id: mock.kmsKeyId(account, region, alias), id: mock.kmsKeyId(account, region, alias) };
    }
    case 'aws_iam_role':
      return { arn: mock.iamRoleArn(account, attr(block, 'name')), id: attr(block, 'name'), unique_id: `AROA${hex(`role|${attr(block, 'name')}`, 17).toUpperCase()}` };
    case 'aws_iam_policy':
      return { arn: mock.iamPolicyArn(account, attr(block, 'name')), id: mock.iamPolicyArn(account, attr(block, 'name')) };
    case 'aws_lambda_function': {
      const arn = `arn:aws:lambda:${region}:${account}:function:${attr(block, 'function_name')}`;
      return { arn, qualified_arn: `${arn}:1`, invoke_arn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations`, id: attr(block, 'function_name') };
    }
    case 'aws_sqs_queue': {
      const url = `https://sqs.${region}.amazonaws.com/${account}/${attr(block, 'name')}`;
      return { arn: `arn:aws:sqs:${region}:${account}:${attr(block, 'name')}`, url, id: url };
    }
    case 'aws_sns_topic': {
      const arn = `arn:aws:sns:${region}:${account}:${attr(block, 'name')}`;
      return { arn, id: arn };
    }
    case 'aws_s3_bucket':
      return { id: attr(block, 'bucket'), arn: `arn:aws:s3:::${attr(block, 'bucket')}`, bucket: attr(block, 'bucket') };
    case 'aws_dynamodb_table': {
      const arn = `arn:aws:dynamodb:${region}:${account}:table/${attr(block, 'name')}`;
      return { arn, id: attr(block, 'name'), ...(config.stream_enabled ? { stream_arn: mock.streamArn(arn) } : {}) };
    }
    case 'aws_cloudwatch_log_group':
      return { arn: `arn:aws:logs:${region}:${account}:log-group:${attr(block, 'name')}`, id: attr(block, 'name') };
    case 'aws_cloudwatch_event_bus':
      return { arn: `arn:aws:events:${region}:${account}:event-bus/${attr(block, 'name')}`, id: attr(block, 'name') };
    case 'aws_cloudwatch_event_rule': {
      const bus = typeof config.event_bus_name === 'string' && config.event_bus_name !== 'default' ? `${config.event_bus_name}/` : '';
      return { arn: `arn:aws:events:${region}:${account}:rule/${bus}${attr(block, 'name')}`, id: `${bus.replace('/', '|')}${attr(block, 'name')}` };
    }
    case 'aws_secretsmanager_secret': {
      const arn = mock.secretArn(account, region, attr(block, 'name'));
      return { arn, id: arn };
    }
    case 'aws_security_group': {
      const id = mock.ec2Id('sg', account, region, attr(block, 'name'));
      return { id, arn: `arn:aws:ec2:${region}:${account}:security-group/${id}` };
    }
    case 'aws_eip': {
      const id = mock.ec2Id('eipalloc', account, region, nameTag(block));
      return { id, allocation_id: id };
    }
    case 'aws_lb': {
      const arn = mock.loadBalancerArn(account, region, attr(block, 'name'));
      return { arn, id: arn, arn_suffix: arn.split(':loadbalancer/')[1]!, dns_name: mock.loadBalancerDnsName(account, region, attr(block, 'name')) };
    }
    case 'aws_lb_target_group': {
      const arn = mock.targetGroupArn(account, region, attr(block, 'name'));
      return { arn, id: arn, arn_suffix: arn.split(':')[5]! };
    }
    case 'aws_sfn_state_machine': {
      const arn = `arn:aws:states:${region}:${account}:stateMachine:${attr(block, 'name')}`;
      return { arn, id: arn };
    }
    case 'aws_codebuild_project':
      return { arn: `arn:aws:codebuild:${region}:${account}:project/${attr(block, 'name')}`, id: attr(block, 'name') };
    case 'aws_redshiftserverless_namespace':
      return {
        arn: `arn:aws:redshift-serverless:${region}:${account}:namespace/${uuid(`namespace|${attr(block, 'namespace_name')}`)}`,
        id: attr(block, 'namespace_name'),
        admin_password_secret_arn: mock.redshiftAdminSecretArn(account, region, attr(block, 'namespace_name')),
      };
    case 'aws_emrserverless_application': {
      // EMR Serverless application ids are 18 lower-case alphanumerics; the ARN names the application by id.
      const id = `00${hex(`emr|${region}|${account}|${attr(block, 'name')}`, 16)}`;
      return { id, arn: `arn:aws:emr-serverless:${region}:${account}:/applications/${id}` };
    }
    case 'aws_cognito_user_pool': {
      const id = mock.cognitoUserPoolId(account, region, attr(block, 'name'));
      return { id, arn: `arn:aws:cognito-idp:${region}:${account}:userpool/${id}`, endpoint: `cognito-idp.${region}.amazonaws.com/${id}` };
    }
    case 'aws_cognito_user_pool_client':
      return { id: mock.cognitoClientId(account, region, attr(block, 'name')) };
    case 'aws_apigatewayv2_api': {
      const id = mock.apiGatewayId(account, region, attr(block, 'name'));
      return {
        id,
        api_endpoint: `https://${id}.execute-api.${region}.amazonaws.com`,
        execution_arn: `arn:aws:execute-api:${region}:${account}:${id}`,
        arn: `arn:aws:apigateway:${region}::/apis/${id}`,
      };
    }
    case 'aws_rds_cluster': {
      const identifier = attr(block, 'cluster_identifier');
      return {
        id: identifier,
        arn: `arn:aws:rds:${region}:${account}:cluster:${identifier}`,
        endpoint: mock.rdsClusterEndpoint(account, region, identifier),
        master_user_secret: [{ secret_arn: mock.rdsMasterSecretArn(account, region, identifier), kms_key_id: '', secret_status: 'active' }],
      };
    }
    case 'aws_wafv2_web_acl': {
      const id = uuid(`waf|${account}|${attr(block, 'name')}`);
      return { id, arn: `arn:aws:wafv2:us-east-1:${account}:global/webacl/${attr(block, 'name')}/${id}` };
    }
    case 'aws_redshiftserverless_workgroup':
      return { arn: mock.redshiftWorkgroupArn(account, region, attr(block, 'workgroup_name')), id: attr(block, 'workgroup_name') };
    default:
      return undefined;
  }
}

/** The value a producer's output would hold: the identity attribute, or a configured one (e.g. a subnet's AZ). */
export function outputValue(producer: SynthStack, output: { name: string; type: string; resourceName: string; attribute: string }): HclValue {
  const block = producer.block(output.type, output.resourceName);
  const identity = identityOf(producer, block);
  const value = identity?.[output.attribute] ?? block.config[output.attribute];
  if (value === undefined || (typeof value === 'string' && value.includes('${'))) {
    throw new Error(`stack ${producer.name}: no stand-in for output ${output.name} (${output.type}.${output.resourceName}.${output.attribute}); add one to terraform/mocks.ts`);
  }
  return value as HclValue;
}

/** What a data source would read at plan time (overridden: the mock provider would invent unknowns). */
export function dataIdentityOf(stack: SynthStack, block: Block): Record<string, HclValue> | undefined {
  const { account, region } = stack;
  switch (block.type) {
    case 'aws_secretsmanager_secret_version': {
      const secret = attr(block, 'secret_id');
      const arn = secret.startsWith('arn:') ? secret : mock.secretArn(account, region, secret);
      return { arn, id: `${arn}|AWSCURRENT`, secret_string: mock.secretValue(secret), version_id: uuid(`version|${arn}`) };
    }
    case 'aws_secretsmanager_random_password':
      return { random_password: mock.randomPassword(`${stack.name}/${block.path}`), id: 'mock' };
    case 'aws_caller_identity':
      return { account_id: account, arn: `arn:aws:sts::${account}:assumed-role/${stack.name}/mock`, user_id: 'mock', id: account };
    case 'aws_region':
      return { name: region, id: region };
    default:
      return undefined;
  }
}
