import type { Conversation } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import type { DomainEvent, Outcome } from '../events.js';
import { authorize, conversationPolicy } from '../policies.js';
import { presentConversationForConsole } from '../presenters/conversation.js';
import { closeConversation } from './closeConversation.js';
import { findConversationOrThrow } from './conversationViews.js';
import { recordWebhookEvents } from '../webhooks/recordWebhookEvents.js';

/**
 * The assigned agent or an admin ends a conversation. The visitor gets a system message; their
 * next message starts a new conversation, preferably with the same agent. The freed capacity
 * drains the queue (closeConversation, shared with the idle job).
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
      const events: DomainEvent[] = [];
      const view = await closeConversation(
        ctx,
        trx,
        conversation,
        { endedBy: actor.accountId, notice: { kind: 'ended' } },
        events,
      );
      await recordWebhookEvents(ctx, trx, events);
      return { value: presentConversationForConsole(view, ctx.fileUrls), events };
    },
    { lock: 'routing' },
  );
}
