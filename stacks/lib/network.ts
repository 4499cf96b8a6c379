/**
 * A VPC where compute and data live in private subnets only. Public subnets exist solely for
 * the NAT gateways (nothing else may be placed there: the policy suite checks it). Gateway
 * endpoints for S3 and DynamoDB, interface endpoints for the AWS APIs the workloads call,
 * security groups without any 0.0.0.0/0 ingress, VPC flow logs to an encrypted log group, and
 * (optionally) Direct Connect through a virtual private gateway with the on-premises CIDRs routed.
 */
import { Construct } from 'constructs';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpnGateway } from '@cdktf/provider-aws/lib/vpn-gateway';
import { DxGatewayAssociation } from '@cdktf/provider-aws/lib/dx-gateway-association';
import { DxGatewayAssociationProposal } from '@cdktf/provider-aws/lib/dx-gateway-association-proposal';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import type { DirectConnectConfig } from '../../environments/types';
import { cidrSubnet } from './cidr';
import { encryptedLogGroup } from './logs';
import { LeastPrivilegeRole, allow, policyDocument, serviceTrustPolicy } from './iam';

const AZ_LETTERS = 'abcdef';

export interface VpcNetworkProps {
  prefix: string;
  account: string;
  region: string;
  cidr: string;
  azCount: number;
  natGateways: 'per-az' | 'single';
  interfaceEndpoints: readonly string[];
  directConnect?: DirectConnectConfig;
  flowLogRetentionDays: number;
  logsKmsKeyArn: string;
  permissionsBoundaryArn?: string;
  /**
   * Let workloads reach HTTPS endpoints outside the VPC through the NAT (tooling: npm registry,
   * other accounts' AWS APIs). Egress only: ingress stays closed.
   */
  internetHttpsEgress?: boolean;
  /**
   * Accounts whose principals and resources the VPC endpoints serve (default: this account).
   * The tooling VPC adds the environment accounts: its deploy builds assume their deploy roles
   * and reach their state buckets through these endpoints.
   */
  endpointAccounts?: readonly string[];
}

/**
 * The endpoint policy of every VPC endpoint: only principals of `accounts`, and (except for STS,
 * whose AssumeRole targets are roles of the listed accounts anyway) only their resources. The
 * default policy allows any principal to reach any account's resources: an exfiltration path.
 */
export function endpointPolicy(service: string, accounts: readonly string[]): string {
  const condition: Record<string, Record<string, readonly string[]>> = { StringEquals: { 'aws:PrincipalAccount': accounts } };
  if (service !== 'sts') condition.StringEquals!['aws:ResourceAccount'] = accounts;
  return policyDocument([{ Sid: 'OnlyOurAccounts', Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: condition }]);
}

export class VpcNetwork extends Construct {
  readonly vpc: Vpc;
  readonly privateSubnets: Subnet[] = [];
  readonly publicSubnets: Subnet[] = [];
  readonly privateRouteTables: RouteTable[] = [];
  /** Workloads (Lambda, Glue, EMR, CodeBuild): no ingress; egress HTTPS inside the VPC and to the gateway endpoints. */
  readonly workloadSecurityGroup: SecurityGroup;
  readonly endpointSecurityGroup: SecurityGroup;
  readonly s3Endpoint: VpcEndpoint;
  readonly dynamodbEndpoint: VpcEndpoint;
  readonly vpnGateway?: VpnGateway;

  constructor(scope: Construct, id: string, props: VpcNetworkProps) {
    super(scope, id);
    if (props.azCount < 2 || props.azCount > AZ_LETTERS.length) throw new Error(`azCount must be 2-${AZ_LETTERS.length}`);
    const name = (suffix: string) => `${props.prefix}-${suffix}`;
    this.vpc = new Vpc(this, 'vpc', { cidrBlock: props.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: name('vpc') } });
    const vpcId = this.vpc.id;
    // The default security group is closed: nothing may use it by accident.
    new DefaultSecurityGroup(this, 'default-sg', { vpcId, ingress: [], egress: [], tags: { Name: name('default-closed') } });

    const igw = new InternetGateway(this, 'igw', { vpcId, tags: { Name: name('igw') } });
    const publicRouteTable = new RouteTable(this, 'public-rt', { vpcId, tags: { Name: name('public'), Tier: 'public' } });
    new Route(this, 'public-default-route', { routeTableId: publicRouteTable.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id });

    if (props.directConnect) {
      const dx = props.directConnect;
      this.vpnGateway = new VpnGateway(this, 'vgw', { vpcId, amazonSideAsn: String(dx.amazonSideAsn), tags: { Name: name('vgw') } });
      if (dx.gatewayOwnerAccountId === props.account) {
        new DxGatewayAssociation(this, 'dx-association', {
          dxGatewayId: dx.gatewayId,
          associatedGatewayId: this.vpnGateway.id,
          allowedPrefixes: [props.cidr],
        });
      } else {
        // The DX gateway lives in the network team's account: propose; they accept on their side.
        new DxGatewayAssociationProposal(this, 'dx-association-proposal', {
          dxGatewayId: dx.gatewayId,
          dxGatewayOwnerAccountId: dx.gatewayOwnerAccountId,
          associatedGatewayId: this.vpnGateway.id,
          allowedPrefixes: [props.cidr],
        });
      }
    }

    const natGateways: NatGateway[] = [];
    for (let i = 0; i < props.azCount; i += 1) {
      const az = `${props.region}${AZ_LETTERS[i]}`;
      const pub = new Subnet(this, `public-${i}`, {
        vpcId,
        availabilityZone: az,
        cidrBlock: cidrSubnet(props.cidr, 8, 240 + i),
        mapPublicIpOnLaunch: false,
        tags: { Name: name(`public-${az}`), Tier: 'public' },
      });
      new RouteTableAssociation(this, `public-rta-${i}`, { subnetId: pub.id, routeTableId: publicRouteTable.id });
      this.publicSubnets.push(pub);
      if (props.natGateways === 'per-az' || i === 0) {
        const eip = new Eip(this, `nat-eip-${i}`, { domain: 'vpc', tags: { Name: name(`nat-${az}`) } });
        natGateways.push(new NatGateway(this, `nat-${i}`, { allocationId: eip.id, subnetId: pub.id, tags: { Name: name(`nat-${az}`) }, dependsOn: [igw] }));
      }
    }

    for (let i = 0; i < props.azCount; i += 1) {
      const az = `${props.region}${AZ_LETTERS[i]}`;
      const subnet = new Subnet(this, `private-${i}`, {
        vpcId,
        availabilityZone: az,
        cidrBlock: cidrSubnet(props.cidr, 4, i),
        mapPublicIpOnLaunch: false,
        tags: { Name: name(`private-${az}`), Tier: 'private' },
      });
      const routeTable = new RouteTable(this, `private-rt-${i}`, { vpcId, tags: { Name: name(`private-${az}`), Tier: 'private' } });
      const nat = natGateways[props.natGateways === 'per-az' ? i : 0]!;
      new Route(this, `private-default-route-${i}`, { routeTableId: routeTable.id, destinationCidrBlock: '0.0.0.0/0', natGatewayId: nat.id });
      props.directConnect?.onPremisesCidrs.forEach((onPremisesCidr, j) => {
        new Route(this, `private-onprem-route-${i}-${j}`, { routeTableId: routeTable.id, destinationCidrBlock: onPremisesCidr, gatewayId: this.vpnGateway!.id });
      });
      new RouteTableAssociation(this, `private-rta-${i}`, { subnetId: subnet.id, routeTableId: routeTable.id });
      this.privateSubnets.push(subnet);
      this.privateRouteTables.push(routeTable);
    }

    const routeTableIds = this.privateRouteTables.map((table) => table.id);
    const endpointAccounts = [...new Set([props.account, ...(props.endpointAccounts ?? [])])];
    this.s3Endpoint = new VpcEndpoint(this, 's3-endpoint', {
      vpcId,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds,
      policy: endpointPolicy('s3', endpointAccounts),
      tags: { Name: name('s3') },
    });
    this.dynamodbEndpoint = new VpcEndpoint(this, 'dynamodb-endpoint', {
      vpcId,
      serviceName: `com.amazonaws.${props.region}.dynamodb`,
      vpcEndpointType: 'Gateway',
      routeTableIds,
      policy: endpointPolicy('dynamodb', endpointAccounts),
      tags: { Name: name('dynamodb') },
    });

    this.endpointSecurityGroup = new SecurityGroup(this, 'endpoints-sg', {
      vpcId,
      name: name('endpoints'),
      description: 'Interface endpoints: HTTPS from inside the VPC only',
      tags: { Name: name('endpoints') },
    });
    new VpcSecurityGroupIngressRule(this, 'endpoints-https-in', {
      securityGroupId: this.endpointSecurityGroup.id,
      description: 'HTTPS from the VPC',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: props.cidr,
    });

    this.workloadSecurityGroup = new SecurityGroup(this, 'workloads-sg', {
      vpcId,
      name: name('workloads'),
      description: 'Lambda, Glue, EMR Serverless, CodeBuild: no ingress from outside the group; HTTPS egress to endpoints',
      tags: { Name: name('workloads') },
    });
    const workloads = this.workloadSecurityGroup.id;
    new VpcSecurityGroupEgressRule(this, 'workloads-https-vpc', {
      securityGroupId: workloads,
      description: 'HTTPS to the interface endpoints',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: props.cidr,
    });
    [this.s3Endpoint, this.dynamodbEndpoint].forEach((endpoint, i) => {
      new VpcSecurityGroupEgressRule(this, `workloads-https-gateway-${i}`, {
        securityGroupId: workloads,
        description: 'HTTPS to the S3 / DynamoDB gateway endpoints',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        prefixListId: endpoint.prefixListId,
      });
    });
    if (props.internetHttpsEgress) {
      new VpcSecurityGroupEgressRule(this, 'workloads-https-internet', {
        securityGroupId: workloads,
        description: 'HTTPS to the internet through the NAT (package registry, cross-account AWS APIs)',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidrIpv4: '0.0.0.0/0',
      });
    }
    // Glue and Spark workers talk to each other: AWS requires a self-referencing rule for Glue connections.
    new VpcSecurityGroupIngressRule(this, 'workloads-self-in', {
      securityGroupId: workloads,
      description: 'Glue/Spark workers within the group (AWS requirement for Glue connections)',
      ipProtocol: 'tcp',
      fromPort: 0,
      toPort: 65535,
      referencedSecurityGroupId: workloads,
    });
    new VpcSecurityGroupEgressRule(this, 'workloads-self-out', {
      securityGroupId: workloads,
      description: 'Glue/Spark workers within the group',
      ipProtocol: 'tcp',
      fromPort: 0,
      toPort: 65535,
      referencedSecurityGroupId: workloads,
    });

    const subnetIds = this.privateSubnets.map((subnet) => subnet.id);
    for (const service of props.interfaceEndpoints) {
      new VpcEndpoint(this, `endpoint-${service}`, {
        vpcId,
        serviceName: `com.amazonaws.${props.region}.${service}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds,
        securityGroupIds: [this.endpointSecurityGroup.id],
        policy: endpointPolicy(service, endpointAccounts),
        tags: { Name: name(service) },
      });
    }

    const flowLogGroupName = `/aws/vpc/${name('flow-logs')}`;
    const flowLogGroup = encryptedLogGroup(this, 'flow-log-group', flowLogGroupName, props.flowLogRetentionDays, props.logsKmsKeyArn);
    const flowLogRole = new LeastPrivilegeRole(this, 'flow-log-role', {
      name: name('vpc-flow-logs'),
      description: 'VPC flow logs delivery to its log group',
      assumeRolePolicy: serviceTrustPolicy('vpc-flow-logs.amazonaws.com', props.account),
      statements: [allow(['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], [`arn:aws:logs:${props.region}:${props.account}:log-group:${flowLogGroupName}:*`])],
      permissionsBoundary: props.permissionsBoundaryArn,
    });
    new FlowLog(this, 'flow-log', {
      vpcId,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: flowLogGroup.arn,
      iamRoleArn: flowLogRole.arn,
      maxAggregationInterval: 60,
    });
  }
}
