import type { Kysely } from 'kysely';
import type { ConversationsTable, Database, LeftMessagesTable } from '../../db/schema.js';

/** The contact rows of those of `conversations` that are left messages: one query, none when
 * there is no left message among them (the hot path of chats asks nothing). */
export async function leftMessagesOf(
  db: Kysely<Database>,
  conversations: readonly Pick<ConversationsTable, 'id' | 'kind'>[],
): Promise<Map<string, LeftMessagesTable>> {
  const ids = conversations.filter((c) => c.kind === 'message').map((c) => c.id);
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('left_messages')
    .selectAll()
    .where('conversation_id', 'in', ids)
    .execute();
  return new Map(rows.map((row) => [row.conversation_id, row]));
}
