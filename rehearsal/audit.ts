/**
 * REH-1, AUDIT-1: the audit-stream function as deployed, on a local PostgreSQL standing in for
 * the Aurora cluster:
 * - the stand-in listens on TCP with TLS, its certificate issued for the synthesized cluster
 *   endpoint (AUDIT_DB_HOST) by a throw-away CA that the function's processes trust through
 *   NODE_EXTRA_CA_CERTS (the Lambda runtime's trust store holds the RDS CAs: emulated); the
 *   runner sends connections to the endpoint's DNS name and port to the stand-in (no DNS);
 * - the cluster's RDS-managed master secret (AUDIT_DB_SECRET_ARN) is served with the stand-in's
 *   credentials; the audit migrations are applied as a first deploy applies them;
 * - the stream records of the audited tables (ledger, transactions, workbench) emitted during the
 *   whole run are delivered afterwards, as the synthesized mappings batch them (batch size,
 *   ReportBatchItemFailures: a failed record and those after it are delivered again), every third
 *   batch delivered twice (at-least-once);
 * - then every audited record must be in the audit trail exactly once, and the chain must verify
 *   with the product's verifier (verifyAuditTrail).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { DynamoDBRecord } from 'aws-lambda';
import { auditRecordOfStream } from '../functions/audit-stream/decode';
import { migrateAuditStore } from '../src/adapters/postgres/audit-migrations';
import { PostgresAuditStore } from '../src/adapters/postgres/audit-store';
import { poolFromUrl } from '../src/adapters/postgres/connect';
import { verifyAuditTrail } from '../src/use-cases/copy-audit/copy-audit';
import type { RehearsalCloud } from './cloud';
import type { StreamRecord } from './dynamo';
import { startPostgres, type PostgresCluster } from './redshift/postgres';

export interface AuditReport {
  endpoint: string;
  /** Stream records delivered per table, and batches (with the re-deliveries). */
  records: Record<string, number>;
  batches: number;
  redelivered: number;
  failedItems: number;
  /** Distinct audited records (by source id) the streams carried. */
  expectedRows: number;
  rows: number;
  /** Source ids stored more than once (must be none). */
  duplicates: number;
  missing: string[];
  intact: boolean;
  faults: string[];
  invocationErrors: string[];
}

export interface AuditStandIn {
  report(): Promise<AuditReport>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A throw-away CA and a server certificate for `host` (openssl; the name in the SAN: a CN holds at most 64 characters). */
function certificates(dir: string, host: string): { ca: string; cert: string; key: string } {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Rehearsal RDS CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=rehearsal-audit-endpoint', '-keyout', file('server.key'), '-out', file('server.csr'));
  execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:%s\\n' "$1" > "$2"`, 'sh', host, file('san.ext')]);
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('san.ext'), '-out', file('server.crt'));
  return { ca: file('ca.pem'), cert: file('server.crt'), key: file('server.key') };
}

/**
 * Boots the stand-in for the synthesized audit-stream function (undefined when the synth has
 * none) and starts collecting its tables' stream records. Call before the traffic.
 */
export async function startAuditStandIn(cloud: RehearsalCloud): Promise<AuditStandIn | undefined> {
  const fn = cloud.deployment.functions.find((candidate) => candidate.logicalName === 'audit-stream');
  const host = cloud.lambdas.get(fn?.arn ?? '');
  if (!fn || !host) return undefined;
  const env = fn.environment;
  const endpoint = `${env.AUDIT_DB_HOST}:${env.AUDIT_DB_PORT ?? '5432'}`;
  const mappings = cloud.deployment.eventSourceMappings.filter((mapping) => cloud.lambdas.get(mapping.functionArn) === host && mapping.enabled);
  const streams = mappings.map((mapping) => ({ mapping, table: cloud.deployment.tables.find((table) => table.streamArn === mapping.sourceArn)!, records: [] as StreamRecord[] }));
  for (const stream of streams) cloud.dynamo.onStream(stream.table.name, (record) => stream.records.push(record));

  const dir = mkdtempSync(join(tmpdir(), 'ledgerline-audit-tls-'));
  let cluster: PostgresCluster | undefined;
  try {
    const tls = certificates(dir, env.AUDIT_DB_HOST!);
    const port = await freePort();
    cluster = await startPostgres({ port, listen: '127.0.0.1', ssl: { certFile: tls.cert, keyFile: tls.key } });
    const admin = new Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${env.AUDIT_DB_NAME!.replace(/"/g, '')}"`);
    } finally {
      await admin.end();
    }
    const url = cluster.urlFor(env.AUDIT_DB_NAME!);
    const migrator = new Client({ connectionString: url });
    await migrator.connect();
    try {
      await migrateAuditStore(migrator);
    } finally {
      await migrator.end();
    }
    cloud.gateway.registerSecret(env.AUDIT_DB_SECRET_ARN!, JSON.stringify({ username: 'postgres', password: 'rehearsal-audit-password' }));
    Object.assign(host.runtime, { NODE_EXTRA_CA_CERTS: tls.ca, REHEARSAL_CONNECT: `${endpoint}=127.0.0.1:${port}` });

    const started = cluster;
    return {
      async report(): Promise<AuditReport> {
        const records: Record<string, number> = {};
        let batches = 0;
        let redelivered = 0;
        let failedItems = 0;
        const invocationErrors: string[] = [];
        const expected = new Set<string>();
        const tables = { ledger: env.LEDGER_TABLE!, transactions: env.TRANSACTIONS_TABLE!, workbench: env.WORKBENCH_TABLE! };
        for (const { mapping, table, records: pending } of streams) {
          records[table.name] = pending.length;
          for (const record of pending) {
            const audited = auditRecordOfStream(record as unknown as DynamoDBRecord, tables);
            if (audited) expected.add(audited.record.sourceId);
          }
          let at = 0;
          for (let stuck = 0; at < pending.length;) {
            // Lambda retries a failing batch until the mapping's limits; the rehearsal gives up after 5 rounds without progress.
            if (stuck >= 5) {
              invocationErrors.push(`${table.name}: the stream did not advance past record ${at} of ${pending.length} in 5 deliveries (see the function's log)`);
              break;
            }
            const batch = pending.slice(at, at + mapping.batchSize);
            batches += 1;
            const twice = batches % 3 === 0;
            let outcome = await cloud.invoke(mapping.functionArn, { Records: batch });
            if (twice && outcome.ok) {
              redelivered += batch.length;
              outcome = await cloud.invoke(mapping.functionArn, { Records: batch });
            }
            if (!outcome.ok) {
              invocationErrors.push(`${table.name}: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
              stuck += 1;
              continue;
            }
            const failures = ((outcome.result as { batchItemFailures?: { itemIdentifier: string }[] } | null)?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
            failedItems += failures.length;
            // ReportBatchItemFailures on a stream: delivery resumes at the lowest failed sequence number.
            const first = batch.findIndex((record) => failures.includes(record.dynamodb.SequenceNumber));
            at += first < 0 ? batch.length : first;
            stuck = first === 0 ? stuck + 1 : 0;
            if (first >= 0) await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
        const pool = poolFromUrl(started.urlFor(env.AUDIT_DB_NAME!), 2);
        try {
          const store = new PostgresAuditStore(pool);
          const verification = await verifyAuditTrail(store);
          const stored = await pool.query<{ source_id: string; n: string }>('SELECT source_id, count(*)::text AS n FROM audit_rows GROUP BY source_id');
          const ids = new Set(stored.rows.map((row) => row.source_id));
          return {
            endpoint,
            records,
            batches,
            redelivered,
            failedItems,
            expectedRows: expected.size,
            rows: verification.rows,
            duplicates: stored.rows.filter((row) => Number(row.n) > 1).length,
            missing: [...expected].filter((id) => !ids.has(id)).slice(0, 20),
            intact: verification.intact,
            faults: verification.faults.slice(0, 10).map((fault) => `${fault.partition} #${fault.seq} ${fault.kind}: ${fault.detail}`),
            invocationErrors: [...new Set(invocationErrors)].slice(0, 10),
          };
        } finally {
          await pool.end();
        }
      },
      async stop() {
        await started.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
