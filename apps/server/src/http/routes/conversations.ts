import {
  ConversationListQuery,
  IdParams,
  MarkReadRequest,
  MessagePageQuery,
  SendMessageRequest,
  TransferRequest,
  TypingRequest,
} from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import { endConversation } from '../../domain/conversations/endConversation.js';
import {
  getConversation,
  listConversations,
} from '../../domain/conversations/listConversations.js';
import { listMessages } from '../../domain/conversations/listMessages.js';
import { markRead } from '../../domain/conversations/markRead.js';
import { notifyTyping } from '../../domain/conversations/notifyTyping.js';
import { sendMessage } from '../../domain/conversations/sendMessage.js';
import {
  assignConversation,
  transferConversation,
} from '../../domain/conversations/transferConversation.js';
import { requireAccount, requireActor, requireAdmin, requireRole } from '../authenticate.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';

/** Conversations: console users list and act on them; visitors read and write their own. */
export function conversationRoutes(app: FastifyInstance, { ctx, publish }: RouteDeps): void {
  app.get('/api/v1/conversations', async (request) => {
    const actor = requireAccount(request);
    const query = parseWith(ConversationListQuery, request.query);
    return { conversations: await listConversations(ctx, actor, query) };
  });

  app.get('/api/v1/conversations/:id', async (request) => {
    const actor = requireAccount(request);
    const { id } = parseWith(IdParams, request.params);
    return { conversation: await getConversation(ctx, actor, id) };
  });

  app.get('/api/v1/conversations/:id/messages', async (request) => {
    const actor = requireActor(request);
    const { id } = parseWith(IdParams, request.params);
    const page = parseWith(MessagePageQuery, request.query);
    return listMessages(ctx, actor, id, page);
  });

  app.post('/api/v1/conversations/:id/messages', async (request, reply) => {
    const actor = requireRole(request, ['agent']);
    const { id } = parseWith(IdParams, request.params);
    const input = parseWith(SendMessageRequest, request.body);
    const outcome = await sendMessage(ctx, actor, { ...input, conversationId: id });
    publish(outcome.events);
    const { message, conversation, created } = outcome.value;
    return reply.status(created ? 201 : 200).send({ message, conversation });
  });

  app.post('/api/v1/conversations/:id/read', async (request) => {
    const actor = requireRole(request, ['visitor', 'agent']);
    const { id } = parseWith(IdParams, request.params);
    const { seq } = parseWith(MarkReadRequest, request.body);
    const outcome = await markRead(ctx, actor, id, seq);
    publish(outcome.events);
    return outcome.value;
  });

  app.post('/api/v1/conversations/:id/typing', async (request, reply) => {
    const actor = requireRole(request, ['visitor', 'agent']);
    const { id } = parseWith(IdParams, request.params);
    const { isTyping } = parseWith(TypingRequest, request.body);
    publish((await notifyTyping(ctx, actor, id, isTyping)).events);
    return reply.status(204).send();
  });

  app.post('/api/v1/conversations/:id/end', async (request) => {
    const actor = requireAccount(request);
    const { id } = parseWith(IdParams, request.params);
    const outcome = await endConversation(ctx, actor, id);
    publish(outcome.events);
    return { conversation: outcome.value };
  });

  app.post('/api/v1/conversations/:id/transfer', async (request) => {
    const actor = requireAccount(request);
    const { id } = parseWith(IdParams, request.params);
    const { agentId } = parseWith(TransferRequest, request.body);
    const outcome = await transferConversation(ctx, actor, id, agentId);
    publish(outcome.events);
    return { conversation: outcome.value };
  });

  app.post('/api/v1/conversations/:id/assign', async (request) => {
    const actor = requireAdmin(request);
    const { id } = parseWith(IdParams, request.params);
    const { agentId } = parseWith(TransferRequest, request.body);
    const outcome = await assignConversation(ctx, actor, id, agentId);
    publish(outcome.events);
    return { conversation: outcome.value };
  });
}
