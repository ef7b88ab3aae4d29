import type { Actor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import type { Outcome } from '../events.js';
import { authorize, conversationPolicy } from '../policies.js';
import { findConversationOrThrow, viewOf } from './conversationViews.js';

/** A participant started or stopped typing. Nothing is stored; the other side is told. */
export async function notifyTyping(
  ctx: DomainContext,
  actor: Actor,
  conversationId: string,
  isTyping: boolean,
): Promise<Outcome<null>> {
  const conversation = await findConversationOrThrow(ctx.db, conversationId);
  authorize(
    conversationPolicy.participate(actor, conversation),
    'Only the visitor and the assigned agent type in this conversation',
  );
  if (conversation.state === 'ended') {
    throw new AppError('CONVERSATION_ENDED', 'This conversation has ended');
  }
  const view = await viewOf(ctx.db, conversationId);
  const side = actor.kind === 'visitor' ? 'visitor' : 'agent';
  return { value: null, events: [{ type: 'typing', view, side, isTyping }] };
}
