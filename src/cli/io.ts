/** Where a command writes: machine output (--json) to stdout alone, progress and diagnostics to stderr. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}
