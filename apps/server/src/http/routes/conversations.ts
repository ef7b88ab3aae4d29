import {
  ConversationLabelParams,
  ConversationListQuery,
  SearchQuery,
  CreateNoteRequest,
  SnoozeRequest,
  IdParams,
  MarkReadRequest,
  MessagePageQuery,
  RateConversationRequest,
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
import { createNote } from '../../domain/notes/createNote.js';
import { listNotes } from '../../domain/notes/listNotes.js';
import { addConversationLabel } from '../../domain/conversations/addConversationLabel.js';
import { conversationCounts } from '../../domain/conversations/conversationCounts.js';
import { removeConversationLabel } from '../../domain/conversations/removeConversationLabel.js';
import { snoozeConversation } from '../../domain/conversations/snoozeConversation.js';
import { unsnoozeConversation } from '../../domain/conversations/unsnoozeConversation.js';
import { searchConversations } from '../../domain/search/searchConversations.js';
import { rateConversation } from '../../domain/ratings/rateConversation.js';
import { readConversationVisitorContext } from '../../domain/visitors/readConversationVisitorContext.js';
import { parseWith } from '../validate.js';
import type { RouteDeps } from './deps.js';
import { authorizeCaller, callers } from '../../domain/policies.js';

/** Conversations: console users list and act on them; visitors read and write their own. */
export function conversationRoutes(app: FastifyInstance, { ctx, run }: RouteDeps): void {
  app.get('/api/v1/conversations', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const query = parseWith(ConversationListQuery, request.query);
    return { conversations: await listConversations(ctx, actor, query) };
  });

  app.get('/api/v1/conversations/counts', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    return { counts: await conversationCounts(ctx, actor) };
  });

  app.get('/api/v1/search', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const query = parseWith(SearchQuery, request.query);
    return { results: await searchConversations(ctx, actor, query) };
  });

  app.get('/api/v1/conversations/:id', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const { id } = parseWith(IdParams, request.params);
    return { conversation: await getConversation(ctx, actor, id) };
  });

  // The context of a conversation's visitor (what the panel beside it shows).
  app.get('/api/v1/conversations/:id/visitor-context', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const { id } = parseWith(IdParams, request.params);
    return readConversationVisitorContext(ctx, actor, id);
  });

  app.get('/api/v1/conversations/:id/messages', async (request) => {
    const actor = authorizeCaller(request.actor, callers.anyone);
    const { id } = parseWith(IdParams, request.params);
    const page = parseWith(MessagePageQuery, request.query);
    return listMessages(ctx, actor, id, page);
  });

  // Its visitor rates a conversation that ended, once.
  app.post('/api/v1/conversations/:id/rating', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.visitors);
    const { id } = parseWith(IdParams, request.params);
    const input = parseWith(RateConversationRequest, request.body);
    const rating = await run(rateConversation(ctx, actor, id, input));
    return reply.status(201).send({ rating });
  });

  app.post('/api/v1/conversations/:id/messages', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.agents);
    const { id } = parseWith(IdParams, request.params);
    const input = parseWith(SendMessageRequest, request.body);
    const { message, conversation, created } = await run(
      sendMessage(ctx, actor, { ...input, conversationId: id }, { ip: request.ip }),
    );
    return reply.status(created ? 201 : 200).send({ message, conversation });
  });

  app.get('/api/v1/conversations/:id/notes', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const { id } = parseWith(IdParams, request.params);
    return { notes: await listNotes(ctx, actor, id) };
  });

  app.post('/api/v1/conversations/:id/notes', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const { id } = parseWith(IdParams, request.params);
    const input = parseWith(CreateNoteRequest, request.body);
    const { note, created } = await run(createNote(ctx, actor, id, input));
    return reply.status(created ? 201 : 200).send({ note });
  });

  app.post('/api/v1/conversations/:id/read', async (request) => {
    const actor = authorizeCaller(request.actor, callers.participants);
    const { id } = parseWith(IdParams, request.params);
    const { seq } = parseWith(MarkReadRequest, request.body);
    return run(markRead(ctx, actor, id, seq));
  });

  app.post('/api/v1/conversations/:id/typing', async (request, reply) => {
    const actor = authorizeCaller(request.actor, callers.participants);
    const { id } = parseWith(IdParams, request.params);
    const { isTyping } = parseWith(TypingRequest, request.body);
    await run(notifyTyping(ctx, actor, id, isTyping));
    return reply.status(204).send();
  });

  app.post('/api/v1/conversations/:id/end', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const { id } = parseWith(IdParams, request.params);
    return { conversation: await run(endConversation(ctx, actor, id)) };
  });

  app.post('/api/v1/conversations/:id/transfer', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const { id } = parseWith(IdParams, request.params);
    const { agentId } = parseWith(TransferRequest, request.body);
    return { conversation: await run(transferConversation(ctx, actor, id, agentId)) };
  });

  app.post('/api/v1/conversations/:id/assign', async (request) => {
    const actor = authorizeCaller(request.actor, callers.admins);
    const { id } = parseWith(IdParams, request.params);
    const { agentId } = parseWith(TransferRequest, request.body);
    return { conversation: await run(assignConversation(ctx, actor, id, agentId)) };
  });

  app.put('/api/v1/conversations/:id/labels/:labelId', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const { id, labelId } = parseWith(ConversationLabelParams, request.params);
    return { conversation: await run(addConversationLabel(ctx, actor, id, labelId)) };
  });

  app.delete('/api/v1/conversations/:id/labels/:labelId', async (request) => {
    const actor = authorizeCaller(request.actor, callers.console);
    const { id, labelId } = parseWith(ConversationLabelParams, request.params);
    return { conversation: await run(removeConversationLabel(ctx, actor, id, labelId)) };
  });

  app.post('/api/v1/conversations/:id/snooze', async (request) => {
    const actor = authorizeCaller(request.actor, callers.agents);
    const { id } = parseWith(IdParams, request.params);
    const { until } = parseWith(SnoozeRequest, request.body ?? {});
    return { conversation: await run(snoozeConversation(ctx, actor, id, until)) };
  });

  app.post('/api/v1/conversations/:id/unsnooze', async (request) => {
    const actor = authorizeCaller(request.actor, callers.agents);
    const { id } = parseWith(IdParams, request.params);
    return { conversation: await run(unsnoozeConversation(ctx, actor, id)) };
  });
}
