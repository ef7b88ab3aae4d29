import { CreateApiKeyRequest, IdParams, UpdateApiKeyRequest } from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { createApiKey } from '../../domain/apiKeys/createApiKey.js';
import { listApiKeys } from '../../domain/apiKeys/listApiKeys.js';
import { revokeApiKey } from '../../domain/apiKeys/revokeApiKey.js';
import { updateApiKey } from '../../domain/apiKeys/updateApiKey.js';
import { authorizeCaller, callers } from '../../domain/policies.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';

/** API keys for integrations: administrators create, list, rename and revoke them. */
export function apiKeyRoutes(app: FastifyInstance, { ctx, run }: RouteDeps): void {
  app.get('/api/v1/api-keys', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    return { apiKeys: await listApiKeys(ctx, actor) };
  });

  app.post('/api/v1/api-keys', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const input = parseWith(CreateApiKeyRequest, request.body);
    return reply.status(201).send(await run(createApiKey(ctx, actor, input)));
  });

  app.patch('/api/v1/api-keys/:id', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    const input = parseWith(UpdateApiKeyRequest, request.body);
    return { apiKey: await run(updateApiKey(ctx, actor, id, input)) };
  });

  app.delete('/api/v1/api-keys/:id', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    return { apiKey: await run(revokeApiKey(ctx, actor, id)) };
  });
}
