import type { Conversation } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import type { Outcome } from '../events.js';
import { findLabelOrThrow } from '../labels/labelRows.js';
import { authorize, conversationPolicy } from '../policies.js';
import { presentConversationForConsole } from '../presenters/conversation.js';
import { findConversationOrThrow, viewOf } from './conversationViews.js';

/** The agent serving a conversation (or an admin) takes a label off it; one it does not carry
 * changes nothing. */
export async function removeConversationLabel(
  ctx: DomainContext,
  actor: AccountActor,
  conversationId: string,
  labelId: string,
): Promise<Outcome<Conversation>> {
  return ctx.transaction(async (trx) => {
    const conversation = await findConversationOrThrow(trx, conversationId);
    authorize(
      conversationPolicy.label(actor, conversation),
      'Only the agent serving this conversation or an admin can label it',
    );
    await findLabelOrThrow(trx, labelId);
    const removed = await trx
      .deleteFrom('conversation_labels')
      .where('conversation_id', '=', conversationId)
      .where('label_id', '=', labelId)
      .executeTakeFirst();
    const view = await viewOf(trx, conversationId);
    return {
      value: presentConversationForConsole(view, ctx.fileUrls),
      events:
        Number(removed.numDeletedRows) > 0
          ? [{ type: 'conversation.updated', view, consoleOnly: true }]
          : [],
    };
  });
}
