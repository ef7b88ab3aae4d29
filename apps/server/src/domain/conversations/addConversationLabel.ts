import { maxLabelsPerConversation, type Conversation } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { AppError } from '../errors.js';
import type { Outcome } from '../events.js';
import { changeLabels } from './labelling.js';

/**
 * The agent serving a conversation (or an admin) puts a label on it. Putting one that is there
 * already changes nothing. Console users hear `conversation.updated`; the visitor nothing.
 */
export function addConversationLabel(
  ctx: DomainContext,
  actor: AccountActor,
  conversationId: string,
  labelId: string,
): Promise<Outcome<Conversation>> {
  return changeLabels(ctx, actor, conversationId, labelId, async (trx) => {
    const present = await trx
      .selectFrom('conversation_labels')
      .select('label_id')
      .where('conversation_id', '=', conversationId)
      .execute();
    if (present.some((row) => row.label_id === labelId)) return false;
    if (present.length >= maxLabelsPerConversation) {
      throw new AppError(
        'INVALID_STATE',
        `A conversation carries at most ${maxLabelsPerConversation} labels`,
      );
    }
    await trx
      .insertInto('conversation_labels')
      .values({
        conversation_id: conversationId,
        label_id: labelId,
        added_by: actor.accountId,
        created_at: ctx.now(),
      })
      .onConflict((oc) => oc.columns(['conversation_id', 'label_id']).doNothing())
      .execute();
    return true;
  });
}
