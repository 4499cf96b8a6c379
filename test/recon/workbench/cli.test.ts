/**
 * `ledgerline workbench`: --help and a results directory without a committed run (exit 2, naming
 * it) in process through main, and as a child process a full start → import → serve → SIGTERM → clean exit.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliAsync } from '../../support/cli';
import { runCli } from '../../support/cli-in-process';
import { tempDir } from '../../support/runtime';
import { BAI2, CAMT053, LEDGER_ROWS, MT940, reconciled, writeLedger } from '../run/helpers';

describe('ledgerline workbench', () => {
  it('explains itself in --help', async () => {
    const result = await runCli(['workbench', '--help']);
    expect(result.status).toBe(0);
    for (const option of ['--out <dir>', '--host <host>', '--port <port>', '--user <name>', '--roles <roles>', '--no-import']) expect(result.stdout).toContain(option);
    expect(result.stdout).toContain('Authorization: Bearer');
  });

  it('refuses an --out that is a file, saying so rather than that it does not exist (exit 2)', async () => {
    const file = join(tempDir('workbench-cli-file-'), 'summary.json');
    writeFileSync(file, '{}\n');
    const result = await runCli(['workbench', '--out', file, '--port', '0', '--insecure-dev-identity']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`ledgerline: workbench: --out "${file}" is not a directory: give the results directory of \`ledgerline reconcile --out\`\n`);
  });

  it('a --port another process listens on is a usage error naming the address and what to do (exit 2)', async () => {
    const root = tempDir('workbench-cli-port-');
    const out = join(root, 'out');
    await reconciled({ statements: [CAMT053], ledger: { file: writeLedger(root, LEDGER_ROWS) }, out, progress: () => undefined });
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const result = await runCli(['workbench', '--out', out, '--port', String(port), '--insecure-dev-identity']);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(`ledgerline: workbench: --port ${port}: 127.0.0.1:${port} is already in use (another workbench?); choose another port, or 0 for any free port\n`);
    } finally {
      taken.close();
    }
  });

  it('refuses a results directory without a committed run, naming it (exit 2)', async () => {
    const empty = tempDir('workbench-cli-empty-');
    const result = await runCli(['workbench', '--out', empty, '--port', '0']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`"${empty}" holds no committed reconciliation run`);
  });

  it('imports the committed run, prints the login URL, serves, imports a run committed while serving, and stops cleanly on SIGTERM', async () => {
    const root = tempDir('workbench-cli-');
    const out = join(root, 'out');
    const ledger = writeLedger(root, LEDGER_ROWS);
    await reconciled({ statements: [CAMT053, BAI2], ledger: { file: ledger }, out, progress: () => undefined });
    const inbox = join(root, 'inbox');
    const child = cliAsync([
      'workbench',
      ...['--out', out, '--port', '0', '--poll', '1', '--inbox', inbox, '--closed-through', '2025-11'],
      ...['--insecure-dev-identity', '--user', 'rita@bank.example', '--roles', 'reconciler,approver'],
    ]);
    try {
      let stdout = '';
      child.stdout.setEncoding('utf8');
      const login = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          const match = /open: (http:\/\/127\.0\.0\.1:\d+\/login\?token=[0-9a-f]{64})\n/.exec(stdout);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code} before serving: ${stdout}`)));
      });
      // REC-RUN-1: the run raised its cases itself (the embedded case sink): the workbench finds nothing left to import.
      expect(stdout).toMatch(/^no new run to import: every committed run was imported before\n/);
      expect(stdout).toContain('workbench for rita@bank.example (reconciler, approver)');
      expect(stdout).toContain(`upload: statements go to the inbox ${inbox} (run \`ledgerline inbox --dir ${inbox} --out ${out}\``);
      expect(stdout).toContain('periods: closed through 2025-11; resolutions in them are not undone');
      const token = new URL(login).searchParams.get('token')!;
      const api = await fetch(new URL('/api/cases', login), { headers: { authorization: `Bearer ${token}` } });
      expect(api.status).toBe(200);
      expect(((await api.json()) as { cases: unknown[] }).cases.length).toBeGreaterThan(10);
      // --inbox: the upload page is served to a reconciler.
      const upload = await fetch(new URL('/uploads', login), { headers: { authorization: `Bearer ${token}` } });
      expect(upload.status).toBe(200);
      expect(await upload.text()).toContain('type="file"');

      // A statement reconciled while the workbench serves: its cases are there without a restart.
      const later = await reconciled({ statements: [MT940], ledger: { file: ledger }, out, progress: () => undefined });
      const mbank = await fetch(new URL('/api/cases?account=PL29114010810000267002001002', login), { headers: { authorization: `Bearer ${token}` } });
      expect(((await mbank.json()) as { cases: unknown[] }).cases.length).toBeGreaterThan(0);

      // REC-DASH-1: both runs' statistics came with their imports; the dashboard needs the sign-in.
      expect(stdout).toMatch(/dashboard \(after signing in\): http:\/\/127\.0\.0\.1:\d+\/dashboard\n/);
      expect((await fetch(new URL('/api/dashboard', login))).status).toBe(401);
      const dashboard = await fetch(new URL('/api/dashboard', login), { headers: { authorization: `Bearer ${token}` } });
      const data = (await dashboard.json()) as { runs: { runId: string; statementLines: number }[] };
      expect(data.runs.map((run) => run.runId)).toContain(later.summary.runId);
      expect(data.runs).toHaveLength(2);
      expect(data.runs.every((run) => run.statementLines > 0)).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    const code = child.exitCode ?? (await once(child, 'exit'))[0];
    expect(code).toBe(0);
  });
});

describe("the README's workbench command", () => {
  it('starts as written (with the results directory and a free port filled in) and prints where to sign in', async () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    const commands = [...readme.matchAll(/^npx ledgerline (workbench [^#\n]*?)\s*(?:#.*)?$/gm)].map((match) => match[1]!.split(/\s+/));
    expect(commands.length).toBeGreaterThan(0);
    const root = tempDir('workbench-cli-readme-');
    const out = join(root, 'out');
    await reconciled({ statements: [CAMT053], ledger: { file: writeLedger(root, LEDGER_ROWS) }, out, progress: () => undefined });
    for (const command of commands) {
      const args = command.map((arg, i) => (command[i - 1] === '--out' ? out : arg));
      const child = cliAsync([...args, '--port', '0']);
      try {
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8');
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk: string) => (stderr += chunk));
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (chunk: string) => {
            stdout += chunk;
            if (/\nopen: http:\/\/127\.0\.0\.1:\d+\/login/.test(stdout)) resolve();
          });
          child.once('exit', (code) => reject(new Error(`\`ledgerline ${command.join(' ')}\` exited ${code}: ${stderr}`)));
        });
      } finally {
        child.kill('SIGTERM');
      }
      expect(child.exitCode ?? (await once(child, 'exit'))[0]).toBe(0);
    }
  });
});

describe('ledgerline workbench --closed-through', () => {
  it('refuses every value that is not a month YYYY-MM, naming the option and the value (exit 2)', async () => {
    for (const value of ['2025-13', '2025-00', '2025-1', '25-11', '2025-11-30', 'November', '']) {
      const result = await runCli(['workbench', '--out', 'unused', '--port', '0', '--insecure-dev-identity', '--closed-through', value]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(`--closed-through must be a month YYYY-MM, got "${value}"`);
    }
  });
});

describe('ledgerline workbench sign-in', () => {
  it('refuses --user/--roles without --insecure-dev-identity, and starting with no way to sign in, naming the options (exit 2)', async () => {
    const root = tempDir('workbench-cli-signin-');
    const out = join(root, 'out');
    await reconciled({ statements: [CAMT053], ledger: { file: writeLedger(root, LEDGER_ROWS) }, out, progress: () => undefined });
    const asserted = await runCli(['workbench', '--out', out, '--port', '0', '--user', 'Alice', '--roles', 'approver']);
    expect(asserted.status).toBe(2);
    expect(asserted.stderr).toContain('--insecure-dev-identity');
    const none = await runCli(['workbench', '--out', out, '--port', '0']);
    expect(none.status).toBe(2);
    for (const option of ['--idp', '--oidc-issuer', '--insecure-dev-identity']) expect(none.stderr).toContain(option);
    const both = await runCli(['workbench', '--out', out, '--port', '0', '--idp', 'config/workbench-users.json', '--insecure-dev-identity']);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('choose one way to sign in');
  });

  it('settles how people sign in before it imports or serves anything: a refused start leaves the cases as they were', async () => {
    const root = tempDir('workbench-cli-signin-first-');
    const out = join(root, 'out');
    await reconciled({ statements: [CAMT053], ledger: { file: writeLedger(root, LEDGER_ROWS) }, out, progress: () => undefined });
    // A committed run the workbench has not imported yet: its cases are gone, the run is still there.
    for (const name of readdirSync(out).filter((file) => file.startsWith('workbench.db'))) rmSync(join(out, name));
    const refusals = [
      ['--port', '0'],
      ['--port', '0', '--roles', 'approver'],
      ['--port', '0', '--idp', 'config/workbench-users.json', '--insecure-dev-identity'],
      ['--port', '0', '--oidc-issuer', 'http://127.0.0.1:9/'],
    ];
    for (const options of refusals) {
      const refused = await runCli(['workbench', '--out', out, ...options]);
      expect([refused.status, refused.stdout]).toEqual([2, '']);
      expect(refused.stderr).toMatch(/^ledgerline: workbench: /);
      expect(readdirSync(out).filter((file) => file.startsWith('workbench.db'))).toEqual([]);
    }
  });

  it('--idp FILE starts the local identity provider and sends /login to it with PKCE, state and nonce', async () => {
    const root = tempDir('workbench-cli-idp-');
    const out = join(root, 'out');
    await reconciled({ statements: [CAMT053], ledger: { file: writeLedger(root, LEDGER_ROWS) }, out, progress: () => undefined });
    const child = cliAsync(['workbench', '--out', out, '--port', '0', '--poll', '0', '--idp', join(__dirname, '../../../config/workbench-users.json')]);
    try {
      let stdout = '';
      child.stdout.setEncoding('utf8');
      const open = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          const match = /open: (http:\/\/127\.0\.0\.1:\d+\/login)\n/.exec(stdout);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code} before serving: ${stdout}`)));
      });
      const issuer = /identity provider: (http:\/\/127\.0\.0\.1:\d+) /.exec(stdout)![1]!;
      expect(stdout).toContain('u-alice');
      expect((await fetch(new URL('/api/cases', open))).status).toBe(401);
      const login = await fetch(open, { redirect: 'manual' });
      expect(login.status).toBe(303);
      const location = new URL(login.headers.get('location')!);
      expect(location.origin).toBe(issuer);
      for (const parameter of ['state', 'nonce', 'code_challenge']) expect(location.searchParams.get(parameter)).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(location.searchParams.get('redirect_uri')).toBe(new URL('/callback', open).toString());
      // The provider answers its own discovery document under that issuer.
      const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { issuer: string };
      expect(discovery.issuer).toBe(issuer);
    } finally {
      child.kill('SIGTERM');
    }
    const code = child.exitCode ?? (await once(child, 'exit'))[0];
    expect(code).toBe(0);
  });
});
