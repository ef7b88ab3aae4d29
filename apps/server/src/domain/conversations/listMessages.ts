import { maxSeq, type MessagePage } from '@servicesystem/protocol';
import type { Actor, DomainContext } from '../context.js';
import { authorize, conversationPolicy } from '../policies.js';
import { presentMessageFor } from '../presenters/message.js';
import { findConversationOrThrow } from './conversationViews.js';

export interface PageQuery {
  before?: number | undefined;
  after?: number | undefined;
  limit: number;
}

/**
 * A page of a conversation's messages in seq order. `after`: the ones after that seq (what a
 * reconnecting client missed); `before`: older history; neither: the newest.
 */
export async function listMessages(
  ctx: DomainContext,
  actor: Actor,
  conversationId: string,
  page: PageQuery,
): Promise<MessagePage> {
  const conversation = await findConversationOrThrow(ctx.db, conversationId);
  authorize(conversationPolicy.read(actor, conversation), 'This conversation is not yours');
  let query = ctx.db
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .limit(page.limit + 1);
  // Clamped: a seq past the column's range matches nothing rather than failing the query.
  if (page.after !== undefined) {
    query = query.where('seq', '>', Math.min(page.after, maxSeq)).orderBy('seq', 'asc');
  } else {
    if (page.before !== undefined) query = query.where('seq', '<', Math.min(page.before, maxSeq));
    query = query.orderBy('seq', 'desc');
  }
  const rows = await query.execute();
  const hasMore = rows.length > page.limit;
  const kept = rows.slice(0, page.limit);
  if (page.after === undefined) kept.reverse();
  return { messages: kept.map((row) => presentMessageFor(actor, row, ctx.fileUrls)), hasMore };
}
