import { findApiRoute, type ApiKeyScope } from '@servicesystem/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyRateLimit } from '../auth/apiKeyRateLimit.js';
import { isApiKeyToken } from '../auth/apiKeyTokens.js';
import { comesFromOwnSite } from '../auth/requestOrigin.js';
import { resolveApiKey } from '../domain/apiKeys/resolveApiKey.js';
import type { AccountsTable } from '../db/schema.js';
import { resolveSession } from '../domain/accounts/resolveSession.js';
import type { Actor, DomainContext } from '../domain/context.js';
import { AppError, rateLimited } from '../domain/errors.js';
import { resolveVisitor } from '../domain/visitors/resolveVisitor.js';

export const sessionCookieName = 'ss_session';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | undefined;
    /** The console account, when the actor is one. */
    account: AccountsTable | undefined;
    /** The raw bearer token, when one was sent. */
    bearerToken: string | undefined;
  }
}

export interface SessionCookieOptions {
  secure: boolean;
  maxAgeSeconds: number;
}

export function setSessionCookie(
  reply: FastifyReply,
  token: string,
  options: SessionCookieOptions,
): void {
  void reply.setCookie(sessionCookieName, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: options.secure,
    path: '/',
    maxAge: options.maxAgeSeconds,
  });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  void reply.clearCookie(sessionCookieName, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

function readBearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/**
 * A browser that sends our cookie on a state-changing request (or a login) must be on one of our
 * own pages (see comesFromOwnSite for requests without an Origin header). SameSite=Lax already
 * keeps the cookie off cross-site POSTs; this is the second lock, and the one that also stops
 * sibling subdomains, to which Lax cookies do go.
 */
export function assertSameOrigin(request: FastifyRequest, publicUrl: string): void {
  if (!comesFromOwnSite(request.headers, publicUrl)) {
    throw new AppError('CROSS_SITE_REQUEST', 'This request came from another site and was refused');
  }
}

/**
 * What an API key may call, from the route catalogue (packages/protocol/src/api.ts): the matched
 * route's scope, every key for `any`, nothing that is not for keys (except public routes, which
 * need no credential). Routes not matched (404) are left to the not-found answer.
 */
export function assertKeyMayCall(request: FastifyRequest, scopes: readonly ApiKeyScope[]): void {
  const url = request.routeOptions.url;
  if (url === undefined) return;
  // The browser apps' pages (/console/, /chat/, /embed.js) need no credential and are no API.
  if (!url.startsWith('/api/') && url !== '/healthz') return;
  const route = findApiRoute(request.method, url);
  const name = `${request.method} ${url}`;
  if (!route || route.key === null) {
    if (route?.callers.includes('public')) return;
    throw new AppError(
      'FORBIDDEN',
      `API keys cannot call ${name}: it needs a console session or a visitor token`,
    );
  }
  if (route.key === 'any' || scopes.includes(route.key)) return;
  throw new AppError(
    'KEY_SCOPE_MISSING',
    `This API key lacks the scope "${route.key}", which ${name} needs`,
  );
}

/**
 * Reads who is calling and sets request.actor: a console session (`Authorization: Bearer sst_...`
 * or the session cookie), an API key acting as a console account (`Authorization: Bearer
 * ssk_...`), or a visitor (`Authorization: Bearer <visitor token>`). Apart from API keys (a bad
 * or revoked key, its rate limit, a scope it lacks) it never refuses: routes ask
 * `authorizeCaller` (domain/policies.ts) who may call them.
 */
export function installAuthentication(
  app: FastifyInstance,
  ctx: DomainContext,
  cookie: SessionCookieOptions,
  publicUrl: string,
  keyLimit: ApiKeyRateLimit,
): void {
  app.decorateRequest('actor', undefined);
  app.decorateRequest('account', undefined);
  app.decorateRequest('bearerToken', undefined);
  app.addHook('preHandler', async (request, reply) => {
    const bearer = readBearerToken(request);
    request.bearerToken = bearer;
    // An API key: no cookie, so no cross-site check; REST only (the socket never takes one).
    if (bearer !== undefined && isApiKeyToken(bearer)) {
      const resolved = await resolveApiKey(ctx, bearer);
      if (!resolved) {
        throw new AppError(
          'UNAUTHENTICATED',
          'This API key is not valid: it is wrong, revoked, or its account is disabled',
        );
      }
      const wait = await keyLimit.take(resolved.key.id, resolved.key.rateLimitPerMinute);
      if (wait > 0) {
        throw rateLimited(
          wait,
          (s) => `This API key made too many requests this minute; try again in ${s} s`,
        );
      }
      assertKeyMayCall(request, resolved.key.scopes);
      request.actor = resolved.actor;
      request.account = resolved.account;
      return;
    }
    if (bearer !== undefined && !isConsoleToken(bearer)) {
      request.actor = await resolveVisitor(ctx, bearer);
      return;
    }
    const cookieToken = request.cookies[sessionCookieName];
    const token = bearer ?? cookieToken;
    if (token === undefined) return;
    const resolved = await resolveSession(ctx, token);
    if (!resolved) return;
    if (bearer === undefined && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
      assertSameOrigin(request, publicUrl);
    }
    request.actor = resolved.actor;
    request.account = resolved.account;
    if (resolved.touched && bearer === undefined) setSessionCookie(reply, token, cookie);
  });
}

export function isConsoleToken(token: string): boolean {
  return token.startsWith('sst_');
}
