import type {
  ConversationState,
  Conversation,
  ConversationView as ConversationViewName,
} from '@servicesystem/protocol';
import { sql } from 'kysely';
import type { AccountActor, DomainContext } from '../context.js';
import { authorize, conversationPolicy } from '../policies.js';
import { presentConversationForConsole } from '../presenters/conversation.js';
import { findConversationOrThrow, viewOf, viewsOf } from './conversationViews.js';

export interface ConversationFilter {
  state?: ConversationState | undefined;
  view?: ConversationViewName | undefined;
  label?: string | undefined;
  agentId?: string | undefined;
  channelId?: string | undefined;
  visitorId?: string | undefined;
  q?: string | undefined;
  before?: number | undefined;
  limit: number;
}

/**
 * Conversations, latest activity first (the queue: arrival order). Agents see only their own;
 * admins see all, filtered by state, agent and channel.
 */
export async function listConversations(
  ctx: DomainContext,
  actor: AccountActor,
  filter: ConversationFilter,
): Promise<Conversation[]> {
  const all = conversationPolicy.listAll(actor);
  const queue = filter.state === 'queued' || filter.view === 'unassigned';
  if (queue) {
    authorize(conversationPolicy.listQueue(actor), 'You may not see the queue');
  } else if (!all) {
    authorize(
      filter.agentId === undefined || filter.agentId === actor.accountId,
      'Agents see only their own conversations',
    );
    authorize(filter.view !== 'all', 'Only administrators see every conversation');
  }
  let query = ctx.db.selectFrom('conversations').selectAll('conversations');
  // The queue has nobody's conversations; otherwise agents see their own, admins whom they ask.
  const agentId =
    filter.view === 'mine' || filter.view === 'snoozed'
      ? actor.accountId
      : queue || filter.view === 'all'
        ? undefined
        : all
          ? filter.agentId
          : actor.accountId;
  if (agentId !== undefined) query = query.where('conversations.agent_id', '=', agentId);
  if (filter.state !== undefined) query = query.where('conversations.state', '=', filter.state);
  switch (filter.view) {
    case 'mine':
    case 'snoozed':
      query = query
        .where('conversations.state', '=', 'active')
        .where('conversations.snoozed_at', filter.view === 'mine' ? 'is' : 'is not', null);
      break;
    case 'unassigned':
      query = query.where('conversations.state', '=', 'queued');
      break;
    case 'all':
      query = query.where('conversations.state', 'in', ['queued', 'active', 'robot']);
      break;
    case undefined:
      break;
  }
  if (filter.label !== undefined) {
    const labelId = filter.label;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('conversation_labels as cl')
          .select('cl.label_id')
          .whereRef('cl.conversation_id', '=', 'conversations.id')
          .where('cl.label_id', '=', labelId),
      ),
    );
  }
  if (filter.channelId !== undefined) {
    query = query.where('conversations.channel_id', '=', filter.channelId);
  }
  if (filter.visitorId !== undefined) {
    query = query.where('conversations.visitor_id', '=', filter.visitorId);
  }
  if (filter.q !== undefined) {
    const pattern = `%${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query
      .innerJoin('visitors', 'visitors.id', 'conversations.visitor_id')
      .where(sql<boolean>`lower(visitors.name) like ${pattern} escape '\\'`);
  }
  if (filter.before !== undefined) {
    query = query.where('conversations.last_activity_at', '<', filter.before);
  }
  query = queue
    ? query.orderBy('conversations.queue_order', 'asc')
    : query
        .orderBy('conversations.last_activity_at', 'desc')
        .orderBy('conversations.queue_order', 'desc');
  const rows = await query.limit(filter.limit).execute();
  return (await viewsOf(ctx.db, rows)).map((view) =>
    presentConversationForConsole(view, ctx.fileUrls),
  );
}

export async function getConversation(
  ctx: DomainContext,
  actor: AccountActor,
  conversationId: string,
): Promise<Conversation> {
  const conversation = await findConversationOrThrow(ctx.db, conversationId);
  authorize(conversationPolicy.read(actor, conversation), 'This conversation is not yours');
  return presentConversationForConsole(await viewOf(ctx.db, conversationId), ctx.fileUrls);
}
