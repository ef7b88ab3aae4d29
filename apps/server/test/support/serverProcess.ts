import { io, type Socket } from 'socket.io-client';
import { freePort, runNode, type Running } from './processes.js';

export const processAdminPassword = 'admin-password-1';

/**
 * The built server (`dist/main.js`) as a child process on a fixed port, so a test can kill it
 * with SIGKILL and start it again on the same port and database (clients reconnect by themselves).
 */
export interface ServerProcess {
  url: string;
  port: number;
  /** The current child process (a new one after `restart`). */
  running: Running;
  /** SIGKILL, as a crash or the OOM killer would; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts the server again with the same environment and port. */
  restart(): Promise<void>;
}

/** Starts `main.js` with `env` (DATABASE_URL, DATA_DIR, ...) on a free port, waiting until it listens. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const fullEnv = {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: processAdminPassword,
    ...env,
  };
  const launch = async () => {
    const running = runNode('main.js', [], fullEnv);
    try {
      await running.waitFor('Console:', 30_000);
    } catch (error) {
      running.child.kill('SIGKILL');
      throw error;
    }
    return running;
  };
  const server: ServerProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    running: await launch(),
    async kill() {
      if (server.running.child.exitCode === null && server.running.child.signalCode === null) {
        server.running.child.kill('SIGKILL');
      }
      await server.running.finished;
    },
    async restart() {
      await server.kill();
      server.running = await launch();
    },
  };
  return server;
}

export interface ApiAnswer {
  status: number;
  body: any;
  /** How long the answer took, in milliseconds. */
  ms: number;
}

/** One JSON request to a running server, over real HTTP. */
export async function api(
  url: string,
  method: string,
  route: string,
  options: { token?: string; body?: unknown } = {},
): Promise<ApiAnswer> {
  const started = Date.now();
  const response = await fetch(`${url}${route}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  let body: unknown = undefined;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: response.status, body, ms: Date.now() - started };
}

/** The admin's session token on a freshly started server. */
export async function loginAdmin(url: string): Promise<string> {
  const answer = await api(url, 'POST', '/api/v1/auth/login', {
    body: { username: 'admin', password: processAdminPassword },
  });
  if (answer.status !== 200) throw new Error(`admin login: ${JSON.stringify(answer.body)}`);
  return answer.body.token as string;
}

let agentCounter = 0;

/** Factory: an agent account made by the admin over REST, logged in, optionally online. */
export async function createAgent(
  url: string,
  adminToken: string,
  options: { maxConcurrent?: number | null; online?: boolean } = {},
): Promise<{ id: string; token: string }> {
  agentCounter += 1;
  const username = `agent${process.pid}x${agentCounter}`;
  const created = await api(url, 'POST', '/api/v1/agents', {
    token: adminToken,
    body: {
      username,
      displayName: `Agent ${agentCounter}`,
      password: 'agent-password-1',
      maxConcurrent: options.maxConcurrent ?? null,
    },
  });
  if (created.status !== 201) throw new Error(`create agent: ${JSON.stringify(created.body)}`);
  const login = await api(url, 'POST', '/api/v1/auth/login', {
    body: { username, password: 'agent-password-1' },
  });
  if (login.status !== 200) throw new Error(`agent login: ${JSON.stringify(login.body)}`);
  const token = login.body.token as string;
  if (options.online) {
    const status = await api(url, 'PUT', '/api/v1/me/status', {
      token,
      body: { status: 'online' },
    });
    if (status.status !== 200) throw new Error(`agent status: ${JSON.stringify(status.body)}`);
  }
  return { id: created.body.agent.id as string, token };
}

/** Factory: an anonymous visitor session on the server's first channel. */
export async function createVisitor(url: string, channelId: string): Promise<string> {
  const answer = await api(url, 'POST', '/api/v1/visitor/session', { body: { channelId } });
  if (answer.status !== 200) throw new Error(`visitor session: ${JSON.stringify(answer.body)}`);
  return answer.body.visitorToken as string;
}

/** The id of the channel the first run created. */
export async function firstChannelId(url: string, adminToken: string): Promise<string> {
  const answer = await api(url, 'GET', '/api/v1/channels', { token: adminToken });
  return answer.body.channels[0].id as string;
}

/**
 * A connected Socket.IO client that reconnects by itself (quickly, without giving up), as the
 * console and the visitor page do. The caller disconnects it.
 */
export async function connectClient(url: string, token: string): Promise<Socket> {
  const socket = io(url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 300,
    randomizationFactor: 0,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connection to ${url}`)), 10_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return socket;
}

/** Resolves once the socket is connected (at once if it already is). */
export function connected(socket: Socket, timeoutMs = 20_000): Promise<void> {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('connect', onConnect);
      reject(new Error(`socket did not reconnect within ${timeoutMs} ms`));
    }, timeoutMs);
    const onConnect = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.once('connect', onConnect);
  });
}
