import {
  IdParams,
  LeaveMessageRequest,
  TranscriptRequest,
  type TranscriptResponse,
  SendMessageRequest,
  VisitorSessionRequest,
  type UnreadResponse,
} from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { sendMessage } from '../../domain/conversations/sendMessage.js';
import { emailTranscript } from '../../domain/conversations/emailTranscript.js';
import { leaveMessage } from '../../domain/leftMessages/leaveMessage.js';
import { listVisitorConversations } from '../../domain/visitors/listVisitorConversations.js';
import { startVisitorSession } from '../../domain/visitors/startVisitorSession.js';
import { deviceOfUserAgent } from '../../domain/visitors/deviceOfUserAgent.js';
import { visitorUnread } from '../../domain/visitors/visitorUnread.js';
import { isConsoleToken } from '../authenticate.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';
import { authorizeCaller, callers } from '../../domain/policies.js';

/** What the visitor page and host apps call with a visitor token. */
export function visitorRoutes(app: FastifyInstance, { ctx, run }: RouteDeps): void {
  app.post('/api/v1/visitor/session', async (request) => {
    const input = parseWith(VisitorSessionRequest, request.body);
    const current =
      request.bearerToken && !isConsoleToken(request.bearerToken) ? request.bearerToken : undefined;
    return run(
      startVisitorSession(ctx, input, current, {
        ip: request.ip,
        device: deviceOfUserAgent(request.headers['user-agent']),
      }),
    );
  });

  app.get('/api/v1/visitor/unread', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.visitors);
    const body: UnreadResponse = { unread: await visitorUnread(ctx, actor) };
    return reply.header('Cache-Control', 'no-store').send(body);
  });

  app.get('/api/v1/visitor/conversations', async (request) => {
    const actor = authorizeCaller(request.actor, callers.visitors);
    return { conversations: await listVisitorConversations(ctx, actor) };
  });

  app.post('/api/v1/visitor/messages', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.visitors);
    const input = parseWith(SendMessageRequest, request.body);
    const { message, conversation, created } = await run(
      sendMessage(ctx, actor, input, { ip: request.ip }),
    );
    return reply.status(created ? 201 : 200).send({ message, conversation });
  });

  app.post('/api/v1/visitor/leave-message', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.visitors);
    const input = parseWith(LeaveMessageRequest, request.body);
    const left = await run(leaveMessage(ctx, actor, input, { ip: request.ip }));
    return reply.status(201).send(left);
  });

  app.post('/api/v1/visitor/conversations/:id/transcript', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.visitors);
    const { id } = parseWith(IdParams, request.params);
    const input = parseWith(TranscriptRequest, request.body);
    await emailTranscript(ctx, actor, id, input);
    const body: TranscriptResponse = { queued: true };
    return reply.status(202).send(body);
  });
}
