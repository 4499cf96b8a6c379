/**
 * DEP-1 with real Terraform (offline: `terraform_data` and local state need no provider): two
 * stacks where `down` reads `up`'s outputs through terraform_remote_state, as CDKTF's cross-stack
 * references do. Plans are saved, approved by digest and applied as saved; a plan that was not
 * approved, was altered, or went stale is refused and nothing of it is applied.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { manifestDigest, outputsDigest, summarisePlan, deferralReason, checkNotStale, PlanRejected, type PlanManifest, type PlannedStack } from '../../scripts/deploy/manifest';

// Terraform is not in the Debian or npm registries: on a machine without it this suite skips loudly,
// unless LEDGERLINE_REQUIRE_TERRAFORM=1 (set by .ci/run wherever terraform is present) makes it required.
const hasTerraform = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;
const required = process.env.LEDGERLINE_REQUIRE_TERRAFORM === '1';
if (!hasTerraform) console.warn(`${required ? 'FAILING' : 'SKIPPED'}: the DEP-1 plan/apply test needs a terraform binary on PATH`);
const maybe = hasTerraform || required ? describe : describe.skip;

const ROOT = resolve(__dirname, '../..');

function writeStacks(dir: string, upInput: string): void {
  mkdirSync(join(dir, 'up'), { recursive: true });
  mkdirSync(join(dir, 'down'), { recursive: true });
  writeFileSync(
    join(dir, 'up/main.tf.json'),
    JSON.stringify({
      terraform: { backend: { local: { path: 'terraform.tfstate' } } },
      resource: { terraform_data: { thing: { input: upInput } } },
      output: { thing: { value: '${terraform_data.thing.output}' } },
    }),
  );
  writeFileSync(
    join(dir, 'down/main.tf.json'),
    JSON.stringify({
      terraform: { backend: { local: { path: 'terraform.tfstate' } } },
      data: { terraform_remote_state: { 'cross-stack-reference-input-up': { backend: 'local', config: { path: '../up/terraform.tfstate' } } } },
      resource: { terraform_data: { use: { input: '${data.terraform_remote_state.cross-stack-reference-input-up.outputs.thing}' } } },
      output: { used: { value: '${terraform_data.use.output}' } },
    }),
  );
}

function deploy(dir: string, args: readonly string[], extraEnv: Record<string, string> = {}) {
  const cliConfig = join(dir, 'empty.tfrc');
  if (!existsSync(cliConfig)) writeFileSync(cliConfig, '');
  // One Node process with tsx's CommonJS hook: the tsx command starts a second Node process with its
  // ES module loader (twice the start-up, paid by every call).
  const result = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), join(ROOT, 'scripts/deploy.ts'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', EXPECTED_PLAN_DIGEST: '', ...extraEnv },
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

const digestOf = (planDir: string) => readFileSync(join(planDir, 'digest.txt'), 'utf8').trim();
const stateOutputs = (stackDir: string) => (JSON.parse(readFileSync(join(stackDir, 'terraform.tfstate'), 'utf8')) as { outputs: Record<string, { value: unknown }> }).outputs;

maybe('DEP-1: saved plans, approved by digest, applied as saved (real terraform, offline)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledgerline-deploy-'));
    writeStacks(join(dir, 'stacks'), 'v1');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const stacks = ['--stacks', 'up,down', '--stacks-dir', 'stacks'];

  test('first run: up is planned; down waits, because the outputs it reads change in this plan', () => {
    const { status, out } = deploy(dir, ['plan', ...stacks, '--out', 'plans-1']);
    expect(status).toBe(0);
    expect(out).toMatch(/up\s+\+1 ~0 -0, 1 output change/);
    expect(out).toMatch(/down\s+waits: it reads up, whose outputs change in this plan/);
    const manifest = JSON.parse(readFileSync(join(dir, 'plans-1/manifest.json'), 'utf8')) as PlanManifest;
    expect(manifestDigest(manifest)).toBe(digestOf(join(dir, 'plans-1')));
    expect(out).toContain(`PLAN DIGEST ${digestOf(join(dir, 'plans-1'))}`);
  });

  test('apply refuses without the approved digest, with another digest, and after the manifest or a plan file changed', () => {
    const planDir = join(dir, 'plans-1');
    expect(deploy(dir, ['apply', '--plans', 'plans-1', '--stacks-dir', 'stacks'])).toMatchObject({ status: 4 });
    const wrong = deploy(dir, ['apply', '--plans', 'plans-1', '--stacks-dir', 'stacks', '--expect-digest', 'f'.repeat(64)]);
    expect(wrong.status).toBe(4);
    expect(wrong.out).toMatch(/refusing to apply a plan that was not approved/);

    // An altered plan file (same manifest, so the approved digest still matches): refused by its own digest.
    const planFile = join(planDir, 'up.tfplan');
    copyFileSync(planFile, `${planFile}.orig`);
    writeFileSync(planFile, Buffer.concat([readFileSync(planFile), Buffer.from('x')]));
    const altered = deploy(dir, ['apply', '--plans', 'plans-1', '--stacks-dir', 'stacks', '--expect-digest', digestOf(planDir)]);
    expect(altered.status).toBe(4);
    expect(altered.out).toMatch(/up: saved plan up\.tfplan has digest .* the approved manifest says/);
    copyFileSync(`${planFile}.orig`, planFile);

    // An edited manifest no longer has the approved digest.
    const manifestPath = join(planDir, 'manifest.json');
    const original = readFileSync(manifestPath, 'utf8');
    writeFileSync(manifestPath, original.replace('"add": 1', '"add": 0'));
    expect(deploy(dir, ['apply', '--plans', 'plans-1', '--stacks-dir', 'stacks', '--expect-digest', digestOf(planDir)]).status).toBe(4);
    writeFileSync(manifestPath, original);
    expect(existsSync(join(dir, 'stacks/up/terraform.tfstate'))).toBe(false);
  });

  test('the approved plan applies; the next run plans down against the applied outputs and applies it', () => {
    const first = deploy(dir, ['apply', '--plans', 'plans-1', '--stacks-dir', 'stacks', '--expect-digest', digestOf(join(dir, 'plans-1'))]);
    expect(first.status).toBe(0);
    expect(first.out).toMatch(/down\s+not in this plan/);
    expect(stateOutputs(join(dir, 'stacks/up')).thing!.value).toBe('v1');

    const second = deploy(dir, ['plan', ...stacks, '--out', 'plans-2']);
    expect(second.status).toBe(0);
    expect(second.out).toMatch(/up\s+\+0 ~0 -0, 0 output change/);
    expect(second.out).toMatch(/down\s+\+1 ~0 -0/);
    const applied = deploy(dir, ['apply', '--plans', 'plans-2', '--stacks-dir', 'stacks'], { EXPECTED_PLAN_DIGEST: digestOf(join(dir, 'plans-2')) });
    expect(applied.status).toBe(0);
    expect(stateOutputs(join(dir, 'stacks/down')).used!.value).toBe('v1');
  });

  test('a plan whose upstream outputs changed after it was planned is refused, and nothing of it is applied', () => {
    writeStacks(join(dir, 'stacks'), 'v1');
    // down gets a change of its own so it has something to apply.
    const downPath = join(dir, 'stacks/down/main.tf.json');
    const down = JSON.parse(readFileSync(downPath, 'utf8')) as { resource: { terraform_data: Record<string, unknown> } };
    down.resource.terraform_data.extra = { input: 'new' };
    writeFileSync(downPath, JSON.stringify(down));
    expect(deploy(dir, ['plan', ...stacks, '--out', 'plans-3']).status).toBe(0);

    // Out of band (another apply), up's output changes to v2.
    writeStacks(join(dir, 'stacks-v2'), 'v2');
    rmSync(join(dir, 'stacks-v2/down'), { recursive: true });
    copyFileSync(join(dir, 'stacks/up/terraform.tfstate'), join(dir, 'stacks-v2/up/terraform.tfstate'));
    expect(deploy(dir, ['plan', '--stacks', 'up', '--stacks-dir', 'stacks-v2', '--out', 'plans-v2']).status).toBe(0);
    expect(deploy(dir, ['apply', '--plans', 'plans-v2', '--stacks-dir', 'stacks-v2', '--expect-digest', digestOf(join(dir, 'plans-v2'))]).status).toBe(0);
    copyFileSync(join(dir, 'stacks-v2/up/terraform.tfstate'), join(dir, 'stacks/up/terraform.tfstate'));

    const stale = deploy(dir, ['apply', '--plans', 'plans-3', '--stacks-dir', 'stacks', '--expect-digest', digestOf(join(dir, 'plans-3'))]);
    expect(stale.status).toBe(4);
    expect(stale.out).toMatch(/down: its plan is stale — up's outputs changed since it was planned/);
    const downState = JSON.parse(readFileSync(join(dir, 'stacks/down/terraform.tfstate'), 'utf8')) as { resources: Array<{ name: string }> };
    expect(downState.resources.map((resource) => resource.name)).not.toContain('extra');
  });
});

describe('DEP-1 manifest rules', () => {
  const entry = (stack: string, outputs: number, deferred?: string): PlannedStack => ({ stack, reads: {}, changes: { add: 0, change: 0, destroy: 0, outputs }, ...(deferred ? { deferred } : {}) });

  test('a stack waits when anything it reads changes outputs or waits itself, never otherwise', () => {
    const planned = new Map([
      ['a', entry('a', 0)],
      ['b', entry('b', 2)],
      ['c', entry('c', 0, 'waits')],
    ]);
    expect(deferralReason(['a'], planned)).toBeUndefined();
    expect(deferralReason(['a', 'b'], planned)).toMatch(/reads b, whose outputs change/);
    expect(deferralReason(['c'], planned)).toMatch(/reads c, which waits/);
    expect(deferralReason(['not-in-this-run'], planned)).toBeUndefined();
  });

  test('the digest does not depend on key order, and every field of the manifest is covered by it', () => {
    const manifest: PlanManifest = {
      format: 1,
      environment: 'dev',
      revision: 'r',
      terraformVersion: '1.11.4',
      createdAt: 't',
      stacks: [{ stack: 's', plan: 's.tfplan', sha256: 'x', reads: { u: 'd' }, changes: { add: 1, change: 0, destroy: 0, outputs: 0 } }],
    };
    const reordered = JSON.parse(JSON.stringify(manifest, Object.keys(manifest).reverse())) as PlanManifest;
    expect(manifestDigest({ ...reordered, stacks: manifest.stacks })).toBe(manifestDigest(manifest));
    const variants: PlanManifest[] = [
      { ...manifest, environment: 'prod' },
      { ...manifest, revision: 'other' },
      { ...manifest, stacks: [{ ...manifest.stacks[0]!, sha256: 'y' }] },
      { ...manifest, stacks: [{ ...manifest.stacks[0]!, reads: { u: 'e' } }] },
      { ...manifest, stacks: [{ ...manifest.stacks[0]!, changes: { add: 1, change: 0, destroy: 1, outputs: 0 } }] },
    ];
    for (const variant of variants) expect(manifestDigest(variant)).not.toBe(manifestDigest(manifest));
  });

  test('staleness compares the outputs the plan read with the current ones, by value', () => {
    const planned: PlannedStack = { stack: 'down', reads: { up: outputsDigest({ a: '1', b: ['x'] }) } };
    expect(() => checkNotStale(planned, new Map([['up', { b: ['x'], a: '1' }]]))).not.toThrow();
    expect(() => checkNotStale(planned, new Map([['up', { a: '2', b: ['x'] }]]))).toThrow(PlanRejected);
    expect(() => checkNotStale(planned, new Map())).toThrow(/cannot read the current outputs of up/);
  });

  test('a plan summary counts resource changes (not data reads) and output changes, and records remote-state reads', () => {
    const summary = summarisePlan({
      resource_changes: [
        { change: { actions: ['create'] } },
        { change: { actions: ['delete', 'create'] } },
        { change: { actions: ['update'] } },
        { mode: 'data', change: { actions: ['read'] } },
        { change: { actions: ['no-op'] } },
      ],
      output_changes: { a: { actions: ['no-op'] }, b: { actions: ['update'] } },
      prior_state: {
        values: { root_module: { resources: [{ mode: 'data', type: 'terraform_remote_state', name: 'cross-stack-reference-input-ledgerline-dev-data', values: { outputs: { k: 'v' } } }] } },
      },
    });
    expect(summary.changes).toEqual({ add: 2, change: 1, destroy: 1, outputs: 1 });
    expect(summary.reads).toEqual({ 'ledgerline-dev-data': outputsDigest({ k: 'v' }) });
  });
});
