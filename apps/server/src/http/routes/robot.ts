import { IdParams, type RobotStatusResponse } from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { authorizeCaller, callers } from '../../domain/policies.js';
import { suggestReply } from '../../domain/robot/suggestReply.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';

/** The robot's status for the console, and replies suggested to agents. */
export function robotRoutes(app: FastifyInstance, { ctx }: RouteDeps): void {
  app.get('/api/v1/robot', async (request): Promise<RobotStatusResponse> => {
    authorizeCaller(request.actor, callers.console);
    const model = ctx.robotModel;
    return { model: { configured: model !== null, name: model?.name ?? null } };
  });

  app.post('/api/v1/conversations/:id/suggest-reply', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.agents);
    const { id } = parseWith(IdParams, request.params);
    // An agent who gives up waiting (closes the tab, the request) frees the model's place.
    const gone = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) gone.abort();
    };
    reply.raw.on('close', onClose);
    try {
      return await suggestReply(ctx, actor, id, gone.signal);
    } finally {
      reply.raw.off('close', onClose);
    }
  });
}
