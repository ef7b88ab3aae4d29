import type { Conversation } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { AccountActor, DomainContext } from '../context.js';
import type { Outcome } from '../events.js';
import { findLabelOrThrow } from '../labels/labelRows.js';
import { authorize, conversationPolicy } from '../policies.js';
import { presentConversationForConsole } from '../presenters/conversation.js';
import { findConversationOrThrow, viewOf } from './conversationViews.js';

/**
 * What putting a label on a conversation and taking one off share: the agent serving it (or an
 * admin) may, the label must exist; `change` answers whether it changed anything. A change is
 * `conversation.updated` for console users only (the visitor hears nothing); none, no event.
 */
export function changeLabels(
  ctx: DomainContext,
  actor: AccountActor,
  conversationId: string,
  labelId: string,
  change: (trx: Kysely<Database>) => Promise<boolean>,
): Promise<Outcome<Conversation>> {
  return ctx.transaction(async (trx) => {
    const conversation = await findConversationOrThrow(trx, conversationId);
    authorize(
      conversationPolicy.label(actor, conversation),
      'Only the agent serving this conversation or an admin can label it',
    );
    await findLabelOrThrow(trx, labelId);
    const changed = await change(trx);
    const view = await viewOf(trx, conversationId);
    return {
      value: presentConversationForConsole(view, ctx.fileUrls),
      events: changed ? [{ type: 'conversation.updated', view, consoleOnly: true }] : [],
    };
  });
}
