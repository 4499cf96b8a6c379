/**
 * What the long-running commands (serve, workbench, idp) share about their lifetime: the first
 * SIGINT or SIGTERM as their stop, and a port someone else listens on as a usage error.
 */
import { CliError } from './errors';

/** Resolves with the first SIGINT or SIGTERM. Call it before the address is announced, so a stop sent as soon as it is read is a clean stop. */
export function untilStopped(): Promise<string> {
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

/** A listen that failed because the port is taken, as the command's usage error (exit 2) naming the address and what to do; any other error as it is. */
export function portInUse(error: NodeJS.ErrnoException, command: string, host: string, port: number, who = ''): Error {
  return error.code === 'EADDRINUSE' ? new CliError(`${command}: --port ${port}: ${host}:${port} is already in use${who}; choose another port, or 0 for any free port`) : error;
}
