/** A user-facing error: printed as "ledgerline: <message>" with a non-zero exit code, no stack. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** Exit status of a writer refused because another writer holds its directory (LOCK-1; EX_TEMPFAIL: try again later). */
export const EXIT_LOCKED = 75;
