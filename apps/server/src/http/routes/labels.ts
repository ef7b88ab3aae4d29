import { CreateLabelRequest, IdParams, UpdateLabelRequest } from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { createLabel } from '../../domain/labels/createLabel.js';
import { deleteLabel } from '../../domain/labels/deleteLabel.js';
import { listLabels } from '../../domain/labels/listLabels.js';
import { updateLabel } from '../../domain/labels/updateLabel.js';
import { authorizeCaller, callers } from '../../domain/policies.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';

/** Labels: every console user lists them; admins define, change and delete them. */
export function labelRoutes(app: FastifyInstance, { ctx, run }: RouteDeps): void {
  app.get('/api/v1/labels', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    return { labels: await listLabels(ctx, actor) };
  });

  app.post('/api/v1/labels', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const input = parseWith(CreateLabelRequest, request.body);
    return reply.status(201).send({ label: await run(createLabel(ctx, actor, input)) });
  });

  app.patch('/api/v1/labels/:id', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    const input = parseWith(UpdateLabelRequest, request.body);
    return { label: await run(updateLabel(ctx, actor, id, input)) };
  });

  app.delete('/api/v1/labels/:id', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    await run(deleteLabel(ctx, actor, id));
    return reply.status(204).send();
  });
}
