import {
  CreateWebhookRequest,
  IdParams,
  UpdateWebhookRequest,
  WebhookDeliveryListQuery,
  WebhookDeliveryParams,
} from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { authorizeCaller, callers } from '../../domain/policies.js';
import { createWebhook } from '../../domain/webhooks/createWebhook.js';
import { deleteWebhook } from '../../domain/webhooks/deleteWebhook.js';
import { listWebhookDeliveries } from '../../domain/webhooks/listWebhookDeliveries.js';
import { listWebhooks, readWebhook } from '../../domain/webhooks/listWebhooks.js';
import { retryWebhookDelivery } from '../../domain/webhooks/retryWebhookDelivery.js';
import { sendWebhookTest } from '../../domain/webhooks/sendWebhookTest.js';
import { updateWebhook } from '../../domain/webhooks/updateWebhook.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';

/** Webhooks (admins only): endpoints, their deliveries, "send again" and a test event. */
export function webhookRoutes(app: FastifyInstance, { ctx, run }: RouteDeps): void {
  app.get('/api/v1/webhooks', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    return { webhooks: await listWebhooks(ctx, actor) };
  });

  app.post('/api/v1/webhooks', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const input = parseWith(CreateWebhookRequest, request.body);
    return reply.status(201).send({ webhook: await run(createWebhook(ctx, actor, input)) });
  });

  app.get('/api/v1/webhooks/:id', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    return { webhook: await readWebhook(ctx, actor, id) };
  });

  app.patch('/api/v1/webhooks/:id', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    const input = parseWith(UpdateWebhookRequest, request.body);
    return { webhook: await run(updateWebhook(ctx, actor, id, input)) };
  });

  app.delete('/api/v1/webhooks/:id', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    await run(deleteWebhook(ctx, actor, id));
    return reply.status(204).send();
  });

  app.post('/api/v1/webhooks/:id/rotate-secret', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    return { webhook: await run(updateWebhook(ctx, actor, id, {}, true)) };
  });

  app.get('/api/v1/webhooks/:id/deliveries', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    const query = parseWith(WebhookDeliveryListQuery, request.query);
    return listWebhookDeliveries(ctx, actor, id, query);
  });

  app.post('/api/v1/webhooks/:id/deliveries/:deliveryId/retry', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id, deliveryId } = parseWith(WebhookDeliveryParams, request.params);
    const delivery = await run(retryWebhookDelivery(ctx, actor, id, deliveryId));
    return reply.status(202).send({ delivery });
  });

  app.post('/api/v1/webhooks/:id/test', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    const delivery = await run(sendWebhookTest(ctx, actor, id));
    return reply.status(202).send({ delivery });
  });
}
