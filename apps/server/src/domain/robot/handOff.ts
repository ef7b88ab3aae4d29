import type { HandoffReason } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { StoredMessage } from '../../db/messages/messageStore.js';
import type { ConversationsTable, Database } from '../../db/schema.js';
import type { DomainContext } from '../context.js';
import { findConversationOrThrow, viewOf } from '../conversations/conversationViews.js';
import { appendSystemMessage } from '../conversations/systemMessages.js';
import type { DomainEvent, Outcome } from '../events.js';
import { drainQueue, nextQueueOrder } from '../routing.js';
import { recordWebhookEvents } from '../webhooks/recordWebhookEvents.js';

/**
 * The robot hands its conversation to people: it joins the back of the queue (its wait starts
 * now, not when the robot started talking), with a `handedOff` notice, and is routed as a new
 * arrival would be; still waiting, the visitor is told their place as startConversation tells
 * them. From here on the robot is silent in it. Answers false (and writes nothing) when the
 * conversation is no longer the robot's: another turn, an administrator or an end came first.
 */
export function handOff(
  ctx: DomainContext,
  conversationId: string,
  reason: HandoffReason,
): Promise<Outcome<boolean>> {
  return ctx.transaction(
    async (trx) => {
      const conversation = await findConversationOrThrow(trx, conversationId);
      if (conversation.state !== 'robot') return { value: false, events: [] };
      const notice = await leaveRobot(ctx, trx, conversation, reason, {
        state: 'queued',
        queue_order: await nextQueueOrder(trx, ctx.now()),
      });
      // Routed first, then announced with the conversation as routed: the agent who takes it
      // hears the notice live (as startConversation does).
      const routing: DomainEvent[] = [];
      await drainQueue(trx, ctx, routing);
      const routed = await viewOf(trx, conversationId);
      const events: DomainEvent[] = [
        { type: 'conversation.updated', view: routed },
        { type: 'message.created', view: routed, message: notice },
        ...routing,
      ];
      if (routed.conversation.state === 'queued') {
        const queued = await appendSystemMessage(ctx, trx, ctx.now(), conversationId, {
          kind: 'queued',
          position: routed.queuePosition ?? 1,
          reason: routed.queueReason ?? 'busy',
        });
        events.push({
          type: 'message.created',
          view: await viewOf(trx, conversationId),
          message: queued,
        });
      }
      await recordWebhookEvents(ctx, trx, events);
      return { value: true, events };
    },
    { lock: 'routing' },
  );
}

/**
 * The part of a handoff every path shares (the robot's, an administrator's takeover): the row
 * records when and why, with `changes` (the new state), and the notice is written (the caller
 * announces it). The caller holds the routing lock and has read `conversation` inside it in
 * state `robot`.
 */
export async function leaveRobot(
  ctx: DomainContext,
  trx: Kysely<Database>,
  conversation: ConversationsTable,
  reason: HandoffReason,
  changes: Partial<Pick<ConversationsTable, 'state' | 'queue_order'>> = {},
): Promise<StoredMessage> {
  const now = ctx.now();
  await trx
    .updateTable('conversations')
    .set({ ...changes, handed_off_at: now, handoff_reason: reason })
    .where('id', '=', conversation.id)
    .execute();
  return appendSystemMessage(ctx, trx, now, conversation.id, { kind: 'handedOff', reason });
}
