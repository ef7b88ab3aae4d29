import { LoginRequest, type LoginResponse } from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { changeOwnPassword } from '../../domain/accounts/changeOwnPassword.js';
import { login } from '../../domain/accounts/login.js';
import { logout } from '../../domain/accounts/logout.js';
import { updateOwnProfile } from '../../domain/accounts/updateOwnProfile.js';
import { presentAccount } from '../../domain/presenters/account.js';
import { assertSameOrigin, clearSessionCookie, setSessionCookie } from '../authenticate.js';
import { parseWith } from '../validate.js';
import { ChangePasswordRequest, SetStatusRequest, UpdateMeRequest } from '@servicesystem/protocol';
import { setAgentStatus } from '../../domain/agents/setAgentStatus.js';
import { listAgentPresence } from '../../domain/agents/listAgentPresence.js';
import type { RouteDeps } from './deps.js';
import { authorizeCaller, callers } from '../../domain/policies.js';

/** Console sessions and the caller's own account. */
export function authRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { ctx, run, cookie, publicUrl } = deps;
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
    const actor = authorizeCaller(request.actor, callers.console);
    await run(logout(ctx, actor));
    clearSessionCookie(reply, cookie.secure);
    return reply.status(204).send();
  });

  app.get('/api/v1/me', async (request) => {
    authorizeCaller(request.actor, callers.console);
    return { account: presentAccount(request.account!) };
  });

  app.patch('/api/v1/me', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const input = parseWith(UpdateMeRequest, request.body);
    return { account: await updateOwnProfile(ctx, actor, input) };
  });

  app.post('/api/v1/me/password', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const input = parseWith(ChangePasswordRequest, request.body);
    await run(changeOwnPassword(ctx, actor, input, { ip: request.ip }));
    return reply.status(204).send();
  });

  app.put('/api/v1/me/status', async (request) => {
    const actor = authorizeCaller(request.actor, callers.agents);
    const input = parseWith(SetStatusRequest, request.body);
    return { agent: await run(setAgentStatus(ctx, actor, input.status)) };
  });

  app.get('/api/v1/presence', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    return { agents: await listAgentPresence(ctx, actor) };
  });
}
