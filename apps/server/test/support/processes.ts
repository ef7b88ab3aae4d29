import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const serverDist = fileURLToPath(new URL('../../dist/', import.meta.url));

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Resolves once `text` has appeared on stdout. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  finished: Promise<Finished>;
}

/** Runs a built server script (`main.js`, `cli/admin.js`) with exactly the given environment. */
export function runNode(script: string, args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [serverDist + script, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const finished = new Promise<Finished>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    output: () => ({ stdout, stderr }),
    finished,
    waitFor(text, timeoutMs = 20_000) {
      const matches = () => (typeof text === 'string' ? stdout.includes(text) : text.test(stdout));
      return new Promise((resolve, reject) => {
        if (matches()) return resolve();
        const timer = setTimeout(() => {
          reject(
            new Error(
              `timed out waiting for ${String(text)}; stdout: ${stdout}; stderr: ${stderr}`,
            ),
          );
        }, timeoutMs);
        const onData = () => {
          if (matches()) {
            clearTimeout(timer);
            child.stdout?.off('data', onData);
            resolve();
          }
        };
        child.stdout?.on('data', onData);
        void finished.then(() => {
          clearTimeout(timer);
          if (matches()) resolve();
          else reject(new Error(`process ended; stdout: ${stdout}; stderr: ${stderr}`));
        });
      });
    },
  };
}
