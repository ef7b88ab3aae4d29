import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountsTable } from '../db/schema.js';
import type { AccountActor, DomainContext } from '../domain/context.js';
import { AppError } from '../domain/errors.js';
import { resolveSession } from '../domain/accounts/resolveSession.js';

export const sessionCookieName = 'ss_session';

declare module 'fastify' {
  interface FastifyRequest {
    actor: AccountActor | undefined;
    account: AccountsTable | undefined;
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

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/**
 * A browser that sends our cookie on a state-changing request must be on our own origin.
 * SameSite=Lax already keeps the cookie off cross-site POSTs; this is the second lock.
 */
export function assertSameOrigin(request: FastifyRequest, publicUrl: string): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const allowed = new Set([new URL(publicUrl).origin]);
  const host = request.headers.host;
  if (host) {
    allowed.add(`http://${host}`);
    allowed.add(`https://${host}`);
  }
  if (!allowed.has(origin)) {
    throw new AppError('CROSS_SITE_REQUEST', 'This request came from another site and was refused');
  }
}

/**
 * Reads the console session from `Authorization: Bearer <token>` or the session cookie and sets
 * request.actor. It never refuses: routes say what they require with requireAccount/requireAdmin.
 */
export function installAuthentication(
  app: FastifyInstance,
  ctx: DomainContext,
  cookie: SessionCookieOptions,
  publicUrl: string,
): void {
  app.decorateRequest('actor', undefined);
  app.decorateRequest('account', undefined);
  app.addHook('preHandler', async (request, reply) => {
    const bearer = bearerToken(request);
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

export function requireAccount(request: FastifyRequest): AccountActor {
  if (!request.actor) {
    throw new AppError('UNAUTHENTICATED', 'Log in first: this needs a console session');
  }
  return request.actor;
}

/** Route-level guard for admin-only routes, so that an agent learns nothing from a 404 first. */
export function requireAdmin(request: FastifyRequest): AccountActor {
  const actor = requireAccount(request);
  if (actor.role !== 'admin') throw new AppError('FORBIDDEN', 'Only administrators can do this');
  return actor;
}
