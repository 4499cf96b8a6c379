/**
 * Starts the local identity provider as a child process and stops it: one Node process with tsx's
 * CommonJS hook (the provider's own ES module is loaded by a real dynamic import), not the tsx
 * command, which starts a second Node process with its ES module loader (about twice the start).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface IdpProcess {
  issuer: string;
  clientId: string;
  clientSecret: string;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..', '..', '..', '..');

export function startIdpProcess(usersFile: string, workbenchUrl: string, idTokenSeconds?: number): Promise<IdpProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', join(__dirname, 'idp-process.ts'), usersFile, `${workbenchUrl}/callback`, `${workbenchUrl}/signed-out`, ...(idTokenSeconds ? [String(idTokenSeconds)] : [])],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`identity provider exited (${code}): ${errors}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline < 0) return;
      const started = JSON.parse(out.slice(0, newline)) as { issuer: string; clientId: string; clientSecret: string };
      child.removeAllListeners('exit');
      resolve({
        ...started,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
