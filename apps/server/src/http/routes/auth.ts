import { LoginRequest, type LoginResponse } from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { changeOwnPassword } from '../../domain/accounts/changeOwnPassword.js';
import { login } from '../../domain/accounts/login.js';
import { logout } from '../../domain/accounts/logout.js';
import { updateOwnProfile } from '../../domain/accounts/updateOwnProfile.js';
import type { DomainContext } from '../../domain/context.js';
import { presentAccount } from '../../domain/presenters/account.js';
import {
  assertSameOrigin,
  clearSessionCookie,
  requireAccount,
  setSessionCookie,
  type SessionCookieOptions,
} from '../authenticate.js';
import { parseWith } from '../validate.js';
import { ChangePasswordRequest, UpdateMeRequest } from '@servicesystem/protocol';

/** Console sessions and the caller's own account. */
export function authRoutes(
  app: FastifyInstance,
  ctx: DomainContext,
  cookie: SessionCookieOptions,
  publicUrl: string,
): void {
  app.post('/api/v1/auth/login', async (request, reply) => {
    assertSameOrigin(request, publicUrl);
    const input = parseWith(LoginRequest, request.body);
    const result = await login(ctx, input, {
      ip: request.ip,
      userAgent: request.headers['user-agent'],
    });
    setSessionCookie(reply, result.token, cookie);
    const body: LoginResponse = { token: result.token, account: result.account };
    return reply.status(200).send(body);
  });

  app.post('/api/v1/auth/logout', async (request, reply) => {
    const actor = requireAccount(request);
    await logout(ctx, actor);
    clearSessionCookie(reply, cookie.secure);
    return reply.status(204).send();
  });

  app.get('/api/v1/me', async (request) => {
    requireAccount(request);
    return { account: presentAccount(request.account!) };
  });

  app.patch('/api/v1/me', async (request) => {
    const actor = requireAccount(request);
    const input = parseWith(UpdateMeRequest, request.body);
    return { account: await updateOwnProfile(ctx, actor, input) };
  });

  app.post('/api/v1/me/password', async (request, reply) => {
    const actor = requireAccount(request);
    const input = parseWith(ChangePasswordRequest, request.body);
    await changeOwnPassword(ctx, actor, input);
    return reply.status(204).send();
  });
}
