import sharp from 'sharp';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { startTestApp, type TestApp } from './testApp.js';
import type { AppOptions } from '../../src/app.js';
import type { TestDatabase } from './testDatabase.js';

/** A test app listening on a real port, with real Socket.IO clients. */
export interface LiveApp extends TestApp {
  url: string;
  channelId: string;
  /** Factory: a visitor session over REST (anonymous unless `identity` is given). */
  visitor(options?: { channelId?: string; identity?: string; token?: string }): Promise<{
    token: string;
    id: string;
    name: string;
  }>;
  /** Factory: an agent account, logged in, optionally online. */
  agent(options?: {
    maxConcurrent?: number | null;
    status?: 'online' | 'away' | 'offline';
    displayName?: string;
  }): Promise<{ id: string; token: string; username: string; password: string }>;
  /** A connected Socket.IO client; closed with the app. `headers` go with the handshake. */
  connect(
    token: string,
    options?: { autoConnect?: boolean; headers?: Record<string, string> },
  ): Promise<Socket>;
  setStatus(token: string, status: 'online' | 'away' | 'offline'): Promise<void>;
}

export async function startLiveApp(
  env: Record<string, string> = {},
  options: {
    db?: TestDatabase;
    now?: () => number;
    webhooks?: AppOptions['webhooks'];
    robotModel?: AppOptions['robotModel'];
  } = {},
): Promise<LiveApp> {
  const t = await startTestApp({ AGENT_OFFLINE_GRACE_SECONDS: '30', ...env }, options);
  await t.app.http.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.http.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const url = `http://127.0.0.1:${address.port}`;
  const sockets: Socket[] = [];
  const channel = await t.request('GET', '/api/v1/channels', { token: t.adminToken });
  const channelId = channel.body.channels[0].id as string;

  const live: LiveApp = {
    ...t,
    url,
    channelId,
    async visitor(opts = {}) {
      const answer = await t.request('POST', '/api/v1/visitor/session', {
        body: {
          channelId: opts.channelId ?? channelId,
          ...(opts.identity ? { identity: opts.identity } : {}),
        },
        ...(opts.token ? { token: opts.token } : {}),
      });
      if (answer.status !== 200) throw new Error(`visitor session: ${JSON.stringify(answer.body)}`);
      return {
        token: answer.body.visitorToken as string,
        id: answer.body.visitor.id as string,
        name: answer.body.visitor.name as string,
      };
    },
    async agent(opts = {}) {
      const created = await t.createAccount({
        maxConcurrent: opts.maxConcurrent ?? null,
        ...(opts.displayName ? { displayName: opts.displayName } : {}),
      });
      // Chosen up front (default offline), so connecting its console does not switch it on: a
      // test decides when an agent takes conversations.
      await live.setStatus(created.token, opts.status ?? 'offline');
      return {
        id: created.account.id,
        token: created.token,
        username: created.account.username,
        password: created.password,
      };
    },
    async setStatus(token, status) {
      const answer = await t.request('PUT', '/api/v1/me/status', { token, body: { status } });
      if (answer.status !== 200) throw new Error(`status: ${JSON.stringify(answer.body)}`);
    },
    async connect(token, opts = {}) {
      const socket = connectSocket(url, {
        auth: { token },
        transports: ['websocket'],
        reconnection: true,
        reconnectionDelay: 50,
        reconnectionDelayMax: 200,
        autoConnect: opts.autoConnect ?? true,
        ...(opts.headers ? { extraHeaders: opts.headers } : {}),
      });
      sockets.push(socket);
      if (opts.autoConnect === false) return socket;
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', (error) => reject(error));
      });
      return socket;
    },
    async close() {
      for (const socket of sockets) socket.disconnect();
      await t.close();
    },
  };
  return live;
}

/** Emits with an ack and resolves with the ack's answer. */
export function request<T = any>(socket: Socket, event: string, payload?: unknown): Promise<T> {
  return socket.timeout(10_000).emitWithAck(event, payload) as Promise<T>;
}

/** Resolves with the next `event` whose payload satisfies `match`. */
export function nextEvent<T = any>(
  socket: Socket,
  event: string,
  match: (payload: T) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
}

/** Records every `event` payload from now on. */
export function record<T = any>(socket: Socket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (payload: T) => seen.push(payload));
  return seen;
}

/** Waits until `check` passes (polling), for effects that arrive asynchronously. */
export async function eventually(
  check: () => void | Promise<void>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

let clientCounter = 0;
export const newClientMsgId = () => `c${Date.now().toString(36)}${(clientCounter++).toString(36)}`;

/** An 8×8 white PNG. */
export function smallPng(): Promise<Buffer> {
  return sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
    .png()
    .toBuffer();
}

/** Uploads a small PNG as `token` over real HTTP; answers the new file's id. */
export async function uploadPng(app: LiveApp, token: string): Promise<string> {
  const png = await smallPng();
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(png)]), 'dot.png');
  const uploaded = await fetch(`${app.url}/api/v1/uploads`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Bearer ${token}` },
  });
  if (uploaded.status !== 201)
    throw new Error(`upload: ${uploaded.status} ${await uploaded.text()}`);
  return ((await uploaded.json()) as { file: { id: string } }).file.id;
}
