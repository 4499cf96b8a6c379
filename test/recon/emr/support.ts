/**
 * The EMR Serverless job of a run (REC-EMR-1) as a local step: emr/recon_spark.py through
 * test/recon/emr/run_driver.py (pyspark stand-ins, RDD.pipe spawning the real matcher bundle),
 * over the objects of an in-memory S3 (copied to a folder and back).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bundleEmrMatcher } from '../../../scripts/bundle-functions';
import type { FakeS3 } from '../aws/fake-s3';

/** A working directory with ./node/bin/node and ./matcher-pipe.js, as the job's executors have. */
export function emrExecutorDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ledgerline-emr-executor-'));
  bundleEmrMatcher(dir);
  mkdirSync(join(dir, 'node', 'bin'), { recursive: true });
  symlinkSync(process.execPath, join(dir, 'node', 'bin', 'node'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the job with `entryPointArguments` (the StartJobRun's) over `s3`; returns the keys it wrote. */
export function runEmrJob(s3: FakeS3, executorDir: string, bucket: string, entryPointArguments: string[], sparkPartitions = 3): string[] {
  const root = mkdtempSync(join(tmpdir(), 'ledgerline-emr-s3-'));
  try {
    const runId = entryPointArguments[entryPointArguments.indexOf('--run-id') + 1]!;
    for (const key of s3.keys(bucket, `normalised/${runId}/`)) {
      const file = join(root, bucket, key);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, s3.objects.get(`${bucket}/${key}`)!);
    }
    const done = spawnSync('python3', [join(__dirname, 'run_driver.py'), '--s3-root', root, '--workdir', executorDir, '--spark-partitions', String(sparkPartitions), '--', ...entryPointArguments], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      maxBuffer: 1 << 28,
    });
    if (done.status !== 0) throw Object.assign(new Error(done.stderr.trim()), { name: 'EMRServerless.JobRunFailed' });
    const written = (JSON.parse(done.stdout) as { written: string[] }).written.map((uri) => uri.slice(`s3://${bucket}/`.length));
    for (const key of written) s3.put(bucket, key, readFileSync(join(root, bucket, key)));
    return written;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
