import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, hostOf, isInternalAddress } from './addressGuard.js';

export interface PostResult {
  /** The response's status; undefined when none came (timeout, refused, reset, refused address). */
  status?: number;
  /** Why it failed, shortly; undefined on a 2xx. */
  error?: string;
  durationMs: number;
}

/** At most this much of a response is read (and thrown away). */
const maxResponseBytes = 64 * 1024;

/**
 * One attempt: POSTs `body` as JSON to `url` within `timeoutMs` (connecting, sending and the
 * whole answer). Redirects are not followed: a 3xx is a failure like any status outside 2xx.
 * Internal addresses are refused at connection time (the resolved address is checked), unless
 * `allowPrivate`. Never throws.
 */
export function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivate: boolean; signal?: AbortSignal },
): Promise<PostResult> {
  const started = performance.now();
  const done = (result: Omit<PostResult, 'durationMs'>): PostResult => ({
    ...result,
    durationMs: Math.round(performance.now() - started),
  });
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve(done({ error: 'invalid URL' }));
      return;
    }
    const host = hostOf(target);
    if (!options.allowPrivate && isIP(host) && isInternalAddress(host)) {
      resolve(done({ error: `refused: ${host} is a private or internal address` }));
      return;
    }
    const client = target.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (result: Omit<PostResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      resolve(done(result));
    };
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: {
          ...headers,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'User-Agent': 'ServiceSystem-Webhooks/1',
        },
        lookup: guardedLookup(options.allowPrivate),
        // A fresh connection each time: a pooled one could outlive a change of address.
        agent: false,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > maxResponseBytes) response.destroy();
        });
        const answer = () =>
          finish(
            status >= 200 && status < 300
              ? { status }
              : {
                  status,
                  error:
                    status >= 300 && status < 400
                      ? `redirect (${status}) not followed`
                      : `HTTP ${status}`,
                },
          );
        response.on('end', answer);
        response.on('close', answer);
        response.on('error', answer);
      },
    );
    const timer = setTimeout(() => {
      finish({ error: `timed out after ${options.timeoutMs} ms` });
      request.destroy();
    }, options.timeoutMs);
    // The node is stopping: the attempt ends now, and is made again later.
    const abort = () => {
      finish({ error: 'aborted: the server stopped' });
      request.destroy();
    };
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    request.on('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'WEBHOOK_ADDRESS_REFUSED'
          ? `refused: ${error.message}`
          : `${error.code ?? 'error'}: ${error.message}`;
      finish({ error: reason.slice(0, 200) });
    });
    request.end(body);
  });
}
