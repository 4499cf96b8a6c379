/**
 * The AWS adapters of a reconciliation run's statements and bad input (ports/reconciliation.ts):
 * statement objects in the ingest bucket, read once from their S3 body (REC-RUN-2), and the
 * quarantine/ prefix (the object moves there with `<name>.reason.json`).
 */
import { basename } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { redactPans } from '../../domain/pan';
import type { Quarantine, StatementSource } from '../../ports/reconciliation';
import type { ObjectRef } from '../../recon/run/aws/objects';
import { asBadInput, describePosition } from '../../recon/run/errors';
import { parseStatementChunksAsRows, type StatementEncoding } from '../../recon/run/statements';
import type { ParsedStatementRows } from '../../recon/statement-rows';
import { createHash } from 'node:crypto';
import { deleteObject, objectChunks, readBytes, s3Uri, writeObject } from './recon-s3';

export interface S3StatementOptions {
  profile?: string;
  encoding?: StatementEncoding;
}

/**
 * Statement objects by reference. The body is parsed as it streams (parseStatementChunksAsRows: its
 * lines as rows, REC-PERF-1) and hashed in the same read; a parser fault names the object's s3:// URI and the line.
 */
export function s3StatementSource(s3: S3Client, options: S3StatementOptions = {}): StatementSource<ObjectRef> {
  const parseOptions = { ...(options.profile !== undefined ? { profile: options.profile } : {}), ...(options.encoding ? { encoding: options.encoding } : {}) };
  return {
    describe: (ref) => redactPans(s3Uri(ref.bucket, ref.key), 'identifier'),
    async read(ref, skip) {
      const uri = s3Uri(ref.bucket, ref.key);
      const name = redactPans(basename(ref.key) || 'statement', 'identifier');
      let parsed: ParsedStatementRows;
      try {
        parsed = await parseStatementChunksAsRows(await objectChunks(s3, ref), { name: uri, ...parseOptions });
      } catch (error) {
        throw asBadInput(error, uri);
      }
      if (await skip(parsed.contentHash)) return { name, contentHash: parsed.contentHash };
      return { name, contentHash: parsed.contentHash, parsed };
    },
  };
}

/**
 * quarantine/<runId>/<name> in the object's bucket, next to `<name>.reason.json` (what is wrong,
 * where, the object's SHA-256); the object leaves the incoming prefix.
 */
export function s3Quarantine(s3: S3Client, options: { runId: string; prefix?: string; now?: () => Date }): Quarantine<ObjectRef> {
  return {
    async quarantine(ref, error) {
      if (!ref) throw new Error(`quarantine: no object for ${error.file}`);
      const body = await readBytes(s3, ref);
      const target = `${options.prefix ?? 'quarantine/'}${options.runId}/${basename(ref.key)}`;
      await writeObject(s3, ref.bucket, target, body, 'application/octet-stream');
      const reason = {
        file: s3Uri(ref.bucket, ref.key),
        versionId: ref.versionId ?? null,
        problem: error.kind,
        where: describePosition(error.position),
        reason: error.message,
        sha256: createHash('sha256').update(body).digest('hex'),
        runId: options.runId,
        quarantinedAt: (options.now?.() ?? new Date()).toISOString(),
      };
      await writeObject(s3, ref.bucket, `${target}.reason.json`, `${JSON.stringify(reason, null, 2)}\n`, 'application/json');
      await deleteObject(s3, ref.bucket, ref.key);
      return { file: s3Uri(ref.bucket, target), reasonFile: s3Uri(ref.bucket, `${target}.reason.json`) };
    },
  };
}
