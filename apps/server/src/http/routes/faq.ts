import {
  CreateFaqEntryRequest,
  FaqEntryParams,
  IdParams,
  TryRobotRequest,
  UpdateFaqEntryRequest,
} from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { authorizeCaller, callers } from '../../domain/policies.js';
import { createFaqEntry } from '../../domain/robot/faq/createFaqEntry.js';
import { deleteFaqEntry } from '../../domain/robot/faq/deleteFaqEntry.js';
import { listFaqEntries } from '../../domain/robot/faq/listFaqEntries.js';
import { tryRobot } from '../../domain/robot/faq/tryRobot.js';
import { updateFaqEntry } from '../../domain/robot/faq/updateFaqEntry.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';

/** A channel's FAQ entries, which its robot answers from: administrators only. */
export function faqRoutes(app: FastifyInstance, { ctx }: RouteDeps): void {
  app.get('/api/v1/channels/:id/faq', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    return { entries: await listFaqEntries(ctx, actor, id) };
  });

  app.post('/api/v1/channels/:id/faq', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    const input = parseWith(CreateFaqEntryRequest, request.body);
    return reply.status(201).send({ entry: await createFaqEntry(ctx, actor, id, input) });
  });

  app.post('/api/v1/channels/:id/faq/try', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    const input = parseWith(TryRobotRequest, request.body);
    return tryRobot(ctx, actor, id, input);
  });

  app.patch('/api/v1/channels/:id/faq/:entryId', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id, entryId } = parseWith(FaqEntryParams, request.params);
    const input = parseWith(UpdateFaqEntryRequest, request.body);
    return { entry: await updateFaqEntry(ctx, actor, id, entryId, input) };
  });

  app.delete('/api/v1/channels/:id/faq/:entryId', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id, entryId } = parseWith(FaqEntryParams, request.params);
    await deleteFaqEntry(ctx, actor, id, entryId);
    return reply.status(204).send();
  });
}
