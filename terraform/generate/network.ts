/**
 * VPC wiring (stacks/lib/network.ts), for an environment's `network` stack and the tooling
 * pipeline's VPC: subnets in the VPC per AZ; each private route table's default route through
 * the NAT of its AZ (per-az) or the single NAT; on-premises routes through the virtual private
 * gateway; the gateway endpoints on every private route table; interface endpoints in the
 * private subnets, serving only our accounts; flow logs to their encrypted group with their role.
 */
import type { DirectConnectConfig } from '../../environments/types';
import { named, ref, referencing, checkLogGroup, type Expected, type Run, type SynthStack } from './context';
import { nameTag, type Block } from '../stack-json';

export interface VpcExpectation {
  cidr: string;
  azCount: number;
  natGateways: 'per-az' | 'single';
  directConnect?: DirectConnectConfig;
  flowLogRetentionDays: number;
  /** Alias suffix of the key of the flow-log group. */
  flowLogKeyAlias: string;
  /** The only accounts whose principals (and resources) the VPC endpoints serve. */
  endpointAccounts: readonly string[];
}

function byNameTag(stack: SynthStack, type: string, name: string): Block {
  return stack.only(type, (config) => (config.tags as Record<string, string> | undefined)?.Name === name, `Name tag "${name}"`);
}

export function vpcAssertions(stack: SynthStack, run: Run, expected: Expected, vpc: VpcExpectation): void {
  const names = expected.names;
  const vpcBlock = byNameTag(stack, 'aws_vpc', names.name('vpc'));
  run.eq(ref(vpcBlock, 'cidr_block'), vpc.cidr, 'VPC: CIDR (config)');
  const azs = expected.availabilityZones(vpc.azCount);
  const privateIds = expected.subnetIds('private', vpc.azCount);
  const publicIds = expected.subnetIds('public', vpc.azCount);
  const natIds = azs.map((az) => expected.ec2Id('nat', `nat-${az}`));
  const vgw = vpc.directConnect ? expected.ec2Id('vgw', 'vgw') : undefined;

  azs.forEach((az, i) => {
    for (const tier of ['private', 'public'] as const) {
      const subnet = byNameTag(stack, 'aws_subnet', names.name(`${tier}-${az}`));
      run.eq(ref(subnet, 'vpc_id'), expected.vpcId, `${tier} subnet ${az}: in the VPC`);
      run.eq(ref(subnet, 'availability_zone'), az, `${tier} subnet ${az}: its AZ`);
      run.eq(ref(subnet, 'map_public_ip_on_launch'), false, `${tier} subnet ${az}: no public IPs`);
    }
    const table = byNameTag(stack, 'aws_route_table', names.name(`private-${az}`));
    const association = stack.only('aws_route_table_association', (c) => c.route_table_id === `\${${table.address}.id}`, `the association of route table private-${az}`);
    run.eq(ref(association, 'subnet_id'), privateIds[i]!, `private route table ${az}: associated with the private subnet of ${az}`);
    const routes = referencing(stack, 'aws_route', 'route_table_id', table, 'id');
    const defaultRoute = routes.find((route) => route.config.destination_cidr_block === '0.0.0.0/0');
    if (!defaultRoute) throw new Error(`stack ${stack.name}: private route table ${az} has no default route`);
    const nat = vpc.natGateways === 'per-az' ? natIds[i]! : natIds[0]!;
    run.eq(ref(defaultRoute, 'route_table_id'), expected.ec2Id('rtb', `private-${az}`), `default route of ${az}: on the private route table of ${az}`);
    run.eq(
      ref(defaultRoute, 'nat_gateway_id'),
      nat,
      `default route of ${az}: through ${vpc.natGateways === 'per-az' ? `the NAT gateway of ${az}` : 'the single NAT gateway'} (natGateways = ${vpc.natGateways})`,
    );
    if (vpc.directConnect) {
      const onPremises = routes.filter((route) => route.config.destination_cidr_block !== '0.0.0.0/0');
      run.eqSet(`[${onPremises.map((route) => ref(route, 'destination_cidr_block')).join(', ')}]`, [...vpc.directConnect.onPremisesCidrs], `on-premises routes of ${az}`);
      for (const route of onPremises) run.eq(ref(route, 'gateway_id'), vgw!, `on-premises route of ${az}: through the virtual private gateway`);
    }
  });
  const natCount = vpc.natGateways === 'per-az' ? vpc.azCount : 1;
  const nats = stack.resources('aws_nat_gateway');
  if (nats.length !== natCount) run.check('false', `expected ${natCount} NAT gateways (natGateways = ${vpc.natGateways}, ${vpc.azCount} AZs), synthesized ${nats.length}`);
  for (let i = 0; i < natCount; i += 1) {
    const nat = byNameTag(stack, 'aws_nat_gateway', names.name(`nat-${azs[i]}`));
    run.eq(ref(nat, 'subnet_id'), publicIds[i]!, `NAT gateway ${azs[i]}: in the public subnet of ${azs[i]}`);
    run.eq(ref(nat, 'allocation_id'), expected.ec2Id('eipalloc', `nat-${azs[i]}`), `NAT gateway ${azs[i]}: its Elastic IP`);
  }

  const privateTables = azs.map((az) => expected.ec2Id('rtb', `private-${az}`));
  for (const service of ['s3', 'dynamodb']) {
    const endpoint = byNameTag(stack, 'aws_vpc_endpoint', names.name(service));
    run.eq(ref(endpoint, 'vpc_id'), expected.vpcId, `${service} gateway endpoint: in the VPC`);
    run.eqSet(ref(endpoint, 'route_table_ids'), privateTables, `${service} gateway endpoint: on every private route table`);
  }
  for (const endpoint of stack.resources('aws_vpc_endpoint', (c) => c.vpc_endpoint_type === 'Interface')) {
    run.eqSet(ref(endpoint, 'subnet_ids'), privateIds, `interface endpoint ${nameTag(endpoint)}: in the private subnets`);
    run.eqSet(ref(endpoint, 'security_group_ids'), [expected.securityGroupId('endpoints')], `interface endpoint ${nameTag(endpoint)}: the endpoints group`);
  }
  for (const endpoint of stack.resources('aws_vpc_endpoint')) {
    const condition = `one([for s in jsondecode(${ref(endpoint, 'policy')}).Statement : s if try(s.Sid, "") == "OnlyOurAccounts"]).Condition.StringEquals`;
    run.eqSet(`flatten([${condition}["aws:PrincipalAccount"]])`, [...new Set(vpc.endpointAccounts)], `endpoint ${nameTag(endpoint)}: serves only our accounts' principals`);
  }
  for (const group of ['workloads', 'endpoints']) run.eq(ref(named(stack, 'aws_security_group', names.name(group)), 'vpc_id'), expected.vpcId, `security group ${names.name(group)}: in the VPC`);
  const workloads = named(stack, 'aws_security_group', names.name('workloads'));
  const prefixLists = referencing(stack, 'aws_vpc_security_group_egress_rule', 'security_group_id', workloads, 'id').filter((rule) => typeof rule.config.prefix_list_id === 'string');
  run.eqSet(
    `[${prefixLists.map((rule) => ref(rule, 'prefix_list_id')).join(', ')}]`,
    ['s3', 'dynamodb'].map((service) => expected.prefixListId(service)),
    'workloads group: HTTPS egress to the S3 and DynamoDB prefix lists',
  );

  const flowLogGroup = `/aws/vpc/${names.name('flow-logs')}`;
  checkLogGroup(stack, run, flowLogGroup, expected.key(vpc.flowLogKeyAlias), vpc.flowLogRetentionDays);
  const flowLog = stack.only('aws_flow_log', () => true, 'the flow log');
  run.eq(ref(flowLog, 'vpc_id'), expected.vpcId, 'flow log: of the VPC');
  run.eq(ref(flowLog, 'log_destination'), names.logGroupArn(flowLogGroup), 'flow log: to its encrypted group');
  run.eq(ref(flowLog, 'iam_role_arn'), names.roleArn('vpc-flow-logs'), 'flow log: its role');

  if (vpc.directConnect) {
    const dx = vpc.directConnect;
    const type = dx.gatewayOwnerAccountId === names.account ? 'aws_dx_gateway_association' : 'aws_dx_gateway_association_proposal';
    const association = stack.only(type, () => true, 'the Direct Connect association');
    run.eq(ref(association, 'associated_gateway_id'), vgw!, 'Direct Connect: associates the virtual private gateway');
    run.eq(ref(association, 'dx_gateway_id'), dx.gatewayId, 'Direct Connect: gateway (config)');
    run.eqSet(ref(association, 'allowed_prefixes'), [vpc.cidr], 'Direct Connect: advertises the VPC CIDR');
    const gateway = byNameTag(stack, 'aws_vpn_gateway', names.name('vgw'));
    run.eq(ref(gateway, 'vpc_id'), expected.vpcId, 'virtual private gateway: attached to the VPC');
    run.eq(ref(gateway, 'amazon_side_asn'), String(dx.amazonSideAsn), 'virtual private gateway: ASN (config)');
  }
}
