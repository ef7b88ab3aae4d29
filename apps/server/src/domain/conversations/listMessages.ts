import { maxSeq, type MessagePage } from '@servicesystem/protocol';
import { prepared } from '../../db/prepared.js';
import { messageColumns, type MessagesTable } from '../../db/schema.js';
import type { Actor, DomainContext } from '../context.js';
import { authorize, conversationPolicy } from '../policies.js';
import { presentMessageFor } from '../presenters/message.js';
import { findConversationOrThrow } from './conversationViews.js';

export interface PageQuery {
  before?: number | undefined;
  after?: number | undefined;
  limit: number;
}

interface PageValues {
  conversationId: string;
  seq: number;
  limit: number;
}

type Bound = 'after' | 'before' | 'newest';

/**
 * A page read, compiled once per bound (history is read far more often than written): `after`
 * a seq, oldest first (what a reconnecting client missed); `before` a seq, or the `newest`,
 * newest first.
 */
function pageQuery(bound: Bound) {
  return prepared<PageValues, MessagesTable>((db, slot) => {
    let query = db
      .selectFrom('messages')
      .select(messageColumns)
      .where('conversation_id', '=', slot('conversationId'));
    if (bound === 'after') query = query.where('seq', '>', slot('seq'));
    if (bound === 'before') query = query.where('seq', '<', slot('seq'));
    return query.orderBy('seq', bound === 'after' ? 'asc' : 'desc').limit(slot('limit'));
  });
}

const pages: Record<Bound, ReturnType<typeof pageQuery>> = {
  after: pageQuery('after'),
  before: pageQuery('before'),
  newest: pageQuery('newest'),
};

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
  const bound: Bound =
    page.after !== undefined ? 'after' : page.before !== undefined ? 'before' : 'newest';
  const forward = bound === 'after';
  const values = {
    conversationId,
    // Clamped: a seq past the column's range matches nothing rather than failing the query.
    seq: Math.min(page.after ?? page.before ?? 0, maxSeq),
    limit: page.limit + 1,
  };
  // Both at once: on PostgreSQL two connections answer in the time of one round trip. Nothing is
  // answered before the conversation has been checked.
  const [conversation, rows] = await Promise.all([
    findConversationOrThrow(ctx.db, conversationId),
    pages[bound](ctx.db, values),
  ]);
  authorize(conversationPolicy.read(actor, conversation), 'This conversation is not yours');
  const hasMore = rows.length > page.limit;
  const kept = rows.slice(0, page.limit);
  if (!forward) kept.reverse();
  return { messages: kept.map((row) => presentMessageFor(actor, row, ctx.fileUrls)), hasMore };
}
