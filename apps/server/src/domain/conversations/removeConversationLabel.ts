import type { Conversation } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import type { Outcome } from '../events.js';
import { changeLabels } from './labelling.js';

/** The agent serving a conversation (or an admin) takes a label off it; one it does not carry
 * changes nothing. */
export function removeConversationLabel(
  ctx: DomainContext,
  actor: AccountActor,
  conversationId: string,
  labelId: string,
): Promise<Outcome<Conversation>> {
  return changeLabels(ctx, actor, conversationId, labelId, async (trx) => {
    const removed = await trx
      .deleteFrom('conversation_labels')
      .where('conversation_id', '=', conversationId)
      .where('label_id', '=', labelId)
      .executeTakeFirst();
    return Number(removed.numDeletedRows) > 0;
  });
}
