/**
 * The audit-stream function's contract (AUDIT-1): the tables whose streams it reads (their
 * physical names, the same variables as every function: TABLES.<table>.envVar) and the Aurora
 * PostgreSQL connection: host, port, database, the Secrets Manager secret holding the
 * credentials (the RDS-managed secret's JSON: `username`, `password`), TLS, and the role to
 * append as. A missing or malformed variable is an error naming it.
 */
import { TABLES } from '../../src/adapters/aws/tables';
import type { AuditedTables } from './decode';

export const AUDIT_STREAM_FUNCTION = 'audit-stream';

export const AUDIT_DB_VARIABLES = {
  host: 'AUDIT_DB_HOST',
  port: 'AUDIT_DB_PORT',
  database: 'AUDIT_DB_NAME',
  secretArn: 'AUDIT_DB_SECRET_ARN',
  /** `false` turns TLS off (local stand-ins only); on by default. */
  ssl: 'AUDIT_DB_SSL',
  /** The role appends run as (SET ROLE); default ledgerline_audit_writer. */
  role: 'AUDIT_DB_ROLE',
} as const;

export interface AuditStreamConfig {
  tables: AuditedTables;
  database: { host: string; port: number; database: string; secretArn: string; ssl: boolean; role: string };
}

export class AuditStreamConfigError extends Error {
  override name = 'AuditStreamConfigError';
}

export function readAuditStreamConfig(env: NodeJS.ProcessEnv = process.env): AuditStreamConfig {
  const missing: string[] = [];
  const need = (name: string): string => {
    const value = env[name];
    if (value === undefined || value.trim() === '') {
      missing.push(name);
      return '';
    }
    return value.trim();
  };
  const tables = { ledger: need(TABLES.ledger.envVar), transactions: need(TABLES.transactions.envVar), workbench: need(TABLES.workbench.envVar) };
  const host = need(AUDIT_DB_VARIABLES.host);
  const database = need(AUDIT_DB_VARIABLES.database);
  const secretArn = need(AUDIT_DB_VARIABLES.secretArn);
  if (missing.length > 0) throw new AuditStreamConfigError(`${AUDIT_STREAM_FUNCTION}: missing environment variable(s) ${missing.join(', ')}`);
  const portText = env[AUDIT_DB_VARIABLES.port]?.trim() || '5432';
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535)
    throw new AuditStreamConfigError(`${AUDIT_STREAM_FUNCTION}: ${AUDIT_DB_VARIABLES.port} must be a port number 1-65535, got "${portText}"`);
  if (!/^arn:aws[a-z-]*:secretsmanager:/.test(secretArn))
    throw new AuditStreamConfigError(`${AUDIT_STREAM_FUNCTION}: ${AUDIT_DB_VARIABLES.secretArn} must be a Secrets Manager ARN, got "${secretArn}"`);
  const sslText = (env[AUDIT_DB_VARIABLES.ssl] ?? 'true').trim().toLowerCase();
  if (sslText !== 'true' && sslText !== 'false') throw new AuditStreamConfigError(`${AUDIT_STREAM_FUNCTION}: ${AUDIT_DB_VARIABLES.ssl} must be true or false, got "${sslText}"`);
  return { tables, database: { host, port, database, secretArn, ssl: sslText === 'true', role: env[AUDIT_DB_VARIABLES.role]?.trim() || 'ledgerline_audit_writer' } };
}
