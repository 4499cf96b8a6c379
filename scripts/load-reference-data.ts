/**
 * Loads reference-data/ into the DynamoDB reference table (FR6): the deploy pipeline runs it after
 * the data stack, on the first deploy and whenever reference-data/ changes. The same command as
 * `ledgerline load-reference-data` (src/adapters/aws/reference-data-loader.ts has the details).
 *
 *   npx tsx scripts/load-reference-data.ts --table <name> [--dir reference-data] [--region <r>] [--endpoint <url>] [--dry-run] [--json]
 *
 * Exit status: 0 loaded (or valid, with --dry-run); 2 bad input or arguments (nothing written);
 * 1 AWS failure or a refused pointer move.
 */
import { Command } from 'commander';
import { CliError } from '../src/cli/errors';
import { configureLoadReferenceDataCommand } from '../src/adapters/aws/reference-data-loader';

const io = { stdout: (text: string) => void process.stdout.write(text), stderr: (text: string) => void process.stderr.write(text) };

/** Runs the command on `argv` (process.argv form) and returns the exit status. */
export async function run(argv: readonly string[]): Promise<number> {
  const command = configureLoadReferenceDataCommand(new Command('load-reference-data.ts'), io)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  try {
    await command.parseAsync([...argv]);
    return 0;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.help') return 0;
    if (code?.startsWith('commander.')) return 2;
    if (error instanceof CliError) {
      io.stderr(`load-reference-data: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr(`load-reference-data: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void run(process.argv).then((status) => {
    process.exitCode = status;
  });
}
