import type { Actor, DomainContext } from '../context.js';
import type { Outcome } from '../events.js';
import { authorize, conversationPolicy } from '../policies.js';
import { completeView, findConversationOrThrow } from './conversationViews.js';

/**
 * A participant has read up to `seq`. Read positions only move forward and never past the last
 * message. The reader's unread count is worked out again in the same statement: the other side's
 * messages after the new position (an index range, empty when they read to the end).
 */
export async function markRead(
  ctx: DomainContext,
  actor: Actor,
  conversationId: string,
  seq: number,
): Promise<Outcome<{ seq: number }>> {
  const conversation = await findConversationOrThrow(ctx.db, conversationId);
  authorize(
    conversationPolicy.participate(actor, conversation),
    'Only the visitor and the assigned agent mark this conversation read',
  );
  const side = actor.kind === 'visitor' ? 'visitor' : 'agent';
  const column = side === 'visitor' ? 'visitor_read_seq' : 'agent_read_seq';
  const target = Math.min(seq, conversation.last_seq);
  const view = await ctx.transaction(async (trx) => {
    const row = await trx
      .updateTable('conversations')
      .set((eb) => ({
        [column]: target,
        [side === 'visitor' ? 'visitor_unread' : 'agent_unread']: eb
          .selectFrom('messages as m')
          .select((m) => m.fn.countAll<number>().as('unread'))
          .whereRef('m.conversation_id', '=', 'conversations.id')
          .where('m.seq', '>', target)
          // The visitor reads what the agents and the robot wrote.
          .where('m.sender_type', 'in', side === 'visitor' ? ['agent', 'robot'] : ['visitor']),
      }))
      .where('id', '=', conversationId)
      .where(column, '<', target)
      .returningAll()
      .executeTakeFirst();
    return row ? completeView(trx, row, {}) : undefined;
  });
  if (!view) {
    const current = await findConversationOrThrow(ctx.db, conversationId);
    return { value: { seq: current[column] }, events: [] };
  }
  return {
    value: { seq: target },
    events: [{ type: 'conversation.read', view, side, seq: target }],
  };
}
