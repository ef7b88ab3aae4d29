import type { VisitorConversation } from '@servicesystem/protocol';
import type { DomainContext, VisitorActor } from '../context.js';
import { viewsOf } from '../conversations/conversationViews.js';
import { presentConversationForVisitor } from '../presenters/conversation.js';

/** The visitor's conversations, newest first (the open one, if any, comes first). */
export async function listVisitorConversations(
  ctx: DomainContext,
  actor: VisitorActor,
  limit = 20,
): Promise<VisitorConversation[]> {
  const rows = await ctx.db
    .selectFrom('conversations')
    .selectAll()
    .where('visitor_id', '=', actor.visitorId)
    .orderBy('created_at', 'desc')
    .orderBy('queue_order', 'desc')
    .limit(limit)
    .execute();
  return (await viewsOf(ctx.db, rows)).map((view) =>
    presentConversationForVisitor(view, ctx.fileUrls),
  );
}
