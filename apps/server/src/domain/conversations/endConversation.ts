import type { Conversation } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import type { DomainEvent, Outcome } from '../events.js';
import { authorize, conversationPolicy } from '../policies.js';
import { presentConversationForConsole } from '../presenters/conversation.js';
import { announceQueuePositions, drainQueue, agentStatusChanged } from '../routing.js';
import { appendSystemMessage } from './systemMessages.js';
import { foldConversationEnd } from '../reports/foldConversationEnd.js';
import { findConversationOrThrow, viewOf } from './conversationViews.js';

/**
 * The assigned agent or an admin ends a conversation. The visitor gets a system message; their
 * next message starts a new conversation, preferably with the same agent. The freed capacity
 * drains the queue.
 */
export async function endConversation(
  ctx: DomainContext,
  actor: AccountActor,
  conversationId: string,
): Promise<Outcome<Conversation>> {
  return ctx.transaction(
    async (trx) => {
      const conversation = await findConversationOrThrow(trx, conversationId);
      authorize(
        conversationPolicy.end(actor, conversation),
        'Only the assigned agent or an admin can end this conversation',
      );
      if (conversation.state === 'ended') {
        throw new AppError('CONVERSATION_ENDED', 'This conversation has already ended');
      }
      const now = ctx.now();
      const events: DomainEvent[] = [];
      const message = await appendSystemMessage(ctx, trx, now, conversationId, { kind: 'ended' });
      await trx
        .updateTable('conversations')
        .set({
          state: 'ended',
          ended_at: now,
          ended_by: actor.accountId,
          snoozed_at: null,
          snoozed_until: null,
        })
        .where('id', '=', conversationId)
        .execute();
      await foldConversationEnd(ctx, trx, conversationId);
      if (conversation.agent_id) {
        await trx
          .updateTable('visitors')
          .set({ last_agent_id: conversation.agent_id })
          .where('id', '=', conversation.visitor_id)
          .execute();
      }
      const view = await viewOf(trx, conversationId);
      events.push({ type: 'message.created', view, message });
      events.push({ type: 'conversation.updated', view });
      if (conversation.state === 'queued') {
        await announceQueuePositions(trx, events);
      } else if (conversation.agent_id) {
        events.push(await agentStatusChanged(trx, conversation.agent_id));
        await drainQueue(trx, ctx, events);
      }
      return { value: presentConversationForConsole(view, ctx.fileUrls), events };
    },
    { lock: 'routing' },
  );
}
