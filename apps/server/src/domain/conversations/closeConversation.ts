import type { SystemMetaOf } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { ConversationsTable, Database } from '../../db/schema.js';
import type { DomainContext } from '../context.js';
import type { DomainEvent } from '../events.js';
import { foldConversationEnd } from '../reports/foldConversationEnd.js';
import { agentStatusChanged, announceQueuePositions, drainQueue } from '../routing.js';
import { viewOf, type ConversationView } from './conversationViews.js';
import { appendSystemMessage } from './systemMessages.js';

export interface CloseOptions {
  /** The account that ended it; null when it ended by itself (idle). */
  endedBy: string | null;
  /** What the visitor is told: `ended`, or `idleEnded` when nobody wrote for a while. */
  notice: SystemMetaOf<'ended'> | SystemMetaOf<'idleEnded'>;
}

/**
 * The one way a conversation ends, whoever ends it (the agent or an admin: endConversation; the
 * idle job: endIdleConversations): the notice, the row, the visitor's preferred agent for next
 * time, its figures in the reports, and the capacity it frees drains the queue. The caller holds the routing lock, has read
 * `conversation` inside it and checked it has not ended; the events go into `events`.
 */
export async function closeConversation(
  ctx: DomainContext,
  trx: Kysely<Database>,
  conversation: ConversationsTable,
  options: CloseOptions,
  events: DomainEvent[],
): Promise<ConversationView> {
  const now = ctx.now();
  const message = await appendSystemMessage(ctx, trx, now, conversation.id, options.notice);
  await trx
    .updateTable('conversations')
    .set({
      state: 'ended',
      ended_at: now,
      ended_by: options.endedBy,
      snoozed_at: null,
      snoozed_until: null,
    })
    .where('id', '=', conversation.id)
    .execute();
  // Its figures join the reports in this transaction: exactly once, whoever ended it.
  await foldConversationEnd(ctx, trx, conversation.id);
  if (conversation.agent_id) {
    await trx
      .updateTable('visitors')
      .set({ last_agent_id: conversation.agent_id })
      .where('id', '=', conversation.visitor_id)
      .execute();
  }
  const view = await viewOf(trx, conversation.id);
  events.push({ type: 'message.created', view, message });
  events.push({ type: 'conversation.updated', view });
  if (conversation.state === 'queued') {
    await announceQueuePositions(trx, events);
  } else if (conversation.agent_id) {
    events.push(await agentStatusChanged(trx, conversation.agent_id));
    await drainQueue(trx, ctx, events);
  }
  return view;
}
