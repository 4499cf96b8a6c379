/**
 * `ledgerline audit-flow`: the flow audit over an embedded state (FLOW-1, FLOW-2, FLOW-3).
 * Counts and totals every stage boundary, checks the balance equations, names each stuck payment
 * and, with --repair, re-emits each one's event under its deterministic id. JSON on stdout with
 * --json; progress on stderr. Exit 1 when something is stuck and not repaired, or the flow does
 * not balance.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { existsSync } from 'node:fs';
import type { CliIo } from './io';
import { CliError, EXIT_LOCKED } from './errors';
import { acquireDirLock, DirLockedError } from '../adapters/embedded/dir-lock';
import { SqliteFlowFacts } from '../adapters/embedded/flow-facts';
import { EmbeddedFlowRepairer } from '../runtime/flow-repair';
import { partitionDirs } from '../runtime/state-layout';
import { runAuditFlow } from '../use-cases/audit-flow/audit-flow';
import type { AuditFlowResult } from '../use-cases/audit-flow/audit-flow';
import type { FlowWindow } from '../ports/flow';
import { FLOW_TERMS } from '../domain/flow-audit';
import { directory } from './options';

/** Exit status when a payment is stuck and not repaired, or the boundaries do not balance. */
export const EXIT_STUCK = 1;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as 0s, 500ms, 15m, 2h, 1d. */
export function parseDuration(text: string, name = '--stuck-after'): number {
  const match = /^([0-9]{1,9})(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new InvalidArgumentError(`${name} must be a whole number with a unit ms, s, m, h or d (e.g. 15m), got "${text}"`);
  return Number(match[1]) * UNITS[match[2]!]!;
}

/** An ISO 8601 interval FROM/TO of ingestion time; either end may be left empty (open). */
export function parseWindow(text: string): FlowWindow {
  const parts = text.split('/');
  if (parts.length !== 2) throw new InvalidArgumentError(`--window must be FROM/TO in ISO 8601 (either may be empty), e.g. 2026-01-01T00:00Z/2026-01-02T00:00Z, got "${text}"`);
  const [fromText, toText] = parts as [string, string];
  const at = (value: string, side: string): Date | undefined => {
    if (value === '') return undefined;
    const ms = Date.parse(value);
    if (!/^\d{4}-\d{2}-\d{2}/.test(value) || !Number.isFinite(ms)) throw new InvalidArgumentError(`--window ${side} "${value}" is not an ISO 8601 time`);
    return new Date(ms);
  };
  const window: FlowWindow = { from: at(fromText, 'start'), to: at(toText, 'end') };
  if (window.from && window.to && window.from >= window.to) throw new InvalidArgumentError(`--window start ${fromText} is not before its end ${toText}`);
  return window;
}

function describe(result: AuditFlowResult): string {
  const report = result.repair?.after ?? result.audit;
  const lines: string[] = [];
  lines.push('Boundaries (payments, totals by currency):');
  for (const term of FLOW_TERMS) {
    const figure = report.boundaries[term];
    const totals = Object.entries(figure.totals)
      .map(([currency, value]) => `${currency} ${value}`)
      .join(', ');
    lines.push(`  ${term.padEnd(22)} ${String(figure.count).padStart(9)}  ${totals}`);
  }
  lines.push('Equations (FLOW-1):');
  for (const equation of report.equations)
    lines.push(`  ${equation.holds ? 'ok  ' : 'FAIL'} ${equation.left} = ${equation.right.join(' + ')}${equation.holds ? '' : `  (off by ${equation.difference.count})`}`);
  if (report.orphans.length > 0) lines.push(`Orphan facts: ${report.orphans.length}`);
  lines.push(`Stuck before repair: ${result.audit.stuck.length}`);
  for (const payment of result.audit.stuck.slice(0, 20)) lines.push(`  ${payment.authorizationId}  stopped at ${payment.stoppedAt}: ${payment.missing} (since ${payment.since})`);
  if (result.audit.stuck.length > 20) lines.push(`  … and ${result.audit.stuck.length - 20} more (--json lists them all)`);
  if (result.repair) {
    lines.push(`Repair: ${result.repair.reemitted} re-emitted, ${result.repair.unrepairable.length} could not be rebuilt`);
    for (const failed of result.repair.unrepairable.slice(0, 20)) lines.push(`  ${failed.authorizationId}: ${failed.reason ?? 'unknown'}`);
  }
  lines.push(`Stuck and not repaired: ${result.unrepaired}; ${result.balanced ? 'balanced' : 'NOT balanced'}`);
  return lines.join('\n');
}

export function addAuditFlowCommand(program: Command, io: CliIo): void {
  program
    .command('audit-flow')
    .description('count and total the payments at every stage boundary, check they balance, name the stuck ones and optionally repair them')
    .requiredOption('--state <dir>', 'state directory', directory('--state'))
    .option('--repair', 're-emit the event each stuck payment is missing, under its deterministic id (posts nothing twice)')
    .option('--json', 'print the audit as one JSON object on stdout')
    .option('--stuck-after <duration>', 'in flight longer than this is stuck (e.g. 15m; a committed embedded wave has drained, so 0s by default)', (text: string) => parseDuration(text), 0)
    .option('--window <from/to>', 'only payments ingested in [from, to) (ISO 8601; either end may be empty)', (text: string) => parseWindow(text))
    .addHelpText('after', '\nExit status: 0 when nothing is stuck (or all was repaired) and the boundaries balance; 1 otherwise.')
    .action(async (options: { state: string; repair?: boolean; json?: boolean; stuckAfter: number; window?: FlowWindow }) => {
      if (!existsSync(options.state) || partitionDirs(options.state).length === 0)
        throw new CliError(`audit-flow: state directory "${options.state}" does not exist (run \`ledgerline post --state ${options.state} ...\` first)`);
      // LOCK-1: a repair writes, so it takes the state's writer lock; a read-only audit does not.
      let lock: { release(): void } | undefined;
      if (options.repair) {
        try {
          lock = acquireDirLock(options.state, 'ledgerline audit-flow --repair');
        } catch (error) {
          if (error instanceof DirLockedError) throw new CliError(error.message, EXIT_LOCKED);
          throw error;
        }
      }
      try {
        const dirs = partitionDirs(options.state);
        const result = await runAuditFlow(
          { facts: new SqliteFlowFacts(dirs), repairer: new EmbeddedFlowRepairer(), clock: { now: () => new Date() } },
          { window: options.window ?? {}, stuckAfterMs: options.stuckAfter, repair: options.repair === true, onProgress: (message) => io.stderr(`audit-flow: ${message}\n`) },
        );
        io.stdout(options.json ? `${JSON.stringify(result)}\n` : `${describe(result)}\n`);
        if (result.unrepaired > 0 || !result.balanced) process.exitCode = EXIT_STUCK;
      } finally {
        lock?.release();
      }
    });
}
