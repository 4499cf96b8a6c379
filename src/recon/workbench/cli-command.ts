/**
 * `ledgerline workbench`: the finance exceptions workbench on one machine. Imports every
 * committed run of a reconcile `--out` directory not imported yet into <out>/workbench.db (oldest
 * first), then serves the web UI on 127.0.0.1 (by default), importing each new run as `reconcile` or `inbox` commits it, until
 * SIGINT / SIGTERM. People sign in through OpenID Connect (oidc.ts): the local identity provider
 * (--idp, idp.ts) or any issuer (--oidc-issuer); --insecure-dev-identity keeps the unverified
 * command-line identity behind a warning. Registered on the CLI program by src/cli/main.ts.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import { CliError } from '../../cli/errors';
import { portInUse, untilStopped } from '../../cli/server-lifecycle';
import { wholeNumber, directory } from '../../cli/options';
import { containsPan } from '../../domain/pan';
import { type Role, ROLES } from './cases';
import type { CliIo } from '../../cli/io';

// The workbench loads SQLite, DuckDB and node:http: only when this command runs.
/* eslint-disable @typescript-eslint/no-require-imports */
const storeModule = () => require('../../adapters/embedded/workbench-store') as typeof import('../../adapters/embedded/workbench-store');
const bulkStoreModule = () => require('../../adapters/embedded/bulk-job-store') as typeof import('../../adapters/embedded/bulk-job-store');
const importModule = () => require('./import-run') as typeof import('./import-run');
const appModule = () => require('./app') as typeof import('./app');
const authModule = () => require('./local-auth') as typeof import('./local-auth');
const serverModule = () => require('./server') as typeof import('./server');
const oidcModule = () => require('./oidc') as typeof import('./oidc');
const idpModule = () => require('./idp') as typeof import('./idp');
const uploadInboxModule = () => require('./upload-inbox') as typeof import('./upload-inbox');
const groupRolesModule = () => require('../../adapters/aws/workbench-config') as typeof import('../../adapters/aws/workbench-config');
const ledgerModule = () => require('../../adapters/embedded/recon-workbench-ledger') as typeof import('../../adapters/embedded/recon-workbench-ledger');
/* eslint-enable @typescript-eslint/no-require-imports */

interface WorkbenchOptions {
  out: string;
  host: string;
  port: number;
  /** Only with insecureDevIdentity. */
  user?: string;
  roles?: Role[];
  insecureDevIdentity: boolean;
  /** A users file: run the local identity provider in this process and sign in against it. */
  idp?: string;
  oidcIssuer?: string;
  oidcClientId?: string;
  /** JSON group → role map (with --oidc-issuer). */
  groupRoles?: string;
  /** The workbench's address as browsers reach it (default http://<host>:<port>). */
  publicUrl?: string;
  import: boolean;
  poll: number;
  /** ADJ-1: the posting state directory approved write-offs are booked in. */
  state?: string;
  /** REC-RUN-1: the inbox folder statements uploaded from the page go to (`ledgerline inbox --dir` watches it). */
  inbox?: string;
  /** The last closed accounting month (YYYY-MM): a resolution in it or before is not undone. */
  closedThrough?: string;
}

function month(value: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) throw new InvalidArgumentError(`--closed-through must be a month YYYY-MM, got "${value}"`);
  return value;
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

type ImportOutcome = import('./import-cases').ImportOutcome;

function importedLine(outcome: ImportOutcome): string {
  return `imported run ${outcome.runId}: ${outcome.raised} raised, ${outcome.reopened} reopened, ${outcome.cleared} cleared\n`;
}

/**
 * While serving: every `everySeconds`, imports the runs committed since (one import at a time).
 * A failure is reported once per distinct message and tried again on the next look.
 */
function followNewRuns(everySeconds: number, importNew: () => Promise<ImportOutcome[]>, io: CliIo): { stop(): Promise<void> } {
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

interface SignInSetup {
  authenticator: import('./ports').Authenticator;
  /** Who signs in, for the start-up line. */
  banner: string;
  /** The address to open. */
  open(serverUrl: string): string;
}

export const CLIENT_SECRET_VARIABLE = 'LEDGERLINE_OIDC_CLIENT_SECRET';

/** How people sign in, as the options choose it: settled (and refused when wrong) before anything is imported or served. */
type SignInChoice =
  { kind: 'insecure' } | { kind: 'idp'; file: string; config: import('./idp').IdpUsersConfig } | { kind: 'oidc'; issuer: string; clientId: string; secret: string; groupRoles: Record<string, Role> };

/** The sign-in the options choose, or a usage error naming the options at fault (nothing started yet). */
function chooseSignIn(options: WorkbenchOptions): SignInChoice {
  const chosen = [options.insecureDevIdentity && '--insecure-dev-identity', options.idp !== undefined && '--idp', options.oidcIssuer !== undefined && '--oidc-issuer'].filter(Boolean);
  if (chosen.length > 1) throw new CliError(`workbench: choose one way to sign in, not ${chosen.join(' and ')}`);
  if (!options.insecureDevIdentity && (options.user !== undefined || options.roles !== undefined)) {
    throw new CliError(
      'workbench: --user and --roles assert an identity nobody verified; sign in through OpenID Connect (--idp FILE or --oidc-issuer URL), or add --insecure-dev-identity to use them on your own machine',
    );
  }
  if (options.insecureDevIdentity) return { kind: 'insecure' };
  if (options.idp !== undefined) {
    try {
      return { kind: 'idp', file: options.idp, config: idpModule().readIdpUsers(options.idp) };
    } catch (error) {
      throw new CliError(`workbench: ${(error as Error).message}`);
    }
  }
  if (options.oidcIssuer !== undefined) {
    const secret = process.env[CLIENT_SECRET_VARIABLE];
    if (!options.oidcClientId) throw new CliError('workbench: --oidc-issuer needs --oidc-client-id');
    if (!secret) throw new CliError(`workbench: --oidc-issuer needs the client secret in the environment variable ${CLIENT_SECRET_VARIABLE} (never on the command line)`);
    if (!options.groupRoles) throw new CliError('workbench: --oidc-issuer needs --group-roles \'{"<group>": "viewer" | "reconciler" | "approver"}\'');
    try {
      return { kind: 'oidc', issuer: options.oidcIssuer, clientId: options.oidcClientId, secret, groupRoles: groupRolesModule().parseGroupRoles(options.groupRoles) };
    } catch (error) {
      throw new CliError(`workbench: --group-roles: ${(error as Error).message}`);
    }
  }
  throw new CliError(
    'workbench: choose how people sign in: --idp FILE (the local identity provider with the users of FILE, e.g. config/workbench-users.json), --oidc-issuer URL (any OpenID Connect provider), or --insecure-dev-identity (--user/--roles, unverified)',
  );
}

/** The sign-in of the chosen kind: OIDC (the local provider or any issuer), or the insecure command-line identity. */
async function signInFor(
  choice: SignInChoice,
  options: WorkbenchOptions,
  baseUrl: string,
  db: import('../../adapters/embedded/database').StateDatabase,
  clock: { now(): Date },
  io: CliIo,
  started: (idp: import('./idp').LocalIdp) => void,
): Promise<SignInSetup> {
  if (choice.kind === 'insecure') {
    const actor = { user: options.user ?? user(userInfo().username), roles: options.roles ?? (['reconciler'] as Role[]) };
    io.stderr(
      `warning: --insecure-dev-identity: nobody verifies who you are; everyone with the login link acts as ${actor.user} (${actor.roles.join(', ')}). Use --idp or --oidc-issuer to sign in for real\n`,
    );
    if (!LOOPBACK_HOSTS.has(options.host)) io.stderr(`warning: listening on ${options.host}, not only this machine: anyone who gets the login link can act as ${actor.user}, over plain HTTP\n`);
    const authenticator = new (authModule().LocalAuthenticator)(actor);
    return { authenticator, banner: `workbench for ${actor.user} (${actor.roles.join(', ')})`, open: (url) => authenticator.loginUrl(url) };
  }
  const { OidcSignIn } = oidcModule();
  const sessions = new (storeModule().SqliteSessionStore)(db);
  if (choice.kind === 'idp') {
    const { config } = choice;
    const idp = await idpModule().startLocalIdp({ config, host: '127.0.0.1', port: 0, redirectUris: [`${baseUrl}/callback`], postLogoutRedirectUris: [`${baseUrl}/signed-out`] });
    started(idp);
    io.stdout(`identity provider: ${idp.issuer} (the users of ${choice.file}: ${config.users.map((u) => u.sub).join(', ')})\n`);
    const authenticator = new OidcSignIn({ issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, baseUrl, groupRoles: config.groupRoles, sessions, clock });
    return { authenticator, banner: `workbench (sign-in: OpenID Connect, ${idp.issuer})`, open: (url) => `${url}/login` };
  }
  const authenticator = new OidcSignIn({ issuer: choice.issuer, clientId: choice.clientId, clientSecret: choice.secret, baseUrl, groupRoles: choice.groupRoles, sessions, clock });
  return { authenticator, banner: `workbench (sign-in: OpenID Connect, ${choice.issuer}; register ${authenticator.callbackUrl} as its redirect URI)`, open: (url) => `${url}/login` };
}

async function runWorkbench(options: WorkbenchOptions, io: CliIo): Promise<void> {
  if (!existsSync(options.out)) {
    throw new CliError(`workbench: results directory "${options.out}" does not exist (run \`ledgerline reconcile --out ${options.out} ...\` first)`);
  }
  if (!statSync(options.out).isDirectory()) throw new CliError(`workbench: --out "${options.out}" is not a directory: give the results directory of \`ledgerline reconcile --out\``);
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
  // How people sign in is settled before anything is imported or served: a refused start imports nothing and serves nothing.
  let signInChoice: SignInChoice;
  try {
    signInChoice = chooseSignIn(options);
  } catch (error) {
    ledger?.close();
    throw error;
  }
  const db = openWorkbenchDatabase(options.out);
  try {
    const store = new SqliteWorkbenchStore(db, clock);
    if (options.import) {
      const outcomes = await importNewRuns(options.out, store, clock).catch((error: unknown) => Promise.reject(importError(error)));
      for (const outcome of outcomes) io.stdout(importedLine(outcome));
      if (outcomes.length === 0) io.stdout('no new run to import: every committed run was imported before\n');
    }
    let app: import('./ports').WorkbenchApp | undefined;
    const deferred = Object.assign(async () => Promise.reject(new Error('the workbench is starting')), {
      fetch: async (request: Request) => (app ? app.fetch(request) : new Response('the workbench is starting', { status: 503 })),
    });
    const server = await serverModule()
      .startWorkbenchServer({ host: options.host, port: options.port, app: deferred })
      .catch((error: NodeJS.ErrnoException) => Promise.reject(portInUse(error, 'workbench', options.host, options.port, ' (another workbench?)')));
    let idp: import('./idp').LocalIdp | undefined;
    try {
      const baseUrl = (options.publicUrl ?? server.url).replace(/\/$/, '');
      const signIn = await signInFor(signInChoice, options, baseUrl, db, clock, io, (started) => (idp = started));
      const closedThrough = options.closedThrough;
      app = appModule().createWorkbenchApp({
        store,
        authenticator: signIn.authenticator,
        clock,
        csrfSecret: randomBytes(32).toString('hex'),
        ...(ledger ? { ledger } : {}),
        ...(options.inbox ? { inbox: new (uploadInboxModule().FolderStatementInbox)(options.inbox, options.out) } : {}),
        ...(closedThrough ? { periods: { closedThrough: async () => closedThrough } } : {}),
        // WB-BULK-1: jobs in workbench.db, advanced in the background here and resumed after a restart.
        bulk: { store: new (bulkStoreModule().SqliteBulkJobStore)(db), background: true },
      });
      if (options.inbox) io.stdout(`upload: statements go to the inbox ${resolve(options.inbox)} (run \`ledgerline inbox --dir ${options.inbox} --out ${options.out}\` to reconcile them)\n`);
      io.stdout(
        closedThrough ? `periods: closed through ${closedThrough}; resolutions in them are not undone\n` : 'periods: none closed (--closed-through not given); every resolution may be undone\n',
      );
      io.stdout(
        ledger
          ? `ledger: approved write-offs are booked in the posting state ${resolve(options.state!)} (${ledger.partition})\n`
          : 'ledger: none (--state not given): approving a write-off is refused, nothing would be booked\n',
      );
      // SIGINT / SIGTERM are ours before the address is announced: a stop sent as soon as it is read stops the workbench cleanly.
      const stopped = untilStopped();
      io.stdout(`${signIn.banner} at ${server.url}\ndashboard (after signing in): ${server.url}/dashboard\nopen: ${signIn.open(server.url)}\n`);
      const follow = options.import && options.poll > 0 ? followNewRuns(options.poll, () => importNewRuns(options.out, store, clock), io) : undefined;
      io.stderr(`serving (Ctrl-C to stop)${follow ? `; new runs in ${options.out} are imported as they are committed` : ''}\n`);
      const signal = await stopped;
      io.stderr(`${signal}: stopping\n`);
      await follow?.stop();
    } finally {
      await server.close();
      await idp?.close();
    }
  } finally {
    db.close();
    ledger?.close();
  }
}

export function addWorkbenchCommand(program: Command, io: CliIo): void {
  program
    .command('workbench')
    .description('serve the finance exceptions workbench (web UI + JSON API) for a reconcile results directory: import its latest run as cases, then work them in the browser')
    .requiredOption('--out <dir>', 'results directory of `ledgerline reconcile`; the cases are kept in <dir>/workbench.db')
    .option('--host <host>', 'address to listen on (keep the default: only this machine)', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', wholeNumber('--port', { max: 65535, hint: '0 = any free port' }), 8080)
    .option('--idp <users-file>', 'sign in through the local OpenID Connect provider, started on loopback with the users and groups of this file (e.g. config/workbench-users.json)')
    .option('--oidc-issuer <url>', 'sign in through this OpenID Connect issuer (client secret in LEDGERLINE_OIDC_CLIENT_SECRET)')
    .option('--oidc-client-id <id>', "the workbench's client id at --oidc-issuer")
    .option('--group-roles <json>', 'with --oidc-issuer: JSON map of the issuer\'s groups to roles, e.g. \'{"recon-approvers":"approver"}\'')
    .option('--public-url <url>', "the workbench's address as browsers reach it (default http://<host>:<port>); the OIDC callback is <url>/callback")
    .option('--insecure-dev-identity', 'no sign-in: act as --user with --roles (unverified; one person on their own machine only)', false)
    .option('--user <name>', 'with --insecure-dev-identity: who you are in the case history (default: your OS user name)', user)
    .addOption(new Option('--roles <roles>', `with --insecure-dev-identity: your roles, comma separated: ${ROLES.join(', ')} (default reconciler)`).argParser(roles))
    .option('--no-import', 'do not import runs (serve the cases as they are)')
    .option('--state <dir>', 'posting state directory (of `ledgerline post`) that approved write-offs and suspense bookings are posted to; without it, approving one is refused', directory('--state'))
    .option('--inbox <dir>', 'let reconcilers upload statement files from the page into this inbox folder (reconciled by `ledgerline inbox --dir <dir>`)')
    .option('--closed-through <YYYY-MM>', 'the last closed accounting month: resolutions in it or before cannot be undone', month)
    .option('--poll <seconds>', 'how often to look for newly committed runs while serving (0 = never)', wholeNumber('--poll', { max: 3600, hint: 'seconds; 0 = never' }), 2)
    .addHelpText(
      'after',
      [
        '',
        'Sign-in is OpenID Connect (authorization code with PKCE): --idp FILE starts the local identity',
        'provider with the users and groups of FILE (config/workbench-users.json); --oidc-issuer signs in',
        "against any provider (Okta on AWS). Who acts is the ID token's sub; roles come from its groups.",
        'Sessions are server-side (idle 30 min, at most 8 h, the id rotating every 15 min); /logout signs out.',
        'With --insecure-dev-identity instead, a login URL with a one-per-start access token is printed and',
        'scripts may send "Authorization: Bearer <token>" to the JSON API under /api/cases.',
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
        '  ledgerline workbench --out recon-out --idp config/workbench-users.json',
      ].join('\n'),
    )
    .action(async (options: WorkbenchOptions) => {
      await runWorkbench(options, io);
    });
}
