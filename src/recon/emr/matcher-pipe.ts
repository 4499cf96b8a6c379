/**
 * REC-EMR-1: the matcher as a pipe, for Spark's RDD.pipe on EMR Serverless (emr/recon_spark.py).
 * The same matcher the reconcile-match Lambda runs (matchPartition), bundled by esbuild into one
 * file (scripts/bundle-functions.ts: dist/emr/matcher-pipe.js) and run by the Node runtime shipped
 * with the job.
 *
 *   node matcher-pipe.js --as-of YYYY-MM-DD [--confirm-threshold 0.90] [--stale-after-days 30]
 *
 * stdin: NDJSON, one account/currency partition per line, in serialisePartition's format
 *   {"partitionKey":"<account>|<currency>","statementLines":[...],"ledgerEntries":[...]}
 * (members other than those the matcher reads, e.g. runId, are ignored).
 * stdout: one NDJSON line per input line, in input order: the partition's MatchResult with its key,
 *   {"partitionKey":"...","matches":[...],"unmatched":[...]}
 * Bad input (a line that is not JSON, not a partition, rows of another partition, a blank line, a
 * bad as-of date or rule override): one line on stderr naming the input line number and, when it
 * can be read, the partition key (never the line's content: it may hold card data, PCI-3), and
 * exit status 2. Spark's pipe (checkCode) then fails the task, so a bad partition is never
 * silently dropped. Nothing here does I/O beyond stdin/stdout/stderr.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { deserialisePartition } from '../matching/partition';
import { asOfDayNumber, matchPartition } from '../matching/engine';
import { compileRuleSet, defaultRuleSet, validateRuleSet, type CompiledRuleSet } from '../matching/rules';

export const EXIT_BAD_INPUT = 2;

export class PipeInputError extends Error {
  override name = 'PipeInputError';
}

export interface PipeOptions {
  asOf: string;
  rules: CompiledRuleSet;
}

/** The command line: --as-of (required) and the rule overrides the workflow configuration allows. */
export function parsePipeArguments(argv: readonly string[]): PipeOptions {
  const values = new Map<string, string>();
  const known = new Set(['--as-of', '--confirm-threshold', '--stale-after-days']);
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!;
    if (!known.has(name)) throw new PipeInputError(`unknown argument "${name}" (known: ${[...known].join(', ')})`);
    const value = argv[i + 1];
    if (value === undefined) throw new PipeInputError(`${name} needs a value`);
    if (values.has(name)) throw new PipeInputError(`${name} is given twice`);
    values.set(name, value);
  }
  const asOf = values.get('--as-of');
  if (asOf === undefined) throw new PipeInputError('--as-of YYYY-MM-DD is required');
  try {
    asOfDayNumber(asOf);
  } catch {
    throw new PipeInputError(`--as-of "${asOf}" is not a date YYYY-MM-DD`);
  }
  const rules = { ...defaultRuleSet() };
  const threshold = values.get('--confirm-threshold');
  if (threshold !== undefined) {
    if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(threshold)) throw new PipeInputError(`--confirm-threshold "${threshold}" is not a decimal between 0 and 1`);
    rules.confirmThreshold = Number(threshold);
  }
  const stale = values.get('--stale-after-days');
  if (stale !== undefined) {
    if (!/^\d{1,5}$/.test(stale)) throw new PipeInputError(`--stale-after-days "${stale}" is not a whole number of days`);
    rules.staleAfterDays = Number(stale);
  }
  try {
    return { asOf, rules: compileRuleSet(validateRuleSet(rules)) };
  } catch (error) {
    throw new PipeInputError(`rule overrides refused: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The partition key of a line, when it can be read without trusting the rest (for messages). */
function keyOf(line: string): string | undefined {
  const match = /^\s*\{\s*"partitionKey"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(line);
  if (!match) return undefined;
  try {
    return JSON.parse(match[1]!) as string;
  } catch {
    return undefined;
  }
}

/** One input line → its output line (without the newline). Throws PipeInputError naming the line. */
export function matchLine(line: string, lineNumber: number, options: PipeOptions): string {
  if (line.trim() === '') throw new PipeInputError(`line ${lineNumber}: a blank line is not a partition`);
  let partition;
  try {
    partition = deserialisePartition(line);
  } catch (error) {
    const key = keyOf(line);
    const fault = error instanceof Error ? error.message.replace(/^partition(?: "[^"]*")?: /, '') : String(error);
    // JSON.parse's message quotes the offending text: name only the fault's class.
    const safe = /not valid JSON/.test(fault) ? 'not valid JSON' : fault;
    throw new PipeInputError(`line ${lineNumber}${key !== undefined ? ` (partition "${key}")` : ''}: ${safe}`);
  }
  let result;
  try {
    result = matchPartition(partition, options.rules, options.asOf);
  } catch (error) {
    throw new PipeInputError(`line ${lineNumber} (partition "${partition.partitionKey}"): ${error instanceof Error ? error.message : String(error)}`);
  }
  return JSON.stringify({ partitionKey: partition.partitionKey, matches: result.matches, unmatched: result.unmatched });
}

function write(out: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.write(text)) resolve();
    else {
      out.once('drain', resolve);
      out.once('error', reject);
    }
  });
}

/** Streams stdin → stdout; resolves with the exit status (0, or EXIT_BAD_INPUT after one stderr line). */
export async function runPipe(argv: readonly string[], input: NodeJS.ReadableStream, output: Writable, errors: Writable): Promise<number> {
  let options: PipeOptions;
  try {
    options = parsePipeArguments(argv);
  } catch (error) {
    errors.write(`matcher-pipe: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_BAD_INPUT;
  }
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber += 1;
      await write(output, `${matchLine(line, lineNumber, options)}\n`);
    }
  } catch (error) {
    lines.close();
    errors.write(`matcher-pipe: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_BAD_INPUT;
  }
  return 0;
}

if (require.main === module) {
  runPipe(process.argv.slice(2), process.stdin, process.stdout, process.stderr).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      process.stderr.write(`matcher-pipe: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
