import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How the receiver answers a path: a status, or `hang` (never answers), or `close` (drops the
 * connection), or `redirect` (302 to /redirected). */
export type Behaviour = number | 'hang' | 'close' | 'redirect';

export interface Received {
  path: string;
  eventId: string;
  eventType: string;
  signature: string;
  body: string;
  json: { id: string; type: string; createdAt: number; data: Record<string, any> };
}

export interface WebhookReceiver {
  url: string;
  received: Received[];
  /** Sets how a path (e.g. `/ok`) answers; 200 unless set. */
  answer(path: string, behaviour: Behaviour): void;
  /** Everything received on `path`. */
  on(path: string): Received[];
  /** Requests that arrived while another with the same event id was still being answered. */
  overlaps: number;
  close(): Promise<void>;
}

/** A real local HTTP server that records every webhook POST it gets. */
export async function startWebhookReceiver(
  options: { delayMs?: number } = {},
): Promise<WebhookReceiver> {
  const behaviours = new Map<string, Behaviour>();
  const answering = new Set<string>();
  let overlaps = 0;
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (request.url ?? '/').split('?')[0]!;
      let json: Received['json'];
      try {
        json = JSON.parse(body) as Received['json'];
      } catch {
        json = { id: '', type: '', createdAt: 0, data: {} };
      }
      received.push({
        path,
        eventId: String(request.headers['servicesystem-event-id'] ?? ''),
        eventType: String(request.headers['servicesystem-event-type'] ?? ''),
        signature: String(request.headers['servicesystem-signature'] ?? ''),
        body,
        json,
      });
      const behaviour = behaviours.get(path) ?? 200;
      if (behaviour === 'hang') return;
      const eventId = String(request.headers['servicesystem-event-id'] ?? '');
      if (options.delayMs && typeof behaviour === 'number') {
        if (answering.has(eventId)) overlaps += 1;
        answering.add(eventId);
        setTimeout(() => {
          answering.delete(eventId);
          response.writeHead(behaviour).end('ok');
        }, options.delayMs);
        return;
      }
      if (behaviour === 'close') {
        request.socket.destroy();
        return;
      }
      if (behaviour === 'redirect') {
        response.writeHead(302, { Location: '/redirected' }).end();
        return;
      }
      response.writeHead(behaviour, { 'Content-Type': 'text/plain' }).end('ok');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get overlaps() {
      return overlaps;
    },
    answer: (path, behaviour) => behaviours.set(path, behaviour),
    on: (path) => received.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Checks a `ServiceSystem-Signature` the way a receiver should: HMAC over `t.body`, compared
 * in constant time, `t` within five minutes of now. */
export function verifySignature(secret: string, header: string, body: string, nowMs = Date.now()) {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowMs / 1000 - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Polls `check` until it holds (or throws after `timeoutMs`). */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
