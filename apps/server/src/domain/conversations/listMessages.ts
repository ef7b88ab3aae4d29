import { maxSeq, type MessagePage } from '@servicesystem/protocol';
import { prepared } from '../../db/prepared.js';
import type { MessagesTable } from '../../db/schema.js';
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

/** The three page reads, each compiled once (history is read far more often than written). */
const pages = {
  /** What a reconnecting client missed: the ones after `seq`, oldest first. */
  after: prepared<PageValues, MessagesTable>((db, slot) =>
    db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', slot('conversationId'))
      .where('seq', '>', slot('seq'))
      .orderBy('seq', 'asc')
      .limit(slot('limit')),
  ),
  /** Older history, before `seq`; newest first. */
  before: prepared<PageValues, MessagesTable>((db, slot) =>
    db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', slot('conversationId'))
      .where('seq', '<', slot('seq'))
      .orderBy('seq', 'desc')
      .limit(slot('limit')),
  ),
  /** The newest; newest first. */
  newest: prepared<PageValues, MessagesTable>((db, slot) =>
    db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', slot('conversationId'))
      .orderBy('seq', 'desc')
      .limit(slot('limit')),
  ),
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
  const forward = page.after !== undefined;
  const read = forward ? pages.after : page.before !== undefined ? pages.before : pages.newest;
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
    read(ctx.db, values),
  ]);
  authorize(conversationPolicy.read(actor, conversation), 'This conversation is not yours');
  const hasMore = rows.length > page.limit;
  const kept = rows.slice(0, page.limit);
  if (!forward) kept.reverse();
  return { messages: kept.map((row) => presentMessageFor(actor, row, ctx.fileUrls)), hasMore };
}
