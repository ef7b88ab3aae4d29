import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorBody } from '@servicesystem/protocol';
import type { ServerMetrics } from './serverMetrics.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * True when `authorization` is `Bearer <token>`. Compared in constant time over SHA-256 digests
 * (equal lengths whatever was sent), so the answer's timing tells nothing of the token.
 */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  const given = match?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(token)) && given !== '';
}

export const metricsUnauthenticated: ErrorBody = {
  error: {
    code: 'UNAUTHENTICATED',
    message: 'Metrics need Authorization: Bearer <METRICS_TOKEN>',
  },
};

const notFound: ErrorBody = {
  error: { code: 'ROUTE_NOT_FOUND', message: 'Only GET /metrics is served on this port' },
};

/** What `/metrics` answers, on either port: the text, or why not. */
export async function answerMetrics(
  metrics: ServerMetrics,
  token: string | undefined,
  authorization: string | undefined,
): Promise<{ status: number; type: string; body: string }> {
  if (token !== undefined && !bearerMatches(authorization, token)) {
    return {
      status: 401,
      type: 'application/json; charset=utf-8',
      body: JSON.stringify(metricsUnauthenticated),
    };
  }
  return { status: 200, type: metrics.contentType, body: await metrics.text() };
}

export interface MetricsServer {
  /** Starts listening; answers the port (the one configured, or the one given for 0). */
  listen(): Promise<number>;
  close(): Promise<void>;
}

/**
 * METRICS_PORT: a plain HTTP server of its own, on HOST, that answers `GET /metrics` and nothing
 * else. Kept off the main port, where visitors and the proxy in front reach; the token is asked
 * here too when METRICS_TOKEN is also set.
 */
export function createMetricsServer(
  metrics: ServerMetrics,
  options: { host: string; port: number; token: string | undefined; onError: (e: unknown) => void },
): MetricsServer {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    const reply = (status: number, type: string, body: string) => {
      response.writeHead(status, {
        'Content-Type': type,
        'Cache-Control': 'no-store',
        ...(status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}),
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      reply(404, 'application/json; charset=utf-8', JSON.stringify(notFound));
      return;
    }
    answerMetrics(metrics, options.token, request.headers.authorization).then(
      (answer) => reply(answer.status, answer.type, answer.body),
      (error: unknown) => {
        options.onError(error);
        reply(
          500,
          'application/json; charset=utf-8',
          JSON.stringify({ error: { code: 'INTERNAL', message: 'Metrics could not be read' } }),
        );
      },
    );
  });
  // A scraper that keeps its connection open must not hold up the shutdown.
  server.keepAliveTimeout = 5000;
  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
