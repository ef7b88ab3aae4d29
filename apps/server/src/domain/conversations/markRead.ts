import type { Actor, DomainContext } from '../context.js';
import type { Outcome } from '../events.js';
import { authorize, conversationPolicy } from '../policies.js';
import { completeView, findConversationOrThrow } from './conversationViews.js';

/**
 * A participant has read up to `seq`. Read positions only move forward and never past the last
 * message. Unread counts derive from them: last seq − read seq.
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
      .set({ [column]: target })
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
