import { CreateChannelRequest, IdParams, UpdateChannelRequest } from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { createChannel } from '../../domain/channels/createChannel.js';
import { deleteChannel } from '../../domain/channels/deleteChannel.js';
import { getChannel, listChannels } from '../../domain/channels/listChannels.js';
import { rotateChannelSecret, updateChannel } from '../../domain/channels/updateChannel.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';
import { authorizeCaller, callers } from '../../domain/policies.js';

/** Channels: every console user lists them (without secrets); admins manage them. */
export function channelRoutes(app: FastifyInstance, { ctx }: RouteDeps): void {
  app.get('/api/v1/channels', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    return { channels: await listChannels(ctx, actor) };
  });

  app.get('/api/v1/channels/:id', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const { id } = parseWith(IdParams, request.params);
    return { channel: await getChannel(ctx, actor, id) };
  });

  app.post('/api/v1/channels', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const input = parseWith(CreateChannelRequest, request.body);
    return reply.status(201).send({ channel: await createChannel(ctx, actor, input) });
  });

  app.patch('/api/v1/channels/:id', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    const input = parseWith(UpdateChannelRequest, request.body);
    return { channel: await updateChannel(ctx, actor, id, input) };
  });

  app.post('/api/v1/channels/:id/rotate-secret', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    return { channel: await rotateChannelSecret(ctx, actor, id) };
  });

  app.delete('/api/v1/channels/:id', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    await deleteChannel(ctx, actor, id);
    return reply.status(204).send();
  });
}
