import { maxSnoozeMs, type Conversation } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import type { Outcome } from '../events.js';
import { authorize, conversationPolicy } from '../policies.js';
import { presentConversationForConsole } from '../presenters/conversation.js';
import { findConversationOrThrow, viewOf } from './conversationViews.js';

/**
 * The agent serving an active conversation hides it: until `until` (epoch ms), or, without it,
 * until the visitor writes (which always brings it back). It stays theirs and still counts
 * toward their cap; it moves from their `mine` view to `snoozed`. Snoozing again sets the new
 * time. The visitor sees nothing.
 */
export async function snoozeConversation(
  ctx: DomainContext,
  actor: AccountActor,
  conversationId: string,
  until: number | undefined,
): Promise<Outcome<Conversation>> {
  const now = ctx.now();
  if (until !== undefined && (until <= now || until > now + maxSnoozeMs)) {
    throw new AppError('VALIDATION_FAILED', '"until": must be in the future, within 90 days', {
      issues: [{ path: 'until', message: 'must be in the future, within 90 days' }],
    });
  }
  return ctx.transaction(async (trx) => {
    const conversation = await findConversationOrThrow(trx, conversationId);
    authorize(
      conversationPolicy.read(actor, conversation),
      'Only the agent serving this conversation can hide it',
    );
    if (conversation.state === 'ended') {
      throw new AppError('CONVERSATION_ENDED', 'This conversation has ended');
    }
    authorize(
      conversationPolicy.snooze(actor, conversation),
      'Only the agent serving this conversation can hide it',
    );
    const updated = await trx
      .updateTable('conversations')
      .set({ snoozed_at: now, snoozed_until: until ?? null })
      .where('id', '=', conversationId)
      .where('state', '=', 'active')
      .where('agent_id', '=', actor.accountId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      throw new AppError('INVALID_STATE', 'This conversation changed meanwhile; try again');
    }
    const view = await viewOf(trx, conversationId);
    return {
      value: presentConversationForConsole(view, ctx.fileUrls),
      events: [{ type: 'conversation.updated', view, consoleOnly: true }],
    };
  });
}
