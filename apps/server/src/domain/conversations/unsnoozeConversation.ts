import type { Conversation } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import type { Outcome } from '../events.js';
import { authorize, conversationPolicy } from '../policies.js';
import { presentConversationForConsole } from '../presenters/conversation.js';
import { findConversationOrThrow, viewOf } from './conversationViews.js';

/** The agent serving a hidden conversation brings it back now. One not hidden stays as it is. */
export async function unsnoozeConversation(
  ctx: DomainContext,
  actor: AccountActor,
  conversationId: string,
): Promise<Outcome<Conversation>> {
  return ctx.transaction(async (trx) => {
    const conversation = await findConversationOrThrow(trx, conversationId);
    authorize(
      conversationPolicy.read(actor, conversation),
      'Only the agent serving this conversation can bring it back',
    );
    if (conversation.state === 'ended') {
      throw new AppError('CONVERSATION_ENDED', 'This conversation has ended');
    }
    authorize(
      conversationPolicy.snooze(actor, conversation),
      'Only the agent serving this conversation can bring it back',
    );
    const updated = await trx
      .updateTable('conversations')
      .set({ snoozed_at: null, snoozed_until: null })
      .where('id', '=', conversationId)
      .where('snoozed_at', 'is not', null)
      .executeTakeFirst();
    const view = await viewOf(trx, conversationId);
    return {
      value: presentConversationForConsole(view, ctx.fileUrls),
      events:
        Number(updated.numUpdatedRows) > 0
          ? [{ type: 'conversation.updated', view, consoleOnly: true }]
          : [],
    };
  });
}
