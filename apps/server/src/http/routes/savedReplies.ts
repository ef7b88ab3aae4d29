import {
  CreateSavedReplyRequest,
  IdParams,
  UpdateSavedReplyRequest,
} from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { authorizeCaller, callers } from '../../domain/policies.js';
import { createSavedReply } from '../../domain/savedReplies/createSavedReply.js';
import { deleteSavedReply } from '../../domain/savedReplies/deleteSavedReply.js';
import { listSavedReplies } from '../../domain/savedReplies/listSavedReplies.js';
import { updateSavedReply } from '../../domain/savedReplies/updateSavedReply.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';

/** Saved replies: every console user has personal ones and sees the shared ones (admins'). */
export function savedReplyRoutes(app: FastifyInstance, { ctx }: RouteDeps): void {
  app.get('/api/v1/saved-replies', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    return { savedReplies: await listSavedReplies(ctx, actor) };
  });

  app.post('/api/v1/saved-replies', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const input = parseWith(CreateSavedReplyRequest, request.body);
    return reply.status(201).send({ savedReply: await createSavedReply(ctx, actor, input) });
  });

  app.patch('/api/v1/saved-replies/:id', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const { id } = parseWith(IdParams, request.params);
    const input = parseWith(UpdateSavedReplyRequest, request.body);
    return { savedReply: await updateSavedReply(ctx, actor, id, input) };
  });

  app.delete('/api/v1/saved-replies/:id', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const { id } = parseWith(IdParams, request.params);
    await deleteSavedReply(ctx, actor, id);
    return reply.status(204).send();
  });
}
