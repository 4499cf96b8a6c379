/**
 * `analytics`: the scale path of reconciliation (REC-2).
 * - A CMK for everything analytical (bucket, Glue catalog + job, EMR logs, Redshift, secrets).
 * - The analytics bucket (normalised NDJSON + partition chunks in, Parquet out, match results and Redshift load files).
 * - Glue: database, catalog tables, a security configuration, a VPC connection and the
 *   normalise-statements job whose script (glue/normalise_statements.py) is uploaded as an asset.
 * - EMR Serverless (Spark, arm64) in the private subnets, and the reconciliation job of large runs
 *   (REC-EMR-1: emr/recon_spark.py + emr/recon_logic.py + the matcher bundle, uploaded as assets;
 *   `emrMatch` is what the workflow configuration names to start it).
 * - Redshift Serverless namespace (CMK, admin password managed in Secrets Manager under the CMK)
 *   + workgroup in the private subnets, not publicly accessible, enhanced VPC routing.
 */
import type { Construct } from 'constructs';
import { AssetType, TerraformAsset } from 'cdktf';
import { resolve } from 'node:path';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database';
import { GlueCatalogTable } from '@cdktf/provider-aws/lib/glue-catalog-table';
import { GlueConnection } from '@cdktf/provider-aws/lib/glue-connection';
import { GlueSecurityConfiguration } from '@cdktf/provider-aws/lib/glue-security-configuration';
import { GlueDataCatalogEncryptionSettings } from '@cdktf/provider-aws/lib/glue-data-catalog-encryption-settings';
import { GlueJob } from '@cdktf/provider-aws/lib/glue-job';
import { EmrserverlessApplication } from '@cdktf/provider-aws/lib/emrserverless-application';
import { RedshiftserverlessNamespace } from '@cdktf/provider-aws/lib/redshiftserverless-namespace';
import { RedshiftserverlessWorkgroup } from '@cdktf/provider-aws/lib/redshiftserverless-workgroup';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import type { EnvironmentConfig } from '../environments/types';
import { LedgerlineStack } from './lib/base';
import { CustomerManagedKey, logsServiceGrant } from './lib/kms';
import { SecureBucket, housekeepingRule } from './lib/bucket';
import { encryptedLogGroup } from './lib/logs';
import { LeastPrivilegeRole, allow, awsRequiresWildcard, kmsVia, serviceTrustPolicy, type PolicyStatement } from './lib/iam';
import type { VpcNetwork } from './lib/network';
import { ANALYTICS_PREFIXES } from './naming';
import { bucketUsers } from './catalogue';
import { bundleEmrMatcher } from '../scripts/bundle-functions';

export const GLUE_SCRIPT = resolve(__dirname, '..', 'glue', 'normalise_statements.py');
/** Every decision of the Glue job (plain Python, unit-tested with python3): shipped beside the wrapper. */
export const GLUE_LOGIC_MODULE = resolve(__dirname, '..', 'glue', 'normalise_logic.py');
/** REC-EMR-1: the Spark driver of large runs and its decisions (plain Python, tested without Spark). */
export const EMR_DRIVER = resolve(__dirname, '..', 'emr', 'recon_spark.py');
export const EMR_LOGIC_MODULE = resolve(__dirname, '..', 'emr', 'recon_logic.py');
/** Analytics bucket keys of the EMR job's files (GetObject for the job role: this prefix only). */
export const EMR_SCRIPTS_PREFIX = `${ANALYTICS_PREFIXES.scripts}emr/`;
/**
 * The Node runtime the job's executors run the matcher bundle with (Spark --archives …#node, so
 * ./node/bin/node): linux-arm64 (the application's architecture), Node 22 (the bundle's target).
 * Built and uploaded by the deploy step, not by this stack (a ~30 MB binary; see emr/README.md).
 */
export const EMR_NODE_RUNTIME_KEY = `${EMR_SCRIPTS_PREFIX}node-runtime-linux-arm64.tar.gz`;

let emrBundle: string | undefined;
/** The matcher bundle, built once per process (esbuild, deterministic). */
function emrMatcherBundle(): string {
  emrBundle ??= bundleEmrMatcher().outFile;
  return emrBundle;
}

/**
 * What the reconciliation workflow's configuration carries to start the EMR job (config.emr,
 * REC-EMR-1), less `minRows`, the size threshold, which is the environment's to choose.
 */
export interface EmrMatchJob {
  applicationId: string;
  executionRoleArn: string;
  entryPoint: string;
  sparkSubmitParameters: string;
  /** The StartJobRun ConfigurationOverrides as the Step Functions integration takes them (PascalCase). */
  configurationOverrides: {
    MonitoringConfiguration: {
      S3MonitoringConfiguration: { LogUri: string; EncryptionKeyArn: string };
      CloudWatchLoggingConfiguration: { Enabled: boolean; LogGroupName: string; EncryptionKeyArn: string };
    };
  };
}

type Column = [name: string, type: string, comment: string];

/**
 * Catalog tables written by the Glue job (glue/normalise_statements.py): Parquet, partitioned by
 * run_id/account_id/currency (run first: a re-run purges and rewrites only its own run). Matches and exceptions go to Redshift (reconcile-summarise's load files).
 */
export const CATALOG_TABLES: Readonly<Record<string, { prefix: string; columns: Column[]; partitions: Column[]; description: string }>> = {
  statement_lines: {
    prefix: ANALYTICS_PREFIXES.curated + 'statement_lines/',
    description: 'Normalised bank statement lines (one per statement entry), Parquet',
    columns: [
      ['statement_line_id', 'string', 'deterministic id of the line'],
      ['statement_id', 'string', 'statement the line belongs to'],
      ['format', 'string', 'camt.053 / camt.054 / camt.052 / mt940 / mt942 / bai2 / csv'],
      ['amount', 'decimal(38,6)', 'signed, exact'],
      ['booking_date', 'date', ''],
      ['value_date', 'date', ''],
      ['end_to_end_id', 'string', ''],
      ['bank_reference', 'string', 'AcctSvcrRef / :61: bank reference / BAI2 16 bank reference'],
      ['customer_reference', 'string', ''],
      ['remittance_information', 'string', ''],
      ['counterparty', 'string', ''],
      ['type_code', 'string', ''],
      ['status', 'string', ''],
      ['source_file_sha256', 'string', 'content hash of the uploaded file (re-upload detection)'],
    ],
    partitions: [
      ['run_id', 'string', 'reconciliation run (a re-run of the job replaces its partition)'],
      ['account_id', 'string', 'account as the statement identifies it (e.g. IBAN)'],
      ['currency', 'string', 'ISO 4217'],
    ],
  },
  ledger_entries: {
    prefix: ANALYTICS_PREFIXES.curated + 'ledger_entries/',
    description: 'Ledger entries in scope of a run (ledger export), Parquet',
    columns: [
      ['entry_id', 'string', ''],
      ['amount', 'decimal(38,6)', 'signed: positive = money in'],
      ['booking_date', 'date', ''],
      ['value_date', 'date', ''],
      ['reference', 'string', ''],
      ['description', 'string', ''],
    ],
    partitions: [
      ['run_id', 'string', 'reconciliation run (a re-run of the job replaces its partition)'],
      ['account_id', 'string', ''],
      ['currency', 'string', ''],
    ],
  },
};

export interface AnalyticsStackProps {
  network: VpcNetwork;
}

export class AnalyticsStack extends LedgerlineStack {
  readonly key: CustomerManagedKey;
  readonly bucket: SecureBucket;
  readonly workgroup: RedshiftserverlessWorkgroup;
  /** The Redshift-managed admin secret (the reconciliation workflow's Data API credentials). */
  readonly redshiftAdminSecretArn: string;
  readonly glueJob: GlueJob;
  readonly emr: EmrserverlessApplication;
  /** REC-EMR-1: the job the workflow starts for large runs (put into the workflow configuration as `emr`, with `minRows`). */
  readonly emrMatch: EmrMatchJob;

  constructor(app: Construct, config: EnvironmentConfig, props: AnalyticsStackProps) {
    super(app, { scope: config, component: 'analytics', assumeDeployRole: true });
    const names = this.names;
    const { account, region } = config;
    const a = config.analytics;
    const boundary = names.permissionsBoundaryArn;

    this.key = new CustomerManagedKey(this, 'analytics-key', {
      account,
      alias: names.name('analytics'),
      description: `${config.prefix}: analytics bucket, Glue, EMR Serverless, Redshift Serverless, secrets`,
      deletionWindowDays: config.kmsDeletionWindowDays,
      services: [logsServiceGrant(region, account)],
    });
    const keyArn = this.key.arn;
    const bucketArn = names.analyticsBucketArn;
    const objects = (prefix: string) => `${bucketArn}/${prefix}*`;

    this.bucket = new SecureBucket(this, 'analytics-bucket', {
      bucketName: names.analyticsBucket,
      kmsKeyArn: keyArn,
      objectAccessRoleArns: [...bucketUsers('analytics', config.runtime.topology).map((fn) => names.functionRoleArn(fn)), names.glueJobRoleArn, names.emrJobRoleArn, names.redshiftRoleArn],
      adminRoleArns: [names.deployRoleArn, config.humanRoleArns.breakGlass],
      lifecycleRules: [
        housekeepingRule(config.retention.noncurrentVersionExpirationDays),
        { id: 'glue-temp', status: 'Enabled', filter: [{ prefix: ANALYTICS_PREFIXES.glueTemp }], expiration: [{ days: 7 }] },
        { id: 'normalised', status: 'Enabled', filter: [{ prefix: ANALYTICS_PREFIXES.normalised }], expiration: [{ days: 30 }] },
        {
          id: 'matches',
          status: 'Enabled',
          filter: [{ prefix: ANALYTICS_PREFIXES.matches }],
          transition: [{ days: config.retention.outboxGlacierDays, storageClass: 'GLACIER_IR' }],
        },
        { id: 'emr-logs', status: 'Enabled', filter: [{ prefix: ANALYTICS_PREFIXES.emrLogs }], expiration: [{ days: config.retention.logDays }] },
      ],
    });

    // --- Glue --------------------------------------------------------------------------------
    new GlueDataCatalogEncryptionSettings(this, 'catalog-encryption', {
      dataCatalogEncryptionSettings: {
        encryptionAtRest: { catalogEncryptionMode: 'SSE-KMS', sseAwsKmsKeyId: keyArn },
        connectionPasswordEncryption: { returnConnectionPasswordEncrypted: true, awsKmsKeyId: keyArn },
      },
    });
    const database = new GlueCatalogDatabase(this, 'database', {
      name: names.glueDatabase,
      description: 'Ledgerline reconciliation data (REC-2)',
      locationUri: `s3://${names.analyticsBucket}/${ANALYTICS_PREFIXES.curated}`,
    });
    for (const [tableName, table] of Object.entries(CATALOG_TABLES)) {
      new GlueCatalogTable(this, `table-${tableName}`, {
        databaseName: database.name,
        name: tableName,
        description: table.description,
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'parquet', EXTERNAL: 'TRUE', 'parquet.compression': 'SNAPPY' },
        partitionKeys: table.partitions.map(([name, type, comment]) => ({ name, type, comment })),
        storageDescriptor: {
          location: `s3://${names.analyticsBucket}/${table.prefix}`,
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serDeInfo: { name: 'parquet', serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe', parameters: { 'serialization.format': '1' } },
          columns: table.columns.map(([name, type, comment]) => ({ name, type, comment })),
        },
      });
    }

    const securityConfigurationName = names.name('glue');
    const securityConfiguration = new GlueSecurityConfiguration(this, 'glue-security', {
      name: securityConfigurationName,
      encryptionConfiguration: {
        s3Encryption: { s3EncryptionMode: 'SSE-KMS', kmsKeyArn: keyArn },
        cloudwatchEncryption: { cloudwatchEncryptionMode: 'SSE-KMS', kmsKeyArn: keyArn },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'CSE-KMS', kmsKeyArn: keyArn },
      },
    });
    const network = props.network;
    const connection = new GlueConnection(this, 'glue-connection', {
      name: names.name('private-subnets'),
      connectionType: 'NETWORK',
      description: 'Runs Glue jobs in the private subnets',
      physicalConnectionRequirements: {
        subnetId: network.privateSubnets[0]!.id,
        availabilityZone: network.privateSubnets[0]!.availabilityZone,
        securityGroupIdList: [network.workloadSecurityGroup.id],
      },
    });

    // Glue writes its logs to these groups; creating them here gives them retention and the CMK.
    const glueRoleName = names.roleName('glue-job');
    const glueLogGroups = [
      `/aws-glue/${config.prefix}/normalise-statements`,
      `/aws-glue/jobs/${securityConfigurationName}-role/${glueRoleName}/output`,
      `/aws-glue/jobs/${securityConfigurationName}-role/${glueRoleName}/error`,
    ];
    glueLogGroups.forEach((name, i) => encryptedLogGroup(this, `glue-logs-${i}`, name, config.retention.logDays, keyArn));

    const catalogArns = [
      `arn:aws:glue:${region}:${account}:catalog`,
      `arn:aws:glue:${region}:${account}:database/${names.glueDatabase}`,
      `arn:aws:glue:${region}:${account}:table/${names.glueDatabase}/*`,
    ];
    const catalogRead = ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'];
    const catalogWrite = ['glue:UpdateTable', 'glue:CreatePartition', 'glue:BatchCreatePartition', 'glue:UpdatePartition', 'glue:BatchUpdatePartition'];
    const s3Kms = kmsVia([keyArn], ['s3'], region, ['kms:Decrypt', 'kms:GenerateDataKey']);
    const listBucket = (prefixes: readonly string[]): PolicyStatement => allow(['s3:ListBucket'], [bucketArn], { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } });

    const glueRole = new LeastPrivilegeRole(this, 'glue-role', {
      name: glueRoleName,
      description: 'Glue normalise-statements job: normalised NDJSON → Parquet + catalog',
      assumeRolePolicy: serviceTrustPolicy('glue.amazonaws.com', account),
      permissionsBoundary: boundary,
      statements: [
        allow(['s3:GetObject'], [objects(ANALYTICS_PREFIXES.normalised), objects(ANALYTICS_PREFIXES.scripts)]),
        allow(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [objects(ANALYTICS_PREFIXES.curated), objects(ANALYTICS_PREFIXES.glueTemp)]),
        listBucket([ANALYTICS_PREFIXES.normalised, ANALYTICS_PREFIXES.curated, ANALYTICS_PREFIXES.glueTemp]),
        s3Kms,
        allow([...catalogRead, ...catalogWrite], catalogArns),
        allow(
          ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
          glueLogGroups.map((name) => `${names.logGroupArn(name)}:*`),
        ),
        allow(['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'], [keyArn], { StringEquals: { 'kms:ViaService': [`logs.${region}.amazonaws.com`, `glue.${region}.amazonaws.com`] } }),
        allow(
          ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:CreateTags', 'ec2:DeleteTags'],
          [
            `arn:aws:ec2:${region}:${account}:network-interface/*`,
            `arn:aws:ec2:${region}:${account}:subnet/${network.privateSubnets[0]!.id}`,
            `arn:aws:ec2:${region}:${account}:security-group/${network.workloadSecurityGroup.id}`,
          ],
        ),
        // Glue describes the VPC of its connection; EC2 Describe* cannot be scoped (AWS).
        awsRequiresWildcard('GlueVpc', [
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeVpcEndpoints',
          'ec2:DescribeRouteTables',
          'ec2:DescribeVpcAttribute',
        ]),
        // Job metrics: PutMetricData has no resource type (AWS); pinned to the Glue namespace.
        awsRequiresWildcard('GlueMetrics', ['cloudwatch:PutMetricData'], { StringEquals: { 'cloudwatch:namespace': 'Glue' } }),
      ],
    });

    const scriptAsset = new TerraformAsset(this, 'glue-script', { path: GLUE_SCRIPT, type: AssetType.FILE });
    const scriptKey = `${ANALYTICS_PREFIXES.scripts}normalise_statements.py`;
    const script = new S3Object(this, 'glue-script-object', {
      bucket: this.bucket.bucket.id,
      key: scriptKey,
      source: scriptAsset.path,
      sourceHash: scriptAsset.assetHash,
      serverSideEncryption: 'aws:kms',
      kmsKeyId: keyArn,
      contentType: 'text/x-python',
    });
    const logicAsset = new TerraformAsset(this, 'glue-logic', { path: GLUE_LOGIC_MODULE, type: AssetType.FILE });
    const logicKey = `${ANALYTICS_PREFIXES.scripts}normalise_logic.py`;
    const logic = new S3Object(this, 'glue-logic-object', {
      bucket: this.bucket.bucket.id,
      key: logicKey,
      source: logicAsset.path,
      sourceHash: logicAsset.assetHash,
      serverSideEncryption: 'aws:kms',
      kmsKeyId: keyArn,
      contentType: 'text/x-python',
    });
    this.glueJob = new GlueJob(this, 'glue-job', {
      name: names.glueJobName,
      description: 'Reconciliation: normalised statement lines → Parquet, partitioned by run/account/currency, in the Glue catalog',
      roleArn: glueRole.arn,
      glueVersion: '5.0',
      workerType: a.glueWorkerType,
      numberOfWorkers: a.glueNumberOfWorkers,
      timeout: a.glueTimeoutMinutes,
      maxRetries: 0,
      executionProperty: { maxConcurrentRuns: 10 },
      securityConfiguration: securityConfiguration.name,
      connections: [connection.name],
      command: { name: 'glueetl', pythonVersion: '3', scriptLocation: `s3://${names.analyticsBucket}/${scriptKey}` },
      defaultArguments: {
        '--job-language': 'python',
        '--job-bookmark-option': 'job-bookmark-disable',
        '--enable-metrics': 'true',
        '--enable-continuous-cloudwatch-log': 'true',
        '--continuous-log-logGroup': glueLogGroups[0]!,
        '--TempDir': `s3://${names.analyticsBucket}/${ANALYTICS_PREFIXES.glueTemp}`,
        '--analytics_bucket': names.analyticsBucket,
        '--database': names.glueDatabase,
        '--curated_prefix': ANALYTICS_PREFIXES.curated,
        // The wrapper imports its decisions from this module (glue/normalise_logic.py).
        '--extra-py-files': `s3://${names.analyticsBucket}/${logicKey}`,
      },
      dependsOn: [script, logic],
    });

    // --- EMR Serverless ------------------------------------------------------------------------
    const emrLogGroup = `/aws/emr-serverless/${names.name('recon')}`;
    encryptedLogGroup(this, 'emr-logs', emrLogGroup, config.retention.logDays, keyArn);
    this.emr = new EmrserverlessApplication(this, 'emr', {
      name: names.name('recon'),
      releaseLabel: 'emr-7.5.0',
      type: 'spark',
      architecture: 'ARM64',
      maximumCapacity: { cpu: a.emrMaximumCapacity.cpu, memory: a.emrMaximumCapacity.memory, disk: a.emrMaximumCapacity.disk },
      autoStartConfiguration: { enabled: true },
      autoStopConfiguration: { enabled: true, idleTimeoutMinutes: a.emrIdleTimeoutMinutes },
      networkConfiguration: { subnetIds: network.privateSubnets.map((subnet) => subnet.id), securityGroupIds: [network.workloadSecurityGroup.id] },
      // AWS provider 5.100 (the pinned binding) has no monitoring_configuration on this resource:
      // job runs name their CloudWatch log group and S3 log URI (both under the analytics CMK) in
      // the job driver's configurationOverrides instead (docs/infrastructure.md, "Provider 5.100").
    });
    const emrFile = (id: string, path: string, name: string, contentType: string) => {
      const asset = new TerraformAsset(this, `emr-${id}`, { path, type: AssetType.FILE });
      new S3Object(this, `emr-${id}-object`, {
        bucket: this.bucket.bucket.id,
        key: `${EMR_SCRIPTS_PREFIX}${name}`,
        source: asset.path,
        sourceHash: asset.assetHash,
        serverSideEncryption: 'aws:kms',
        kmsKeyId: keyArn,
        contentType,
      });
      return `${EMR_SCRIPTS_PREFIX}${name}`;
    };
    const driver = emrFile('driver', EMR_DRIVER, 'recon_spark.py', 'text/x-python');
    const driverLogic = emrFile('logic', EMR_LOGIC_MODULE, 'recon_logic.py', 'text/x-python');
    const matcher = emrFile('matcher', emrMatcherBundle(), 'matcher-pipe.js', 'application/javascript');
    const emrRole = new LeastPrivilegeRole(this, 'emr-job-role', {
      name: names.roleName('emr-job'),
      description: 'EMR Serverless job runs: normalised partitions → matches (the TypeScript matcher via RDD.pipe)',
      assumeRolePolicy: serviceTrustPolicy('emr-serverless.amazonaws.com', account),
      permissionsBoundary: boundary,
      statements: [
        // REC-EMR-1 (emr/recon_spark.py): reads the run's normalised NDJSON and manifest and the job's
        // own files; writes only the partition results (keys.chunkResult) and its logs.
        allow(['s3:GetObject'], [objects(ANALYTICS_PREFIXES.normalised), objects(EMR_SCRIPTS_PREFIX)]),
        allow(['s3:PutObject', 's3:DeleteObject'], [`${bucketArn}/${ANALYTICS_PREFIXES.matches}runs/*/partitions/*`, objects(ANALYTICS_PREFIXES.emrLogs)]),
        listBucket([ANALYTICS_PREFIXES.normalised, ANALYTICS_PREFIXES.matches, EMR_SCRIPTS_PREFIX]),
        s3Kms,
        allow(['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], [`${names.logGroupArn(emrLogGroup)}:*`]),
        kmsVia([keyArn], ['logs'], region, ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey']),
      ],
    });
    const scriptUri = (key: string) => `s3://${names.analyticsBucket}/${key}`;
    this.emrMatch = {
      applicationId: this.emr.id,
      executionRoleArn: emrRole.arn,
      entryPoint: scriptUri(driver),
      sparkSubmitParameters: [
        `--py-files ${scriptUri(driverLogic)}`,
        `--files ${scriptUri(matcher)}`,
        `--archives ${scriptUri(EMR_NODE_RUNTIME_KEY)}#node`,
        // The pipe's Node heap: one partition at a time per executor process.
        '--conf spark.executorEnv.NODE_OPTIONS=--max-old-space-size=4096',
      ].join(' '),
      configurationOverrides: {
        // Provider 5.100 has no monitoring_configuration on the application: each job run names its
        // log destinations, both under the analytics CMK.
        MonitoringConfiguration: {
          S3MonitoringConfiguration: { LogUri: scriptUri(ANALYTICS_PREFIXES.emrLogs), EncryptionKeyArn: keyArn },
          CloudWatchLoggingConfiguration: { Enabled: true, LogGroupName: emrLogGroup, EncryptionKeyArn: keyArn },
        },
      },
    };

    // --- Redshift Serverless -------------------------------------------------------------------
    const redshiftRole = new LeastPrivilegeRole(this, 'redshift-role', {
      name: names.roleName('redshift'),
      description: 'Redshift COPY of reconciliation results from the analytics bucket',
      assumeRolePolicy: serviceTrustPolicy('redshift.amazonaws.com', account),
      permissionsBoundary: boundary,
      statements: [allow(['s3:GetObject'], [objects(ANALYTICS_PREFIXES.matches), objects(ANALYTICS_PREFIXES.curated)]), listBucket([ANALYTICS_PREFIXES.matches, ANALYTICS_PREFIXES.curated]), s3Kms],
    });
    const namespace = new RedshiftserverlessNamespace(this, 'redshift-namespace', {
      namespaceName: names.redshiftNamespace,
      dbName: names.redshiftDatabase,
      adminUsername: 'ledgerline_admin',
      // The admin password is generated and rotated by Redshift in Secrets Manager, under the CMK.
      manageAdminPassword: true,
      adminPasswordSecretKmsKeyId: keyArn,
      kmsKeyId: keyArn,
      iamRoles: [redshiftRole.arn],
      defaultIamRoleArn: redshiftRole.arn,
      logExports: ['userlog', 'connectionlog', 'useractivitylog'],
    });
    const redshiftSg = new SecurityGroup(this, 'redshift-sg', {
      vpcId: network.vpc.id,
      name: names.name('redshift'),
      description: 'Redshift Serverless: 5439 from the VPC and the on-premises BI networks only',
      tags: { Name: names.name('redshift') },
    });
    [config.network.vpcCidr, ...config.network.directConnect.onPremisesCidrs].forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(this, `redshift-in-${i}`, {
        securityGroupId: redshiftSg.id,
        description: i === 0 ? 'Redshift from the VPC' : 'Redshift from on-premises BI over Direct Connect',
        ipProtocol: 'tcp',
        fromPort: 5439,
        toPort: 5439,
        cidrIpv4: cidr,
      });
    });
    new VpcSecurityGroupEgressRule(this, 'redshift-out-s3', {
      securityGroupId: redshiftSg.id,
      description: 'COPY from S3 through the gateway endpoint (enhanced VPC routing)',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      prefixListId: network.s3Endpoint.prefixListId,
    });
    this.workgroup = new RedshiftserverlessWorkgroup(this, 'redshift-workgroup', {
      workgroupName: names.redshiftWorkgroup,
      namespaceName: namespace.namespaceName,
      baseCapacity: a.redshiftBaseCapacityRpus,
      maxCapacity: a.redshiftMaxCapacityRpus,
      subnetIds: network.privateSubnets.map((subnet) => subnet.id),
      securityGroupIds: [redshiftSg.id],
      publiclyAccessible: false,
      enhancedVpcRouting: true,
      configParameter: [{ parameterKey: 'require_ssl', parameterValue: 'true' }],
    });
    this.redshiftAdminSecretArn = namespace.adminPasswordSecretArn;

    // REC-2: credentials of external reconciliation integrations live in Secrets Manager (value set by operations).
    new SecretsmanagerSecret(this, 'integration-credentials', {
      name: `${config.prefix}/reconciliation/integration-credentials`,
      description: 'Credentials of external reconciliation integrations (bank portals); value managed by operations',
      kmsKeyId: keyArn,
      recoveryWindowInDays: 30,
    });
  }
}
