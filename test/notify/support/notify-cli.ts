/**
 * `ledgerline notify|webhooks` as main.ts will run them: a program with addNotifyCommand, errors
 * handled as main() handles them (CliError → its exit status, commander errors → 2). Runnable as
 * a script too (a child process that a test may kill): `tsx notify-cli.ts <args>`.
 */
import { Command } from 'commander';
import { addNotifyCommand } from '../../../src/cli/notify-command';
import { CliError } from '../../../src/cli/errors';

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

export async function runNotifyCli(args: readonly string[]): Promise<Result> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io = { stdout: (text: string) => stdout.push(text), stderr: (text: string) => stderr.push(text) };
  const program = new Command('ledgerline').exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  addNotifyCommand(program, io);
  const previous = process.exitCode;
  process.exitCode = undefined;
  let status: number;
  try {
    await program.parseAsync(['node', 'ledgerline', ...args]);
    status = Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CliError) {
      stderr.push(`ledgerline: ${error.message}\n`);
      status = error.exitCode;
    } else if ((error as { code?: string }).code?.startsWith('commander.')) status = 2;
    else throw error;
  } finally {
    process.exitCode = previous;
  }
  return { status, stdout: stdout.join(''), stderr: stderr.join('') };
}

if (require.main === module) {
  void runNotifyCli(process.argv.slice(2)).then((result) => {
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    process.exitCode = result.status;
  });
}
