/**
 * DEP-2 / REC-EMR-1: the deploy-time upload of the Node runtime archive the EMR matcher job's
 * executors run the matcher bundle with (emr/package-node-runtime.sh builds it). Idempotent: the
 * object carries the archive's SHA-256 as metadata, and an object with the same digest is left as it is.
 *
 *   npx tsx scripts/upload-emr-runtime.ts --bucket B --key scripts/emr/node-runtime-linux-arm64.tar.gz --kms-key alias/K [--region R] [--archive FILE]
 */
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';

export interface RuntimeUpload {
  bucket: string;
  key: string;
  /** The analytics CMK (ARN or alias): the bucket refuses objects under any other key. */
  kmsKeyId: string;
  archive: Buffer;
}

/** Puts the archive unless the object already holds the same bytes (by SHA-256). */
export async function uploadRuntime(client: S3Client, upload: RuntimeUpload): Promise<'uploaded' | 'unchanged'> {
  const sha256 = createHash('sha256').update(upload.archive).digest('hex');
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: upload.bucket, Key: upload.key }));
    if (head.Metadata?.sha256 === sha256) return 'unchanged';
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw new Error(`s3://${upload.bucket}/${upload.key}: ${(error as Error).message}`, { cause: error });
  }
  const where = `s3://${upload.bucket}/${upload.key}`;
  await client
    .send(
      new PutObjectCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        Body: upload.archive,
        ContentType: 'application/gzip',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: upload.kmsKeyId,
        Metadata: { sha256 },
      }),
    )
    .catch((error: Error) => {
      throw new Error(`${where}: ${error.message}`, { cause: error });
    });
  return 'uploaded';
}

/** Builds the archive with emr/package-node-runtime.sh into a temporary file and returns its bytes. */
export function buildRuntimeArchive(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'ledgerline-emr-runtime-'));
  try {
    const out = join(dir, 'node-runtime.tar.gz');
    const result = spawnSync('bash', ['emr/package-node-runtime.sh', out], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (result.status !== 0) throw new Error(`emr/package-node-runtime.sh failed (exit ${result.status})`);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('upload-emr-runtime')
    .description('Upload the Node runtime archive of the EMR reconciliation job (REC-EMR-1), once per content.')
    .requiredOption('--bucket <name>', 'the analytics bucket')
    .requiredOption('--key <key>', 'object key (EMR_NODE_RUNTIME_KEY)')
    .requiredOption('--kms-key <id>', 'the analytics CMK (ARN or alias/…)')
    .option('--region <region>', 'AWS region')
    .option('--archive <file>', 'an archive built already (default: build it with emr/package-node-runtime.sh)')
    .parse(argv, { from: 'user' });
  const options = program.opts<{ bucket: string; key: string; kmsKey: string; region?: string; archive?: string }>();
  const archive = options.archive ? readFileSync(options.archive) : buildRuntimeArchive();
  const client = new S3Client(options.region ? { region: options.region } : {});
  const outcome = await uploadRuntime(client, { bucket: options.bucket, key: options.key, kmsKeyId: options.kmsKey, archive });
  console.log(`s3://${options.bucket}/${options.key}: ${outcome}`);
}

if (require.main === module)
  main(process.argv.slice(2)).catch((error: Error) => {
    console.error(`upload-emr-runtime: ${error.message}`);
    process.exit(1);
  });
