/**
 * `ledgerline workbench`: the finance exceptions workbench on one machine. Imports every
 * committed run of a reconcile `--out` directory not imported yet into <out>/workbench.db (oldest
 * first), then serves the web UI on 127.0.0.1 (by default) behind a one-per-start access token
 * printed in the login URL, importing each new run as `reconcile` or `inbox` commits it, until
 * SIGINT / SIGTERM. Registered on the CLI program by src/cli/main.ts.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import { CliError } from '../../cli/errors';
import { wholeNumber } from '../../cli/options';
import { containsPan } from '../../domain/pan';
import { type Role, ROLES } from './cases';

// The workbench loads SQLite, DuckDB and node:http: only when this command runs.
/* eslint-disable @typescript-eslint/no-require-imports */
const storeModule = () => require('../../adapters/embedded/workbench-store') as typeof import('../../adapters/embedded/workbench-store');
const importModule = () => require('./import-run') as typeof import('./import-run');
const appModule = () => require('./app') as typeof import('./app');
const authModule = () => require('./local-auth') as typeof import('./local-auth');
const serverModule = () => require('./server') as typeof import('./server');
const ledgerModule = () => require('../../adapters/embedded/recon-workbench-ledger') as typeof import('../../adapters/embedded/recon-workbench-ledger');
/* eslint-enable @typescript-eslint/no-require-imports */

interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

interface WorkbenchOptions {
  out: string;
  host: string;
  port: number;
  user: string;
  roles: Role[];
  import: boolean;
  poll: number;
  /** ADJ-1: the posting state directory approved write-offs are booked in. */
  state?: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

function roles(value: string): Role[] {
  const list = value
    .split(',')
    .map((role) => role.trim())
    .filter((role) => role.length > 0);
  const unknown = list.filter((role) => !(ROLES as readonly string[]).includes(role));
  if (list.length === 0 || unknown.length) throw new InvalidArgumentError(`--roles must be a comma list of ${ROLES.join(', ')}, got "${value}"`);
  return [...new Set(list)] as Role[];
}

function user(value: string): string {
  // PCI-3: the user name goes into every case's history; one carrying a card number is refused, not echoed.
  if (containsPan(value)) throw new InvalidArgumentError('--user contains what looks like a card number (PAN); use your user name or email');
  if (!/^[A-Za-z0-9._%+@-]{1,254}$/.test(value)) throw new InvalidArgumentError(`--user must be a user name or email (letters, digits, . _ % + @ -), got "${value}"`);
  return value;
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      resolve(signal);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

type ImportOutcome = import('./import-cases').ImportOutcome;

function importedLine(outcome: ImportOutcome): string {
  return `imported run ${outcome.runId}: ${outcome.raised} raised, ${outcome.reopened} reopened, ${outcome.cleared} cleared\n`;
}

/**
 * While serving: every `everySeconds`, imports the runs committed since (one import at a time).
 * A failure is reported once per distinct message and tried again on the next look.
 */
function followNewRuns(everySeconds: number, importNew: () => Promise<ImportOutcome[]>, io: Io): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let lastProblem = '';
  const timer = setInterval(() => {
    if (running) return;
    running = importNew()
      .then(
        (outcomes) => {
          lastProblem = '';
          for (const outcome of outcomes) io.stdout(importedLine(outcome));
        },
        (error: unknown) => {
          const problem = error instanceof Error ? error.message : String(error);
          if (problem !== lastProblem) io.stderr(`could not import a new run (will try again): ${problem}\n`);
          lastProblem = problem;
        },
      )
      .finally(() => {
        running = undefined;
      });
  }, everySeconds * 1000);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

async function runWorkbench(options: WorkbenchOptions, io: Io): Promise<void> {
  if (!existsSync(options.out) || !statSync(options.out).isDirectory()) {
    throw new CliError(`workbench: results directory "${options.out}" does not exist (run \`ledgerline reconcile --out ${options.out} ...\` first)`);
  }
  const { importNewRuns, latestRunDir, RunImportError } = importModule();
  const importError = (error: unknown): unknown => (error instanceof RunImportError ? new CliError(`workbench: ${error.message}`) : error);
  if (options.import) {
    try {
      latestRunDir(options.out);
    } catch (error) {
      throw importError(error);
    }
  }
  const { openWorkbenchDatabase, SqliteWorkbenchStore } = storeModule();
  const clock = { now: () => new Date() };
  let ledger: import('../../adapters/embedded/recon-workbench-ledger').LocalWorkbenchLedger | undefined;
  if (options.state !== undefined) {
    const { openLocalWorkbenchLedger, WorkbenchLedgerConfigError } = ledgerModule();
    try {
      ledger = openLocalWorkbenchLedger(options.state);
    } catch (error) {
      throw error instanceof WorkbenchLedgerConfigError ? new CliError(`workbench: ${error.message}`) : error;
    }
  }
  const db = openWorkbenchDatabase(options.out);
  try {
    const store = new SqliteWorkbenchStore(db, clock);
    if (options.import) {
      const outcomes = await importNewRuns(options.out, store, clock).catch((error: unknown) => Promise.reject(importError(error)));
      for (const outcome of outcomes) io.stdout(importedLine(outcome));
      if (outcomes.length === 0) io.stdout('no new run to import: every committed run was imported before\n');
    }
    const authenticator = new (authModule().LocalAuthenticator)({ user: options.user, roles: options.roles });
    const app = appModule().createWorkbenchApp({ store, authenticator, clock, csrfSecret: randomBytes(32).toString('hex'), ...(ledger ? { ledger } : {}) });
    const server = await serverModule().startWorkbenchServer({ host: options.host, port: options.port, app });
    if (!LOOPBACK_HOSTS.has(options.host)) io.stderr(`warning: listening on ${options.host}, not only this machine: anyone who gets the login link can act as ${options.user}, over plain HTTP\n`);
    io.stdout(
      ledger
        ? `ledger: approved write-offs are booked in the posting state ${resolve(options.state!)} (${ledger.partition})\n`
        : 'ledger: none (--state not given): approving a write-off is refused, nothing would be booked\n',
    );
    io.stdout(`workbench for ${options.user} (${options.roles.join(', ')}) at ${server.url}\ndashboard (after signing in): ${server.url}/dashboard\nopen: ${authenticator.loginUrl(server.url)}\n`);
    const follow = options.import && options.poll > 0 ? followNewRuns(options.poll, () => importNewRuns(options.out, store, clock), io) : undefined;
    io.stderr(`serving (Ctrl-C to stop)${follow ? `; new runs in ${options.out} are imported as they are committed` : ''}\n`);
    const signal = await untilStopped();
    io.stderr(`${signal}: stopping\n`);
    await follow?.stop();
    await server.close();
  } finally {
    db.close();
    ledger?.close();
  }
}

export function addWorkbenchCommand(program: Command, io: Io): void {
  program
    .command('workbench')
    .description('serve the finance exceptions workbench (web UI + JSON API) for a reconcile results directory: import its latest run as cases, then work them in the browser')
    .requiredOption('--out <dir>', 'results directory of `ledgerline reconcile`; the cases are kept in <dir>/workbench.db')
    .option('--host <host>', 'address to listen on (keep the default: only this machine)', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', wholeNumber('--port', { max: 65535, hint: '0 = any free port' }), 8080)
    .option('--user <name>', 'who you are in the case history (default: your OS user name)', user)
    .addOption(new Option('--roles <roles>', `your roles, comma separated: ${ROLES.join(', ')}`).argParser(roles).default(['reconciler'] as Role[], 'reconciler'))
    .option('--no-import', 'do not import runs (serve the cases as they are)')
    .option('--state <dir>', 'posting state directory (of `ledgerline post`) that approved write-offs and suspense bookings are posted to; without it, approving one is refused')
    .option('--poll <seconds>', 'how often to look for newly committed runs while serving (0 = never)', wholeNumber('--poll', { max: 3600, hint: 'seconds; 0 = never' }), 2)
    .addHelpText(
      'after',
      [
        '',
        'Prints a login URL with a one-per-start access token: open it in your browser to get a session',
        'cookie. Scripts may send "Authorization: Bearer <token>" to the JSON API under /api/cases.',
        'Every committed run not imported yet is imported, oldest first, at start and while serving (--poll),',
        'so runs that `reconcile` or `inbox` commit meanwhile appear without a restart. A later run that',
        'no longer reports an open case marks it CLEARED; worked cases are kept.',
        'Write-offs need two people: one proposes, another with the approver role approves.',
        'An approved write-off (or a bank error booked to suspense) posts one balanced adjusting entry to',
        'the --state ledger with its posting record, once however often it is submitted; reopening the case',
        'reverses it. `ledgerline ledger --state DIR` shows it.',
        '',
        'Example:',
        '  ledgerline reconcile --statement camt053.xml --ledger ledger.csv --out recon-out',
        '  ledgerline workbench --out recon-out --roles reconciler,approver',
      ].join('\n'),
    )
    .action(async (options: Omit<WorkbenchOptions, 'user'> & { user?: string }) => {
      await runWorkbench({ ...options, user: options.user ?? user(userInfo().username) }, io);
    });
}
