import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { comesFromOwnSite } from '../auth/requestOrigin.js';
import type { AccountsTable } from '../db/schema.js';
import { resolveSession } from '../domain/accounts/resolveSession.js';
import type { Actor, DomainContext } from '../domain/context.js';
import { AppError } from '../domain/errors.js';
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
 * Reads who is calling and sets request.actor: a console session (`Authorization: Bearer sst_...`
 * or the session cookie) or a visitor (`Authorization: Bearer <visitor token>`). It never
 * refuses: routes ask `authorizeCaller` (domain/policies.ts) who may call them.
 */
export function installAuthentication(
  app: FastifyInstance,
  ctx: DomainContext,
  cookie: SessionCookieOptions,
  publicUrl: string,
): void {
  app.decorateRequest('actor', undefined);
  app.decorateRequest('account', undefined);
  app.decorateRequest('bearerToken', undefined);
  app.addHook('preHandler', async (request, reply) => {
    const bearer = readBearerToken(request);
    request.bearerToken = bearer;
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
