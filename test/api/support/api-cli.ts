/**
 * The `ledgerline` program with `serve` and `token` as the CLI registers them (src/cli/main.ts
 * adds both with addServeCommand / addTokenCommand): run as `node -r tsx/cjs test/api/support/api-cli.ts serve ...`.
 */
import { Command } from 'commander';
import { CliError } from '../../../src/cli/errors';
import { addServeCommand } from '../../../src/cli/serve-command';
import { addTokenCommand } from '../../../src/cli/token-command';

const io = { stdout: (text: string) => void process.stdout.write(text), stderr: (text: string) => void process.stderr.write(text) };
const program = new Command('ledgerline').exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
addServeCommand(program, io);
addTokenCommand(program, io);
program.parseAsync(process.argv).catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  if (code?.startsWith('commander.')) {
    process.exitCode = code === 'commander.helpDisplayed' ? 0 : 2;
    return;
  }
  io.stderr(`ledgerline: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof CliError ? error.exitCode : 1;
});
