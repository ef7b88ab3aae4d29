import type { IncomingHttpHeaders } from 'node:http';

/**
 * Is `origin` this server? PUBLIC_URL's origin, or the origin the request was addressed to (the
 * Host header, either scheme: the same server reached by another name or through a proxy).
 * A browser sets Host itself, so a page on another site cannot pass for ours.
 */
export function isOwnOrigin(origin: string, host: string | undefined, publicUrl: string): boolean {
  if (origin === new URL(publicUrl).origin) return true;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

/**
 * Did this request come from one of our own pages, as far as a browser can tell us?
 *
 * - With an `Origin` header (every browser sends one on POST/PUT/PATCH/DELETE, and on WebSocket
 *   handshakes): it must be our own origin. `null` (sandboxed frames, some redirects) is not.
 * - Without one: `Sec-Fetch-Site`, which current browsers send on every request, must say
 *   `same-origin`. A sibling subdomain (`same-site`) is refused: SameSite=Lax cookies reach it.
 * - With neither: not a browser (curl, a script with a cookie jar). Such a caller holds the
 *   cookie itself, so there is no one to forge a request for; it is allowed.
 */
export function comesFromOwnSite(headers: IncomingHttpHeaders, publicUrl: string): boolean {
  const origin = headers.origin;
  if (origin !== undefined) return isOwnOrigin(origin, headers.host, publicUrl);
  const site = headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  return true;
}
