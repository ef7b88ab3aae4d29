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

/**
 * Account management, admins only: every console account, agents and admins. `/api/v1/accounts`
 * is the name; `/api/v1/agents` (older, kept for existing integrations) is the same with
 * `agent`/`agents` as the answers' keys.
 */
export function accountRoutes(app: FastifyInstance, { ctx, run }: RouteDeps): void {
  for (const [base, one, many] of [
    ['/api/v1/accounts', 'account', 'accounts'],
    ['/api/v1/agents', 'agent', 'agents'],
  ] as const) {
    app.get(base, async (request) => {
      const actor = authorizeCaller(request.actor, callers.admins);
      return { [many]: await listAccounts(ctx, actor) };
    });

    app.post(base, async (request, reply) => {
      const actor = authorizeCaller(request.actor, callers.admins);
      const input = parseWith(CreateAgentRequest, request.body);
      const { agent, password } = await createAccount(ctx, actor, input);
      return reply.status(201).send({ [one]: agent, ...(password ? { password } : {}) });
    });

    app.get(`${base}/:id`, async (request) => {
      const actor = authorizeCaller(request.actor, callers.admins);
      const { id } = parseWith(IdParams, request.params);
      return { [one]: await getAccount(ctx, actor, id) };
    });

    app.patch(`${base}/:id`, async (request) => {
      const actor = authorizeCaller(request.actor, callers.admins);
      const { id } = parseWith(IdParams, request.params);
      const input = parseWith(UpdateAgentRequest, request.body);
      return { [one]: await run(updateAccount(ctx, actor, id, input)) };
    });

    app.post(`${base}/:id/password`, async (request) => {
      const actor = authorizeCaller(request.actor, callers.admins);
      const { id } = parseWith(IdParams, request.params);
      const input = parseWith(ResetPasswordRequest, request.body);
      return run(resetAccountPassword(ctx, actor, id, input));
    });
  }
}
