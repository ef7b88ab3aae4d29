import { maxSeq, type MessagePage } from '@servicesystem/protocol';
import type { PageRead } from '../../db/messages/messageStore.js';
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
  const bound: PageRead['bound'] =
    page.after !== undefined ? 'after' : page.before !== undefined ? 'before' : 'newest';
  const forward = bound === 'after';
  const read = {
    conversationId,
    bound,
    // Clamped: a seq past the column's range matches nothing rather than failing the query.
    seq: Math.min(page.after ?? page.before ?? 0, maxSeq),
    limit: page.limit + 1,
  };
  // Both at once: on PostgreSQL two connections answer in the time of one round trip. Nothing is
  // answered before the conversation has been checked.
  const [conversation, messages] = await Promise.all([
    findConversationOrThrow(ctx.db, conversationId),
    ctx.messages.page(ctx.db, read),
  ]);
  authorize(conversationPolicy.read(actor, conversation), 'This conversation is not yours');
  const hasMore = messages.length > page.limit;
  const kept = messages.slice(0, page.limit);
  if (!forward) kept.reverse();
  return { messages: kept.map((row) => presentMessageFor(actor, row, ctx.fileUrls)), hasMore };
}
