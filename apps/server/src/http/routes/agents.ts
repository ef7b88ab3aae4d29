import {
  CreateAgentRequest,
  IdParams,
  ResetPasswordRequest,
  UpdateAgentRequest,
} from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { createAccount } from '../../domain/accounts/createAccount.js';
import { getAccount, listAccounts } from '../../domain/accounts/listAccounts.js';
import { resetAccountPassword } from '../../domain/accounts/resetAccountPassword.js';
import { updateAccount } from '../../domain/accounts/updateAccount.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';
import { authorizeCaller, callers } from '../../domain/policies.js';

/** Account management: admins only. "Agents" here means every console account, admins too. */
export function agentRoutes(app: FastifyInstance, { ctx, run }: RouteDeps): void {
  app.get('/api/v1/agents', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    return { agents: await listAccounts(ctx, actor) };
  });

  app.post('/api/v1/agents', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const input = parseWith(CreateAgentRequest, request.body);
    return reply.status(201).send(await createAccount(ctx, actor, input));
  });

  app.get('/api/v1/agents/:id', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    return { agent: await getAccount(ctx, actor, id) };
  });

  app.patch('/api/v1/agents/:id', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    const input = parseWith(UpdateAgentRequest, request.body);
    return { agent: await run(updateAccount(ctx, actor, id, input)) };
  });

  app.post('/api/v1/agents/:id/password', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    const input = parseWith(ResetPasswordRequest, request.body);
    return run(resetAccountPassword(ctx, actor, id, input));
  });
}
