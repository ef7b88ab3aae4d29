import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { api } from '../../apps/server/test/support/serverProcess.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const e2eAdmin = { username: 'admin', password: 'e2e-admin-password' };

export interface E2eServer {
  url: string;
  dataDir: string;
  /** Logs the admin in over REST; answers the session token. */
  adminToken(): Promise<string>;
  /** The id of the default channel. */
  channelId(): Promise<string>;
  /** Logs any account in over REST; answers the session token. */
  login(username: string, password: string): Promise<string>;
  /** Stops the server gracefully (SIGTERM) and starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Demo mode: a demo agent's password, as the server keeps it for its banner. */
  demoPassword(username: string): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The built server (what `npm start` runs: `npm test` builds first) as a real process on a fresh
 * SQLite database, serving the console, the visitor page and the API on one port.
 */
export async function startE2eServer(
  env: Record<string, string> = {},
  options: { host?: string } = {},
): Promise<E2eServer> {
  const host = options.host ?? '127.0.0.1';
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-e2e-'));
  const port = await freePort(host);
  const url = `http://${host}:${port}`;
  const launch = async (): Promise<ChildProcess> => {
    const child: ChildProcess = spawn(
      process.execPath,
      [path.join(repoRoot, 'apps/server/dist/main.js')],
      {
        env: {
          PATH: process.env.PATH ?? '',
          DATA_DIR: dataDir,
          PORT: String(port),
          HOST: host,
          PUBLIC_URL: url,
          LOG_LEVEL: 'warn',
          ADMIN_USERNAME: e2eAdmin.username,
          ADMIN_PASSWORD: e2eAdmin.password,
          AGENT_OFFLINE_GRACE_SECONDS: '5',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Generous: the e2e files run side by side, each with a server and a browser, on two cores.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const health = await fetch(`${url}/healthz`);
        if (health.ok) break;
      } catch {
        // not up yet
      }
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`server did not start: ${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return child;
  };
  const stopChild = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  let child = await launch();
  const api = async (method: string, route: string, token?: string, body?: unknown) => {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return (await response.json()) as Record<string, any>;
  };
  const adminToken = async () =>
    (await api('POST', '/api/v1/auth/login', undefined, e2eAdmin)).token as string;
  return {
    url,
    dataDir,
    adminToken,
    async channelId() {
      const token = await adminToken();
      return (await api('GET', '/api/v1/channels', token)).channels[0].id as string;
    },
    async login(username, password) {
      const answer = await api('POST', '/api/v1/auth/login', undefined, { username, password });
      if (typeof answer.token !== 'string') throw new Error(`login: ${JSON.stringify(answer)}`);
      return answer.token;
    },
    async demoPassword(username) {
      const text = await fs.readFile(path.join(dataDir, 'demo-accounts.txt'), 'utf8');
      const line = text.split('\n').find((l) => l.startsWith(`${username} `));
      if (!line) throw new Error(`no demo account ${username}`);
      return line.split(' ')[1]!;
    },
    async restart() {
      await stopChild('SIGTERM');
      child = await launch();
    },
    async stop() {
      await stopChild('SIGTERM');
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A JSON call to the server's REST API; throws with the answer when it is not a 2xx. */
export async function rest(
  server: E2eServer,
  method: string,
  route: string,
  token?: string,
  body?: unknown,
): Promise<any> {
  const answer = await api(server.url, method, route, { token, body });
  if (answer.status >= 300) {
    throw new Error(`${method} ${route}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer.body;
}
