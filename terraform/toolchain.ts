/**
 * Finds what real Terraform needs here, offline: the `terraform` binary (PATH) and a filesystem
 * mirror holding the pinned AWS provider (LEDGERLINE_TF_MIRROR, the usual plugin directories, and
 * as a last resort a bounded `find /`). Writes the CLI configuration that points at the mirror.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

/** The AWS provider the CDKTF binding (@cdktf/provider-aws 20.1.0) pins. */
export const AWS_PROVIDER_VERSION = '5.100.0';
/** `terraform test` needs override_during (1.11) to pin values at plan time. */
export const MIN_TERRAFORM_FOR_TEST = [1, 11] as const;
export const CLI_CONFIG_TEMPLATE = resolve(__dirname, 'cli.tfrc.template');

export const PLATFORM = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;

export interface TerraformBinary {
  path: string;
  version: string;
}

export interface Lookup<T> {
  found?: T;
  /** What was looked at, for the SKIPPED banner. */
  looked: string[];
  problem?: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function findTerraform(): Lookup<TerraformBinary> {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const path = dirs.map((dir) => join(dir, 'terraform')).find(isExecutable);
  if (!path) return { looked: ['terraform on PATH'], problem: 'no terraform binary on PATH' };
  const result = spawnSync(path, ['version', '-json'], { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' }, timeout: 30_000 });
  let version: string | undefined;
  try {
    version = (JSON.parse(result.stdout) as { terraform_version?: string }).terraform_version;
  } catch {
    version = undefined;
  }
  if (!version) return { looked: [path], problem: `${path} did not report its version (terraform version -json: ${(result.stderr || result.stdout || String(result.error)).trim().slice(0, 200)})` };
  return { found: { path, version }, looked: [path] };
}

/** True when `version` (x.y.z) is at least `minimum` (x, y). */
export function atLeast(version: string, minimum: readonly [number, number]): boolean {
  const [major = 0, minor = 0] = version.split('.').map((part) => parseInt(part, 10));
  return major > minimum[0] || (major === minimum[0] && minor >= minimum[1]);
}

/** A directory is a usable mirror when it holds the provider, unpacked or packed, for this platform. */
export function mirrorHoldsProvider(dir: string, version = AWS_PROVIDER_VERSION): boolean {
  const base = join(dir, 'registry.terraform.io', 'hashicorp', 'aws');
  const unpacked = join(base, version, PLATFORM);
  if (existsSync(unpacked)) {
    try {
      if (readdirSync(unpacked).some((file) => file.startsWith(`terraform-provider-aws_v${version}`))) return true;
    } catch {
      return false;
    }
  }
  return existsSync(join(base, `terraform-provider-aws_${version}_${PLATFORM}.zip`));
}

/** `<root>/registry.terraform.io/hashicorp/aws/<version>/<platform>/<binary>` → `<root>`. */
export function mirrorRootOf(binary: string): string | undefined {
  const platformDir = dirname(binary);
  const segments = platformDir.split('/');
  const n = segments.length;
  if (n < 6 || segments[n - 5] !== 'registry.terraform.io' || segments[n - 4] !== 'hashicorp' || segments[n - 3] !== 'aws' || segments[n - 1] !== PLATFORM) return undefined;
  return segments.slice(0, n - 5).join('/') || '/';
}

/** `deep`: fall back to a bounded `find /` (skipped when terraform is missing anyway: the skip stays instant). */
export function findMirror(version = AWS_PROVIDER_VERSION, deep = true): Lookup<string> {
  const looked: string[] = [];
  const fromEnv = process.env.LEDGERLINE_TF_MIRROR;
  if (fromEnv) {
    looked.push(`LEDGERLINE_TF_MIRROR=${fromEnv}`);
    if (mirrorHoldsProvider(fromEnv, version)) return { found: resolve(fromEnv), looked };
    return { looked, problem: `LEDGERLINE_TF_MIRROR=${fromEnv} holds no registry.terraform.io/hashicorp/aws/${version}/${PLATFORM}` };
  }
  looked.push('LEDGERLINE_TF_MIRROR (unset)');
  for (const dir of ['/opt/tf-plugins', '/usr/share/terraform/plugins', join(homedir(), '.terraform.d', 'plugins')]) {
    looked.push(dir);
    if (mirrorHoldsProvider(dir, version)) return { found: dir, looked };
  }
  if (!deep) return { looked, problem: `no filesystem mirror holds hashicorp/aws ${version} for ${PLATFORM} in the usual directories (find / not tried)` };
  looked.push(`find / -maxdepth 8 -name 'terraform-provider-aws_v${version}*'`);
  const search = spawnSync('find', ['/', '-maxdepth', '8', '-path', '/proc', '-prune', '-o', '-path', '/sys', '-prune', '-o', '-name', `terraform-provider-aws_v${version}*`, '-print'], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  for (const line of (search.stdout ?? '').split('\n').filter(Boolean)) {
    const root = mirrorRootOf(line);
    if (root && mirrorHoldsProvider(root, version)) return { found: root, looked };
  }
  return { looked, problem: `no filesystem mirror holds hashicorp/aws ${version} for ${PLATFORM}` };
}

/** Writes the CLI configuration (terraform/cli.tfrc.template with the mirror filled in) to `path`. */
export function writeCliConfig(path: string, mirror: string): void {
  const template = readFileSync(CLI_CONFIG_TEMPLATE, 'utf8');
  if (!template.includes('@MIRROR@')) throw new Error(`${CLI_CONFIG_TEMPLATE}: no @MIRROR@ placeholder`);
  writeFileSync(path, template.replace('@MIRROR@', mirror.replace(/\\/g, '\\\\').replace(/"/g, '\\"')));
}

/** The environment every terraform command runs with: our CLI config, a shared plugin cache, no network side-channels. */
export function terraformEnv(cliConfig: string, pluginCache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('TF_') || name === 'AWS_PROFILE') delete env[name];
  return {
    ...env,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_PLUGIN_CACHE_DIR: pluginCache,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    // No test may reach AWS: every remote state is overridden; this stops the SDK probing IMDS if one is not.
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}
