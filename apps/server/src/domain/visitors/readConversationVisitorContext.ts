import type { VisitorContextResponse } from '@servicesystem/protocol';
import type { AccountActor, DomainContext } from '../context.js';
import { findConversationOrThrow } from '../conversations/conversationViews.js';
import { authorize, conversationPolicy } from '../policies.js';
import { readVisitorContext } from './visitorContext.js';

/** The context of a conversation's visitor, for those who may read the conversation. */
export async function readConversationVisitorContext(
  ctx: DomainContext,
  actor: AccountActor,
  conversationId: string,
): Promise<VisitorContextResponse> {
  const conversation = await findConversationOrThrow(ctx.db, conversationId);
  authorize(conversationPolicy.read(actor, conversation));
  return {
    visitorId: conversation.visitor_id,
    context: await readVisitorContext(ctx.db, conversation.visitor_id),
  };
}
